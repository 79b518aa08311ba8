//! `interfaces[]`: one network interface, its counters and its addresses.

use super::{Extra, Mobile, Wireless, num};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    /// The only required member.
    pub name: String,
    /// `ethernet`, `wireless`, `bridge`, `virtual`, `modem-manager`, `other`, ...
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub uptime: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub mtu: Option<i64>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub txqueuelen: Option<i64>,
    /// A string such as `"1000F"` or `"-1F"` (speed in Mbit/s and duplex), never a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multicast: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_members: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Statistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireless: Option<Wireless>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<Mobile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<Address>>,
    #[serde(flatten)]
    pub extra: Extra,
}

counter_struct!(
    /// The 23 netdev counters (`/sys/class/net/<if>/statistics`, netifd's `statistics`),
    /// exact and unswapped: `rx_*` is what the interface received.
    Statistics {
        collisions, multicast,
        rx_bytes, rx_packets, rx_errors, rx_dropped, rx_compressed, rx_crc_errors,
        rx_fifo_errors, rx_frame_errors, rx_length_errors, rx_missed_errors, rx_over_errors,
        tx_bytes, tx_packets, tx_errors, tx_dropped, tx_compressed, tx_aborted_errors,
        tx_carrier_errors, tx_fifo_errors, tx_heartbeat_errors, tx_window_errors,
    }
);

/// One IP address of an interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// An IPv4 or IPv6 address (validated with the reference's rules).
    pub address: String,
    /// Prefix length.
    #[serde(deserialize_with = "num::i64")]
    pub mask: i64,
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// How the address was obtained: `static`, `dhcp`, `wireguard`, ...
    pub proto: String,
    /// Next hop of the default route, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}
