//! Collection: sans-IO parsers (one file per source) and the orchestration that asks a
//! [`Source`](crate::source::Source) for raw text and assembles one NetJSON sample.

pub mod cpu;
pub mod dhcp;
pub mod disk;
pub mod ipaddr;
pub mod loadavg;
pub mod meminfo;
pub mod modem;
pub mod neigh;
pub mod netdev;
pub mod netlink;
pub mod ntp;
pub mod sample;
pub mod sysfs;
pub mod ubus_network;
pub mod ubus_system;
pub mod uci;
pub mod wireless;

pub use sample::{Collected, collect};

/// Why a parser rejected its input; the collector names the source in the warning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl From<serde_json::Error> for ParseError {
    fn from(e: serde_json::Error) -> Self {
        Self(format!("invalid JSON: {e}"))
    }
}
