use super::super::routes::ROUTES;
use super::*;
use std::collections::BTreeSet;

fn doc() -> Value {
    document(ROUTES)
}

/// Every `"$ref"` string anywhere in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(s) = x.as_str()
                {
                    out.push(s.to_owned());
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn every_route_is_one_operation_of_the_document_and_nothing_else_is() {
    let d = doc();
    let mut documented = BTreeSet::new();
    for (path, item) in d["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.openapi().to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(
        table.len(),
        ROUTES.len(),
        "a method and path twice in the table"
    );
    assert_eq!(documented, table);
}

#[test]
fn operation_ids_are_unique() {
    let ids: BTreeSet<&str> = ROUTES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), ROUTES.len());
}

#[test]
fn every_reference_resolves_and_every_schema_is_used() {
    let d = doc();
    let mut all = Vec::new();
    refs(&d, &mut all);
    let schemas = d["components"]["schemas"].as_object().unwrap();
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
    let used: BTreeSet<&str> = all
        .iter()
        .map(|r| r.trim_start_matches("#/components/schemas/"))
        .collect();
    for name in schemas.keys() {
        assert!(used.contains(name.as_str()), "schema {name} is never used");
    }
}

#[test]
fn path_parameters_match_the_path_template() {
    for r in ROUTES {
        let in_path: BTreeSet<&str> = r
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let declared: BTreeSet<&str> = r
            .params
            .iter()
            .flat_map(|g| g.iter())
            .filter(|p| p.at == In::Path)
            .map(|p| p.name)
            .collect();
        assert_eq!(in_path, declared, "{} {}", r.method.openapi(), r.path);
        let names: Vec<&str> = r
            .params
            .iter()
            .flat_map(|g| g.iter())
            .map(|p| p.name)
            .collect();
        let unique: BTreeSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{}: a parameter twice", r.id);
    }
}

#[test]
fn every_operation_documents_a_success_and_the_credentials_it_needs() {
    let d = doc();
    for r in ROUTES {
        let op = &d["paths"][r.path][r.method.openapi()];
        let statuses: Vec<u16> = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.parse().unwrap())
            .collect();
        assert!(statuses.iter().any(|s| (200..300).contains(s)), "{}", r.id);
        let needs_token = matches!(r.auth, Auth::Token | Auth::Manager | Auth::DeviceKeyOrToken);
        assert_eq!(statuses.contains(&401), needs_token, "{}: 401", r.id);
        assert_eq!(
            op["security"].as_array().unwrap().is_empty(),
            matches!(r.auth, Auth::Open | Auth::SharedSecret),
            "{}",
            r.id
        );
        if r.auth == Auth::Manager {
            assert!(statuses.contains(&403), "{}: viewers get 403", r.id);
        }
    }
}

#[test]
fn every_route_with_a_body_documents_the_400_naming_what_is_wrong() {
    for r in ROUTES.iter().filter(|r| r.body.is_some()) {
        let statuses: Vec<u16> = r
            .replies
            .iter()
            .flat_map(|g| g.iter())
            .map(|x| x.status)
            .collect();
        assert!(statuses.contains(&400), "{}: no 400", r.id);
    }
}

#[test]
fn the_settings_the_dashboard_changes_are_operations_of_the_document() {
    let d = doc();
    for (method, path, id) in [
        (
            "get",
            "/api/v1/edgemon/device/{pk}/alert-settings/",
            "list_alert_settings",
        ),
        (
            "put",
            "/api/v1/edgemon/device/{pk}/alert-settings/{metric}/",
            "set_alert_setting",
        ),
        (
            "delete",
            "/api/v1/edgemon/device/{pk}/alert-settings/{metric}/",
            "clear_alert_setting",
        ),
        ("get", "/api/v1/edgemon/device/{pk}/checks/", "list_checks"),
        (
            "patch",
            "/api/v1/edgemon/device/{pk}/checks/{check}/",
            "switch_check",
        ),
        (
            "get",
            "/api/v1/edgemon/maintenance/",
            "list_maintenance_windows",
        ),
        (
            "post",
            "/api/v1/edgemon/maintenance/",
            "create_maintenance_window",
        ),
        (
            "delete",
            "/api/v1/edgemon/maintenance/{id}/",
            "delete_maintenance_window",
        ),
        ("get", "/api/v1/edgemon/whoami/", "whoami"),
    ] {
        let op = &d["paths"][path][method];
        assert_eq!(op["operationId"], id, "{method} {path}");
        let writes = method != "get";
        let viewer_refused = op["responses"].get("403").is_some();
        assert_eq!(
            viewer_refused, writes,
            "{id}: 403 for viewers on writes only"
        );
        let takes_body = op.get("requestBody").is_some();
        assert_eq!(
            takes_body,
            matches!(method, "put" | "patch" | "post"),
            "{id}: request body"
        );
    }
}

#[test]
fn the_table_mounts_without_overlapping_routes() {
    // axum panics on a method routed twice for one path, or an invalid path.
    let mut router = axum::Router::<AppState>::new();
    for r in ROUTES {
        router = router.route(r.path, (r.mount)(r.method.filter()));
    }
    drop(router);
}

#[test]
fn the_docs_page_shows_every_operation_and_schema_and_loads_nothing() {
    let d = doc();
    let page = docs_page(&d);
    for r in ROUTES {
        assert!(page.contains(&format!("id=\"{}\"", r.id)), "{}", r.id);
    }
    for name in d["components"]["schemas"].as_object().unwrap().keys() {
        assert!(page.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
    for remote in ["<script", "src=", "<link", "@import", "http://", "https://"] {
        assert!(!page.contains(remote), "the page refers to {remote}");
    }
}

#[test]
fn the_docs_page_escapes_what_it_shows() {
    let d = json!({
        "info": {"title": "<b>x</b>", "version": "1"},
        "paths": {"/a/{x}/": {"get": {"operationId": "o", "summary": "a & \"b\"", "tags": ["t"],
                                        "responses": {}}}},
        "components": {"schemas": {}}
    });
    let page = docs_page(&d);
    assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(page.contains("a &amp; &quot;b&quot;"));
    assert!(!page.contains("<b>x</b>"));
}
