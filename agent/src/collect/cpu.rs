//! `/proc/cpuinfo` -> `resources.cpus`; two `/proc/stat` reads -> `resources.cpu_usage`.

use super::ParseError;

/// Counts `processor : N` entries (the reference's `grep -c processor`, without also
/// counting lines such as ARM's `model name : ARMv7 Processor`).
pub fn count_cpus(cpuinfo: &str) -> Result<i64, ParseError> {
    let n = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    match i64::try_from(n) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ParseError::new("no `processor` entry")),
    }
}

/// Busy and total jiffies of the aggregate `cpu` line.
fn busy_total(stat: &str) -> Result<(u64, u64), ParseError> {
    let line = stat
        .lines()
        .find(|l| l.split_whitespace().next() == Some("cpu"))
        .ok_or_else(|| ParseError::new("no aggregate `cpu` line"))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| ParseError::new(format!("bad `cpu` line: {line:?}")))?;
    if fields.len() < 4 {
        return Err(ParseError::new(format!("truncated `cpu` line: {line:?}")));
    }
    // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is
    // already counted in user/nice, so it is left out of the total.
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields[3] + fields.get(4).copied().unwrap_or(0);
    Ok((total - idle.min(total), total))
}

/// Busy share in percent (two decimals) between two reads of `/proc/stat`.
pub fn usage(first: &str, second: &str) -> Result<f64, ParseError> {
    let (b1, t1) = busy_total(first)?;
    let (b2, t2) = busy_total(second)?;
    if t2 <= t1 || b2 < b1 {
        return Err(ParseError::new("no CPU time elapsed between the two reads"));
    }
    #[allow(clippy::cast_precision_loss)]
    let pct = (b2 - b1) as f64 * 100.0 / (t2 - t1) as f64;
    Ok((pct.min(100.0) * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_processors_not_processor_words() {
        let info = "processor\t: 0\nmodel name\t: ARMv7 Processor rev 5 (v7l)\n\n\
                    processor\t: 1\nmodel name\t: ARMv7 Processor rev 5 (v7l)\n";
        assert_eq!(count_cpus(info).unwrap(), 2);
        assert!(count_cpus("").is_err());
        assert!(count_cpus("model name : x\n").is_err());
    }

    #[test]
    fn usage_between_two_reads() {
        let a = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n";
        let b = "cpu  150 0 150 900 0 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert!((usage(a, b).unwrap() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn usage_rejects_malformed_truncated_and_stalled_reads() {
        let ok = "cpu  1 0 1 8\n";
        assert!(usage(ok, ok).is_err(), "no time elapsed");
        assert!(usage("", ok).is_err());
        assert!(usage("cpu  1 0 x 8\n", ok).is_err());
        assert!(usage("cpu  1 0\n", ok).is_err());
        assert!(
            usage("cpu  2 0 2 9\n", ok).is_err(),
            "counters went backwards"
        );
    }
}
