//! A process's peak memory and CPU time from Linux's `/proc/<pid>/{status,stat}`.

use serde::Serialize;
use std::time::Duration;

/// Clock ticks per second in `/proc/<pid>/stat`: the kernel's `USER_HZ`, which is 100 on
/// every architecture Linux userspace sees (sysconf(_SC_CLK_TCK) would need libc).
const USER_HZ: u64 = 100;

/// What `/proc` says about a process at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Peak resident set size so far (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// Resident set size now (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// User + system CPU time so far, in milliseconds (10 ms resolution).
    pub cpu_ms: u64,
}

/// Read `/proc/<pid>/status` and `/proc/<pid>/stat`; `pid` may be `"self"`.
pub fn usage(pid: &str) -> std::io::Result<Usage> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let bad =
        |what: &str| std::io::Error::other(format!("/proc/{pid}/{what} has no readable value"));
    Ok(Usage {
        peak_rss_kib: status_kib(&status, "VmHWM").ok_or_else(|| bad("status VmHWM"))?,
        rss_kib: status_kib(&status, "VmRSS").ok_or_else(|| bad("status VmRSS"))?,
        cpu_ms: u64::try_from(cpu_time(&stat).ok_or_else(|| bad("stat"))?.as_millis())
            .unwrap_or(u64::MAX),
    })
}

/// A `Name:   1234 kB` line of `/proc/<pid>/status`.
pub fn status_kib(status: &str, name: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        let mut words = rest.split_whitespace();
        let value = words.next()?.parse().ok()?;
        (words.next() == Some("kB")).then_some(value)
    })
}

/// `utime + stime` of `/proc/<pid>/stat`. The command name (field 2) is in parentheses and
/// may hold spaces and parentheses itself, so fields are counted after the last `)`.
pub fn cpu_time(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // after the name: field 3 (state) is index 0, so utime (14) is index 11, stime (15) 12
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (edgemon (x) y) S 1 4242 4242 0 -1 4194560 1200 0 0 0 \
                        250 75 0 0 20 0 9 0 123456 987654321 3000 18446744073709551615";

    #[test]
    fn cpu_time_counts_fields_after_a_name_with_spaces_and_parentheses() {
        assert_eq!(cpu_time(STAT), Some(Duration::from_millis(3250)));
        assert_eq!(cpu_time("1 (short) S 1 2"), None);
        assert_eq!(cpu_time("no parenthesis"), None);
    }

    #[test]
    fn status_lines_in_kib() {
        let status = "Name:\tedgemon\nVmPeak:\t  99 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 40000 kB\nThreads: 9\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(51_200));
        assert_eq!(status_kib(status, "VmRSS"), Some(40_000));
        assert_eq!(status_kib(status, "Threads"), None, "no kB unit");
        assert_eq!(status_kib(status, "VmSwap"), None);
        assert_eq!(status_kib("VmHWMX:\t1 kB\n", "VmHWM"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let u = usage("self").expect("/proc/self");
        assert!(u.peak_rss_kib >= u.rss_kib && u.rss_kib > 0, "{u:?}");
    }
}
