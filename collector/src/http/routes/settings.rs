//! The routes of what managers change at run time (a device's alert settings and checks,
//! maintenance windows) and `whoami`, which tells the dashboard whether it may. Entries of
//! the one table, `super::ROUTES`; kept here so that file stays readable.
//!
//! Their 404s are JSON `Detail`s from the handlers (a `pk` that is not a UUID too), or
//! the HTML page of a path that matches no route.

use super::{DEVICE_PK, UNAUTHORIZED};
use crate::http::openapi::{Auth, Body, Kind, Method, Param, Reply, Route, path, reply};
use crate::http::{alert_settings, checks, maintenance, ui};
use axum::routing::on;

const METRIC: Param = path(
    "metric",
    Kind::Str,
    "A metric configuration that alerts (`cpu`, `memory`, `ping`…).",
);
const CHECK: Param = path(
    "check",
    Kind::Choice(&["ping", "data_collected", "wifi_clients"]),
    "A check kind; only those enabled in `[checks]` exist.",
);
const WINDOW_ID: Param = path("id", Kind::Int, "The window's id (windows made here).");

const VIEWER: Reply = reply(
    403,
    "A viewer token may not change anything.",
    Body::Json("Detail"),
);
const BAD_BODY: Reply = reply(
    400,
    "An invalid, unknown or missing member (the body names it), or not JSON.",
    Body::JsonOrDetail("FieldErrors"),
);
const UNAVAILABLE: Reply = reply(
    503,
    "The registry or the alert store failed; retry later.",
    Body::Json("Detail"),
);
const NO_DEVICE: Reply = reply(
    404,
    "No such device, one of another organization, or alerts are off on this collector.",
    Body::NotFound,
);
const NO_METRIC: Reply = reply(
    404,
    "No such device (or another organization's), a metric without alert settings, or \
     alerts are off.",
    Body::NotFound,
);
const ALERTS_OFF: Reply = reply(
    404,
    "Alerts are off on this collector (`alerts.enabled = false`).",
    Body::Json("Detail"),
);

pub(super) const LIST_ALERT_SETTINGS: Route = Route {
    method: Method::Get,
    path: "/api/v1/edgemon/device/{pk}/alert-settings/",
    id: "list_alert_settings",
    tag: "settings",
    summary: "The device's alert settings per metric: effective, default and custom.",
    auth: Auth::Token,
    params: &[&[DEVICE_PK]],
    body: None,
    replies: &[&[
        reply(
            200,
            "One item per metric that alerts.",
            Body::Json("AlertSettingList"),
        ),
        UNAUTHORIZED,
        NO_DEVICE,
        UNAVAILABLE,
    ]],
    mount: |m| on(m, alert_settings::list),
};

pub(super) const SET_ALERT_SETTING: Route = Route {
    method: Method::Put,
    path: "/api/v1/edgemon/device/{pk}/alert-settings/{metric}/",
    id: "set_alert_setting",
    tag: "settings",
    summary: "Set the device's override of one metric; absent or null members take the default.",
    auth: Auth::Manager,
    params: &[&[DEVICE_PK, METRIC]],
    body: Some(Body::Json("AlertSettingChange")),
    replies: &[&[
        reply(
            200,
            "The metric's new settings.",
            Body::Json("AlertSetting"),
        ),
        BAD_BODY,
        UNAUTHORIZED,
        VIEWER,
        NO_METRIC,
        UNAVAILABLE,
    ]],
    mount: |m| on(m, alert_settings::set),
};

pub(super) const CLEAR_ALERT_SETTING: Route = Route {
    method: Method::Delete,
    path: "/api/v1/edgemon/device/{pk}/alert-settings/{metric}/",
    id: "clear_alert_setting",
    tag: "settings",
    summary: "Remove the device's override of one metric: back to the defaults.",
    auth: Auth::Manager,
    params: &[&[DEVICE_PK, METRIC]],
    body: None,
    replies: &[&[
        reply(204, "Cleared (also when there was none).", Body::Empty),
        UNAUTHORIZED,
        VIEWER,
        NO_METRIC,
        UNAVAILABLE,
    ]],
    mount: |m| on(m, alert_settings::clear),
};

