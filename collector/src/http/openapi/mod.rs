//! The route table's types and the OpenAPI 3.1 document built from it.
//!
//! Every route is one [`Route`] value: the router mounts its handler at its method and path,
//! and [`document`] describes it. Both read the same table (`super::routes::ROUTES`), so the
//! router and the document cannot drift: a route added there is served and documented, one
//! added elsewhere fails the route-table tests. Response bodies name schemas of
//! [`schemas::components`].

mod docs_page;
pub mod schemas;

pub use docs_page::render as docs_page;

use super::AppState;
use axum::routing::{MethodFilter, MethodRouter};
use serde_json::{Map, Value, json};

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The name OpenAPI uses (lower case).
    pub fn openapi(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    pub fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        }
    }
}

/// Who may call a route (the document's `security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    Open,
    /// An API token (`Authorization: Bearer …`).
    Token,
    /// A manager or superuser token; viewers get 403.
    Manager,
    /// The device's key (`?key=`) or a token.
    DeviceKeyOrToken,
    /// The device's key in `?key=` only (the OpenWISP collection path).
    DeviceKey,
    /// The device's key in `X-Edgemon-Key` (native ingest).
    NativeKey,
    /// The organization's shared secret in the form body (registration).
    SharedSecret,
}

/// A parameter's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Uuid,
    /// A positive integer (pages, ids).
    Int,
    /// `true` or `false`.
    Bool,
    Float,
    /// One of these values.
    Choice(&'static [&'static str]),
    /// An ISO 8601 date-time.
    DateTime,
}

impl Kind {
    fn schema(self) -> Value {
        match self {
            Kind::Str => json!({"type": "string"}),
            Kind::Uuid => json!({"type": "string", "format": "uuid"}),
            Kind::Int => json!({"type": "integer", "minimum": 1}),
            Kind::Bool => json!({"type": "string", "enum": ["true", "false"]}),
            Kind::Float => json!({"type": "number"}),
            Kind::Choice(values) => json!({"type": "string", "enum": values}),
            Kind::DateTime => json!({"type": "string", "format": "date-time"}),
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Path,
    Query,
}

/// One parameter of a route.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub at: In,
    pub kind: Kind,
    pub doc: &'static str,
}

/// A path parameter.
pub const fn path(name: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        name,
        at: In::Path,
        kind,
        doc,
    }
}

/// An optional query parameter.
pub const fn query(name: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        name,
        at: In::Query,
        kind,
        doc,
    }
}

/// What a body (request or response) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// JSON of the named component schema.
    Json(&'static str),
    /// Form fields of the named component schema.
    Form(&'static str),
    /// A native batch: postcard or JSON of the named schema.
    Batch(&'static str),
    /// JSON `Detail`, or Django's HTML page for a URL that matches no route (e.g. a `pk`
    /// that is not a UUID).
    NotFound,
    /// JSON of the named schema, or `Detail` (DRF's `JSON parse error - …`).
    JsonOrDetail(&'static str),
    /// JSON of the named schema, or CSV (with `csv=`).
    JsonOrCsv(&'static str),
    Text,
    Html,
    /// No body.
    Empty,
}

/// One documented answer.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub status: u16,
    pub doc: &'static str,
    pub body: Body,
}

pub const fn reply(status: u16, doc: &'static str, body: Body) -> Reply {
    Reply { status, doc, body }
}

/// Builds a route's handler for a method (`|m| on(m, handler)`), so the method is written
/// once, in the table.
pub type Mount = fn(MethodFilter) -> MethodRouter<AppState>;

/// One route: what the router mounts and what the document says about it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: Method,
    /// The axum path (`{name}` for parameters, as OpenAPI writes them too).
    pub path: &'static str,
    /// The document's `operationId`: unique, snake case.
    pub id: &'static str,
    /// The group the docs page shows it under.
    pub tag: &'static str,
    pub summary: &'static str,
    pub auth: Auth,
    pub params: &'static [&'static [Param]],
    pub body: Option<Body>,
    pub replies: &'static [&'static [Reply]],
    pub mount: Mount,
}

fn content(body: Body) -> Option<Value> {
    let schema_ref = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    Some(match body {
        Body::Json(name) => json!({"application/json": {"schema": schema_ref(name)}}),
        Body::Form(name) => {
            json!({"application/x-www-form-urlencoded": {"schema": schema_ref(name)}})
        }
        Body::Batch(name) => json!({
            "application/json": {"schema": schema_ref(name)},
            "application/vnd.edgemon.batch+postcard": {"schema": {"type": "string", "format": "binary"}},
        }),
        Body::NotFound => json!({
            "application/json": {"schema": schema_ref("Detail")},
            "text/html": {"schema": {"type": "string"}},
        }),
        Body::JsonOrDetail(name) => json!({"application/json": {"schema": {
            "anyOf": [schema_ref(name), schema_ref("Detail")]}}}),
        Body::JsonOrCsv(name) => json!({
            "application/json": {"schema": schema_ref(name)},
            "text/csv": {"schema": {"type": "string"}},
        }),
        Body::Text => json!({"text/plain": {"schema": {"type": "string"}}}),
        Body::Html => json!({"text/html": {"schema": {"type": "string"}}}),
        Body::Empty => return None,
    })
}

fn security(auth: Auth) -> Option<Value> {
    Some(match auth {
        Auth::Open | Auth::SharedSecret => return None,
        Auth::Token | Auth::Manager => json!([{"bearer": []}]),
        Auth::DeviceKeyOrToken => json!([{"deviceKey": []}, {"bearer": []}]),
        Auth::DeviceKey => json!([{"deviceKey": []}]),
        Auth::NativeKey => json!([{"nativeKey": []}]),
    })
}

fn operation(route: &Route) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), route.id.into());
    op.insert("summary".into(), route.summary.into());
    op.insert("tags".into(), json!([route.tag]));
    let params: Vec<Value> = route
        .params
        .iter()
        .flat_map(|group| group.iter())
        .map(|p| {
            json!({
                "name": p.name,
                "in": if p.at == In::Path { "path" } else { "query" },
                "required": p.at == In::Path,
                "description": p.doc,
                "schema": p.kind.schema(),
            })
        })
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = route.body.and_then(content) {
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": body}),
        );
    }
    let mut responses = Map::new();
    for r in route.replies.iter().flat_map(|group| group.iter()) {
        let mut resp = Map::new();
        resp.insert("description".into(), r.doc.into());
        if let Some(c) = content(r.body) {
            resp.insert("content".into(), c);
        }
        responses.insert(r.status.to_string(), Value::Object(resp));
    }
    op.insert("responses".into(), Value::Object(responses));
    match security(route.auth) {
        Some(s) => op.insert("security".into(), s),
        None => op.insert("security".into(), json!([])),
    };
    Value::Object(op)
}

/// The OpenAPI 3.1 document of `routes`.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for r in routes {
        let item = paths
            .entry(r.path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(r.method.openapi().into(), operation(r));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "edgemon-collector",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Monitoring API of edgemon-collector, compatible with OpenWISP Monitoring's. Generated from the collector's route table.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas::components(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "An API token (`edgemon-collector token add`)."},
                "deviceKey": {"type": "apiKey", "in": "query", "name": "key",
                              "description": "The device's key."},
                "nativeKey": {"type": "apiKey", "in": "header", "name": "X-Edgemon-Key",
                              "description": "The device's key on the native path."},
            },
        },
    })
}

#[cfg(test)]
mod tests;
