//! The web dashboard under `/ui/`: a single page (`web/src/`) that talks to the API with
//! the token the user pastes at login, plus the front-end packages npm installed. Files
//! are compiled in by `build.rs`, or read from `web.assets_dir`. `whoami` tells the page
//! which organizations the token sees and whether it may change settings.

use super::AppState;
use super::auth;
use super::edit::may_change;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use std::path::PathBuf;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// What the dashboard and the check endpoints need from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Web {
    pub enabled: bool,
    pub tile_url: String,
    pub tile_attribution: String,
    pub assets_dir: Option<PathBuf>,
    /// `(check, metric configuration)` of the checks this collector runs.
    pub checks: Vec<(&'static str, &'static str)>,
}

impl Web {
    pub fn from_config(config: &crate::config::Config) -> Web {
        let c = &config.checks;
        let checks = [
            (c.ping.enabled, ("ping", "ping")),
            (
                c.data_collected.enabled,
                ("data_collected", "data_collected"),
            ),
            (c.wifi_clients.enabled, ("wifi_clients", "wifi_clients_max")),
        ]
        .into_iter()
        .filter_map(|(on, x)| on.then_some(x))
        .collect();
        Web {
            enabled: config.web.enabled,
            tile_url: config.web.tile_url.clone(),
            tile_attribution: config.web.tile_attribution.clone(),
            assets_dir: config.web.assets_dir.clone(),
            checks,
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// The page shown when the front-end packages were not installed when the collector
/// was built.
fn not_built(missing: &[&str]) -> Response {
    let mut list = String::new();
    for m in missing {
        list.push_str("<li><code>");
        list.push_str(m);
        list.push_str("</code></li>");
    }
    let page = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>edgemon: dashboard not built</title></head>\
         <body><h1>The dashboard's front-end packages are missing</h1>\
         <p>This collector was built without them:</p><ul>{list}</ul>\
         <p>Install them with <code>npm ci --prefix web</code> in the source tree (the README's \
         <code>scripts/demo</code> and <code>scripts/test</code> do it), then rebuild: \
         <code>cargo build --release -p edgemon-collector</code>. The API works without them.</p>\
         </body></html>"
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

async fn read(web: &Web, path: &str) -> Option<Vec<u8>> {
    if let Some(dir) = &web.assets_dir {
        if path.split('/').any(|p| p == ".." || p.is_empty()) {
            return None;
        }
        let file = match VENDOR_FILES.iter().find(|(u, _)| *u == path) {
            Some((_, rel)) => dir.join("node_modules").join(rel),
            None => dir.join("src").join(path),
        };
        return tokio::task::spawn_blocking(move || std::fs::read(file).ok())
            .await
            .ok()
            .flatten();
    }
    assets::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| b.to_vec())
}

/// The vendor files' places under `node_modules` (as in `build.rs`), for `assets_dir`.
const VENDOR_FILES: [(&str, &str); 4] = [
    ("vendor/uPlot.iife.min.js", "uplot/dist/uPlot.iife.min.js"),
    ("vendor/uPlot.min.css", "uplot/dist/uPlot.min.css"),
    ("vendor/leaflet.js", "leaflet/dist/leaflet.js"),
    ("vendor/leaflet.css", "leaflet/dist/leaflet.css"),
];

async fn serve(web: &Web, path: &str) -> Response {
    if !web.enabled {
        return super::reply::not_found_html().await;
    }
    if web.assets_dir.is_none() && !assets::MISSING.is_empty() {
        return not_built(assets::MISSING);
    }
    match read(web, path).await {
        Some(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type(path)),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        None => super::reply::not_found_html().await,
    }
}

pub async fn index(State(state): State<AppState>) -> Response {
    serve(&state.web, "index.html").await
}

pub async fn file(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    serve(&state.web, &path).await
}

/// `/` and the notification links (`<base_url>/devices/<uuid>`) lead to the dashboard.
pub async fn root() -> Redirect {
    Redirect::to("/ui/")
}

pub async fn device_link(Path(id): Path<String>) -> Redirect {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    Redirect::to(&format!("/ui/#/device/{id}"))
}

/// The page's settings: map tiles.
pub async fn settings(State(state): State<AppState>) -> Response {
    axum::Json(json!({
        "tile_url": state.web.tile_url,
        "tile_attribution": state.web.tile_attribution,
    }))
    .into_response()
}

/// `GET /api/v1/edgemon/whoami/`: the token's name, role, whether it may change
/// settings, and the organizations it sees.
pub async fn whoami(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let orgs = match state.registry.orgs() {
        Ok(o) => o,
        Err(e) => return auth::unavailable("Registry", &e),
    };
    let visible: Vec<_> = orgs
        .iter()
        .filter(|o| token.sees(o.id))
        .map(|o| json!({"id": o.id.to_string(), "slug": o.slug, "name": o.name}))
        .collect();
    axum::Json(json!({
        "name": token.name,
        "role": format!("{:?}", token.role).to_lowercase(),
        "can_change": may_change(&token),
        "organizations": visible,
    }))
    .into_response()
}
