//! The metric configurations (the reference's `DEFAULT_METRICS`) as data: what each metric
//! is called, where its points go, and its alert defaults and notification texts. The
//! configuration file may change any of them or add new ones ([`Catalog::build`]).

use super::rule::{AlertDefaults, Operator, Rule};
use super::texts::{self, Texts};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One metric configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricConfig {
    /// Human name (`"CPU usage"`).
    pub label: String,
    /// The measurement its points are written to (the reference's metric `key`).
    pub measurement: String,
    /// The main field.
    pub field_name: String,
    /// The field alerts compare (the reference's `alert_field`; usually `field_name`).
    pub alert_field: String,
    /// Fields written next to the main one.
    pub related_fields: Vec<String>,
    /// Alert defaults; `None`: the metric never alerts.
    pub alert: Option<AlertDefaults>,
    /// Notification texts for `<configuration>_problem` and `_recovery`.
    pub texts: Option<Texts>,
    /// Chart names (served by the API).
    pub charts: Vec<String>,
}

/// Every metric configuration by name (`cpu`, `ping`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub metrics: BTreeMap<String, MetricConfig>,
}

const MIN: u64 = 60;

/// (configuration, label, measurement, field, related fields, alert (op, threshold,
/// tolerance minutes), charts): the reference's table, openwisp-server.md §c.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<(Operator, f64, u64)>,
    &'static [&'static str],
);

#[rustfmt::skip]
const DEFAULTS: &[Row] = {
    use Operator::{Above, Below};
    &[
        ("ping", "Ping", "ping", "reachable", &["loss", "rtt_min", "rtt_max", "rtt_avg"], Some((Below, 1.0, 30)), &["uptime", "packet_loss", "rtt"]),
        ("config_applied", "Configuration Applied", "config_applied", "config_applied", &[], Some((Below, 1.0, 10)), &[]),
        ("traffic", "Traffic", "traffic", "rx_bytes", &["tx_bytes"], None, &["traffic"]),
        ("general_traffic", "General Traffic", "traffic", "rx_bytes", &["tx_bytes"], None, &["general_traffic"]),
        ("clients", "Clients", "wifi_clients", "clients", &[], None, &["wifi_clients"]),
        ("general_clients", "General WiFi Clients", "wifi_clients", "clients", &[], None, &["gen_wifi_clients"]),
        ("wifi_clients_max", "WiFi Clients (Maximum)", "wifi_clients_max", "clients", &[], Some((Above, 50.0, 120)), &[]),
        ("wifi_clients_min", "WiFi Clients (Minimum)", "wifi_clients_min", "clients", &[], Some((Below, 1.0, 0)), &[]),
        ("data_collected", "Monitoring Data Collected", "data_collected", "data_collected", &[], Some((Below, 1.0, 30)), &[]),
        ("disk", "Disk usage", "disk", "used_disk", &[], Some((Above, 90.0, 0)), &["disk"]),
        ("memory", "Memory usage", "memory", "percent_used", &["total_memory", "free_memory", "buffered_memory", "shared_memory", "cached_memory", "available_memory"], Some((Above, 95.0, 30)), &["memory"]),
        ("cpu", "CPU usage", "cpu", "cpu_usage", &["load_1", "load_5", "load_15"], Some((Above, 90.0, 30)), &["cpu"]),
        ("signal_strength", "Signal Strength", "signal", "signal_strength", &["signal_power"], None, &["signal_strength"]),
        ("signal_quality", "Signal Quality", "signal", "signal_quality", &["snr"], None, &["signal_quality"]),
        ("access_tech", "Access Technology", "signal", "access_tech", &[], None, &["access_tech"]),
        ("iperf3", "Iperf3", "iperf3", "iperf3_result", &["sent_bps_tcp", "received_bps_tcp", "sent_bytes_tcp", "received_bytes_tcp", "retransmits", "sent_bytes_udp", "sent_bps_udp", "jitter", "total_packets", "lost_packets", "lost_percent"], None, &["bandwidth", "transfer", "retransmits", "jitter", "datagram", "datagram_loss"]),
    ]
};

/// A metric configuration in the file (`[alerts.metrics.<name>]`): every field optional;
/// for a new metric `measurement` and `field_name` are required.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// Human name.
    pub label: Option<String>,
    /// Measurement of its points.
    pub measurement: Option<String>,
    /// Main field.
    pub field_name: Option<String>,
    /// Field the alert compares, when not the main field.
    pub alert_field: Option<String>,
    /// Fields written with the main one.
    pub related_fields: Option<Vec<String>>,
    /// `false` removes the metric's alerts.
    pub alerts: Option<bool>,
    /// `"<"` or `">"`.
    pub operator: Option<String>,
    pub threshold: Option<f64>,
    /// How long the threshold must stay crossed (`"30m"`).
    pub tolerance: Option<crate::config::Duration>,
    /// Hysteresis: the level a metric in problem must pass to recover.
    pub recovery_threshold: Option<f64>,
    /// Notification texts (`verb`, `subject`, `message`, `level` per kind).
    pub problem: Option<texts::TextSpec>,
    pub recovery: Option<texts::TextSpec>,
    pub charts: Option<Vec<String>>,
}

