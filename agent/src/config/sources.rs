//! Reading the configuration sources into name/value pairs, and [`load`], the one function
//! that touches the filesystem.

use super::{Config, ConfigError, Options, Setting};
use crate::collect::uci;
use std::path::{Path, PathBuf};

/// Where `run` looks when no `--config` is given.
pub const DEFAULT_UCI: &str = "/etc/config/edgemon";
/// openwisp-config's file, for `url`/`uuid`/`key` fallbacks.
pub const DEFAULT_OPENWISP: &str = "/etc/config/openwisp";

/// The options of the edgemon section of a UCI file: the section named `agent`, else the
/// first section of type `edgemon`. A repeated option keeps its last value, as `uci` does.
pub fn uci_options(text: &str, origin: &str) -> Options {
    let sections = uci::parse(text);
    let section = sections
        .iter()
        .find(|s| s.kind == "edgemon" && s.name.as_deref() == Some("agent"))
        .or_else(|| sections.iter().find(|s| s.kind == "edgemon"));
    let mut out = Options::new();
    for (k, v) in section.map(|s| s.options.as_slice()).unwrap_or_default() {
        out.insert(k.clone(), setting(v, origin));
    }
    out
}

/// `url`, `uuid` and `key` of openwisp-config's `http` section, when set and non-empty.
pub fn openwisp_options(text: &str, origin: &str) -> Options {
    let sections = uci::parse(text);
    let mut out = Options::new();
    if let Some(s) = sections.iter().find(|s| s.name.as_deref() == Some("http")) {
        for k in ["url", "uuid", "key"] {
            if let Some(v) = s.get(k).filter(|v| !v.trim().is_empty()) {
                out.insert(k.to_owned(), setting(v, origin));
            }
        }
    }
    out
}

/// The top-level keys of a TOML file. Strings, integers and booleans are accepted;
/// anything else names the key.
pub fn toml_options(text: &str, origin: &str) -> Result<Options, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::File {
        path: origin.to_owned(),
        message: e.to_string(),
    })?;
    let mut out = Options::new();
    for (k, v) in table {
        let value = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => if b { "1" } else { "0" }.to_owned(),
            other => {
                return Err(ConfigError::Invalid {
                    option: k,
                    origin: origin.to_owned(),
                    message: format!("a {} is not accepted here", other.type_str()),
                });
            }
        };
        out.insert(k, setting(&value, origin));
    }
    Ok(out)
}

/// Flags as given on the command line (`--queue-max-bytes 4M` → `queue_max_bytes`).
pub fn flag_options(flags: &[(String, String)]) -> Options {
    flags
        .iter()
        .map(|(name, v)| (name.replace('-', "_"), setting(v, &format!("--{name}"))))
        .collect()
}

fn setting(value: &str, origin: &str) -> Setting {
    Setting {
        value: value.to_owned(),
        origin: origin.to_owned(),
    }
}

/// Merges sources, later ones overriding earlier ones.
pub fn merge(layers: impl IntoIterator<Item = Options>) -> Options {
    let mut out = Options::new();
    for layer in layers {
        out.extend(layer);
    }
    out
}

/// What `run` was told about where its configuration lives.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    /// `--config FILE`: UCI, or TOML when it ends in `.toml`. Without it,
    /// `/etc/config/edgemon` is read if it exists.
    pub config: Option<PathBuf>,
    /// `--openwisp-config FILE` (default `/etc/config/openwisp`, read if it exists).
    pub openwisp: Option<PathBuf>,
}

/// Reads the files, merges them with the flags and validates.
pub fn load(loc: &Locations, flags: &[(String, String)]) -> Result<Config, ConfigError> {
    Config::from_options(&load_options(loc, flags)?)
}

/// Reads and merges the sources without validating them.
pub fn load_options(loc: &Locations, flags: &[(String, String)]) -> Result<Options, ConfigError> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| ConfigError::File {
            path: p.display().to_string(),
            message: e.to_string(),
        })
    };
    let file = match &loc.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from(DEFAULT_UCI)).filter(|p| p.exists()),
    };
    let file_opts = match file {
        Some(p) if p.extension().is_some_and(|e| e == "toml") => {
            toml_options(&read(&p)?, &p.display().to_string())?
        }
        Some(p) => uci_options(&read(&p)?, &p.display().to_string()),
        None => Options::new(),
    };
    let ow_opts = match &loc.openwisp {
        Some(p) => openwisp_options(&read(p)?, &p.display().to_string()),
        None if Path::new(DEFAULT_OPENWISP).exists() => {
            openwisp_options(&read(Path::new(DEFAULT_OPENWISP))?, DEFAULT_OPENWISP)
        }
        None => Options::new(),
    };
    Ok(merge([ow_opts, file_opts, flag_options(flags)]))
}
