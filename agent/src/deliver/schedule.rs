//! When to collect and when to send: a pure state machine over a monotonic clock
//! (`now` is the time since the daemon started). The daemon asks [`Schedule::next`] what to
//! do, does it, and reports back.
//!
//! Policy:
//! * The first collection and the first send wait a random boot delay (given by the
//!   caller), so a fleet powered on together does not hit the server at once.
//! * Collections keep a fixed grid (`start + k·interval`); a tick missed while a send was
//!   in flight is taken as soon as the send returns, later missed ticks are skipped.
//!   Collecting wins over sending when both are due, so samples are taken on time even
//!   while a backlog drains.
//! * After a delivery the next one starts at once while the queue is not empty: a
//!   backlog drains as fast as the server accepts it.
//! * After a failure the next attempt waits an exponential backoff with full jitter, or
//!   the server's `Retry-After` if that is longer (capped at [`MAX_RETRY_AFTER`]).

use super::backoff::Backoff;
use std::time::Duration;

/// A `Retry-After` longer than this is treated as this (a misconfigured server must not
/// silence a device for days).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// First retry ceiling.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Collect,
    Send,
    /// Nothing is due before this instant.
    SleepUntil(Duration),
}

/// How a send attempt ended, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server took (or definitively refused) what was sent: move on.
    Done,
    /// Try again later, no earlier than `retry_after` if the server said so.
    Retry { retry_after: Option<Duration> },
}

#[derive(Debug, Clone)]
pub struct Schedule {
    interval: Duration,
    next_collect: Duration,
    send_at: Duration,
    backoff: Backoff,
}

impl Schedule {
    pub fn new(
        now: Duration,
        interval: Duration,
        boot_delay: Duration,
        backoff_max: Duration,
    ) -> Self {
        Self {
            interval,
            next_collect: now + boot_delay,
            send_at: now + boot_delay,
            backoff: Backoff::new(BACKOFF_BASE, backoff_max),
        }
    }

    /// What to do at `now` with `queued` samples waiting.
    pub fn next(&self, now: Duration, queued: u64) -> Action {
        if now >= self.next_collect {
            Action::Collect
        } else if queued > 0 && now >= self.send_at {
            Action::Send
        } else if queued > 0 {
            Action::SleepUntil(self.next_collect.min(self.send_at))
        } else {
            Action::SleepUntil(self.next_collect)
        }
    }

    /// A collection was made at `now`.
    pub fn collected(&mut self, now: Duration) {
        self.next_collect += self.interval;
        if self.next_collect <= now {
            // Skip the ticks missed meanwhile, staying on the grid.
            let behind =
                now.saturating_sub(self.next_collect).as_nanos() / self.interval.as_nanos().max(1);
            let skip = u32::try_from(behind + 1).unwrap_or(u32::MAX);
            self.next_collect += self.interval.saturating_mul(skip);
        }
    }

    /// A send attempt ended at `now`; `random` feeds the jitter.
    pub fn sent(&mut self, now: Duration, outcome: Outcome, random: u64) -> Duration {
        let wait = match outcome {
            Outcome::Done => {
                self.backoff.succeed();
                Duration::ZERO
            }
            Outcome::Retry { retry_after } => {
                let jittered = self.backoff.fail(random);
                retry_after.map_or(jittered, |r| r.min(MAX_RETRY_AFTER).max(jittered))
            }
        };
        self.send_at = now + wait;
        wait
    }

    /// Consecutive failed attempts.
    pub fn failures(&self) -> u32 {
        self.backoff.failures()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: Duration = Duration::from_secs(1);

    fn sched() -> Schedule {
        Schedule::new(Duration::ZERO, 60 * S, 7 * S, 300 * S)
    }

    #[test]
    fn boot_delay_holds_both_collection_and_backlog() {
        let s = sched();
        assert_eq!(s.next(Duration::ZERO, 5), Action::SleepUntil(7 * S));
        assert_eq!(s.next(7 * S, 5), Action::Collect);
    }

    #[test]
    fn backlog_drains_back_to_back_and_collection_interrupts_it() {
        let mut s = sched();
        s.collected(7 * S);
        assert_eq!(s.next(7 * S, 3), Action::Send);
        assert_eq!(s.sent(8 * S, Outcome::Done, 99), Duration::ZERO);
        assert_eq!(s.next(8 * S, 2), Action::Send);
        // The next tick (67 s) comes first even with a backlog.
        assert_eq!(s.next(67 * S, 2), Action::Collect);
        assert_eq!(s.next(8 * S, 0), Action::SleepUntil(67 * S));
    }

    #[test]
    fn missed_ticks_are_skipped_on_the_grid() {
        let mut s = sched();
        s.collected(7 * S);
        // A send blocked for 200 s: ticks at 67, 127, 187 were missed.
        assert_eq!(s.next(207 * S, 0), Action::Collect);
        s.collected(207 * S);
        assert_eq!(s.next(207 * S, 0), Action::SleepUntil(247 * S));
    }

    #[test]
    fn retry_after_wins_over_a_shorter_backoff_and_is_capped() {
        let mut s = sched();
        s.collected(7 * S);
        let wait = s.sent(
            10 * S,
            Outcome::Retry {
                retry_after: Some(30 * S),
            },
            0,
        );
        assert_eq!(wait, 30 * S);
        assert_eq!(s.next(39 * S, 1), Action::SleepUntil(40 * S));
        assert_eq!(s.next(40 * S, 1), Action::Send);
        let wait = s.sent(
            40 * S,
            Outcome::Retry {
                retry_after: Some(99_999 * S),
            },
            0,
        );
        assert_eq!(wait, MAX_RETRY_AFTER);
        assert_eq!(s.failures(), 2);
        s.sent(50 * S, Outcome::Done, 0);
        assert_eq!(s.failures(), 0);
    }

    proptest! {
        #[test]
        fn never_sends_before_the_wait_and_never_skips_a_due_collection(
            steps in proptest::collection::vec((any::<bool>(), 0u64..500, any::<u64>(), proptest::option::of(0u64..100)), 1..60),
        ) {
            let mut s = sched();
            let mut now = Duration::ZERO;
            let mut not_before = 7 * S;
            let mut collections = 0u64;
            for (ok, advance_ms, random, retry_after) in steps {
                now += Duration::from_millis(advance_ms * 100);
                match s.next(now, 1) {
                    Action::Collect => { s.collected(now); collections += 1; }
                    Action::Send => {
                        prop_assert!(now >= not_before);
                        let outcome = if ok { Outcome::Done } else {
                            Outcome::Retry { retry_after: retry_after.map(Duration::from_secs) }
                        };
                        let wait = s.sent(now, outcome, random);
                        if let Outcome::Retry { retry_after: Some(r) } = outcome {
                            prop_assert!(wait >= r.min(MAX_RETRY_AFTER));
                        }
                        prop_assert!(wait <= MAX_RETRY_AFTER.max(300 * S));
                        not_before = now + wait;
                    }
                    Action::SleepUntil(t) => prop_assert!(t > now),
                }
            }
            // At most one collection per elapsed interval (plus the first).
            prop_assert!(collections <= now.as_secs() / 60 + 1);
        }
    }
}
