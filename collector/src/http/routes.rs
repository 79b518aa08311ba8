//! Every route the collector serves: the router mounts this table and the OpenAPI document
//! describes it (`openapi`). To add an endpoint, add its handler and one entry here.
//! The settings routes' entries are written out in `settings`.

mod settings;

use super::openapi::{Auth, Body, Kind, Method, Param, Reply, Route, path, query, reply};
use super::{
    dashboard, device_charts, device_manage, devices, docs, location_list, locations, metrics,
    native, nearby, notifications, openwisp, register, wifi_sessions,
};
use axum::routing::on;

const DEVICE_PK: Param = path(
    "pk",
    Kind::Uuid,
    "The device's UUID (with or without dashes).",
);
const PAGING: &[Param] = &[
    query("page", Kind::Int, "Page number, from 1."),
    query(
        "page_size",
        Kind::Int,
        "Items per page (default 10, at most 100).",
    ),
];
const ORG_FILTERS: &[Param] = &[
    query("organization", Kind::Uuid, "Only this organization."),
    query(
        "organization_slug",
        Kind::Str,
        "Only the organization with this slug.",
    ),
];
const LOCATION_KIND: &[Param] = &[
    query(
        "type",
        Kind::Choice(&["outdoor", "indoor"]),
        "Only locations of this type (all are outdoor).",
    ),
    query(
        "is_mobile",
        Kind::Bool,
        "Only mobile (`true`) or fixed locations.",
    ),
];
const HEALTH: Kind = Kind::Choice(&["unknown", "ok", "problem", "critical", "deactivated"]);
const CHART_RANGE: &[Param] = &[
    query(
        "time",
        Kind::Str,
        "`1d`, `3d`, `7d` (default), `30d`, `365d` or any `<N>d`.",
    ),
    query(
        "start",
        Kind::Str,
        "`YYYY-MM-DD HH:MM:SS`, with `end`: a custom range.",
    ),
    query("end", Kind::Str, "`YYYY-MM-DD HH:MM:SS`, with `start`."),
    query(
        "timezone",
        Kind::Str,
        "IANA time zone of the range and the x labels.",
    ),
    query(
        "csv",
        Kind::Str,
        "Any non-empty value: CSV instead of JSON.",
    ),
];

const UNAUTHORIZED: Reply = reply(
    401,
    "No credentials, or an unknown token.",
    Body::Json("Detail"),
);
const NOT_FOUND: Reply = reply(
    404,
    "No such object, or one of another organization.",
    Body::NotFound,
);
const BAD_FILTER: Reply = reply(
    400,
    "A parameter is invalid; the body names it.",
    Body::Json("FieldErrors"),
);
const READ: &[Reply] = &[UNAUTHORIZED, NOT_FOUND];
const LIST: &[Reply] = &[UNAUTHORIZED, BAD_FILTER, NOT_FOUND];
const WRITE: &[Reply] = &[
    UNAUTHORIZED,
    reply(
        403,
        "A viewer token may not change anything.",
        Body::Json("Detail"),
    ),
    NOT_FOUND,
];
const CHART_ERRORS: Reply = reply(
    400,
    "An invalid `time`, `start`/`end` or `timezone`.",
    Body::Json("Messages"),
);

