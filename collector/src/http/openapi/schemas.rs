//! The document's component schemas: the bodies the handlers send and accept. Names are
//! what the route table's `Body::Json(…)` refers to (a test checks every reference
//! resolves).

use crate::alerts::maintenance::MAX_SPAN_S;
use serde_json::{Map, Value, json};

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

/// OpenWISP pagination around items of schema `item`.
fn page_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "next": nullable("string"),
            "previous": nullable("string"),
            "results": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}},
        },
    })
}

fn location() -> Value {
    json!({
        "type": "object",
        "required": ["lat", "lng"],
        "properties": {
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lng": {"type": "number", "minimum": -180, "maximum": 180},
            "address": {"type": "string", "maxLength": 256},
        },
        "additionalProperties": false,
    })
}

fn device() -> Value {
    json!({
        "type": "object",
        "required": ["id", "name", "organization", "mac_address", "monitoring"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "organization": {"type": "string", "format": "uuid"},
            "group": {"type": "null"},
            "mac_address": {"type": "string"},
            "key": nullable("string"),
            "last_ip": nullable("string"),
            "management_ip": nullable("string"),
            "model": {"type": "string"},
            "os": {"type": "string"},
            "system": {"type": "string"},
            "notes": {"type": "string"},
            "config": {"type": "null"},
            "monitoring": {"type": "object", "properties": {"status": {"$ref": "#/components/schemas/Health"}}},
            "created": {"type": "string"},
            "modified": {"type": "string"},
        },
    })
}

/// A device as the management endpoints show it (the list's fields plus its state).
fn managed_device() -> Value {
    let mut d = device();
    let props = d["properties"].as_object_mut().expect("object");
    props.insert("is_active".into(), json!({"type": "boolean"}));
    props.insert(
        "location".into(),
        json!({"oneOf": [{"$ref": "#/components/schemas/LocationInput"}, {"type": "null"}]}),
    );
    props.insert("location_id".into(), nullable("string"));
    d
}

fn session() -> Value {
    let flag = || nullable("string");
    let opt_bool = || nullable("boolean");
    json!({
        "type": "object",
        "required": ["id", "organization", "device", "ssid", "interface_name", "client", "start_time", "stop_time"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "organization": {"type": "string"},
            "device": {"type": "string"},
            "ssid": {"type": "string"},
            "interface_name": {"type": "string"},
            "client": {"type": "object", "properties": {
                "mac_address": {"type": "string"}, "vendor": nullable("string"),
                "wifi6": flag(), "wifi5": flag(), "wifi4": flag(),
                "wmm": opt_bool(), "wds": opt_bool(), "wps": opt_bool(),
            }},
            "start_time": {"type": "string"},
            "stop_time": nullable("string"),
            "modified": {"type": "string"},
        },
    })
}

fn chart() -> Value {
    json!({
        "type": "object",
        "required": ["traces", "summary", "title", "type", "unit"],
        "properties": {
            "traces": {"type": "array", "items": {"type": "array", "prefixItems": [
                {"type": "string"}, {"type": "array", "items": nullable("number")}]}},
            "summary": {"type": "object", "additionalProperties": nullable("number")},
            "title": {"type": "string"}, "description": {"type": "string"},
            "type": {"type": "string"}, "unit": {"type": "string"},
            "summary_labels": {"type": "array", "items": {"type": "string"}},
            "colors": {"type": "array", "items": {"type": "string"}},
        },
    })
}

fn location_record() -> Value {
    json!({
        "type": "object",
        "required": ["id", "organization", "name", "address", "geometry", "device_count"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "organization": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "address": {"type": "string"},
            "type": {"type": "string", "enum": ["outdoor"]},
            "is_mobile": {"type": "boolean"},
            "geometry": {"type": "object", "properties": {
                "type": {"const": "Point"},
                "coordinates": {"type": "array", "items": {"type": "number"}}}},
            "device_count": {"type": "integer"},
            "devices": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        },
    })
}

