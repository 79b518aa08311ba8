//! `GET /api/v1/docs/`: the OpenAPI document as one self-contained HTML page (no script,
//! no stylesheet or font from elsewhere), so it works on a network without internet.

use serde_json::Value;
use std::fmt::Write as _;

/// `text` with HTML's special characters escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;max-width:70em;margin:auto;padding:1em}\
code,pre{background:#f4f4f4}pre{padding:.5em;overflow:auto}\
.op{border:1px solid #ccc;border-radius:4px;margin:1em 0;padding:.5em}\
.m{font-weight:bold;text-transform:uppercase;display:inline-block;width:5em}\
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}";

fn schema_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    escape(&schema.to_string())
}

fn content_label(content: &Value) -> String {
    content
        .as_object()
        .into_iter()
        .flatten()
        .map(|(media, c)| {
            format!(
                "<code>{}</code> {}",
                escape(media),
                c.get("schema").map(schema_label).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let id = op["operationId"].as_str().unwrap_or("");
    let _ = write!(
        out,
        "<div class=\"op\" id=\"{}\"><span class=\"m\">{}</span><code>{}</code><p>{}</p>",
        escape(id),
        escape(method),
        escape(path),
        escape(op["summary"].as_str().unwrap_or(""))
    );
    let auth: Vec<String> = op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().cloned())
        .collect();
    let _ = write!(
        out,
        "<p>Credentials: {}</p>",
        if auth.is_empty() {
            "none".to_owned()
        } else {
            escape(&auth.join(" or "))
        }
    );
    if let Some(params) = op["parameters"].as_array() {
        out.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>");
        for p in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(p["name"].as_str().unwrap_or("")),
                escape(p["in"].as_str().unwrap_or("")),
                escape(&p["schema"].to_string()),
                escape(p["description"].as_str().unwrap_or(""))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        let _ = write!(out, "<p>Body: {}</p>", content_label(&body["content"]));
    }
    out.push_str("<ul>");
    for (status, r) in op["responses"].as_object().into_iter().flatten() {
        let _ = write!(
            out,
            "<li><b>{}</b> {} {}</li>",
            escape(status),
            escape(r["description"].as_str().unwrap_or("")),
            r.get("content").map(content_label).unwrap_or_default()
        );
    }
    out.push_str("</ul></div>");
}

/// An operation to show: method, path and the operation object.
type Op = (String, String, Value);

/// The page for `doc` (an OpenAPI document as [`super::document`] makes it).
pub fn render(doc: &Value) -> String {
    let title = escape(doc["info"]["title"].as_str().unwrap_or("API"));
    let mut out = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title} API</title><style>{STYLE}</style></head><body>\
<h1>{title} API {}</h1><p>{}</p><p>The machine-readable document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>",
        escape(doc["info"]["version"].as_str().unwrap_or("")),
        escape(doc["info"]["description"].as_str().unwrap_or(""))
    );
    // Group operations by their first tag, keeping the document's order inside a tag.
    let mut tags: Vec<(String, Vec<Op>)> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let entry = (method.clone(), path.clone(), op.clone());
            match tags.iter_mut().find(|(t, _)| *t == tag) {
                Some((_, ops)) => ops.push(entry),
                None => tags.push((tag, vec![entry])),
            }
        }
    }
    for (tag, ops) in &tags {
        let _ = write!(out, "<h2>{}</h2>", escape(tag));
        for (method, path, op) in ops {
            operation(&mut out, method, path, op);
        }
    }
    out.push_str("<h2>Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
        let _ = write!(
            out,
            "<h3 id=\"schema-{0}\">{0}</h3><pre>{1}</pre>",
            escape(name),
            escape(&pretty)
        );
    }
    out.push_str("</body></html>\n");
    out
}
