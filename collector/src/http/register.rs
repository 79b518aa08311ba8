//! `POST /controller/device/register/` (and the legacy `/controller/register/`).

use super::AppState;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::SocketAddr;

pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let registry = state.registry.clone();
    let ip = peer.ip().to_canonical().to_string();
    let outcome = tokio::task::spawn_blocking(move || {
        crate::registry::register::register(&registry, &form, Some(&ip))
    })
    .await;
    let (status, body) = match outcome {
        Ok(Ok(reply)) => (
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            reply.body,
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "registration failed");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("error: {e}\n"))
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("error: {e}\n")),
    };
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    h.insert("X-Openwisp-Controller", HeaderValue::from_static("true"));
    r
}
