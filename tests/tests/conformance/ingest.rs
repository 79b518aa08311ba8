//! The reference's payloads through a real `edgemon-collector serve` over HTTP: every valid
//! one gets 200 with an empty body, every invalid one 400 with the reference's path.

use crate::payloads::{expected_rejections, payloads_dir};
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use edgemon_tests::json_files;

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[test]
fn reference_payloads_get_the_reference_status_over_http() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Conformance", "--slug", "conf"]);
    let dev = fields(&c.cli(&["device", "add", "--org", "conf", "--name", "ref"]));
    let addr = c.start();
    let path = format!(
        "/api/v1/monitoring/device/{}/?key={}&time=24-11-2026_10:00:00.000000",
        dev["id"], dev["key"]
    );
    let valid = json_files(&payloads_dir());
    assert!(valid.len() >= 20, "expected the reference's payloads");
    for file in &valid {
        let r = request(addr, "POST", &path, &[JSON], &std::fs::read(file).unwrap());
        assert_eq!(
            (r.status, r.body.len()),
            (200, 0),
            "{}: {}",
            file.display(),
            r.text()
        );
    }
    let dir = payloads_dir().join("invalid");
    let expected = expected_rejections(&dir.join("README.md"));
    for file in json_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let r = request(addr, "POST", &path, &[JSON], &std::fs::read(&file).unwrap());
        assert_eq!(r.status, 400, "{name}: {}", r.text());
        let body = r.json();
        let msg = body
            .as_str()
            .unwrap_or_else(|| panic!("{name}: not a JSON string: {body}"));
        if let Some((p, _)) = expected.get(&name) {
            let prefix = format!("Invalid data in \"{p}\", validator says:\n\n");
            assert!(
                msg.starts_with(&prefix),
                "{name}: {msg:?} should start with {prefix:?}"
            );
        }
    }
    assert!(c.stop().success());
}

