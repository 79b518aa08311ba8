use super::*;

fn spec(toml_text: &str) -> BTreeMap<String, MetricSpec> {
    toml::from_str(toml_text).expect("valid TOML for MetricSpec")
}

#[test]
fn the_reference_alert_defaults() {
    use Operator::{Above, Below};
    let c = Catalog::defaults();
    let alert = |name: &str| {
        let a = c.metrics[name].alert.unwrap();
        (a.operator, a.threshold, a.tolerance_s / 60)
    };
    assert_eq!(alert("ping"), (Below, 1.0, 30));
    assert_eq!(alert("data_collected"), (Below, 1.0, 30));
    assert_eq!(alert("config_applied"), (Below, 1.0, 10));
    assert_eq!(alert("cpu"), (Above, 90.0, 30));
    assert_eq!(alert("memory"), (Above, 95.0, 30));
    assert_eq!(alert("disk"), (Above, 90.0, 0));
    assert_eq!(alert("wifi_clients_max"), (Above, 50.0, 120));
    assert_eq!(alert("wifi_clients_min"), (Below, 1.0, 0));
    for quiet in [
        "traffic",
        "clients",
        "signal_strength",
        "access_tech",
        "iperf3",
    ] {
        assert!(c.metrics[quiet].alert.is_none(), "{quiet}");
    }
    assert_eq!(c.metrics["memory"].field_name, "percent_used");
    assert_eq!(
        c.metrics["cpu"].related_fields,
        ["load_1", "load_5", "load_15"]
    );
    assert_eq!(c.alerting_on("cpu").count(), 1);
    assert_eq!(c.alerting_on("traffic").count(), 0);
}

#[test]
fn every_alerting_default_has_texts() {
    for (name, m) in &Catalog::defaults().metrics {
        assert_eq!(m.alert.is_some(), m.texts.is_some(), "{name}");
    }
}

#[test]
fn overrides_change_only_what_they_name() {
    let c = Catalog::build(&spec(
        "[cpu]\nthreshold = 80.0\ntolerance = \"10m\"\nrecovery_threshold = 70.0\n\
         [cpu.problem]\nverb = \"is too busy\"\n",
    ))
    .unwrap();
    let cpu = &c.metrics["cpu"];
    let a = cpu.alert.unwrap();
    assert_eq!(
        (a.operator, a.threshold, a.tolerance_s),
        (Operator::Above, 80.0, 600)
    );
    assert_eq!(a.recovery_threshold, Some(70.0));
    let texts = cpu.texts.as_ref().unwrap();
    assert_eq!(texts.problem.verb, "is too busy");
    assert_eq!(texts.problem.level, "warning", "unchanged");
    assert_eq!(texts.recovery.verb, "has returned to normal levels");
    assert_eq!(c.metrics["memory"], Catalog::defaults().metrics["memory"]);
}

#[test]
fn alerts_can_be_removed_and_added() {
    let c = Catalog::build(&spec(
        "[disk]\nalerts = false\n[traffic]\nalerts = true\noperator = \">\"\nthreshold = 1e9\n",
    ))
    .unwrap();
    assert!(c.metrics["disk"].alert.is_none());
    let t = c.metrics["traffic"].alert.unwrap();
    assert_eq!(
        (t.operator, t.threshold, t.tolerance_s),
        (Operator::Above, 1e9, 0)
    );
    assert!(c.metrics["traffic"].texts.is_some(), "generic texts");
}

#[test]
fn a_new_metric() {
    let c = Catalog::build(&spec(
        "[temperature]\nlabel = \"Temperature\"\nmeasurement = \"temp\"\nfield_name = \"celsius\"\n\
         operator = \">\"\nthreshold = 70.0\ntolerance = \"15m\"\n",
    ))
    .unwrap();
    let t = &c.metrics["temperature"];
    assert_eq!(
        (t.measurement.as_str(), t.alert_field.as_str()),
        ("temp", "celsius")
    );
    assert_eq!(t.alert.unwrap().tolerance_s, 900);
    assert_eq!(
        t.texts.as_ref().unwrap().problem.verb,
        "has a problem with Temperature"
    );
}

#[test]
fn errors_name_the_option() {
    let cases = [
        (
            "[x]\nfield_name = \"f\"\n",
            "option `alerts.metrics.x.measurement` is required",
        ),
        (
            "[x]\nmeasurement = \"m\"\n",
            "option `alerts.metrics.x.field_name` is required",
        ),
        (
            "[cpu]\noperator = \">=\"\n",
            "option `alerts.metrics.cpu.operator`: operator \">=\"",
        ),
        (
            "[cpu]\nrecovery_threshold = 95.0\n",
            "option `alerts.metrics.cpu.threshold`: recovery threshold 95",
        ),
        ("[cpu]\ntolerance = \"8d\"\n", "over the maximum of 10080"),
        (
            "[cpu]\nalerts = false\nthreshold = 3.0\n",
            "`alerts.metrics.cpu.alerts` is false",
        ),
        (
            "[cpu]\nmeasurement = \"\"\n",
            "`alerts.metrics.cpu.measurement` must not be empty",
        ),
    ];
    for (text, expected) in cases {
        let err = Catalog::build(&spec(text)).unwrap_err();
        assert!(err.contains(expected), "{text:?}: {err}");
    }
}

#[test]
fn unknown_keys_are_refused_by_the_parser() {
    let err = toml::from_str::<BTreeMap<String, MetricSpec>>("[cpu]\nthreshhold = 3.0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("threshhold"), "{err}");
}