pub(super) const LIST_CHECKS: Route = Route {
    method: Method::Get,
    path: "/api/v1/edgemon/device/{pk}/checks/",
    id: "list_checks",
    tag: "settings",
    summary: "The checks this collector runs, and whether each is active for the device.",
    auth: Auth::Token,
    params: &[&[DEVICE_PK]],
    body: None,
    replies: &[&[
        reply(200, "One item per enabled check.", Body::Json("CheckList")),
        UNAUTHORIZED,
        NO_DEVICE,
        UNAVAILABLE,
    ]],
    mount: |m| on(m, checks::list),
};

pub(super) const SWITCH_CHECK: Route = Route {
    method: Method::Patch,
    path: "/api/v1/edgemon/device/{pk}/checks/{check}/",
    id: "switch_check",
    tag: "settings",
    summary: "Switch one check on or off for the device.",
    auth: Auth::Manager,
    params: &[&[DEVICE_PK, CHECK]],
    body: Some(Body::Json("CheckChange")),
    replies: &[&[
        reply(200, "The check, switched.", Body::Json("Check")),
        BAD_BODY,
        UNAUTHORIZED,
        VIEWER,
        reply(
            404,
            "No such device (or another organization's), a check this collector does not \
             run, or alerts are off.",
            Body::NotFound,
        ),
        UNAVAILABLE,
    ]],
    mount: |m| on(m, checks::set),
};

pub(super) const LIST_MAINTENANCE: Route = Route {
    method: Method::Get,
    path: "/api/v1/edgemon/maintenance/",
    id: "list_maintenance_windows",
    tag: "settings",
    summary: "Maintenance windows covering the token's organizations: the configuration's and those made here.",
    auth: Auth::Token,
    params: &[],
    body: None,
    replies: &[&[
        reply(200, "The windows.", Body::Json("MaintenancePage")),
        UNAUTHORIZED,
        ALERTS_OFF,
        UNAVAILABLE,
    ]],
    mount: |m| on(m, maintenance::list),
};

pub(super) const CREATE_MAINTENANCE: Route = Route {
    method: Method::Post,
    path: "/api/v1/edgemon/maintenance/",
    id: "create_maintenance_window",
    tag: "settings",
    summary: "A maintenance window for an organization or a device: its notifications are muted while it is open.",
    auth: Auth::Manager,
    params: &[],
    body: Some(Body::Json("MaintenanceWindowCreate")),
    replies: &[&[
        reply(201, "The window made.", Body::Json("MaintenanceWindow")),
        BAD_BODY,
        UNAUTHORIZED,
        VIEWER,
        ALERTS_OFF,
        UNAVAILABLE,
    ]],
    mount: |m| on(m, maintenance::create),
};

pub(super) const DELETE_MAINTENANCE: Route = Route {
    method: Method::Delete,
    path: "/api/v1/edgemon/maintenance/{id}/",
    id: "delete_maintenance_window",
    tag: "settings",
    summary: "Remove a maintenance window made through the API.",
    auth: Auth::Manager,
    params: &[&[WINDOW_ID]],
    body: None,
    replies: &[&[
        reply(204, "Removed.", Body::Empty),
        UNAUTHORIZED,
        VIEWER,
        reply(
            404,
            "No such window made here, one of another organization, or alerts are off.",
            Body::NotFound,
        ),
        UNAVAILABLE,
    ]],
    mount: |m| on(m, maintenance::delete),
};

pub(super) const WHOAMI: Route = Route {
    method: Method::Get,
    path: "/api/v1/edgemon/whoami/",
    id: "whoami",
    tag: "settings",
    summary: "The token's name and role, whether it may change settings, and the organizations it sees.",
    auth: Auth::Token,
    params: &[],
    body: None,
    replies: &[&[
        reply(200, "The token.", Body::Json("Whoami")),
        UNAUTHORIZED,
        UNAVAILABLE,
    ]],
    mount: |m| on(m, ui::whoami),
};
