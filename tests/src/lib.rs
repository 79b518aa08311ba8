//! Helpers shared by the end-to-end tests: build and locate the real binaries, find the
//! fixtures folder beside the checkout.

pub mod agent;
pub mod collector;
pub mod http;
pub mod influxd;
pub mod mosquitto;
pub mod netns;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The path of a workspace binary, built once per test process with the same profile as
/// the tests (`cargo build --bin NAME`).
///
/// # Panics
/// When the build fails: the test cannot run without the binary.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let dir = target_profile_dir();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "--bins",
            "-p",
            "edgemon-collector",
            "-p",
            "edgemon-agent",
        ]);
        if dir.file_name().is_some_and(|p| p == "release") {
            cmd.arg("--release");
        }
        let status = cmd
            .current_dir(workspace_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of the binaries failed");
    });
    let path = dir.join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// `target/<profile>`, found from the running test executable (`target/<profile>/deps/x`).
fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps")
        .to_path_buf()
}

/// The workspace root (the folder with the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// `../shared/fixtures` beside the checkout.
///
/// # Panics
/// Loudly, when the folder is missing: the conformance suite must never pass by skipping.
pub fn fixtures() -> PathBuf {
    let dir = std::env::var_os("EDGEMON_FIXTURES").map_or_else(
        || workspace_root().join("../shared/fixtures"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "the conformance suite needs the shared fixtures at {} (set EDGEMON_FIXTURES to \
         another location); it is missing",
        dir.display()
    );
    dir
}

/// The `*.json` files directly in `dir`, sorted.
///
/// # Panics
/// When the folder cannot be read or holds no JSON file.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no JSON files in {}", dir.display());
    files
}
