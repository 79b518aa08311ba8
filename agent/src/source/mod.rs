//! Where raw observations come from: the live system, a capture bundle recorded from one,
//! or a simulated OpenWrt router ([`sim`]).
//!
//! Parsers never touch the system; collectors ask a [`Source`] for text (file contents,
//! command output) and hand it to the parsers. Swapping the source is how the same code
//! runs on a router, on any Linux host, and in tests fed with captures from real devices.

mod bundle;
mod live;
pub mod sim;

pub use bundle::{Bundle, Recorder};
pub use live::Live;
pub use sim::{Clock, Sim, SystemClock};

use crate::collect::netlink::Dump;
use std::time::Duration;

/// Why a source could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The file or program does not exist here (e.g. no ubus on a plain Linux host).
    /// Expected off OpenWrt, so collectors skip it quietly.
    #[error("not available: {0}")]
    Absent(String),
    /// It exists but failed: unreadable, non-zero exit, timeout, malformed output.
    #[error("{0}")]
    Failed(String),
}

/// Filesystem sizes from statvfs(2), in fragment units as the kernel reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FsStats {
    pub frsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
}

/// Everything the collectors may ask. Paths are absolute paths as on the device.
pub trait Source {
    /// The content of a file (`/proc/loadavg`, `/etc/config/dhcp`, ...).
    fn read(&self, path: &str) -> Result<String, SourceError>;
    /// The content of a file read twice, `gap` apart (CPU usage needs two `/proc/stat`).
    fn read_twice(&self, path: &str, gap: Duration) -> Result<(String, String), SourceError>;
    /// The entry names of a directory, sorted.
    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError>;
    /// The standard output of a command that exited successfully (bounded by a timeout).
    fn run(&self, argv: &[&str]) -> Result<String, SourceError>;
    /// statvfs(2) of a mount point.
    fn statvfs(&self, mount_point: &str) -> Result<FsStats, SourceError>;
    /// Seconds since the Unix epoch when the sample is taken, if known.
    fn now(&self) -> Option<i64>;
    /// A route-netlink dump of one kernel table (the datagrams concatenated, up to its
    /// `NLMSG_DONE`): addresses, routes and neighbours without an `ip` process. Only the
    /// live system answers; captures and the simulator carry `ip` output instead, so the
    /// collectors fall back to it.
    fn netlink(&self, dump: Dump) -> Result<Vec<u8>, SourceError> {
        Err(SourceError::Absent(dump.name().to_owned()))
    }
}

/// The bundle file name of a command line: the arguments joined by spaces, with `%` and `/`
/// percent-encoded so that every command is one file directly in `commands/`.
pub fn command_file_name(argv: &[&str]) -> String {
    argv.join(" ").replace('%', "%25").replace('/', "%2F")
}

/// The bundle file name of a mount point (same encoding as commands).
pub fn mount_file_name(mount_point: &str) -> String {
    command_file_name(&[mount_point])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_flat_and_reversible() {
        let name = command_file_name(&["mmcli", "-J", "-m", "/sys/devices/usb2/2-1", "50%"]);
        assert_eq!(name, "mmcli -J -m %2Fsys%2Fdevices%2Fusb2%2F2-1 50%25");
        assert!(!name.contains('/'));
        assert_eq!(
            name.replace("%2F", "/").replace("%25", "%"),
            "mmcli -J -m /sys/devices/usb2/2-1 50%"
        );
    }
}