/// The table. Paths are axum's (`{name}`), which is OpenAPI's syntax too.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/api/v1/monitoring/device/{pk}/",
        id: "post_device_metrics",
        tag: "collection",
        summary: "One NetJSON DeviceMonitoring sample (OpenWISP-compatible).",
        auth: Auth::DeviceKey,
        params: &[&[
            DEVICE_PK,
            query("key", Kind::Str, "The device's key."),
            query(
                "time",
                Kind::Str,
                "When the sample was taken: `%d-%m-%Y_%H:%M:%S.%f`, UTC.",
            ),
            query(
                "current",
                Kind::Str,
                "`true`: the newest sample (the snapshot follows it).",
            ),
        ]],
        body: Some(Body::Json("DeviceMonitoring")),
        replies: &[&[
            reply(200, "Stored.", Body::Empty),
            reply(400, "Invalid body or `time`.", Body::Json("SchemaError")),
            reply(403, "Wrong key.", Body::Json("Detail")),
            reply(404, "Unknown or deactivated device.", Body::NotFound),
            reply(415, "Not JSON.", Body::Json("Detail")),
            reply(429, "Saturated; see `Retry-After`.", Body::Json("Detail")),
            reply(
                503,
                "The collector stopped before storing it; see `Retry-After`.",
                Body::Json("Detail"),
            ),
        ]],
        mount: |m| on(m, openwisp::post_metrics),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/device/{pk}/",
        id: "get_device_charts",
        tag: "monitoring",
        summary: "The device, its health, its charts (or CSV) and, with `status`, its latest snapshot.",
        auth: Auth::DeviceKeyOrToken,
        params: &[
            &[
                DEVICE_PK,
                query("key", Kind::Str, "The device's key (instead of a token)."),
                query(
                    "status",
                    Kind::Str,
                    "Any non-empty value: add the latest snapshot as `data`.",
                ),
            ],
            CHART_RANGE,
        ],
        body: None,
        replies: &[
            &[
                reply(
                    200,
                    "The device and its charts.",
                    Body::JsonOrCsv("DeviceCharts"),
                ),
                CHART_ERRORS,
                reply(403, "Wrong device key.", Body::Json("Detail")),
            ],
            READ,
        ],
        mount: |m| on(m, device_charts::get_device),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/device/",
        id: "list_devices",
        tag: "monitoring",
        summary: "Devices with their health, ordered by name.",
        auth: Auth::Token,
        params: &[
            &[query(
                "monitoring__status",
                HEALTH,
                "Only devices in this health.",
            )],
            ORG_FILTERS,
            PAGING,
        ],
        body: None,
        replies: &[
            &[reply(200, "A page of devices.", Body::Json("DevicePage"))],
            LIST,
        ],
        mount: |m| on(m, devices::list),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/device/{pk}/metric/",
        id: "list_device_metrics",
        tag: "monitoring",
        summary: "The device's alerting metrics and whether each is healthy.",
        auth: Auth::Token,
        params: &[&[
            DEVICE_PK,
            query(
                "is_healthy",
                Kind::Bool,
                "Only healthy (`true`) or unhealthy (`false`).",
            ),
        ]],
        body: None,
        replies: &[
            &[reply(200, "The metrics.", Body::Json("MetricHealth"))],
            LIST,
        ],
        mount: |m| on(m, devices::metrics),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/device/{pk}/nearby-devices/",
        id: "list_nearby_devices",
        tag: "monitoring",
        summary: "Other located devices, nearest first, with their distance in metres.",
        auth: Auth::DeviceKeyOrToken,
        params: &[
            &[
                DEVICE_PK,
                query("key", Kind::Str, "The device's key (instead of a token)."),
                query("monitoring__status", HEALTH, "Only devices in this health."),
                query("model", Kind::Str, "Only these models (`|`-separated)."),
                query(
                    "distance__lte",
                    Kind::Float,
                    "At most this many metres away.",
                ),
            ],
            ORG_FILTERS,
            PAGING,
        ],
        body: None,
        replies: &[
            &[reply(
                200,
                "A page of devices.",
                Body::Json("NearbyDevicePage"),
            )],
            LIST,
        ],
        mount: |m| on(m, nearby::list),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/geojson/",
        id: "geojson",
        tag: "map",
        summary: "Locations with devices, with per-health counts (GeoJSON).",
        auth: Auth::Token,
        params: &[ORG_FILTERS, LOCATION_KIND],
        body: None,
        replies: &[&[reply(200, "The locations.", Body::Json("GeoJson"))], LIST],
        mount: |m| on(m, locations::geojson),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/location/{id}/device/",
        id: "list_location_devices",
        tag: "map",
        summary: "The devices at a location.",
        auth: Auth::Token,
        params: &[
            &[
                path("id", Kind::Uuid, "The location's id."),
                query("search", Kind::Str, "Name or MAC contains this."),
                query("status", HEALTH, "Only this health (repeatable)."),
            ],
            PAGING,
        ],
        body: None,
        replies: &[
            &[reply(
                200,
                "A page of devices.",
                Body::Json("LocationDevicePage"),
            )],
            LIST,
        ],
        mount: |m| on(m, locations::devices),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/wifi-session/",
        id: "list_wifi_sessions",
        tag: "wifi",
        summary: "WiFi sessions, newest first.",
        auth: Auth::Token,
        params: &[
            &[
                query("device", Kind::Uuid, "Only this device's."),
                query(
                    "device__organization",
                    Kind::Uuid,
                    "Only this organization's.",
                ),
                query(
                    "stop_time__isnull",
                    Kind::Bool,
                    "`true`: open sessions only.",
                ),
                query(
                    "start_time",
                    Kind::DateTime,
                    "Started at exactly this time.",
                ),
                query("start_time__gt", Kind::DateTime, "Started after."),
                query("start_time__gte", Kind::DateTime, "Started at or after."),
                query("start_time__lt", Kind::DateTime, "Started before."),
                query("start_time__lte", Kind::DateTime, "Started at or before."),
                query("stop_time", Kind::DateTime, "Stopped at exactly this time."),
                query("stop_time__gt", Kind::DateTime, "Stopped after."),
                query("stop_time__gte", Kind::DateTime, "Stopped at or after."),
                query("stop_time__lt", Kind::DateTime, "Stopped before."),
                query("stop_time__lte", Kind::DateTime, "Stopped at or before."),
            ],
            PAGING,
        ],
        body: None,
        replies: &[
            &[reply(
                200,
                "A page of sessions.",
                Body::Json("WifiSessionPage"),
            )],
            LIST,
        ],
        mount: |m| on(m, wifi_sessions::list),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/wifi-session/{id}/",
        id: "get_wifi_session",
        tag: "wifi",
        summary: "One WiFi session.",
        auth: Auth::Token,
        params: &[&[path("id", Kind::Uuid, "The session's id.")]],
        body: None,
        replies: &[
            &[reply(200, "The session.", Body::Json("WifiSession"))],
            READ,
        ],
        mount: |m| on(m, wifi_sessions::show),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/monitoring/dashboard/",
        id: "dashboard",
        tag: "monitoring",
        summary: "General WiFi Clients and General Traffic of organizations (or CSV).",
        auth: Auth::Token,
        params: &[
            &[query(
                "organization_slug",
                Kind::Str,
                "Comma-separated organization slugs.",
            )],
            CHART_RANGE,
        ],
        body: None,
        replies: &[
            &[
                reply(200, "The charts.", Body::JsonOrCsv("Dashboard")),
                CHART_ERRORS,
                reply(
                    403,
                    "An organization the token does not see.",
                    Body::Json("Detail"),
                ),
            ],
            READ,
        ],
        mount: |m| on(m, dashboard::general),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/notifications/notification/",
        id: "list_notifications",
        tag: "notifications",
        summary: "Problem and recovery notifications, newest first.",
        auth: Auth::Token,
        params: &[
            &[query("unread", Kind::Bool, "`true`: unread ones only.")],
            PAGING,
        ],
        body: None,
        replies: &[
            &[reply(
                200,
                "A page of notifications.",
                Body::Json("NotificationPage"),
            )],
            LIST,
        ],
        mount: |m| on(m, notifications::list),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/notifications/notification/read/",
        id: "read_all_notifications",
        tag: "notifications",
        summary: "Mark every visible notification read.",
        auth: Auth::Token,
        params: &[],
        body: None,
        replies: &[
            &[reply(200, "How many were marked.", Body::Json("Marked"))],
            READ,
        ],
        mount: |m| on(m, notifications::read_all),
    },
    Route {
        method: Method::Patch,
        path: "/api/v1/notifications/notification/{id}/",
        id: "read_notification",
        tag: "notifications",
        summary: "Mark one notification read.",
        auth: Auth::Token,
        params: &[&[path("id", Kind::Int, "The notification's id.")]],
        body: None,
        replies: &[
            &[reply(200, "The notification.", Body::Json("Notification"))],
            READ,
        ],
        mount: |m| on(m, notifications::read_one),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/controller/device/",
        id: "create_device",
        tag: "management",
        summary: "Create a device; the answer holds its key, shown only once.",
        auth: Auth::Manager,
        params: &[],
        body: Some(Body::Json("DeviceCreate")),
        replies: &[
            &[
                reply(201, "Created.", Body::Json("CreatedDevice")),
                reply(
                    400,
                    "Invalid fields; the body names them.",
                    Body::JsonOrDetail("FieldErrors"),
                ),
            ],
            WRITE,
        ],
        mount: |m| on(m, device_manage::create),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/controller/device/{pk}/",
        id: "get_device",
        tag: "management",
        summary: "One device with its state and location.",
        auth: Auth::Token,
        params: &[&[DEVICE_PK]],
        body: None,
        replies: &[
            &[reply(200, "The device.", Body::Json("ManagedDevice"))],
            READ,
        ],
        mount: |m| on(m, device_manage::show),
    },
    Route {
        method: Method::Patch,
        path: "/api/v1/controller/device/{pk}/",
        id: "change_device",
        tag: "management",
        summary: "Change a device's name, model, OS, active state or location.",
        auth: Auth::Manager,
        params: &[&[DEVICE_PK]],
        body: Some(Body::Json("DeviceChange")),
        replies: &[
            &[
                reply(200, "The changed device.", Body::Json("ManagedDevice")),
                reply(
                    400,
                    "Invalid fields; the body names them.",
                    Body::JsonOrDetail("FieldErrors"),
                ),
            ],
            WRITE,
        ],
        mount: |m| on(m, device_manage::change),
    },
    Route {
        method: Method::Delete,
        path: "/api/v1/controller/device/{pk}/",
        id: "delete_device",
        tag: "management",
        summary: "Delete a device, its time series and its WiFi sessions.",
        auth: Auth::Manager,
        params: &[&[DEVICE_PK]],
        body: None,
        replies: &[&[reply(204, "Deleted.", Body::Empty)], WRITE],
        mount: |m| on(m, device_manage::delete),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/controller/location/",
        id: "list_locations",
        tag: "management",
        summary: "Locations (devices sharing coordinates and address), in id order.",
        auth: Auth::Token,
        params: &[ORG_FILTERS, LOCATION_KIND, PAGING],
        body: None,
        replies: &[
            &[reply(
                200,
                "A page of locations.",
                Body::Json("LocationPage"),
            )],
            LIST,
        ],
        mount: |m| on(m, location_list::list),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/controller/location/{id}/",
        id: "get_location",
        tag: "management",
        summary: "One location and its devices.",
        auth: Auth::Token,
        params: &[&[path("id", Kind::Uuid, "The location's id.")]],
        body: None,
        replies: &[&[reply(200, "The location.", Body::Json("Location"))], READ],
        mount: |m| on(m, location_list::show),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/edgemon/ingest/",
        id: "native_ingest",
        tag: "collection",
        summary: "A native batch from edgemon-agent; answered once stored.",
        auth: Auth::NativeKey,
        params: &[],
        body: Some(Body::Batch("NativeBatch")),
        replies: &[&[
            reply(
                200,
                "Stored (duplicates ignored).",
                Body::Json("IngestOutcome"),
            ),
            reply(400, "Undecodable batch.", Body::Json("Detail")),
            reply(403, "Wrong key.", Body::Json("Detail")),
            reply(404, "Unknown or inactive device.", Body::Json("Detail")),
            reply(415, "Neither postcard nor JSON.", Body::Json("Detail")),
            reply(429, "Saturated; see `Retry-After`.", Body::Json("Detail")),
        ]],
        mount: |m| on(m, native::ingest),
    },
    Route {
        method: Method::Post,
        path: "/controller/device/register/",
        id: "register",
        tag: "collection",
        summary: "openwisp-controller's registration with an organization's shared secret.",
        auth: Auth::SharedSecret,
        params: &[],
        body: Some(Body::Form("Registration")),
        replies: &[&[
            reply(201, "Registered: `uuid:`/`key:` lines.", Body::Text),
            reply(200, "Already registered: `uuid:`/`key:` lines.", Body::Text),
            reply(400, "Missing or invalid field: `error: …`.", Body::Text),
            reply(403, "Wrong secret: `error: …`.", Body::Text),
            reply(415, "Not a form.", Body::Text),
        ]],
        mount: |m| on(m, register::register),
    },
    Route {
        method: Method::Post,
        path: "/controller/register/",
        id: "register_legacy",
        tag: "collection",
        summary: "The legacy path of the registration.",
        auth: Auth::SharedSecret,
        params: &[],
        body: Some(Body::Form("Registration")),
        replies: &[&[
            reply(201, "Registered.", Body::Text),
            reply(200, "Already registered.", Body::Text),
            reply(400, "Missing or invalid field.", Body::Text),
            reply(403, "Wrong secret.", Body::Text),
            reply(415, "Not a form.", Body::Text),
        ]],
        mount: |m| on(m, register::register),
    },
    settings::LIST_ALERT_SETTINGS,
    settings::SET_ALERT_SETTING,
    settings::CLEAR_ALERT_SETTING,
    settings::LIST_CHECKS,
    settings::SWITCH_CHECK,
    settings::LIST_MAINTENANCE,
    settings::CREATE_MAINTENANCE,
    settings::DELETE_MAINTENANCE,
    settings::WHOAMI,
    Route {
        method: Method::Get,
        path: "/api/v1/openapi.json",
        id: "openapi",
        tag: "meta",
        summary: "This document.",
        auth: Auth::Open,
        params: &[],
        body: None,
        replies: &[&[reply(200, "OpenAPI 3.1.", Body::Json("OpenApi"))]],
        mount: |m| on(m, docs::openapi),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/docs/",
        id: "docs",
        tag: "meta",
        summary: "This document as an HTML page (self-contained).",
        auth: Auth::Open,
        params: &[],
        body: None,
        replies: &[&[reply(200, "The page.", Body::Html)]],
        mount: |m| on(m, docs::page),
    },
    Route {
        method: Method::Get,
        path: "/healthz",
        id: "healthz",
        tag: "meta",
        summary: "`ok` while the collector serves.",
        auth: Auth::Open,
        params: &[],
        body: None,
        replies: &[&[reply(200, "`ok`.", Body::Text)]],
        mount: |m| on(m, || async { "ok\n" }),
    },
    Route {
        method: Method::Get,
        path: "/metrics",
        id: "metrics",
        tag: "meta",
        summary: "The collector's own figures (Prometheus text format).",
        auth: Auth::Open,
        params: &[],
        body: None,
        replies: &[&[reply(200, "Prometheus text.", Body::Text)]],
        mount: |m| on(m, metrics::metrics),
    },
];
