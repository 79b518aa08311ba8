//! `ubus call system board` and `ubus call system info` (procd) -> `general`, memory, swap.

use super::ParseError;
use edgemon_shared::netjson::{Extra, Memory, Swap};
use serde::Deserialize;

#[derive(Deserialize)]
struct Board {
    hostname: Option<String>,
}

#[derive(Deserialize)]
struct BoardRelease {
    description: Option<String>,
}

#[derive(Deserialize)]
struct BoardDetails {
    model: Option<String>,
    system: Option<String>,
    release: Option<BoardRelease>,
}

/// What registration reports about the hardware and firmware (`system board`): the model,
/// the release description (`os`) and the CPU (`system`), empty when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardInfo {
    pub model: String,
    pub os: String,
    pub system: String,
}

/// The registration details from `system board`.
pub fn parse_board_info(text: &str) -> Result<BoardInfo, ParseError> {
    let b: BoardDetails = serde_json::from_str(text)?;
    Ok(BoardInfo {
        model: b.model.unwrap_or_default(),
        os: b.release.and_then(|r| r.description).unwrap_or_default(),
        system: b.system.unwrap_or_default(),
    })
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
    fn registration_details_from_the_board() {
        let b = parse_board_info(
            r#"{"kernel":"6.6.73","hostname":"ap-1","system":"MediaTek MT7621 ver:1 eco:3",
                "model":"Xiaomi Mi Router 4A Gigabit Edition","board_name":"xiaomi,mi-router-4a",
                "release":{"distribution":"OpenWrt","version":"24.10.0",
                           "description":"OpenWrt 24.10.0 r28427-6df0e3d02a"}}"#,
        )
        .unwrap();
        assert_eq!(b.model, "Xiaomi Mi Router 4A Gigabit Edition");
        assert_eq!(b.os, "OpenWrt 24.10.0 r28427-6df0e3d02a");
        assert_eq!(b.system, "MediaTek MT7621 ver:1 eco:3");
        assert_eq!(parse_board_info("{}").unwrap(), BoardInfo::default());
        assert!(parse_board_info("Command failed: Not found").is_err());
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
