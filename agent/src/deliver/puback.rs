//! Which queued samples an MQTT PUBACK acknowledges. Pure bookkeeping over the events of
//! rumqttc's event loop.
//!
//! rumqttc assigns the packet id when its event loop takes the publish from the request
//! channel (`Event::Outgoing(Outgoing::Publish(pkid))`), not when `publish()` returns, and
//! `publish()` returning says nothing about the broker. So the agent keeps one batch in
//! flight: it publishes, learns the pkid from the next outgoing QoS 1 publish event, and
//! deletes the batch's samples only on `Incoming(PubAck)` with that pkid. If the broker
//! answers a reconnect with `session_present = false`, rumqttc drops its unacknowledged
//! publishes, so the batch is published again (same samples or more; the collector drops
//! duplicates by sequence number). With the session present, rumqttc retransmits the
//! publish with the same pkid and the agent keeps waiting for it.
//!
//! A batch handed over but not yet given a pkid when the connection broke may have been
//! moved into rumqttc's pending list (then a reconnect without session drops it) or may
//! still wait in the request channel (then it is sent after the reconnect): the events do
//! not tell which. Such a batch becomes *suspect*; if no pkid arrives before the send
//! times out on a live connection, [`Tracker::expire`] gives it up and it is published
//! again. (Only then can a second batch be in the air, and rumqttc takes a request off
//! the channel as soon as it is connected, so a suspect batch that was not dropped has long
//! been given its pkid.)

/// What the MQTT event loop reported (pkid 0 is a QoS 0 publish, e.g. the online status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MqttEvent {
    Published(u16),
    Acked(u16),
    Connected { session_present: bool },
    Down,
}

/// The consequence of an event for the batch in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The broker has these samples: delete them.
    Acked(Vec<u64>),
    /// The broker forgot the session: publish again.
    Lost,
    /// The connection dropped; rumqttc reconnects and retransmits.
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct InFlight {
    seqs: Vec<u64>,
    pkid: Option<u16>,
    /// The connection broke before the pkid was known.
    broke: bool,
    /// ... and the reconnect came without session: rumqttc may have dropped it.
    suspect: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracker {
    inflight: Option<InFlight>,
}

impl Tracker {
    /// Whether a new batch should be published (none is in flight).
    pub fn idle(&self) -> bool {
        self.inflight.is_none()
    }

    /// A batch with these samples was handed to rumqttc.
    pub fn published(&mut self, seqs: Vec<u64>) {
        self.inflight = Some(InFlight {
            seqs,
            pkid: None,
            broke: false,
            suspect: false,
        });
    }

    /// The send timed out: a suspect batch is given up (publish it again).
    pub fn expire(&mut self) -> Option<Step> {
        if self.inflight.as_ref().is_some_and(|f| f.suspect) {
            self.inflight = None;
            return Some(Step::Lost);
        }
        None
    }

    pub fn on(&mut self, ev: MqttEvent) -> Option<Step> {
        let f = self.inflight.as_mut()?;
        match ev {
            MqttEvent::Published(p) if p != 0 && f.pkid.is_none() => {
                f.pkid = Some(p);
                f.suspect = false;
                None
            }
            MqttEvent::Acked(p) if f.pkid == Some(p) => {
                let done = self.inflight.take().expect("checked above");
                Some(Step::Acked(done.seqs))
            }
            MqttEvent::Connected {
                session_present: false,
            } if f.pkid.is_some() => {
                self.inflight = None;
                Some(Step::Lost)
            }
            MqttEvent::Connected {
                session_present: false,
            } => {
                f.suspect = f.broke;
                None
            }
            MqttEvent::Down => {
                f.broke |= f.pkid.is_none();
                Some(Step::Down)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MqttEvent::*;

    #[test]
    fn only_the_puback_for_our_pkid_deletes() {
        let mut t = Tracker::default();
        assert_eq!(t.on(Acked(1)), None, "nothing in flight");
        t.published(vec![4, 5]);
        assert!(!t.idle());
        assert_eq!(t.on(Published(0)), None, "QoS 0 status message");
        assert_eq!(t.on(Acked(7)), None, "not assigned yet");
        assert_eq!(t.on(Published(7)), None);
        assert_eq!(
            t.on(Published(8)),
            None,
            "a later publish does not steal the id"
        );
        assert_eq!(t.on(Acked(8)), None);
        assert_eq!(t.on(Acked(7)), Some(Step::Acked(vec![4, 5])));
        assert!(t.idle());
    }

    #[test]
    fn a_lost_session_republishes_a_kept_one_waits() {
        let mut t = Tracker::default();
        t.published(vec![1]);
        assert_eq!(
            t.on(Connected {
                session_present: false
            }),
            None,
            "not sent yet"
        );
        t.on(Published(3));
        assert_eq!(t.on(Down), Some(Step::Down));
        assert_eq!(
            t.on(Connected {
                session_present: true
            }),
            None
        );
        assert!(!t.idle(), "rumqttc retransmits pkid 3");
        assert_eq!(t.on(Acked(3)), Some(Step::Acked(vec![1])));
        t.published(vec![2]);
        t.on(Published(4));
        assert_eq!(
            t.on(Connected {
                session_present: false
            }),
            Some(Step::Lost)
        );
        assert!(t.idle());
    }

    #[test]
    fn a_batch_dropped_before_its_pkid_is_given_up_on_timeout() {
        let mut t = Tracker::default();
        t.published(vec![1, 2]);
        assert_eq!(t.expire(), None, "merely slow");
        assert_eq!(t.on(Down), Some(Step::Down));
        assert_eq!(t.expire(), None, "may still be in the request channel");
        assert_eq!(
            t.on(Connected {
                session_present: false
            }),
            None
        );
        assert_eq!(t.expire(), Some(Step::Lost));
        assert!(t.idle());
    }

    #[test]
    fn a_suspect_batch_that_gets_its_pkid_is_kept() {
        let mut t = Tracker::default();
        t.published(vec![1]);
        t.on(Down);
        t.on(Connected {
            session_present: false,
        });
        assert_eq!(t.on(Published(9)), None);
        assert_eq!(t.expire(), None);
        assert_eq!(t.on(Acked(9)), Some(Step::Acked(vec![1])));
    }
}
