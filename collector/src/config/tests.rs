use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_without_a_file() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.http.listen.to_string(), "127.0.0.1:8000");
    assert_eq!(c.retention.short.as_secs(), 86_400);
    assert_eq!(c.retention.default.as_secs(), 26_280 * 3600);
}

#[test]
fn file_values_and_env_overrides() {
    let c = Config::from_toml(
        "data_dir = \"/var/lib/edgemon\"\n[http]\nlisten = \"0.0.0.0:9000\"\n",
        "edgemon.toml",
        env(&[
            ("EDGEMON__INGEST__QUEUE_CAPACITY", "100"),
            ("EDGEMON__HTTP__LISTEN", "127.0.0.1:7000"),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/edgemon"));
    assert_eq!(c.http.listen.to_string(), "127.0.0.1:7000");
    assert_eq!(c.ingest.queue_capacity, 100);
}

#[test]
fn unknown_option_is_named() {
    let e = Config::from_toml("[http]\nlisten_port = 80\n", "edgemon.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("edgemon.toml:"), "{e}");
    assert!(e.contains("listen_port"), "{e}");
}

#[test]
fn bad_value_names_the_option_path() {
    let e = Config::from_toml("[retention]\nshort = \"soon\"\n", "c.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("retention.short"), "{e}");
    assert!(e.contains("\"soon\" is not a duration"), "{e}");
    let e = Config::from_toml("", "c.toml", env(&[("EDGEMON__HTTP__LISTEN", "nowhere")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("EDGEMON__HTTP__LISTEN") && e.contains("http.listen"),
        "{e}"
    );
}

#[test]
fn semantic_checks_name_the_option() {
    let e = Config::from_toml("[ingest]\nqueue_capacity = 0\n", "c.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ingest.queue_capacity"), "{e}");
}

#[test]
fn the_chart_time_zone_must_be_an_iana_name() {
    let c = Config::from_toml(
        "[charts]\ntimezone = \"Asia/Kolkata\"\n",
        "c.toml",
        env(&[]),
    )
    .unwrap();
    assert_eq!(c.charts.timezone, "Asia/Kolkata");
    assert_eq!(
        Config::from_toml("", "c.toml", env(&[]))
            .unwrap()
            .charts
            .timezone,
        "UTC"
    );
    let e = Config::from_toml(
        "[charts]\ntimezone = \"Mars/Olympus\"\n",
        "c.toml",
        env(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("charts.timezone") && e.contains("Mars/Olympus"),
        "{e}"
    );
}

#[test]
fn alert_and_check_options_are_checked_with_their_names() {
    let bad = [
        (
            "[alerts.metrics.cpu]\nthreshold = \"high\"\n",
            "alerts.metrics.cpu.threshold",
        ),
        ("[alerts.metrics.cpu]\nthreshhold = 3.0\n", "threshhold"),
        (
            "[alerts.metrics.cpu]\noperator = \"=\"\n",
            "option `alerts.metrics.cpu.operator`",
        ),
        (
            "[alerts]\ncritical_metrics = [\"traffic\"]\n",
            "option `alerts.critical_metrics`",
        ),
        (
            "[alerts]\ncritical_metrics = [\"nope\"]\n",
            "no metric configuration \"nope\"",
        ),
        (
            "[alerts.health_labels]\nfine = \"x\"\n",
            "option `alerts.health_labels.fine`",
        ),
        (
            "[checks.ping]\ncount = 21\n",
            "option `checks.ping.count` is 21",
        ),
        (
            "[checks.ping]\ntimeout_ms = 2\n",
            "option `checks.ping.timeout_ms`",
        ),
        (
            "[checks]\njitter = \"10m\"\ninterval = \"5m\"\n",
            "option `checks.jitter`",
        ),
    ];
    for (text, expected) in bad {
        let err = Config::from_toml(text, "edgemon.toml", env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("edgemon.toml"), "{err}");
        assert!(err.contains(expected), "{text:?}: {err}");
    }
    let c = Config::from_toml(
        "[alerts]\ncritical_metrics = [\"ping\"]\n[alerts.health_labels]\ncritical = \"down\"\n",
        "edgemon.toml",
        env(&[("EDGEMON__ALERTS__METRICS__CPU__TOLERANCE", "10m")]),
    )
    .unwrap();
    assert_eq!(c.alerts.label(crate::alerts::Status::Critical), "down");
    assert_eq!(c.alerts.label(crate::alerts::Status::Ok), "ok");
    let cpu = c.alerts.catalog().unwrap().metrics["cpu"].alert.unwrap();
    assert_eq!(cpu.tolerance_s, 600);
    assert_eq!(c.checks.ping.count, 5);
}

#[test]
fn mqtt_is_off_by_default_and_checked_when_on() {
    let c = Config::load(None, env(&[])).unwrap();
    assert!(!c.mqtt.enabled);
    let c = Config::from_toml(
        "[mqtt]\nenabled = true\nbroker = \"mqtt://broker.lan:1884\"\norgs = [\"acme\"]\n",
        "edgemon.toml",
        env(&[("EDGEMON__MQTT__CLIENT_ID", "collector-2")]),
    )
    .unwrap();
    assert_eq!(c.mqtt.host_port().unwrap(), ("broker.lan".into(), 1884));
    assert_eq!(c.mqtt.orgs, vec!["acme".to_owned()]);
    assert_eq!(c.mqtt.client_id, "collector-2");
    assert_eq!(c.mqtt.read_ahead_bytes, 16 << 20);
    let e = Config::from_toml(
        "[mqtt]\nenabled = true\nread_ahead_bytes = 0\n",
        "edgemon.toml",
        env(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("mqtt.read_ahead_bytes"), "{e}");
    for (broker, wrong) in [
        ("mqtts://b:8883", "mqtts://"),
        ("broker", "not host:port"),
        ("b:http", "not a port"),
    ] {
        let e = Config::from_toml(
            &format!("[mqtt]\nenabled = true\nbroker = \"{broker}\"\n"),
            "edgemon.toml",
            env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("mqtt.broker") && e.contains(wrong), "{e}");
    }
    // Not checked while off.
    Config::from_toml("[mqtt]\nbroker = \"nonsense\"\n", "x", env(&[])).unwrap();
}

#[test]
fn the_influxdb_backend_is_chosen_and_checked() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.tsdb.backend, Backend::Embedded);
    assert_eq!(c.influxdb.database, "openwisp2");
    let c = Config::from_toml(
        "[tsdb]\nbackend = \"influxdb\"\n[influxdb]\nurl = \"https://influx.lan:8086\"\nusername = \"edgemon\"\n",
        "edgemon.toml",
        env(&[("EDGEMON__INFLUXDB__DATABASE", "fleet")]),
    )
    .unwrap();
    assert_eq!(c.tsdb.backend, Backend::Influxdb);
    let s = c.influxdb.settings();
    assert_eq!(
        (s.url.as_str(), s.database.as_str()),
        ("https://influx.lan:8086", "fleet")
    );
    assert_eq!(s.username.as_deref(), Some("edgemon"));
    for (text, option) in [
        ("[tsdb]\nbackend = \"influx\"\n", "tsdb.backend"),
        (
            "[tsdb]\nbackend = \"influxdb\"\n[influxdb]\nurl = \"influx.lan:8086\"\n",
            "influxdb.url",
        ),
        (
            "[tsdb]\nbackend = \"influxdb\"\n[influxdb]\nbatch_points = 0\n",
            "influxdb.batch_points",
        ),
        ("[influxdb]\ndatabse = \"x\"\n", "influxdb"),
    ] {
        let e = Config::from_toml(text, "edgemon.toml", env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains(option), "{text}: {e}");
    }
}
