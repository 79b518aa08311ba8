//! `ubus call system board` and `ubus call system info` (procd) -> `general`, memory, swap.

use super::ParseError;
use edgemon_shared::netjson::{Extra, Memory, Swap};
use serde::Deserialize;

#[derive(Deserialize)]
struct Board {
    hostname: Option<String>,
}

/// The hostname from `system board`.
pub fn parse_board(text: &str) -> Result<Option<String>, ParseError> {
    let b: Board = serde_json::from_str(text)?;
    Ok(b.hostname.filter(|h| !h.is_empty()))
}

#[derive(Deserialize)]
struct RawMemory {
    total: Option<u64>,
    free: Option<u64>,
    shared: Option<u64>,
    buffered: Option<u64>,
    available: Option<u64>,
    cached: Option<u64>,
}

#[derive(Deserialize)]
struct RawSwap {
    total: Option<u64>,
    free: Option<u64>,
}

#[derive(Deserialize)]
struct RawInfo {
    localtime: Option<i64>,
    uptime: Option<i64>,
    memory: Option<RawMemory>,
    swap: Option<RawSwap>,
}

/// What `system info` gives; every member is optional (old procd lacks some).
#[derive(Debug, Default, PartialEq)]
pub struct Info {
    /// Epoch seconds shifted by the local UTC offset (procd's definition).
    pub local_time: Option<i64>,
    pub uptime: Option<i64>,
    pub memory: Option<Memory>,
    pub swap: Option<Swap>,
}

pub fn parse_info(text: &str) -> Result<Info, ParseError> {
    let r: RawInfo = serde_json::from_str(text)?;
    let memory = r.memory.and_then(|m| {
        Some(Memory {
            total: m.total?,
            free: m.free?,
            shared: m.shared.unwrap_or(0),
            buffered: m.buffered.unwrap_or(0),
            available: m.available,
            cached: m.cached,
            extra: Extra::new(),
        })
    });
    let swap = r.swap.map(|s| Swap {
        total: s.total,
        free: s.free,
        extra: Extra::new(),
    });
    Ok(Info {
        local_time: r.localtime,
        uptime: r.uptime,
        memory,
        swap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_and_info() {
        assert_eq!(
            parse_board(r#"{"hostname":"ap-1","model":"x"}"#)
                .unwrap()
                .as_deref(),
            Some("ap-1")
        );
        assert_eq!(parse_board("{}").unwrap(), None);
        let i = parse_info(
            r#"{"localtime":1700003600,"uptime":42,"load":[1,2,3],
                "memory":{"total":1000,"free":500,"shared":1,"buffered":2,"available":600,"cached":3},
                "swap":{"total":0,"free":0}}"#,
        )
        .unwrap();
        assert_eq!((i.local_time, i.uptime), (Some(1_700_003_600), Some(42)));
        assert_eq!(i.memory.unwrap().available, Some(600));
        assert_eq!(i.swap.unwrap().total, Some(0));
    }

    #[test]
    fn old_procd_partial_and_malformed_replies() {
        let i = parse_info(r#"{"uptime":5,"memory":{"free":1}}"#).unwrap();
        assert_eq!((i.uptime, i.memory, i.local_time), (Some(5), None, None));
        assert!(parse_info(r#"{"uptime":"#).is_err());
        assert!(parse_info(r#"{"uptime":-1.5}"#).is_err());
        assert!(parse_board("Failed to connect to ubus").is_err());
    }
}
