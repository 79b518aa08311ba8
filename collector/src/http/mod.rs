//! The HTTP API: routes and shared state. Handlers are thin: they check, then call the
//! registry or the ingest pipeline.

mod alert_settings;
mod auth;
mod checks;
mod dashboard;
mod device_charts;
mod devices;
mod edit;
mod locations;
mod maintenance;
mod metrics;
mod native;
mod notifications;
mod openwisp;
mod page;
mod register;
mod reply;
pub mod ui;
mod wifi_sessions;

use crate::ingest::Pipeline;
use crate::registry::Registry;
use crate::tsdb::TimeSeries;
use crate::tsdb::embedded::EmbeddedStore;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
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
}

/// The dashboard and the settings it changes (alert settings, checks, maintenance).
fn edit_routes() -> Router<AppState> {
    use axum::routing::delete;
    Router::new()
        .route(
            "/api/v1/edgemon/device/{pk}/alert-settings/",
            get(alert_settings::list),
        )
        .route(
            "/api/v1/edgemon/device/{pk}/alert-settings/{metric}/",
            axum::routing::put(alert_settings::set).delete(alert_settings::clear),
        )
        .route("/api/v1/edgemon/device/{pk}/checks/", get(checks::list))
        .route(
            "/api/v1/edgemon/device/{pk}/checks/{check}/",
            axum::routing::patch(checks::set),
        )
        .route(
            "/api/v1/edgemon/maintenance/",
            get(maintenance::list).post(maintenance::create),
        )
        .route(
            "/api/v1/edgemon/maintenance/{id}/",
            delete(maintenance::delete),
        )
        .route("/api/v1/edgemon/whoami/", get(ui::whoami))
        .route("/", get(ui::root))
        .route("/devices/{id}", get(ui::device_link))
        .route("/ui/", get(ui::index))
        .route("/ui/settings.json", get(ui::settings))
        .route("/ui/{*path}", get(ui::file))
}

/// All routes.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route(
            "/api/v1/monitoring/device/{pk}/",
            post(openwisp::post_metrics).get(device_charts::get_device),
        )
        .route("/api/v1/monitoring/wifi-session/", get(wifi_sessions::list))
        .route(
            "/api/v1/monitoring/wifi-session/{id}/",
            get(wifi_sessions::show),
        )
        .route("/api/v1/monitoring/dashboard/", get(dashboard::general))
        .route("/api/v1/monitoring/device/", get(devices::list))
        .route("/api/v1/monitoring/geojson/", get(locations::geojson))
        .route(
            "/api/v1/monitoring/location/{id}/device/",
            get(locations::devices),
        )
        .route(
            "/api/v1/notifications/notification/",
            get(notifications::list),
        )
        .route(
            "/api/v1/notifications/notification/read/",
            post(notifications::read_all),
        )
        .route(
            "/api/v1/notifications/notification/{id}/",
            axum::routing::patch(notifications::read_one),
        )
        .route(
            "/api/v1/monitoring/device/{pk}/metric/",
            get(devices::metrics),
        )
        .route("/api/v1/edgemon/ingest/", post(native::ingest))
        .route("/controller/device/register/", post(register::register))
        .route("/controller/register/", post(register::register))
        .merge(edit_routes())
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics::metrics))
        .fallback(reply::not_found_html)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}
