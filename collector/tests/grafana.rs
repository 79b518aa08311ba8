//! The Grafana dashboard (`grafana/edgemon.json`) parses, and every InfluxQL query in it
//! reads a measurement and fields the collector writes (the default metric catalog).

use std::collections::{BTreeMap, BTreeSet};

fn catalog_fields() -> BTreeMap<String, BTreeSet<String>> {
    let catalog = edgemon_collector::config::Alerts::default()
        .catalog()
        .expect("default catalog");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in catalog.metrics.values() {
        let fields = out.entry(m.measurement.clone()).or_default();
        fields.insert(m.field_name.clone());
        fields.insert(m.alert_field.clone());
        fields.extend(m.related_fields.iter().cloned());
    }
    out
}

/// `FROM "x"` or `FROM "rp"."x"`: the measurement.
fn measurement(query: &str) -> Option<String> {
    let rest = &query[query.find(" FROM ")? + 6..];
    let name = rest.split_whitespace().next()?;
    Some(name.rsplit('.').next()?.trim_matches('"').to_owned())
}

/// The quoted names inside aggregate calls: `MEAN("cpu_usage")` → `cpu_usage`.
fn fields(query: &str) -> Vec<String> {
    let select = &query[..query.find(" FROM ").unwrap_or(query.len())];
    select
        .split("(\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_query_reads_a_written_measurement_and_fields() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../grafana/edgemon.json");
    let text = std::fs::read_to_string(path).expect("grafana/edgemon.json");
    let dash: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let known = catalog_fields();
    let panels = dash["panels"].as_array().expect("panels");
    assert!(panels.len() >= 8, "one panel per device chart");
    let mut seen = BTreeSet::new();
    for panel in panels {
        let title = panel["title"].as_str().expect("title");
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no query");
        for t in targets {
            let q = t["query"].as_str().expect("query");
            let m = measurement(q).unwrap_or_else(|| panic!("{title}: no FROM in {q}"));
            let Some(written) = known.get(&m) else {
                panic!("{title}: measurement {m:?} is not written by the collector");
            };
            let f = fields(q);
            assert!(!f.is_empty(), "{title}: no field in {q}");
            for field in f {
                assert!(
                    written.contains(&field),
                    "{title}: {m} has no field {field:?}"
                );
            }
            seen.insert(m);
        }
    }
    for m in ["cpu", "memory", "disk", "traffic", "wifi_clients", "ping"] {
        assert!(seen.contains(m), "no panel reads {m}");
    }
    for v in dash["templating"]["list"].as_array().expect("variables") {
        if let Some(q) = v["query"]
            .as_str()
            .filter(|q| q.starts_with("SHOW TAG VALUES"))
        {
            let m = measurement(q).expect("FROM");
            assert!(known.contains_key(&m), "variable {}: {m}", v["name"]);
        }
    }
}

#[test]
fn the_checks_reject_a_wrong_measurement() {
    assert_eq!(
        measurement(r#"SELECT MEAN("x") FROM "short"."data_collected" WHERE a"#).as_deref(),
        Some("data_collected")
    );
    assert_eq!(
        fields(r#"SELECT MEAN("a") AS "b", SUM("c") FROM "m""#),
        ["a", "c"]
    );
    assert!(!catalog_fields().contains_key("cpu_usage"));
}