/// The alert settings, checks and maintenance windows managers change, and `whoami`.
fn settings() -> Map<String, Value> {
    let operator = || json!({"type": "string", "enum": ["<", ">"]});
    let schemas = json!({
        "AlertSetting": {"type": "object",
            "required": ["metric", "label", "is_active", "operator", "threshold", "tolerance",
                         "recovery_threshold", "default", "custom"],
            "properties": {
                "metric": {"type": "string"}, "label": {"type": "string"},
                "is_active": {"type": "boolean"}, "operator": operator(),
                "threshold": {"type": "number"},
                "tolerance": {"type": "integer", "minimum": 0, "maximum": 10080,
                              "description": "Minutes."},
                "recovery_threshold": nullable("number"),
                "default": {"type": "object", "required": ["operator", "threshold", "tolerance", "recovery_threshold"],
                    "properties": {"operator": operator(), "threshold": {"type": "number"},
                                   "tolerance": {"type": "integer"}, "recovery_threshold": nullable("number")}},
                "custom": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                    "is_active": nullable("boolean"),
                    "operator": {"type": ["string", "null"], "enum": ["<", ">", null]},
                    "threshold": nullable("number"), "tolerance": nullable("integer"),
                    "recovery_threshold": nullable("number")}}],
                    "description": "The device's override; null members take the default."}},
            "description": "One metric's alert settings for a device (the effective rule first)."},
        "AlertSettingList": {"type": "array", "items": {"$ref": "#/components/schemas/AlertSetting"}},
        "AlertSettingChange": {"type": "object", "properties": {
                "is_active": nullable("boolean"),
                "operator": {"type": ["string", "null"], "enum": ["<", ">", null]},
                "threshold": nullable("number"),
                "tolerance": {"type": ["integer", "null"], "minimum": 0, "maximum": 10080,
                              "description": "Minutes."},
                "recovery_threshold": {"type": ["number", "null"],
                    "description": "Must be on the healthy side of the threshold."}},
            "additionalProperties": false,
            "description": "Absent or null members take the default."},
        "Check": {"type": "object", "required": ["check", "metric", "is_active"], "properties": {
            "check": {"type": "string"}, "metric": {"type": "string"},
            "is_active": {"type": "boolean"}}},
        "CheckList": {"type": "array", "items": {"$ref": "#/components/schemas/Check"}},
        "CheckChange": {"type": "object", "required": ["is_active"],
            "properties": {"is_active": {"type": "boolean"}}, "additionalProperties": false},
        "MaintenanceWindow": {"type": "object",
            "required": ["id", "source", "organization", "device", "start", "duration", "every", "note", "open"],
            "properties": {
                "id": {"type": ["integer", "null"], "description": "Null for the configuration's windows."},
                "source": {"type": "string", "enum": ["api", "config"]},
                "organization": {"type": "string", "format": "uuid"},
                "device": {"type": ["string", "null"], "format": "uuid"},
                "start": {"type": ["string", "null"], "description": "RFC 3339; null for a configuration window jiff cannot show."},
                "duration": {"type": "integer", "minimum": 1, "description": "Seconds."},
                "every": {"type": ["integer", "null"], "description": "Seconds; null for a one-off window."},
                "note": {"type": "string"},
                "open": {"type": "boolean"}}},
        "MaintenancePage": {"type": "object", "required": ["count", "results"], "properties": {
            "count": {"type": "integer", "minimum": 0},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/MaintenanceWindow"}}}},
        "MaintenanceWindowCreate": {"type": "object", "required": ["start", "duration"],
            "properties": {
                "organization": {"type": ["string", "null"], "description": "Id or slug; or give `device`."},
                "device": {"type": ["string", "null"], "description": "A device's UUID: this device only."},
                "start": {"type": "string", "format": "date-time", "description": "RFC 3339."},
                "duration": {"$ref": "#/components/schemas/Span"},
                "every": {"oneOf": [{"$ref": "#/components/schemas/Span"}, {"type": "null"}],
                          "description": "Recurrence period, at least `duration`."},
                "note": {"type": ["string", "null"], "maxLength": 200}},
            "additionalProperties": false},
        "Span": {"anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_SPAN_S},
                {"type": "string", "pattern": "^([0-9]+[smhdw])+$"}],
            "description": "Seconds, or text such as `\"2h\"`, `\"7d\"`; at most ten years."},
        "Whoami": {"type": "object", "required": ["name", "role", "can_change", "organizations"], "properties": {
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["viewer", "manager", "superuser"]},
            "can_change": {"type": "boolean"},
            "organizations": {"type": "array", "items": {"type": "object", "required": ["id", "slug", "name"], "properties": {
                "id": {"type": "string", "format": "uuid"}, "slug": {"type": "string"},
                "name": {"type": "string"}}}}}},
    });
    match schemas {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object"),
    }
}

