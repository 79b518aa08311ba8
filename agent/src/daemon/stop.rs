//! SIGTERM/SIGINT as a request to stop between steps (procd sends SIGTERM, then SIGKILL
//! after its timeout). Stopping is never needed for safety (see the module above): it only
//! makes `/etc/init.d/edgemon stop` quick and clean, with a last status written.
//!
//! The handler only sets a flag; every wait of the daemon sleeps in short slices and gives
//! up as soon as the flag is set, so the process stops within a slice of the signal (or
//! when the network call in progress, bounded by its timeouts, returns).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The longest a wait goes without looking at the flag.
const SLICE: Duration = Duration::from_millis(250);

/// Turns SIGTERM and SIGINT into a stop request (once per process).
pub fn install() {
    let flag = STOP.get_or_init(|| Arc::new(AtomicBool::new(false)));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(signal, flag.clone()) {
            super::log(
                "warn",
                "cannot handle a stop signal; it will kill the process",
                &[("error", e.to_string())],
            );
        }
    }
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    STOP.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// Sleeps for `d` unless a stop is requested first; returns whether it was.
pub fn sleep(d: Duration) -> bool {
    let end = Instant::now() + d;
    loop {
        if requested() {
            return true;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(SLICE));
    }
}
