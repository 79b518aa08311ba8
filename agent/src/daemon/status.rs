//! `edgemon-agent status`. The running daemon owns the queue file (redb locks it), so it
//! also writes its figures to a small status file on tmpfs after every step; `status`
//! prints that file while the daemon lives, and reads the queue itself otherwise.

use crate::queue::Status;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::path::Path;

/// The status file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The daemon that wrote it (a stale file from a dead daemon is ignored).
    pub pid: u32,
    /// Consecutive failed send attempts.
    pub failures: u32,
    pub queue: Status,
}

/// Replaces the status file atomically (write + rename). Failures are ignored: the file is
/// a convenience for `status`, never worth stopping the daemon for.
pub fn write(path: &Path, st: &Status, failures: u32) {
    let snap = Snapshot {
        pid: std::process::id(),
        failures,
        queue: st.clone(),
    };
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_string(&snap).expect("a snapshot always serialises");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// The status file, if the daemon that wrote it is still running.
pub fn read_live(path: &Path) -> Option<Snapshot> {
    let snap: Snapshot = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Path::new(&format!("/proc/{}", snap.pid))
        .exists()
        .then_some(snap)
}

/// The human-readable report.
pub fn render(st: &Status, now_us: i64, daemon: Option<&Snapshot>) -> String {
    let ago = |at: i64| {
        let s = now_us.saturating_sub(at) / 1_000_000;
        format!(
            "{} ({s} s ago)",
            edgemon_shared::time::format_openwisp_time(
                time::OffsetDateTime::from_unix_timestamp(at / 1_000_000)
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            )
        )
    };
    let mut out = String::new();
    let _ = match daemon {
        Some(d) => writeln!(
            out,
            "daemon: running (pid {}, {} consecutive send failures)",
            d.pid, d.failures
        ),
        None => writeln!(out, "daemon: not running"),
    };
    let _ = writeln!(out, "queue depth: {} samples, {} bytes", st.depth, st.bytes);
    let _ = writeln!(
        out,
        "oldest queued: {}",
        st.oldest_at_us.map_or_else(|| "-".to_owned(), ago)
    );
    let _ = writeln!(out, "dropped: {} (queue full or too old)", st.dropped);
    let _ = writeln!(out, "rejected by the server: {}", st.rejected);
    let _ = writeln!(out, "next sequence number: {}", st.next_seq);
    let _ = writeln!(
        out,
        "last success: {}",
        st.last_success_us.map_or_else(|| "never".to_owned(), ago)
    );
    let _ = writeln!(
        out,
        "last error: {}",
        st.last_error.as_ref().map_or_else(
            || "none".to_owned(),
            |(at, msg)| format!("{} {msg}", ago(*at))
        )
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_every_figure() {
        let st = Status {
            depth: 3,
            bytes: 900,
            oldest_at_us: Some(1_795_490_825_000_000),
            next_seq: 10,
            dropped: 2,
            rejected: 1,
            last_success_us: None,
            last_error: Some((1_795_490_885_000_000, "HTTP 503: down".into())),
        };
        let text = render(&st, 1_795_490_945_000_000, None);
        assert_eq!(
            text,
            "daemon: not running\nqueue depth: 3 samples, 900 bytes\n\
             oldest queued: 24-11-2026_03:27:05.000000 (120 s ago)\n\
             dropped: 2 (queue full or too old)\nrejected by the server: 1\n\
             next sequence number: 10\nlast success: never\n\
             last error: 24-11-2026_03:28:05.000000 (60 s ago) HTTP 503: down\n"
        );
    }

    #[test]
    fn a_file_from_a_dead_daemon_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status");
        let st = Status {
            depth: 0,
            bytes: 0,
            oldest_at_us: None,
            next_seq: 1,
            dropped: 0,
            rejected: 0,
            last_success_us: None,
            last_error: None,
        };
        write(&path, &st, 4);
        let live = read_live(&path).expect("this process is alive");
        assert_eq!((live.failures, live.queue), (4, st.clone()));
        let dead = Snapshot {
            pid: u32::MAX - 1,
            failures: 0,
            queue: st,
        };
        std::fs::write(&path, serde_json::to_string(&dead).unwrap()).unwrap();
        assert_eq!(read_live(&path), None);
    }
}
