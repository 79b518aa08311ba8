//! `/proc/meminfo` -> `resources.memory` and `resources.swap`, in bytes (kB x 1024), with the
//! same meaning as procd's `system info` (which reads the same file).

use super::ParseError;
use edgemon_shared::netjson::{Memory, Swap};
use std::collections::HashMap;

fn fields(text: &str) -> HashMap<&str, u64> {
    text.lines()
        .filter_map(|l| {
            let (key, rest) = l.split_once(':')?;
            let mut words = rest.split_whitespace();
            let value: u64 = words.next()?.parse().ok()?;
            let bytes = match words.next() {
                Some("kB") => value.checked_mul(1024)?,
                None => value,
                Some(_) => return None,
            };
            Some((key.trim(), bytes))
        })
        .collect()
}

/// Memory and swap. `MemTotal` and `MemFree` are required; the rest default to 0 or absent.
pub fn parse(text: &str) -> Result<(Memory, Option<Swap>), ParseError> {
    let f = fields(text);
    let get = |k: &str| f.get(k).copied();
    let (Some(total), Some(free)) = (get("MemTotal"), get("MemFree")) else {
        return Err(ParseError::new("MemTotal or MemFree missing"));
    };
    let memory = Memory {
        total,
        free,
        shared: get("Shmem").unwrap_or(0),
        buffered: get("Buffers").unwrap_or(0),
        available: get("MemAvailable"),
        cached: get("Cached"),
        extra: edgemon_shared::netjson::Extra::new(),
    };
    let swap = get("SwapTotal").map(|total| Swap {
        total: Some(total),
        free: get("SwapFree"),
        extra: edgemon_shared::netjson::Extra::new(),
    });
    Ok((memory, swap))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn converts_kib_to_bytes() {
        let text = "MemTotal:  1000 kB\nMemFree: 200 kB\nMemAvailable: 500 kB\nBuffers: 10 kB\n\
                    Cached: 100 kB\nShmem: 5 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\nHugePages_Total: 0\n";
        let (m, swap) = parse(text).unwrap();
        assert_eq!(
            (m.total, m.free, m.shared, m.buffered),
            (1_024_000, 204_800, 5120, 10_240)
        );
        assert_eq!((m.available, m.cached), (Some(512_000), Some(102_400)));
        assert_eq!(swap.unwrap().total, Some(0));
    }

    #[test]
    fn old_kernels_without_memavailable_still_parse() {
        let (m, swap) = parse("MemTotal: 64 kB\nMemFree: 32 kB\n").unwrap();
        assert_eq!((m.available, m.cached, swap), (None, None, None));
    }

    #[test]
    fn rejects_truncated_and_garbage() {
        for bad in [
            "",
            "MemTotal: 1000 kB\n",
            "MemTotal: x kB\nMemFree: 1 kB\n",
            "MemTot",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
