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
