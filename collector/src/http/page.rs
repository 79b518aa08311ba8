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

    /// How many items come before this page (saturating: a page number too large for
    /// memory is simply past the end).
    pub fn offset(self) -> usize {
        (self.number - 1).saturating_mul(self.size)
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
        let next = (self.number.saturating_mul(self.size) < count)
            .then(|| url(headers, uri, self.number + 1));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn params(kv: &[(&str, &str)]) -> HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_and_limits() {
        let p = Page::from_params(&params(&[])).unwrap();
        assert_eq!((p.number, p.size, p.offset()), (1, 10, 0));
        let p = Page::from_params(&params(&[("page", "3"), ("page_size", "500")])).unwrap();
        assert_eq!((p.size, p.offset()), (100, 200));
        for bad in ["0", "-1", "x", ""] {
            let r = Page::from_params(&params(&[("page", bad)])).unwrap_err();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        }
    }

    /// Found by schemathesis: `page` near `usize::MAX` overflowed the offset (a panic in
    /// debug builds). It is now a page past the end: DRF's 404.
    #[test]
    fn a_huge_page_number_is_past_the_end() {
        let p = Page::from_params(&params(&[("page", &usize::MAX.to_string())])).unwrap();
        assert_eq!(p.offset(), usize::MAX);
        let uri: Uri = "/x/?page=1".parse().unwrap();
        let r = p.body(5, Vec::new(), &HeaderMap::new(), &uri).unwrap_err();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let last = Page {
            number: usize::MAX,
            size: 100,
        };
        assert!(
            last.body(5, vec![Value::Null], &HeaderMap::new(), &uri)
                .is_ok()
        );
    }

    #[test]
    fn next_and_previous_links() {
        let uri: Uri = "/api/x/?page_size=2&page=2&q=1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "h:1".parse().unwrap());
        let p = Page { number: 2, size: 2 };
        let body = p.body(5, vec![Value::Null, Value::Null], &h, &uri).unwrap();
        assert_eq!(body["next"], "http://h:1/api/x/?page_size=2&q=1&page=3");
        assert_eq!(body["previous"], "http://h:1/api/x/?page_size=2&q=1");
        let p = Page { number: 3, size: 2 };
        let body = p.body(5, vec![Value::Null], &h, &uri).unwrap();
        assert_eq!(body["next"], Value::Null);
    }
}
