//! `resources`: load, memory, disks, swap and the optional counters of the schema.

use super::{Extra, num};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// Load averages over 1, 5 and 15 minutes (`/proc/loadavg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<Vec<f64>>,
    /// Number of processors.
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// One entry per mounted filesystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<Vec<Disk>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<Swap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<Connections>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<Processes>,
    /// Cumulative CPU times (`/proc/stat`), in the schema's integer units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuTimes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<SpaceUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<SpaceUsage>,
    /// edgemon extension: busy CPU share in percent measured between two `/proc/stat`
    /// reads (the reference derives "CPU usage" from the load average instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_usage: Option<f64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Memory in bytes. `total`, `free`, `buffered` and `shared` are required by the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    #[serde(deserialize_with = "num::u64")]
    pub total: u64,
    #[serde(deserialize_with = "num::u64")]
    pub free: u64,
    #[serde(deserialize_with = "num::u64")]
    pub buffered: u64,
    #[serde(deserialize_with = "num::u64")]
    pub shared: u64,
    #[serde(
        default,
        deserialize_with = "num::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub cached: Option<u64>,
    /// `MemAvailable`; 0 on kernels older than 3.14.
    #[serde(
        default,
        deserialize_with = "num::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub available: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One mounted filesystem. All six members are required; the schema allows no others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disk {
    pub filesystem: String,
    pub mount_point: String,
    #[serde(deserialize_with = "num::u64")]
    pub size_bytes: u64,
    #[serde(deserialize_with = "num::u64")]
    pub used_bytes: u64,
    #[serde(deserialize_with = "num::u64")]
    pub available_bytes: u64,
    /// Whole percent, as `df` prints it.
    #[serde(deserialize_with = "num::u64")]
    pub used_percent: u64,
}

counter_struct!(
    /// Total and free bytes: `swap`, `flash` and `storage`.
    SpaceUsage { total, free }
);

/// Swap in bytes.
pub type Swap = SpaceUsage;

/// Open connections per IP family.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Connections {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<ConnectionCounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<ConnectionCounts>,
    #[serde(flatten)]
    pub extra: Extra,
}

counter_struct!(
    /// Open TCP and UDP connections of one IP family.
    ConnectionCounts { tcp, udp }
);

counter_struct!(
    /// Process counts by state.
    Processes { running, sleeping, blocked, zombie, stopped, paging }
);
counter_struct!(
    /// CPU frequency and cumulative times.
    CpuTimes { frequency, user, system, nice, idle, iowait, irq, softirq }
);