/// Every schema the route table names.
#[allow(clippy::too_many_lines)] // a table of schemas
pub fn components() -> Value {
    let mut nearby = device();
    let props = nearby["properties"].as_object_mut().expect("object");
    props.insert("distance".into(), json!({"type": "number", "minimum": 0}));
    props.insert(
        "monitoring_status".into(),
        json!({"$ref": "#/components/schemas/Health"}),
    );
    props.insert(
        "monitoring_data".into(),
        json!({"type": ["object", "null"]}),
    );
    props.remove("monitoring");
    nearby["required"] = json!([
        "id",
        "name",
        "organization",
        "distance",
        "monitoring_status"
    ]);
    let mut all = json!({
        "Detail": {"type": "object", "required": ["detail"],
                   "properties": {"detail": {"type": "string"}},
                   "description": "DRF's error: what is wrong."},
        "FieldErrors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        "description": "Validation errors per field (or query parameter) name."},
        "Messages": {"type": "array", "items": {"type": "string"},
                     "description": "The reference's chart-range errors: a list of messages."},
        "SchemaError": {"type": "string",
                        "description": "`Invalid data in \"#/<path>\", validator says: …`"},
        "Health": {"type": "string", "enum": ["unknown", "ok", "problem", "critical", "deactivated"]},
        "DeviceMonitoring": {"type": "object", "required": ["type"],
                             "properties": {"type": {"const": "DeviceMonitoring"}},
                             "description": "A NetJSON DeviceMonitoring sample, validated against the reference's schema."},
        "NativeBatch": {"type": "object", "required": ["version", "device", "samples"], "properties": {
            "version": {"const": 1, "description": "The envelope version (1 on HTTP)."},
            "device": {"type": "string", "format": "uuid"},
            "samples": {"type": "array", "items": {"type": "object", "required": ["seq", "collected_at_us", "document"], "properties": {
                "seq": {"type": "integer", "minimum": 1},
                "collected_at_us": {"type": "integer"},
                "document": {"$ref": "#/components/schemas/DeviceMonitoring"}}}}}},
        "IngestOutcome": {"type": "object", "required": ["stored", "duplicates", "lost", "late", "invalid"], "properties": {
            "stored": {"type": "integer"}, "duplicates": {"type": "integer"},
            "lost": {"type": "integer"}, "late": {"type": "integer"},
            "invalid": {"type": "array", "items": {"type": "object"}}}},
        "Registration": {"type": "object", "required": ["secret", "name", "mac_address", "backend"], "properties": {
            "secret": {"type": "string"}, "name": {"type": "string"},
            "mac_address": {"type": "string"}, "backend": {"type": "string"},
            "key": {"type": "string"}, "hardware_id": {"type": "string"},
            "model": {"type": "string"}, "os": {"type": "string"}, "system": {"type": "string"}}},
        "Device": device(),
        "DevicePage": page_of("Device"),
        "DeviceCharts": {"type": "object", "required": ["id", "name", "charts", "monitoring"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "charts": {"type": "array", "items": {"$ref": "#/components/schemas/Chart"}},
            "x": {"type": "array", "items": {"type": "string"}},
            "monitoring": {"type": "object", "properties": {
                "status": {"$ref": "#/components/schemas/Health"},
                "related_metrics": {"type": "array", "items": {"type": "object"}},
                "clock_offset_s": nullable("integer")}},
            "data": {"type": ["object", "null"]}}},
        "Chart": chart(),
        "Dashboard": {"type": "object", "required": ["charts"], "properties": {
            "charts": {"type": "array", "items": {"$ref": "#/components/schemas/Chart"}},
            "x": {"type": "array", "items": {"type": "string"}},
            "organizations": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "text": {"type": "string"}}}}}},
        "MetricHealth": {"type": "array", "items": {"type": "object", "required": ["name", "key", "is_healthy"], "properties": {
            "name": {"type": "string"}, "key": {"type": "string"}, "is_healthy": nullable("boolean")}}},
        "NearbyDevice": nearby,
        "NearbyDevicePage": page_of("NearbyDevice"),
        "GeoJson": {"type": "object", "required": ["type", "count", "features"], "properties": {
            "type": {"const": "FeatureCollection"}, "count": {"type": "integer"},
            "next": {"type": "null"}, "previous": {"type": "null"},
            "features": {"type": "array", "items": {"type": "object", "required": ["type", "id", "geometry", "properties"]}}}},
        "LocationDevicePage": {"allOf": [page_of("Device"), {"type": "object", "required": ["has_floorplan"],
            "properties": {"has_floorplan": {"type": "boolean"}}}]},
        "WifiSession": session(),
        "WifiSessionPage": page_of("WifiSession"),
        "Notification": {"type": "object", "required": ["id", "type", "unread"], "properties": {
            "id": {"type": "integer"}, "type": {"type": "string"}, "level": {"type": "string"},
            "verb": {"type": "string"}, "email_subject": {"type": "string"}, "message": {"type": "string"},
            "unread": {"type": "boolean"}, "muted": {"type": "boolean"}, "timestamp": {"type": "string"},
            "organization": {"type": "string"}, "target_object_id": {"type": "string"},
            "target_name": {"type": "string"}}},
        "NotificationPage": page_of("Notification"),
        "Marked": {"type": "object", "required": ["marked"], "properties": {"marked": {"type": "integer"}}},
        "LocationInput": location(),
        "DeviceCreate": {"type": "object", "required": ["organization", "name"], "properties": {
            "organization": {"type": "string", "description": "The organization's id or slug."},
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "mac_address": {"type": "string", "description": "Optional; any common MAC notation."},
            "model": {"type": "string"}, "os": {"type": "string"},
            "location": {"oneOf": [{"$ref": "#/components/schemas/LocationInput"}, {"type": "null"}]}},
            "additionalProperties": false},
        "DeviceChange": {"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "is_active": {"type": "boolean"},
            "model": {"type": "string"}, "os": {"type": "string"},
            "location": {"oneOf": [{"$ref": "#/components/schemas/LocationInput"}, {"type": "null"}]}},
            "additionalProperties": false},
        "ManagedDevice": managed_device(),
        "CreatedDevice": {"allOf": [{"$ref": "#/components/schemas/ManagedDevice"},
            {"type": "object", "required": ["key"], "properties": {"key": {"type": "string",
             "description": "The device's key, shown only in this answer."}}}]},
        "Location": location_record(),
        "OpenApi": {"type": "object", "required": ["openapi", "info", "paths"]},
        "LocationPage": page_of("Location"),
    });
    all.as_object_mut().expect("object").extend(settings());
    all
}
