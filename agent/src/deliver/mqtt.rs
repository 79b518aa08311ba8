//! The MQTT shell: rumqttc's blocking client, its event loop on a thread of its own (it
//! must keep running between sends: keep-alive pings, reconnects, retransmissions), and
//! a channel of the events [`Tracker`] needs.
//!
//! Session: client id = device UUID, `clean_session = false` (the broker keeps the
//! session and unacknowledged QoS 1 packets across reconnects), username/password = the
//! device's UUID/key, last will `edgemon/v1/{org}/{uuid}/status` = `offline` (retained),
//! and `online` (retained) published on every connection. `mqtts://` brokers use TLS
//! (`mqtt_tls`). Batches are envelope version 2: signed with SHA-256 of the key, so the
//! collector can tell the device sent them whatever the broker lets others publish.

use super::puback::{MqttEvent, Step, Tracker};
use crate::config::Config;
use edgemon_shared::envelope::{Batch, Sample};
use rumqttc::{Client, Event, LastWill, MqttOptions, Outgoing, Packet, QoS};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Largest batch the client sends (and the broker must accept).
const MAX_PACKET: usize = 1024 * 1024;

/// Why the MQTT client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MqttSetupError {
    #[error("option `mqtt_broker`: mqtts:// needs a build with the `tls` feature")]
    NoTls,
    #[cfg(feature = "tls")]
    #[error(transparent)]
    Tls(#[from] super::mqtt_tls::MqttTlsError),
}

/// What a send attempt ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Acked(Vec<u64>),
    Retry(String),
}

pub struct Mqtt {
    client: Client,
    events: Receiver<MqttEvent>,
    tracker: Tracker,
    uuid: uuid::Uuid,
    /// SHA-256 of the device key: the HMAC key of every batch.
    key_hash: [u8; 32],
    samples_topic: String,
    timeout: Duration,
}

impl std::fmt::Debug for Mqtt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mqtt")
            .field("topic", &self.samples_topic)
            .field("tracker", &self.tracker)
            .finish_non_exhaustive()
    }
}

/// The topics of a device.
pub fn topic(org: &str, uuid: &uuid::Uuid, leaf: &str) -> String {
    format!("edgemon/v1/{org}/{uuid}/{leaf}")
}

impl Mqtt {
    /// # Panics
    /// Without broker/org/uuid/key, which [`Config::from_options`] requires in mode mqtt.
    pub fn new(cfg: &Config) -> Result<Self, MqttSetupError> {
        let uuid = cfg.uuid.expect("uuid is required");
        let org = cfg.mqtt_org.clone().expect("mqtt_org is required");
        let broker = cfg.mqtt_broker.clone().expect("mqtt_broker is required");
        let (tls, hostport) = match broker.strip_prefix("mqtts://") {
            Some(rest) => (true, rest),
            None => (false, broker.strip_prefix("mqtt://").unwrap_or(&broker)),
        };
        let (host, port) = hostport.rsplit_once(':').expect("validated host:port");
        let key = cfg.key.clone().expect("key is required");
        let key_hash = edgemon_shared::envelope::key_hash(&key);
        let mut opts = MqttOptions::new(
            uuid.to_string(),
            host,
            port.parse().expect("validated port"),
        );
        let status = topic(&org, &uuid, "status");
        opts.set_clean_session(false)
            .set_credentials(uuid.to_string(), key)
            .set_keep_alive(Duration::from_secs(60))
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            .set_last_will(LastWill::new(&status, "offline", QoS::AtLeastOnce, true));
        if tls {
            #[cfg(feature = "tls")]
            opts.set_transport(rumqttc::Transport::tls_with_config(
                rumqttc::TlsConfiguration::Rustls(super::mqtt_tls::client_config(cfg)?),
            ));
            #[cfg(not(feature = "tls"))]
            return Err(MqttSetupError::NoTls);
        }
        let (client, mut connection) = Client::new(opts, 16);
        let mut net = rumqttc::NetworkOptions::new();
        net.set_connection_timeout(cfg.connect_timeout.as_secs().max(1));
        connection.eventloop.set_network_options(net);
        let (tx, rx) = channel();
        let online = client.clone();
        std::thread::spawn(move || {
            for ev in connection.iter() {
                let mapped = match ev {
                    Ok(Event::Incoming(Packet::ConnAck(c))) => {
                        let _ = online.try_publish(&status, QoS::AtMostOnce, true, "online");
                        Some(MqttEvent::Connected {
                            session_present: c.session_present,
                        })
                    }
                    Ok(Event::Incoming(Packet::PubAck(a))) => Some(MqttEvent::Acked(a.pkid)),
                    Ok(Event::Outgoing(Outgoing::Publish(p))) => Some(MqttEvent::Published(p)),
                    Ok(_) => None,
                    Err(e) => {
                        crate::daemon::log("warn", "mqtt connection", &[("error", e.to_string())]);
                        // The next poll reconnects; do not spin on a dead broker.
                        std::thread::sleep(Duration::from_millis(500 + fastrand::u64(..1500)));
                        Some(MqttEvent::Down)
                    }
                };
                if let Some(m) = mapped
                    && tx.send(m).is_err()
                {
                    return;
                }
            }
        });
        Ok(Self {
            client,
            events: rx,
            tracker: Tracker::default(),
            uuid,
            key_hash,
            samples_topic: topic(&org, &uuid, "samples"),
            timeout: cfg.request_timeout,
        })
    }

    /// Publishes a batch (built by `batch` only when none is in flight) and waits up to
    /// the request timeout for its PUBACK.
    pub fn send(&mut self, batch: impl FnOnce() -> Vec<Sample>) -> Sent {
        // Events that arrived while idle (reconnects) first.
        while let Ok(ev) = self.events.try_recv() {
            if let Some(done) = self.step(ev) {
                return done;
            }
        }
        if self.tracker.idle() {
            let samples = batch();
            let seqs = samples.iter().map(|s| s.seq).collect();
            let payload = Batch {
                device: self.uuid,
                samples,
            }
            .encode_signed(&self.key_hash);
            if let Err(e) =
                self.client
                    .try_publish(&self.samples_topic, QoS::AtLeastOnce, false, payload)
            {
                return Sent::Retry(format!("mqtt: {e}"));
            }
            self.tracker.published(seqs);
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(ev) => {
                    if let Some(done) = self.step(ev) {
                        return done;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(step) = self.tracker.expire() {
                        return sent(step);
                    }
                    return Sent::Retry(format!(
                        "mqtt: no PUBACK within {} s",
                        self.timeout.as_secs()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Sent::Retry("mqtt: event loop stopped".into());
                }
            }
        }
    }

    fn step(&mut self, ev: MqttEvent) -> Option<Sent> {
        self.tracker.on(ev).map(sent)
    }
}

fn sent(step: Step) -> Sent {
    match step {
        Step::Acked(seqs) => Sent::Acked(seqs),
        Step::Lost => Sent::Retry("mqtt: broker lost the session; publishing again".into()),
        Step::Down => Sent::Retry("mqtt: connection lost".into()),
    }
}
