//! The live system: real files, real commands (each bounded by a timeout), real statvfs.

use super::{FsStats, Source, SourceError};
use crate::collect::netlink::{self, Dump};
use std::io::{ErrorKind, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Reads the machine the agent runs on.
#[derive(Debug, Clone)]
pub struct Live {
    /// A hung ubus or modem must not stall the sample: commands past this are killed.
    pub timeout: Duration,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
        }
    }
}

fn io_error(what: &str, e: &std::io::Error) -> SourceError {
    if e.kind() == ErrorKind::NotFound {
        SourceError::Absent(what.to_owned())
    } else {
        SourceError::Failed(format!("{what}: {e}"))
    }
}

impl Source for Live {
    fn read(&self, path: &str) -> Result<String, SourceError> {
        std::fs::read_to_string(path).map_err(|e| io_error(path, &e))
    }

    fn read_twice(&self, path: &str, gap: Duration) -> Result<(String, String), SourceError> {
        let first = self.read(path)?;
        std::thread::sleep(gap);
        Ok((first, self.read(path)?))
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    fn run(&self, argv: &[&str]) -> Result<String, SourceError> {
        run_with_timeout(argv, self.timeout)
    }

    fn statvfs(&self, mount_point: &str) -> Result<FsStats, SourceError> {
        let s = rustix::fs::statvfs(mount_point)
            .map_err(|e| SourceError::Failed(format!("statvfs {mount_point}: {e}")))?;
        Ok(FsStats {
            frsize: s.f_frsize,
            blocks: s.f_blocks,
            bfree: s.f_bfree,
            bavail: s.f_bavail,
        })
    }

    fn now(&self) -> Option<i64> {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        i64::try_from(secs).ok()
    }

    fn netlink(&self, dump: Dump) -> Result<Vec<u8>, SourceError> {
        // The collector names the dump in its warning.
        netlink_dump(dump, self.timeout).map_err(SourceError::Failed)
    }
}

/// One route-netlink dump over a fresh socket: the request, then datagrams until the
/// kernel's `NLMSG_DONE` (each receive bounded by `timeout`).
fn netlink_dump(dump: Dump, timeout: Duration) -> Result<Vec<u8>, String> {
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType, sockopt};
    let fd = rustix::net::socket(AddressFamily::NETLINK, SocketType::RAW, None)
        .map_err(|e| format!("socket: {e}"))?;
    sockopt::set_socket_timeout(&fd, sockopt::Timeout::Recv, Some(timeout))
        .map_err(|e| format!("receive timeout: {e}"))?;
    // Unconnected, the socket's destination is the kernel (port 0).
    rustix::net::send(&fd, &netlink::request(dump, 1), SendFlags::empty())
        .map_err(|e| format!("send: {e}"))?;
    let mut out = Vec::new();
    // A dump datagram is at most a page or two; 32 KiB is what iproute2 reads with.
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let (n, _) = rustix::net::recv(&fd, &mut buf, RecvFlags::empty())
            .map_err(|e| format!("receive: {e}"))?;
        if n == 0 {
            return Err("the socket closed before the dump ended".into());
        }
        out.extend_from_slice(&buf[..n]);
        if netlink::scan(&out).map_err(|e| e.0)? {
            return Ok(out);
        }
    }
}

/// Whether `program` can be run: a path as given, a bare name through `PATH`. Checking
/// first spares a fork for every tool a host lacks (ubus, mmcli off OpenWrt).
fn runnable(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return executable(std::path::Path::new(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path).any(|dir| executable(&dir.join(program)))
}

/// Runs `argv` with stdin closed and stderr discarded; kills it after `timeout`.
pub(crate) fn run_with_timeout(argv: &[&str], timeout: Duration) -> Result<String, SourceError> {
    let what = argv.join(" ");
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| SourceError::Failed("empty command".into()))?;
    if !runnable(program) {
        return Err(SourceError::Absent(what));
    }
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| io_error(&what, &e))?;
    // A reader thread drains the pipe so a chatty child cannot block on a full pipe while
    // we wait for it to exit.
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SourceError::Failed(format!(
                    "{what}: timed out after {} ms",
                    timeout.as_millis()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(SourceError::Failed(format!("{what}: {e}"))),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(SourceError::Failed(format!("{what}: exited with {status}")));
    }
    String::from_utf8(out).map_err(|_| SourceError::Failed(format!("{what}: output is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hanging_command_is_killed_at_the_timeout() {
        let started = Instant::now();
        let err = run_with_timeout(&["sleep", "10"], Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, SourceError::Failed(ref m) if m.contains("timed out")));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_failure_and_absence_are_told_apart() {
        let t = Duration::from_secs(5);
        assert_eq!(run_with_timeout(&["echo", "hi"], t).unwrap(), "hi\n");
        assert!(matches!(
            run_with_timeout(&["false"], t),
            Err(SourceError::Failed(_))
        ));
        assert!(matches!(
            run_with_timeout(&["/nonexistent/edgemon-no-such-tool"], t),
            Err(SourceError::Absent(_))
        ));
    }
}
