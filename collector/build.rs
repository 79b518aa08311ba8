//! Embeds the web dashboard: the project's own files (`web/src/`) and the front-end
//! packages npm installed (`web/node_modules/`, by `npm ci --prefix web`). Nothing here
//! runs npm: without the packages the collector still builds and its `/ui/` page says
//! how to install them (docs/architecture.md, "The web dashboard").

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// (path under `/ui/`, file under `web/node_modules/`).
const VENDOR: [(&str, &str); 4] = [
    ("vendor/uPlot.iife.min.js", "uplot/dist/uPlot.iife.min.js"),
    ("vendor/uPlot.min.css", "uplot/dist/uPlot.min.css"),
    ("vendor/leaflet.js", "leaflet/dist/leaflet.js"),
    ("vendor/leaflet.css", "leaflet/dist/leaflet.css"),
];

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if path.is_dir() {
            walk(&path, &format!("{prefix}{name}/"), out);
        } else {
            out.push((format!("{prefix}{name}"), path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = manifest.join("../web");
    println!("cargo:rerun-if-changed=../web/src");
    println!("cargo:rerun-if-changed=../web/package-lock.json");
    if web.join("node_modules").is_dir() {
        println!("cargo:rerun-if-changed=../web/node_modules");
    }
    let mut files = Vec::new();
    walk(&web.join("src"), "", &mut files);
    let mut missing = Vec::new();
    for (url, rel) in VENDOR {
        let path = web.join("node_modules").join(rel);
        if path.is_file() {
            files.push((url.to_owned(), path));
        } else {
            missing.push(rel);
        }
    }
    let mut code = String::from(
        "/// (path under `/ui/`, contents).\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (url, path) in &files {
        let abs = path.canonicalize().expect("listed above");
        writeln!(
            code,
            "    ({url:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .expect("write to a String");
    }
    code.push_str("];\n/// Front-end packages that were not installed at build time.\npub static MISSING: &[&str] = &[\n");
    for m in &missing {
        writeln!(code, "    {m:?},").expect("write to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("web_assets.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
