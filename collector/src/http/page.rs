//! OpenWISP's pagination (`{"count", "next", "previous", "results"}`, `page` from 1,
//! `page_size` default 10 and at most 100) for every list endpoint.

use super::reply::detail;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Map, Value};
use std::collections::HashMap;

const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 100;

/// A requested page: where it starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: usize,
    pub size: usize,
}

impl Page {
    /// `page` and `page_size` from the query; a bad number: DRF's 404 "Invalid page.".
    #[allow(clippy::result_large_err)] // the error is the reply itself, built once
    pub fn from_params(params: &HashMap<String, String>) -> Result<Page, Response> {
        let positive = |name: &str, default: usize| match params.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(detail(StatusCode::NOT_FOUND, "Invalid page.")),
            },
        };
        Ok(Page {
            number: positive("page", 1)?,
            size: positive("page_size", DEFAULT_PAGE_SIZE)?.min(MAX_PAGE_SIZE),
        })
    }

    pub fn offset(self) -> usize {
        (self.number - 1) * self.size
    }

    /// The answer for `results` out of `count` matches; a page past the end (other than
    /// the first) is DRF's 404.
    #[allow(clippy::result_large_err)] // the error is the reply itself, built once
    pub fn body(
        self,
        count: usize,
        results: Vec<Value>,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<Value, Response> {
        if self.number > 1 && results.is_empty() {
            return Err(detail(StatusCode::NOT_FOUND, "Invalid page."));
        }
        let mut body = Map::new();
        body.insert("count".into(), Value::from(count));
        let next = (self.number * self.size < count).then(|| url(headers, uri, self.number + 1));
        let previous = (self.number > 1).then(|| url(headers, uri, self.number - 1));
        body.insert("next".into(), next.map_or(Value::Null, Value::from));
        body.insert("previous".into(), previous.map_or(Value::Null, Value::from));
        body.insert("results".into(), Value::Array(results));
        Ok(Value::Object(body))
    }
}

/// The absolute URL of another page (DRF's `next`/`previous`).
fn url(headers: &HeaderMap, uri: &Uri, page: usize) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut query: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
        .map(str::to_owned)
        .collect();
    if page > 1 {
        query.push(format!("page={page}"));
    }
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!("http://{host}{}{q}", uri.path())
}
