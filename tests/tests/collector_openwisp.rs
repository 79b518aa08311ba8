//! The OpenWISP-compatible ingest and registration of a real `edgemon-collector serve`
//! process, over real sockets, with the project's own payloads.

use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use edgemon_tests::workspace_root;

fn payload(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("examples/payloads").join(name)).expect("payload")
}

const TIME: &str = "24-11-2026_10:00:00.000000";
const JSON: (&str, &str) = ("Content-Type", "application/json");

struct Fleet {
    c: Collector,
    id: String,
    key: String,
}

fn fleet() -> Fleet {
    let c = Collector::new();
    c.cli(&[
        "org",
        "add",
        "Acme",
        "--slug",
        "acme",
        "--shared-secret",
        "reg-secret",
    ]);
    let dev = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "ap1"]));
    Fleet {
        id: dev["id"].clone(),
        key: dev["key"].clone(),
        c,
    }
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario: the checks in the reference's order
fn checks_follow_the_reference_order() {
    let mut f = fleet();
    let other = fields(&f.c.cli(&["device", "add", "--org", "acme", "--name", "ap2"]));
    f.c.cli(&["device", "deactivate", &other["id"]]);
    f.c.cli(&["org", "add", "Gone", "--slug", "gone"]);
    let gone = fields(&f.c.cli(&["device", "add", "--org", "gone", "--name", "ap3"]));
    f.c.cli(&["org", "deactivate", "gone"]);
    let addr = f.c.start();
    let ok = payload("router-ok.json");
    let bad = payload("router-bad-lease.json");
    let url = |id: &str, key: &str| {
        format!("/api/v1/monitoring/device/{id}/?key={key}&time={TIME}&current=true")
    };

    // accepted: dashed and undashed UUIDs
    let r = request(addr, "POST", &url(&f.id, &f.key), &[JSON], &ok);
    assert_eq!((r.status, r.body.len()), (200, 0), "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let hex = f.id.replace('-', "");
    assert_eq!(
        request(addr, "POST", &url(&hex, &f.key), &[JSON], &ok).status,
        200
    );
    // `time` may be omitted
    let path = format!("/api/v1/monitoring/device/{}/?key={}", f.id, f.key);
    assert_eq!(request(addr, "POST", &path, &[JSON], &ok).status, 200);

    // unknown device → 404 whatever the key; not a UUID → Django's HTML 404
    let unknown = "00000000-0000-4000-8000-000000000000";
    let r = request(addr, "POST", &url(unknown, &f.key), &[JSON], &ok);
    assert_eq!(r.status, 404);
    assert!(r.json()["detail"].is_string());
    let r = request(
        addr,
        "POST",
        &url(&f.id.to_uppercase(), &f.key),
        &[JSON],
        &ok,
    );
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));

    // key missing or wrong → 403 even with an invalid body (the key is checked first)
    let r = request(
        addr,
        "POST",
        &format!("/api/v1/monitoring/device/{}/", f.id),
        &[JSON],
        &ok,
    );
    assert_eq!(r.status, 403);
    assert!(r.json()["detail"].is_string());
    assert_eq!(
        request(addr, "POST", &url(&f.id, "nope"), &[JSON], &bad).status,
        403
    );

    // deactivated: wrong key still 403, right key 404; disabled organization: 404
    assert_eq!(
        request(addr, "POST", &url(&other["id"], "nope"), &[JSON], &ok).status,
        403
    );
    assert_eq!(
        request(
            addr,
            "POST",
            &url(&other["id"], &other["key"]),
            &[JSON],
            &ok
        )
        .status,
        404
    );
    assert_eq!(
        request(addr, "POST", &url(&gone["id"], &gone["key"]), &[JSON], &ok).status,
        404
    );

    // schema error: a JSON string naming the path, checked before the time
    let r = request(
        addr,
        "POST",
        &format!(
            "/api/v1/monitoring/device/{}/?key={}&time=garbage",
            f.id, f.key
        ),
        &[JSON],
        &bad,
    );
    assert_eq!(r.status, 400);
    let msg = r.json();
    let msg = msg.as_str().expect("a JSON string");
    assert!(
        msg.starts_with("Invalid data in \"#/dhcp_leases/0"),
        "{msg}"
    );
    assert!(msg.contains("validator says:\n\n"), "{msg}");

    // bad time on a valid body
    let r = request(
        addr,
        "POST",
        &format!(
            "/api/v1/monitoring/device/{}/?key={}&time=24-11-2026%2010:00:00",
            f.id, f.key
        ),
        &[JSON],
        &ok,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({"detail": "Incorrect time format"})
    );

    // malformed JSON and a non-JSON content type
    let r = request(addr, "POST", &url(&f.id, &f.key), &[JSON], b"{\"type\": ");
    assert_eq!(r.status, 400);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - ")
    );
    let r = request(
        addr,
        "POST",
        &url(&f.id, &f.key),
        &[("Content-Type", "text/plain")],
        &ok,
    );
    assert_eq!(r.status, 415);

    // the collector's own figures: three samples accepted, none refused, three devices
    let m = request(addr, "GET", "/metrics", &[], b"").text();
    for expected in [
        "edgemon_ingest_accepted_total 3\n",
        "edgemon_ingest_rejected_full_total 0\n",
        "edgemon_registry_devices 3\n",
    ] {
        assert!(m.contains(expected), "{expected:?} not in:\n{m}");
    }

    let status = f.c.stop();
    assert!(status.success(), "collector exited with {status}");
}

#[test]
fn a_device_registers_itself_then_sends() {
    let mut f = fleet();
    let addr = f.c.start();
    let form = "backend=netjsonconfig.OpenWrt&secret=reg-secret&name=newbie&mac_address=02%3A00%3A00%3Aab%3Acd%3Aef&model=Test+Router&os=OpenWrt+24.10";
    let ct = ("Content-Type", "application/x-www-form-urlencoded");
    let r = request(
        addr,
        "POST",
        "/controller/device/register/",
        &[ct],
        form.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("x-openwisp-controller"), Some("true"));
    let got = fields(&r.text());
    assert_eq!(got["registration-result"], "success");
    assert_eq!(got["hostname"], "newbie");
    assert_eq!(got["is-new"], "1");
    assert_eq!(got["uuid"].len(), 32);
    let path = format!(
        "/api/v1/monitoring/device/{}/?key={}&time={TIME}",
        got["uuid"], got["key"]
    );
    assert_eq!(
        request(addr, "POST", &path, &[JSON], &payload("router-ok.json")).status,
        200
    );

    // the legacy path answers the same way; a wrong secret is refused
    let r = request(
        addr,
        "POST",
        "/controller/register/",
        &[ct],
        form.replace("reg-secret", "wrong").as_bytes(),
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (403, "error: unrecognized secret\n")
    );
    assert_eq!(r.header("x-openwisp-controller"), Some("true"));
    let r = request(
        addr,
        "POST",
        "/controller/register/",
        &[ct],
        b"secret=reg-secret",
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "error: missing required parameter \"name\"\n")
    );
    f.c.stop();
    let listed = f.c.cli(&["device", "list", "--org", "acme"]);
    assert!(
        listed.contains("newbie") && listed.contains("02:00:00:AB:CD:EF"),
        "{listed}"
    );
}
