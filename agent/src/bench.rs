//! `bench-collect`: what one collection costs on this machine (CPU time, peak RSS), from
//! the kernel's own accounting so no profiler is needed on a router.

use edgemon_agent::collect::collect;
use edgemon_agent::source::Live;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// (own, waited-for children's) utime + stime in clock ticks (fields 14-17 of
/// `/proc/self/stat`): the children are the ubus/ip/mmcli commands a collection runs.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may contain spaces; fields are counted after its closing ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i)?.parse::<u64>().ok();
    Some((n(11)? + n(12)?, n(13)? + n(14)?))
}

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
}

/// Runs `runs` collections and prints the mean CPU time per collection (the kernel counts
/// in 10 ms ticks, so one collection alone would read as 0) and the peak RSS.
pub fn run(cpu_gap: Duration, runs: u32) -> ExitCode {
    // Linux's USER_HZ is 100 on every architecture OpenWrt runs on.
    const TICK_MS: f64 = 10.0;
    let runs = runs.max(1);
    let rss_before = status_kib("VmRSS:");
    let before = cpu_ticks();
    let started = Instant::now();
    let mut last = None;
    for _ in 0..runs {
        last = Some(collect(&Live::default(), cpu_gap));
    }
    let wall = started.elapsed();
    let c = last.expect("at least one run");
    // Tick counts of a benchmark stay far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    let per_run = |ticks: u64| format!("{:.2}", ticks as f64 * TICK_MS / f64::from(runs));
    let (own, children) = match cpu_ticks().zip(before) {
        Some((a, b)) => (per_run(a.0 - b.0), per_run(a.1 - b.1)),
        None => ("?".into(), "?".into()),
    };
    let shown = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
    let _ = writeln!(
        std::io::stdout(),
        "collections={runs} cpu_ms_per_collection={own} child_commands_cpu_ms_per_collection={children} \
         wall_ms_per_collection={} (includes the {} ms /proc/stat gap) peak_rss_kib={} \
         rss_before_kib={} interfaces={} warnings={}",
        wall.as_millis() / u128::from(runs),
        cpu_gap.as_millis(),
        shown(status_kib("VmHWM:")),
        shown(rss_before),
        c.doc.interfaces.as_ref().map_or(0, Vec::len),
        c.warnings.len(),
    );
    ExitCode::SUCCESS
}
