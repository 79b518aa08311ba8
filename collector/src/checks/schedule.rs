//! The schedule: every `interval` each device's checks run once, each device at its own
//! offset within `jitter` (stable per device and round, so a fleet is spread evenly and
//! a device is not checked twice in a burst); a critical device that speaks has its
//! critical checks run at once (recovery detection).

use super::runner::Runner;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The offset of `device` in round `round`: a SplitMix64 hash of both, scaled to
/// `[0, jitter)`. Sans-IO.
pub fn offset(device: Uuid, round: u64, jitter: Duration) -> Duration {
    let jitter_us = u64::try_from(jitter.as_micros()).unwrap_or(u64::MAX);
    if jitter_us == 0 {
        return Duration::ZERO;
    }
    let (hi, lo) = device.as_u64_pair();
    let mut z = hi ^ lo.rotate_left(17) ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Duration::from_micros(z % jitter_us)
}

/// How the schedule runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub interval: Duration,
    pub jitter: Duration,
    /// Metric configurations whose checks recovery detection runs.
    pub critical: Vec<String>,
}

/// Run the schedule until `shutdown` resolves; checks in flight are dropped then.
pub async fn run(
    runner: Arc<Runner>,
    plan: Plan,
    mut recovery: Option<tokio::sync::mpsc::UnboundedReceiver<Uuid>>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut tasks = tokio::task::JoinSet::new();
    let mut ticker = tokio::time::interval(plan.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u64 = 0;
    // The round under way: a new one does not start before it ends (checks slower than
    // the interval would otherwise pile rounds up without bound).
    let mut current: Option<tokio::task::AbortHandle> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticker.tick() => {
                if current.as_ref().is_some_and(|h| !h.is_finished()) {
                    tracing::warn!(round, "the previous check round is still running: this one is skipped (raise checks.concurrency or checks.interval)");
                    round += 1;
                    continue;
                }
                let mut due: Vec<(Duration, Uuid)> = runner
                    .device_ids()
                    .into_iter()
                    .map(|id| (offset(id, round, plan.jitter), id))
                    .collect();
                due.sort_unstable();
                let start = tokio::time::Instant::now();
                current = Some(tasks.spawn(run_round(runner.clone(), start, due)));
                round += 1;
            }
            Some(device) = async {
                match recovery.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                if let Ok(Some(d)) = runner.registry_device(device) {
                    tracing::info!(%device, "critical device sent data; running its critical checks");
                    let runner = runner.clone();
                    let critical = plan.critical.clone();
                    tasks.spawn(async move {
                        runner.run_all(vec![d], Some(&critical)).await;
                    });
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    tasks.abort_all();
    // Wait until the aborted tasks are dropped, so nothing holds the stores afterwards.
    while tasks.join_next().await.is_some() {}
}

/// One round: each device's checks at `start` + its offset, in offset order. One task
/// walks the round and starts a device's checks when they are due, with no more devices
/// in flight than the runner's concurrency; a task per device spawned at the tick, each
/// sleeping until its offset, held about 4 KB each: 391 MB of heap for a 100 000-device
/// fleet (heaptrack, `docs/benchmarks.md`). A device deleted or deactivated since the
/// round began is skipped.
async fn run_round(runner: Arc<Runner>, start: tokio::time::Instant, due: Vec<(Duration, Uuid)>) {
    let mut in_flight = tokio::task::JoinSet::new();
    let most = runner.concurrency().max(1);
    for (delay, id) in due {
        tokio::time::sleep_until(start + delay).await;
        while in_flight.try_join_next().is_some() {}
        while in_flight.len() >= most {
            in_flight.join_next().await;
        }
        match runner.registry_device(id) {
            Ok(Some(device)) if device.active => {
                let runner = runner.clone();
                in_flight.spawn(async move {
                    runner.run_all(vec![device], None).await;
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(device = %id, error = %e, "cannot read the device; its checks skipped this round");
            }
        }
    }
    while in_flight.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_stable_bounded_and_spread() {
        let j = Duration::from_secs(60);
        let d = Uuid::from_u128(42);
        assert_eq!(offset(d, 3, j), offset(d, 3, j));
        assert_ne!(offset(d, 3, j), offset(d, 4, j), "rounds differ");
        assert_eq!(offset(d, 3, Duration::ZERO), Duration::ZERO);
        // 6000 devices over 60 one-second slots: every slot used, none with more than
        // twice its share.
        let mut slots = [0_u32; 60];
        for i in 0..6000_u128 {
            let o = offset(Uuid::from_u128(i * 7919), 0, j);
            assert!(o < j);
            slots[usize::try_from(o.as_secs()).unwrap()] += 1;
        }
        assert!(slots.iter().all(|&n| n > 50 && n < 200), "{slots:?}");
    }
}
