//! The NetJSON **DeviceMonitoring** document, as the reference server's schema defines it.
//!
//! Every object keeps the fields it does not know in `extra` (where the schema allows
//! additional properties), so a collector stores what a device sent, not a lossy subset.
//! Counters are exact `u64`. Integer fields accept integral floats (`1500.0`), as the
//! reference's validator does (see [`num`]).
//!
//! The typed model describes *valid* documents: decode untrusted input with
//! [`crate::validate::parse_and_validate`], which checks the reference's rules first and
//! then builds the model.

/// A struct of optional `u64` counters plus the unknown members.
macro_rules! counter_struct {
    ($(#[$meta:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $(
                #[serde(
                    default,
                    deserialize_with = "num::opt_u64",
                    skip_serializing_if = "Option::is_none"
                )]
                pub $field: Option<u64>,
            )*
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl $name {
            /// The counters' member names, in declaration order.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// Reads the counter called `name` (`None` if unset or not a counter).
            pub fn get(&self, name: &str) -> Option<u64> {
                match name {
                    $(stringify!($field) => self.$field,)*
                    _ => None,
                }
            }

            /// Sets the counter called `name`; `false` if there is no such counter.
            pub fn set(&mut self, name: &str, value: u64) -> bool {
                match name {
                    $(stringify!($field) => self.$field = Some(value),)*
                    _ => return false,
                }
                true
            }
        }
    };
}

mod interface;
pub(crate) mod num;
mod resources;
mod wireless;

pub use interface::{Address, Interface, Statistics};
pub use resources::{
    ConnectionCounts, Connections, CpuTimes, Disk, Memory, Processes, Resources, SpaceUsage, Swap,
};
pub use wireless::{ACCESS_TECHNOLOGIES, Mobile, Signal, SignalValues, Wireless, WirelessClient};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Unknown members of an object, kept in the order the device sent them.
pub type Extra = Map<String, Value>;

/// The value of the top-level `type` member; the only one the schema allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentType {
    #[default]
    DeviceMonitoring,
}

/// One monitoring sample of one device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceMonitoring {
    /// Always `DeviceMonitoring`; the only member the schema requires.
    #[serde(rename = "type")]
    pub doc_type: DocumentType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub general: Option<General>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<Interface>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp_leases: Option<Vec<DhcpLease>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neighbors: Option<Vec<Neighbor>>,
    /// DNS servers of all interfaces (not in the schema, sent by the reference agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_servers: Option<Vec<String>>,
    /// DNS search domains of all interfaces (not in the schema, sent by the reference agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_search: Option<Vec<String>>,
    /// What edgemon's agent adds about itself; a reference server stores it untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edgemon: Option<AgentInfo>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `general`: identity and clocks of the device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct General {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Epoch seconds *shifted by the local UTC offset* on OpenWrt (procd's `localtime`).
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub local_time: Option<i64>,
    /// Seconds since boot.
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub uptime: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One DHCP lease handed out by the device (dnsmasq lease file).
/// The schema allows no other members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DhcpLease {
    /// Epoch seconds at which the lease expires (a JSON number).
    pub expiry: f64,
    pub ip: String,
    pub mac: String,
    pub client_name: String,
    pub client_id: String,
    /// Added by the server from the MAC's OUI; agents do not send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

/// One entry of the neighbour (ARP/NDP) table. The schema allows no other members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Neighbor {
    pub ip: String,
    pub interface: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Added by the server from the MAC's OUI; agents do not send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

/// edgemon's own top-level member: what the reference agent lacks and operators ask for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// `edgemon-agent` version that produced the sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// Whether the system clock was synchronised (NTP) when the sample was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntp_synced: Option<bool>,
    /// Samples waiting in the on-device queue when this one was taken.
    #[serde(
        default,
        deserialize_with = "num::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub backlog_samples: Option<u64>,
    /// Age in seconds of the oldest queued sample.
    #[serde(
        default,
        deserialize_with = "num::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub backlog_oldest_age_s: Option<u64>,
    /// Samples the queue had to drop (full or too old) since the agent's queue was created.
    #[serde(
        default,
        deserialize_with = "num::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub dropped_samples: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl DeviceMonitoring {
    /// Renders the document as compact JSON (what goes on the wire).
    ///
    /// # Panics
    /// Never: the model holds only JSON-representable values (finite floats are
    /// guaranteed by construction from JSON or by the agent's collectors).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the NetJSON model always serialises")
    }
}
