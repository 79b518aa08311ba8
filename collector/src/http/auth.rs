//! API callers: `Authorization: Bearer <token>` (DRF's `Token <token>` too) for the read
//! API, answered as DRF answers (401 with `WWW-Authenticate`).

use super::AppState;
use super::reply::detail;
use crate::registry::{Device, Role, Token};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use uuid::Uuid;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.trim())
}

fn unauthorized(message: &str) -> Response {
    let mut r = detail(StatusCode::UNAUTHORIZED, message);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"api\""),
    );
    r
}

/// A failed store or registry call: logged, answered 503.
pub fn unavailable(what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    detail(
        StatusCode::SERVICE_UNAVAILABLE,
        &format!("{what} unavailable; retry later."),
    )
}

/// The API token the request carries, or the reply refusing it.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
pub fn token(state: &AppState, headers: &HeaderMap) -> Result<Token, Response> {
    let Some(secret) = bearer(headers) else {
        return Err(unauthorized(
            "Authentication credentials were not provided.",
        ));
    };
    match state.registry.verify_token(secret) {
        Err(e) => Err(unavailable("Registry", &e)),
        Ok(None) => Err(unauthorized("Invalid token.")),
        Ok(Some(t)) => Ok(t),
    }
}

/// The organizations a token is limited to; `None` for a superuser (all of them).
pub fn scope(token: &Token) -> Option<&[Uuid]> {
    (token.role != Role::Superuser).then_some(token.orgs.as_slice())
}

/// A device's health as the API shows it: `deactivated` for a deactivated device, else the
/// alert engine's status (`unknown` with alerts off).
pub async fn health(state: &AppState, device: &Device) -> &'static str {
    if !device.active {
        return "deactivated";
    }
    match &state.alerts {
        Some(a) => a.status(device.id).await.as_str(),
        None => "unknown",
    }
}
