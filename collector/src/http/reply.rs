//! Replies shaped like the reference's (DRF's `{"detail": …}`, Django's HTML 404).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// DRF's error body: `{"detail": "<message>"}`.
pub fn detail(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "detail": message }))).into_response()
}

/// A JSON string body (the reference's schema-error shape).
pub fn json_string(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::Value::String(message.to_owned())),
    )
        .into_response()
}

/// DRF's `Response(None)`: empty body, JSON content type.
pub fn empty_json(status: StatusCode) -> Response {
    let mut r = (status, "").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// 429 with `Retry-After`.
pub fn too_many(retry_after_s: u32) -> Response {
    let mut r = detail(
        StatusCode::TOO_MANY_REQUESTS,
        "The collector is saturated; retry later.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    r
}

/// Django's 404 for URLs that match no route (e.g. a pk that is not a UUID).
pub async fn not_found_html() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html>\n<html><head><title>Not Found</title></head><body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body></html>\n",
    )
        .into_response()
}
