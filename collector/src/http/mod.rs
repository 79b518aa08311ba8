//! The HTTP API: routes and shared state. Handlers are thin: they check, then call the
//! registry or the ingest pipeline.

mod alert_settings;
mod auth;
mod checks;
mod dashboard;
mod device_charts;
mod device_manage;
mod devices;
mod docs;
mod edit;
mod location_list;
mod locations;
mod maintenance;
mod metrics;
mod native;
mod nearby;
mod notifications;
pub mod openapi;
mod openwisp;
mod page;
mod register;
mod reply;
pub mod routes;
pub mod serve;
pub mod ui;
mod wifi_sessions;

use crate::ingest::Pipeline;
use crate::registry::Registry;
use crate::tsdb::TimeSeries;
use crate::tsdb::embedded::EmbeddedStore;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub pipeline: Pipeline,
    pub tsdb: Arc<dyn TimeSeries>,
    /// The embedded store, when it is the backend (for its figures on `/metrics`).
    pub embedded: Option<Arc<EmbeddedStore>>,
    /// The write queue in front of InfluxDB, when it is the backend (its depth and age on
    /// `/metrics`).
    pub queue: Option<Arc<crate::tsdb::queue::WriteQueue>>,
    /// Alerts and health, for their figures on `/metrics`.
    pub alerts: Option<Arc<crate::alerts::Alerts>>,
    pub retry_after_s: u32,
    /// OpenWISP posts are answered once stored (`true`) or once queued (`ingest.ack`).
    pub ack_stored: bool,
    /// WiFi clients and sessions.
    pub sessions: Arc<crate::sessions::SessionStore>,
    /// Time zone of chart requests without `timezone=` (`charts.timezone`).
    pub chart_tz: jiff::tz::TimeZone,
    /// The General Traffic chart's interfaces, as `ifname` tag values.
    pub dashboard_ifnames: Vec<String>,
    /// The MQTT side's figures, when it runs.
    pub mqtt: Option<Arc<crate::mqtt::Stats>>,
    /// The dashboard's settings and the checks this collector runs.
    pub web: Arc<ui::Web>,
    /// Devices whose clocks are off (`ingest::skew`).
    pub skews: Arc<crate::ingest::skew::Skews>,
    /// The check runner's figures, when checks run.
    pub checks: Option<Arc<crate::checks::runner::CheckStats>>,
}

/// The dashboard's pages and files: not API, so not in the table (nor the document).
fn ui_routes() -> Router<AppState> {
    use axum::routing::get;
    Router::new()
        .route("/", get(ui::root))
        .route("/devices/{id}", get(ui::device_link))
        .route("/ui/", get(ui::index))
        .route("/ui/settings.json", get(ui::settings))
        .route("/ui/{*path}", get(ui::file))
}

/// The header the fallback sets: the request matched no route of the table (tests tell it
/// from a handler's own 404 by it).
pub const UNROUTED_HEADER: &str = "x-edgemon-unrouted";

/// All routes: the table in `routes`, which the OpenAPI document describes too, and the
/// dashboard's pages.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let mut router = Router::new();
    for r in routes::ROUTES {
        router = router.route(r.path, (r.mount)(r.method.filter()));
    }
    router
        .merge(ui_routes())
        .fallback(unrouted)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

async fn unrouted() -> axum::response::Response {
    let mut r = reply::not_found_html().await;
    r.headers_mut()
        .insert(UNROUTED_HEADER, axum::http::HeaderValue::from_static("1"));
    r
}
