//! One send cycle per mode: read from the queue, send, apply the verdict in one queue
//! transaction.
//!
//! * OpenWISP: up to `batch_max` samples, one POST each, oldest first (the reference
//!   server computes traffic deltas against the previous sample, so order matters there);
//!   `current=true` on the newest queued sample only. The cycle stops at the first sample
//!   to retry; the acks and rejections of the cycle are committed together (one flash
//!   write per cycle instead of one per sample).
//! * Native: one batch of the oldest `batch_max − 1` samples plus the newest one (see
//!   [`plan::compose`]), acked, rejected or retried as a whole.
//!   A 413 halves the batch (down to the oldest sample alone, which is dropped and counted
//!   if even that is too large); each success doubles it back, up to one less than the
//!   smallest batch refused so far.
//! * MQTT: the same batch, published with QoS 1; deleted on the PUBACK of its packet id
//!   (see `deliver::puback`).

use super::{Transport, log, wall_us};
use crate::config::Config;
use crate::deliver::plan::{self, Verdict};
use crate::deliver::schedule::Outcome;
use crate::queue::{Queue, QueueError};

/// A native batch stays below this many encoded bytes (plus the newest sample).
const BATCH_BYTES: u64 = 256 * 1024;

pub(super) fn send(t: &mut Transport, q: &mut Queue, cfg: &Config) -> Result<Outcome, QueueError> {
    match t {
        Transport::OpenWisp(http) => {
            let newest = q.seqs().last();
            let mut acked = Vec::new();
            let mut rejected = Vec::new();
            let mut outcome = Outcome::Done;
            for s in q.peek_oldest(cfg.batch_max, u64::MAX)? {
                match http.send_openwisp(&s, Some(s.seq) == newest) {
                    Verdict::Ack => acked.push(s.seq),
                    Verdict::Reject(msg) | Verdict::TooLarge(msg) => {
                        log(
                            "warn",
                            "server refused a sample; dropped",
                            &[("seq", s.seq.to_string()), ("server", msg.clone())],
                        );
                        rejected.push((s.seq, msg));
                    }
                    Verdict::Retry {
                        reason,
                        retry_after,
                    } => {
                        failed(q, &reason);
                        outcome = Outcome::Retry { retry_after };
                        break;
                    }
                }
            }
            let now = wall_us();
            if !acked.is_empty() {
                q.ack(&acked, now)?;
            }
            for (seq, msg) in rejected {
                q.reject(&[seq], now, &msg)?;
            }
            Ok(outcome)
        }
        Transport::Native { http, cap, ceiling } => {
            let batch = if *cap <= 1 {
                q.peek_oldest(1, u64::MAX)?
            } else {
                let n = cap.saturating_sub(1).max(1);
                let oldest = q.peek_oldest(n, BATCH_BYTES)?;
                plan::compose(oldest, q.peek_newest()?)
            };
            let seqs: Vec<u64> = batch.iter().map(|s| s.seq).collect();
            match http.send_native(batch) {
                Verdict::Ack => {
                    q.ack(&seqs, wall_us())?;
                    *cap = cap.saturating_mul(2).min(*ceiling);
                    Ok(Outcome::Done)
                }
                Verdict::TooLarge(msg) if seqs.len() > 1 => {
                    *ceiling = (*ceiling).min(seqs.len() - 1).max(1);
                    *cap = (seqs.len() / 2).max(1);
                    log(
                        "warn",
                        "server refused a batch as too large; sending fewer samples at once",
                        &[("samples", cap.to_string()), ("server", msg)],
                    );
                    Ok(Outcome::Done)
                }
                Verdict::Reject(msg) | Verdict::TooLarge(msg) => {
                    log(
                        "warn",
                        "server refused a batch; dropped",
                        &[("samples", seqs.len().to_string()), ("server", msg.clone())],
                    );
                    q.reject(&seqs, wall_us(), &msg)?;
                    Ok(Outcome::Done)
                }
                Verdict::Retry {
                    reason,
                    retry_after,
                } => {
                    failed(q, &reason);
                    Ok(Outcome::Retry { retry_after })
                }
            }
        }
        #[cfg(feature = "mqtt")]
        Transport::Mqtt(mqtt) => {
            use crate::deliver::mqtt::Sent;
            let oldest = q.peek_oldest(cfg.batch_max.saturating_sub(1).max(1), BATCH_BYTES)?;
            let newest = q.peek_newest()?;
            match mqtt.send(|| plan::compose(oldest, newest)) {
                Sent::Acked(seqs) => {
                    q.ack(&seqs, wall_us())?;
                    Ok(Outcome::Done)
                }
                Sent::Retry(reason) => {
                    failed(q, &reason);
                    Ok(Outcome::Retry { retry_after: None })
                }
            }
        }
    }
}

fn failed(q: &mut Queue, reason: &str) {
    log(
        "warn",
        "send failed; will retry",
        &[("reason", reason.to_owned())],
    );
    q.note_error(wall_us(), reason);
}