impl Catalog {
    /// The reference's metrics with their alert defaults and texts.
    pub fn defaults() -> Catalog {
        let metrics = DEFAULTS
            .iter()
            .map(
                |&(name, label, measurement, field, related, alert, charts)| {
                    let config = MetricConfig {
                        label: label.to_owned(),
                        measurement: measurement.to_owned(),
                        field_name: field.to_owned(),
                        alert_field: field.to_owned(),
                        related_fields: related.iter().map(|s| (*s).to_owned()).collect(),
                        alert: alert.map(|(operator, threshold, minutes)| AlertDefaults {
                            operator,
                            threshold,
                            tolerance_s: minutes * MIN,
                            recovery_threshold: None,
                        }),
                        texts: texts::defaults(name),
                        charts: charts.iter().map(|s| (*s).to_owned()).collect(),
                    };
                    (name.to_owned(), config)
                },
            )
            .collect();
        Catalog { metrics }
    }

    /// The defaults with the file's `[alerts.metrics.*]` applied. Errors name the option
    /// (`alerts.metrics.cpu.threshold: …`).
    pub fn build(specs: &BTreeMap<String, MetricSpec>) -> Result<Catalog, String> {
        let mut catalog = Catalog::defaults();
        for (name, spec) in specs {
            let at = |field: &str| format!("option `alerts.metrics.{name}.{field}`");
            let config = match catalog.metrics.remove(name) {
                Some(existing) => existing,
                None => new_metric(name, spec, &at)?,
            };
            let config = apply(config, spec, &at)?;
            catalog.metrics.insert(name.clone(), config);
        }
        Ok(catalog)
    }

    /// The alerting configurations whose points go to `measurement`.
    pub fn alerting_on<'a>(
        &'a self,
        measurement: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a MetricConfig, &'a AlertDefaults)> + 'a {
        self.metrics.iter().filter_map(move |(name, c)| {
            let alert = c.alert.as_ref()?;
            (c.measurement == measurement).then_some((name.as_str(), c, alert))
        })
    }
}

fn new_metric(
    name: &str,
    spec: &MetricSpec,
    at: &dyn Fn(&str) -> String,
) -> Result<MetricConfig, String> {
    let measurement = spec.measurement.clone().ok_or_else(|| {
        format!(
            "{} is required for the new metric {name:?}",
            at("measurement")
        )
    })?;
    let field_name = spec.field_name.clone().ok_or_else(|| {
        format!(
            "{} is required for the new metric {name:?}",
            at("field_name")
        )
    })?;
    Ok(MetricConfig {
        label: name.to_owned(),
        measurement,
        alert_field: field_name.clone(),
        field_name,
        related_fields: Vec::new(),
        alert: None,
        texts: None,
        charts: Vec::new(),
    })
}

fn apply(
    mut c: MetricConfig,
    spec: &MetricSpec,
    at: &dyn Fn(&str) -> String,
) -> Result<MetricConfig, String> {
    let names_ok = |v: &str, field: &str| {
        if v.is_empty() {
            Err(format!("{} must not be empty", at(field)))
        } else {
            Ok(())
        }
    };
    if let Some(v) = &spec.label {
        c.label.clone_from(v);
    }
    if let Some(v) = &spec.measurement {
        names_ok(v, "measurement")?;
        c.measurement.clone_from(v);
    }
    if let Some(v) = &spec.field_name {
        names_ok(v, "field_name")?;
        if spec.alert_field.is_none() && c.alert_field == c.field_name {
            c.alert_field.clone_from(v);
        }
        c.field_name.clone_from(v);
    }
    if let Some(v) = &spec.alert_field {
        names_ok(v, "alert_field")?;
        c.alert_field.clone_from(v);
    }
    if let Some(v) = &spec.related_fields {
        c.related_fields.clone_from(v);
    }
    if let Some(v) = &spec.charts {
        c.charts.clone_from(v);
    }
    let operator = spec
        .operator
        .as_deref()
        .map(str::parse::<Operator>)
        .transpose()
        .map_err(|e| format!("{}: {e}", at("operator")))?;
    let touches_alert = operator.is_some()
        || spec.threshold.is_some()
        || spec.tolerance.is_some()
        || spec.recovery_threshold.is_some();
    if spec.alerts == Some(false) {
        if touches_alert {
            return Err(format!(
                "{} is false but alert settings are given too",
                at("alerts")
            ));
        }
        c.alert = None;
    } else if touches_alert || spec.alerts == Some(true) {
        // A metric without alerts gets the reference's fallback `<` 1, tolerance 0.
        let mut d = c.alert.unwrap_or(AlertDefaults {
            operator: Operator::Below,
            threshold: 1.0,
            tolerance_s: 0,
            recovery_threshold: None,
        });
        if let Some(op) = operator {
            d.operator = op;
        }
        if let Some(t) = spec.threshold {
            d.threshold = t;
        }
        if let Some(t) = spec.tolerance {
            d.tolerance_s = t.as_secs();
        }
        if spec.recovery_threshold.is_some() {
            d.recovery_threshold = spec.recovery_threshold;
        }
        Rule::new(&d, None)
            .check()
            .map_err(|e| format!("{}: {e}", at("threshold")))?;
        c.alert = Some(d);
    }
    if spec.problem.is_some() || spec.recovery.is_some() {
        let base = c.texts.clone().unwrap_or_else(|| texts::generic(&c.label));
        c.texts = Some(Texts {
            problem: texts::apply(base.problem, spec.problem.as_ref()),
            recovery: texts::apply(base.recovery, spec.recovery.as_ref()),
        });
    }
    if c.alert.is_some() && c.texts.is_none() {
        c.texts = Some(texts::generic(&c.label));
    }
    Ok(c)
}

#[cfg(test)]
mod tests;
