//! `/proc/net/dev` -> per-interface `statistics` (16 of the 23 netdev counters; the other
//! seven come from `/sys/class/net/<if>/statistics`, see [`super::sysfs`]).

use super::ParseError;
use edgemon_shared::netjson::Statistics;
use std::collections::BTreeMap;

/// The column order of `/proc/net/dev`, as netdev counter names.
const COLUMNS: [&str; 16] = [
    "rx_bytes",
    "rx_packets",
    "rx_errors",
    "rx_dropped",
    "rx_fifo_errors",
    "rx_frame_errors",
    "rx_compressed",
    "multicast",
    "tx_bytes",
    "tx_packets",
    "tx_errors",
    "tx_dropped",
    "tx_fifo_errors",
    "collisions",
    "tx_carrier_errors",
    "tx_compressed",
];

/// Counters per interface name. Rows that are truncated or not numeric are skipped; a
/// file with rows but none usable is an error.
pub fn parse(text: &str) -> Result<BTreeMap<String, Statistics>, ParseError> {
    let mut out = BTreeMap::new();
    let mut rows = 0;
    for line in text.lines() {
        let Some((name, counters)) = line.split_once(':') else {
            continue;
        };
        if line.contains('|') {
            continue; // header lines
        }
        rows += 1;
        let values: Vec<u64> = match counters.split_whitespace().map(str::parse).collect() {
            Ok(v) => v,
            Err(_) => continue,
        };
        if values.len() < COLUMNS.len() {
            continue;
        }
        let mut stats = Statistics::default();
        for (name, value) in COLUMNS.iter().zip(values) {
            stats.set(name, value);
        }
        out.insert(name.trim().to_owned(), stats);
    }
    if out.is_empty() && rows > 0 {
        return Err(ParseError::new("no parsable interface row"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse;

    const HEAD: &str = "Inter-|   Receive                                                |  Transmit\n \
        face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

    #[test]
    fn keeps_exact_u64_counters() {
        let text = format!(
            "{HEAD}  eth0: 18446744073709551615 2 3 4 5 6 7 8 9007199254740993 10 11 12 13 14 15 16\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"
        );
        let m = parse(&text).unwrap();
        let eth0 = &m["eth0"];
        assert_eq!(eth0.rx_bytes, Some(u64::MAX));
        assert_eq!(eth0.tx_bytes, Some(9_007_199_254_740_993));
        assert_eq!(
            (eth0.multicast, eth0.collisions, eth0.tx_compressed),
            (Some(8), Some(14), Some(16))
        );
        assert_eq!(eth0.rx_crc_errors, None);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn skips_truncated_rows_and_rejects_garbage() {
        let text = format!("{HEAD}  eth0: 1 2 3\n  eth1: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n");
        assert_eq!(parse(&text).unwrap().keys().collect::<Vec<_>>(), ["eth1"]);
        assert!(parse("eth0: a b c\n").is_err());
        assert!(parse(HEAD).unwrap().is_empty());
    }
}