/// The reference README's values, read back from the store the collector wrote, after a
/// graceful stop: the HTTP path, the queue, derivation and the embedded store end to end.
#[test]
#[allow(clippy::too_many_lines)] // one end-to-end scenario, read top to bottom
fn stored_points_match_what_the_reference_writes() {
    use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
    use edgemon_collector::tsdb::{Agg, FieldValue, Query, Retention, TagFilter, TimeSeries};
    use edgemon_shared::time::format_openwisp_time;

    let mut c = Collector::new();
    c.cli(&["org", "add", "Conformance", "--slug", "conf"]);
    let a = fields(&c.cli(&["device", "add", "--org", "conf", "--name", "full"]));
    let b = fields(&c.cli(&["device", "add", "--org", "conf", "--name", "multi"]));
    let addr = c.start();
    // Sample times one minute apart on minute boundaries (one chart bucket each), minutes ago.
    let now = time::OffsetDateTime::now_utc();
    let base = (now - time::Duration::minutes(10))
        .replace_second(0)
        .unwrap()
        .replace_nanosecond(0)
        .unwrap();
    let at = |minute: i64| base + time::Duration::minutes(minute);
    let post = |dev: &std::collections::HashMap<String, String>, file: &str, minute: i64| {
        let path = format!(
            "/api/v1/monitoring/device/{}/?key={}&time={}",
            dev["id"],
            dev["key"],
            format_openwisp_time(at(minute))
        );
        let r = request(
            addr,
            "POST",
            &path,
            &[JSON],
            &std::fs::read(payloads_dir().join(file)).unwrap(),
        );
        assert_eq!(r.status, 200, "{file}: {}", r.text());
    };
    post(&a, "device-data-full.json", 0);
    for (i, f) in [
        "device-data-full.json",
        "multiple-measurements-2.json",
        "multiple-measurements-3.json",
        "multiple-measurements-4.json",
    ]
    .iter()
    .enumerate()
    {
        post(&b, f, i64::try_from(i).unwrap());
    }
    assert!(c.stop().success());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = EmbeddedStore::open(
            c.data_dir().join("timeseries.redb"),
            EmbeddedConfig::default(),
            std::sync::Arc::new(SystemClock),
        )
        .unwrap();
        let us = |t: time::OffsetDateTime| i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap();
        let query =
            |dev: &str, measurement: &str, tags: &[(&str, &str)], fields: &[(&str, Agg)]| {
                let mut filters = vec![
                    TagFilter {
                        key: "object_id".into(),
                        value: dev.to_owned(),
                    },
                    TagFilter {
                        key: "content_type".into(),
                        value: "config.device".into(),
                    },
                ];
                filters.extend(tags.iter().map(|(k, v)| TagFilter {
                    key: (*k).into(),
                    value: (*v).into(),
                }));
                Query {
                    retention: Retention::Default,
                    measurement: measurement.into(),
                    filters,
                    fields: fields.iter().map(|(f, a)| ((*f).to_owned(), *a)).collect(),
                    start_us: us(at(0)),
                    end_us: us(at(4)),
                    bucket_us: Some(60_000_000),
                    bucket_offset_us: 0,
                    group_by_tags: vec![],
                }
            };
        let values =
            |series: Vec<edgemon_collector::tsdb::Series>| -> Vec<Vec<Option<FieldValue>>> {
                assert_eq!(series.len(), 1, "{series:?}");
                series[0]
                    .rows
                    .iter()
                    .filter(|r| {
                        r.values
                            .iter()
                            .any(|v| v.as_ref().is_some_and(|v| v != &FieldValue::Int(0)))
                    })
                    .map(|r| r.values.clone())
                    .collect()
            };
        let sum = [("rx_bytes", Agg::Sum), ("tx_bytes", Agg::Sum)];
        let ints = |v: &[(i64, i64)]| -> Vec<Vec<Option<FieldValue>>> {
            v.iter()
                .map(|(rx, tx)| vec![Some(FieldValue::Int(*rx)), Some(FieldValue::Int(*tx))])
                .collect()
        };
        // device-data-full: whole counters (no previous snapshot)
        let got = values(
            store
                .query(query(&a["id"], "traffic", &[("ifname", "wlan0")], &sum))
                .await
                .unwrap(),
        );
        assert_eq!(got, ints(&[(324, 145)]));
        let got = values(
            store
                .query(query(&a["id"], "traffic", &[("ifname", "wlan1")], &sum))
                .await
                .unwrap(),
        );
        assert_eq!(got, ints(&[(2275, 826)]));
        let mem = store
            .query(query(
                &a["id"],
                "memory",
                &[],
                &[("percent_used", Agg::Last)],
            ))
            .await
            .unwrap();
        assert_eq!(
            mem[0].rows[0].values[0],
            Some(FieldValue::Float(9.729_419_481_797_308))
        );
        let disk = store
            .query(query(&a["id"], "disk", &[], &[("used_disk", Agg::Last)]))
            .await
            .unwrap();
        assert_eq!(
            disk[0].rows[0].values[0],
            Some(FieldValue::Float(8.267_670_577_248_584))
        );
        let clients = store
            .query(query(
                &a["id"],
                "wifi_clients",
                &[],
                &[("clients", Agg::CountDistinct)],
            ))
            .await
            .unwrap();
        assert_eq!(clients[0].rows[0].values[0], Some(FieldValue::Int(3)));
        // the multiple-measurements chain: deltas, with wlan1's counter reset kept as 0
        let got = values(
            store
                .query(query(&b["id"], "traffic", &[("ifname", "wlan0")], &sum))
                .await
                .unwrap(),
        );
        assert_eq!(
            got,
            ints(&[
                (324, 145),
                (399_999_676, 99_999_855),
                (100_000_000, 200_000_000),
                (700_000_000, 300_000_000)
            ])
        );
        let series = store
            .query(query(
                &b["id"],
                "traffic",
                &[("ifname", "wlan1")],
                &[("rx_bytes", Agg::Sum)],
            ))
            .await
            .unwrap();
        let rx: Vec<Option<FieldValue>> =
            series[0].rows.iter().map(|r| r.values[0].clone()).collect();
        assert_eq!(
            rx,
            [2275, 1_999_997_725, 0, 1_000_000_000]
                .map(|v| Some(FieldValue::Int(v)))
                .to_vec()
        );
        // the snapshot: transformed (bitrate in Mbit/s, vendor added)
        let snap = store
            .latest(
                Retention::Short,
                "device_data".into(),
                vec![("pk".into(), a["id"].clone())],
            )
            .await
            .unwrap()
            .expect("device_data snapshot");
        let Some(FieldValue::Str(data)) = snap.fields.get("data") else {
            panic!("no data field")
        };
        let data: serde_json::Value = serde_json::from_str(data).unwrap();
        let wlan1 = data["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "wlan1")
            .unwrap();
        assert_eq!(wlan1["wireless"]["bitrate"], serde_json::json!(1.1));
        assert!(wlan1["wireless"]["clients"][0].get("vendor").is_some());
        store.close().await;
    });
}
