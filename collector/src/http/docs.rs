//! `GET /api/v1/openapi.json` and `GET /api/v1/docs/`: the route table's OpenAPI document
//! and its HTML page, built once on first use.

use super::openapi;
use super::routes::ROUTES;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::LazyLock;

/// The document, built from the table once.
pub static DOCUMENT: LazyLock<Value> = LazyLock::new(|| openapi::document(ROUTES));

static PAGE: LazyLock<String> = LazyLock::new(|| openapi::docs_page(&DOCUMENT));

pub async fn openapi() -> Response {
    axum::Json(&*DOCUMENT).into_response()
}

pub async fn page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        PAGE.as_str(),
    )
        .into_response()
}
