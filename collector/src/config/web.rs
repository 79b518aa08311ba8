//! `[web]`: the dashboard the collector serves under `/ui/`.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Web {
    /// Serve the dashboard (`/ui/`); the API is served either way.
    pub enabled: bool,
    /// Map tiles, as a Leaflet URL template (`{z}/{x}/{y}`, optional `{s}`). Markers and
    /// counts work without tiles (no internet access): only the background stays blank.
    pub tile_url: String,
    /// Attribution shown under the map for `tile_url`.
    pub tile_attribution: String,
    /// Serve the dashboard's files from this folder (a `web/` checkout with its
    /// `node_modules`) instead of the copy compiled into the binary: for front-end work.
    pub assets_dir: Option<PathBuf>,
}

impl Default for Web {
    fn default() -> Self {
        Web {
            enabled: true,
            tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".to_owned(),
            tile_attribution: "© OpenStreetMap contributors".to_owned(),
            assets_dir: None,
        }
    }
}
