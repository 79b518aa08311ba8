//! Capture bundles: a directory holding every raw answer one collection got, so a sample
//! can be rebuilt elsewhere (support cases, tests fed with real device captures).
//! The layout is documented in docs/capture-bundles.md.

use super::{FsStats, Source, SourceError, command_file_name, mount_file_name};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Replays a bundle: answers exactly what was recorded; anything not recorded is absent.
#[derive(Debug, Clone)]
pub struct Bundle {
    dir: PathBuf,
}

impl Bundle {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `base` if it exists, else the recorded failure in `base.error`, else absent.
    fn answer(base: &Path, what: &str) -> Result<String, SourceError> {
        match std::fs::read_to_string(base) {
            Ok(text) => Ok(text),
            Err(_) => match std::fs::read_to_string(with_suffix(base, ".error")) {
                Ok(msg) => Err(decode_error(msg.trim_end())),
                Err(_) => Err(SourceError::Absent(what.to_owned())),
            },
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

fn encode_error(e: &SourceError) -> String {
    match e {
        SourceError::Absent(m) => format!("absent: {m}\n"),
        SourceError::Failed(m) => format!("failed: {m}\n"),
    }
}

fn decode_error(text: &str) -> SourceError {
    match text.strip_prefix("absent: ") {
        Some(m) => SourceError::Absent(m.to_owned()),
        None => SourceError::Failed(text.strip_prefix("failed: ").unwrap_or(text).to_owned()),
    }
}

fn files_path(root: &Path, path: &str) -> PathBuf {
    root.join("files").join(path.trim_start_matches('/'))
}

impl Source for Bundle {
    fn read(&self, path: &str) -> Result<String, SourceError> {
        Self::answer(&files_path(&self.dir, path), path)
    }

    fn read_twice(&self, path: &str, _gap: Duration) -> Result<(String, String), SourceError> {
        let base = files_path(&self.dir, path);
        let later = Self::answer(&with_suffix(&base, ".later"), path)?;
        Ok((Self::answer(&base, path)?, later))
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let base = self.dir.join("lists").join(mount_file_name(dir));
        let text = Self::answer(&base, dir)?;
        Ok(text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    fn run(&self, argv: &[&str]) -> Result<String, SourceError> {
        let base = self.dir.join("commands").join(command_file_name(argv));
        Self::answer(&base, &argv.join(" "))
    }

    fn statvfs(&self, mount_point: &str) -> Result<FsStats, SourceError> {
        let base = self.dir.join("statvfs").join(mount_file_name(mount_point));
        let text = Self::answer(&base, mount_point)?;
        serde_json::from_str(&text)
            .map_err(|e| SourceError::Failed(format!("statvfs {mount_point}: {e}")))
    }

    fn now(&self) -> Option<i64> {
        std::fs::read_to_string(self.dir.join("clock"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Wraps a source and writes every answer (and every failure) into a bundle directory.
#[derive(Debug)]
pub struct Recorder<S> {
    inner: S,
    dir: PathBuf,
}

impl<S: Source> Recorder<S> {
    pub fn new(inner: S, dir: impl Into<PathBuf>) -> Self {
        Self {
            inner,
            dir: dir.into(),
        }
    }

    fn store(base: &Path, result: &Result<String, SourceError>) {
        let (path, body) = match result {
            Ok(text) => (base.to_path_buf(), text.clone()),
            Err(e) => (with_suffix(base, ".error"), encode_error(e)),
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, body));
        if let Err(e) = written {
            eprintln!("warning: capture: cannot write {}: {e}", path.display());
        }
    }
}

impl<S: Source> Source for Recorder<S> {
    fn read(&self, path: &str) -> Result<String, SourceError> {
        let r = self.inner.read(path);
        Self::store(&files_path(&self.dir, path), &r);
        r
    }

    fn read_twice(&self, path: &str, gap: Duration) -> Result<(String, String), SourceError> {
        let r = self.inner.read_twice(path, gap);
        let base = files_path(&self.dir, path);
        Self::store(
            &base,
            &r.as_ref().map(|p| p.0.clone()).map_err(Clone::clone),
        );
        let later = r.as_ref().map(|p| p.1.clone()).map_err(Clone::clone);
        Self::store(&with_suffix(&base, ".later"), &later);
        r
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let r = self.inner.list(dir);
        let text = r
            .as_ref()
            .map(|names| names.join("\n") + "\n")
            .map_err(Clone::clone);
        Self::store(&self.dir.join("lists").join(mount_file_name(dir)), &text);
        r
    }

    fn run(&self, argv: &[&str]) -> Result<String, SourceError> {
        let r = self.inner.run(argv);
        Self::store(&self.dir.join("commands").join(command_file_name(argv)), &r);
        r
    }

    fn statvfs(&self, mount_point: &str) -> Result<FsStats, SourceError> {
        let r = self.inner.statvfs(mount_point);
        let text = r
            .as_ref()
            .map(|s| serde_json::to_string(s).expect("plain numbers serialise"))
            .map_err(Clone::clone);
        Self::store(
            &self.dir.join("statvfs").join(mount_file_name(mount_point)),
            &text,
        );
        r
    }

    fn now(&self) -> Option<i64> {
        let now = self.inner.now();
        if let Some(t) = now {
            Self::store(&self.dir.join("clock"), &Ok(format!("{t}\n")));
        }
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake system with one file, one listing, one working and one failing command.
    struct Fake;
    impl Source for Fake {
        fn read(&self, path: &str) -> Result<String, SourceError> {
            match path {
                "/proc/loadavg" => Ok("0.1 0.2 0.3 1/2 3\n".into()),
                _ => Err(SourceError::Absent(path.into())),
            }
        }
        fn read_twice(&self, path: &str, _: Duration) -> Result<(String, String), SourceError> {
            Ok((format!("{path} 1"), format!("{path} 2")))
        }
        fn list(&self, _: &str) -> Result<Vec<String>, SourceError> {
            Ok(vec!["eth0".into(), "lo".into()])
        }
        fn run(&self, argv: &[&str]) -> Result<String, SourceError> {
            if argv[0] == "ubus" {
                Ok("{}".into())
            } else {
                Err(SourceError::Failed("mmcli: timed out".into()))
            }
        }
        fn statvfs(&self, _: &str) -> Result<FsStats, SourceError> {
            Ok(FsStats {
                frsize: 4096,
                blocks: 10,
                bfree: 5,
                bavail: 4,
            })
        }
        fn now(&self) -> Option<i64> {
            Some(1_700_000_000)
        }
    }

    #[test]
    fn a_recorded_bundle_replays_every_answer_and_failure() {
        let dir = tempfile::tempdir().unwrap();
        let rec = Recorder::new(Fake, dir.path());
        let calls = |s: &dyn Source| {
            (
                s.read("/proc/loadavg"),
                s.read("/etc/config/dhcp"),
                s.read_twice("/proc/stat", Duration::ZERO),
                s.list("/sys/class/net"),
                s.run(&["ubus", "call", "system", "board"]),
                s.run(&["mmcli", "-J", "-m", "/sys/x"]),
                s.statvfs("/"),
                s.now(),
            )
        };
        let live = calls(&rec);
        let replay = calls(&Bundle::new(dir.path()));
        assert_eq!(format!("{live:?}"), format!("{replay:?}"));
        assert!(
            dir.path()
                .join("commands/mmcli -J -m %2Fsys%2Fx.error")
                .is_file()
        );
    }

    #[test]
    fn a_malformed_statvfs_record_is_a_failure_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("statvfs")).unwrap();
        std::fs::write(dir.path().join("statvfs/%2F"), "{\"frsize\": 4096").unwrap();
        let b = Bundle::new(dir.path());
        assert!(matches!(b.statvfs("/"), Err(SourceError::Failed(_))));
        assert!(matches!(
            b.run(&["ip", "neigh"]),
            Err(SourceError::Absent(_))
        ));
    }
}
