//! A device's health status, computed from its metrics' `is_healthy` flags (sans-IO).
//!
//! As the reference: `ok`; `problem` when any metric is unhealthy; `critical` when every
//! critical metric (default: ping and data_collected) is unhealthy. It reads the immediate
//! flag, so the status moves at once while notifications wait for the tolerance.

use serde::{Deserialize, Serialize};

/// The health status values (the reference's `DeviceMonitoring.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// New device, or its metrics were reset.
    Unknown,
    Ok,
    Problem,
    Critical,
    Deactivated,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Unknown,
        Status::Ok,
        Status::Problem,
        Status::Critical,
        Status::Deactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Ok => "ok",
            Status::Problem => "problem",
            Status::Critical => "critical",
            Status::Deactivated => "deactivated",
        }
    }
}

/// One of a device's metrics as the status sees it: its configuration name and flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricHealth<'a> {
    pub configuration: &'a str,
    pub is_healthy: Option<bool>,
}

/// The status from the device's metrics. `critical` lists metric configuration names;
/// empty disables `critical`. Differs from the reference in one corner: the reference
/// counts unhealthy metrics matching a critical entry, so two unhealthy metrics of one
/// critical kind could stand for two entries; here each entry must have its own.
pub fn from_metrics<'a>(
    metrics: impl IntoIterator<Item = MetricHealth<'a>>,
    critical: &[String],
) -> Status {
    let mut any_unhealthy = false;
    let mut critical_unhealthy = vec![false; critical.len()];
    for m in metrics {
        if m.is_healthy != Some(false) {
            continue;
        }
        any_unhealthy = true;
        for (i, c) in critical.iter().enumerate() {
            if c == m.configuration {
                critical_unhealthy[i] = true;
            }
        }
    }
    if !critical.is_empty() && critical_unhealthy.iter().all(|&u| u) {
        Status::Critical
    } else if any_unhealthy {
        Status::Problem
    } else {
        Status::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(configuration: &str, healthy: Option<bool>) -> MetricHealth<'_> {
        MetricHealth {
            configuration,
            is_healthy: healthy,
        }
    }

    fn default_critical() -> Vec<String> {
        vec!["ping".into(), "data_collected".into()]
    }

    #[test]
    fn ok_problem_critical() {
        let c = default_critical();
        assert_eq!(from_metrics([m("cpu", Some(true))], &c), Status::Ok);
        assert_eq!(from_metrics([m("cpu", None)], &c), Status::Ok);
        assert_eq!(from_metrics([m("cpu", Some(false))], &c), Status::Problem);
        assert_eq!(
            from_metrics(
                [m("ping", Some(false)), m("data_collected", Some(true))],
                &c
            ),
            Status::Problem,
            "one critical metric down is only a problem"
        );
        assert_eq!(
            from_metrics(
                [
                    m("ping", Some(false)),
                    m("data_collected", Some(false)),
                    m("cpu", Some(true))
                ],
                &c
            ),
            Status::Critical
        );
    }

    #[test]
    fn a_missing_critical_metric_caps_the_status_at_problem() {
        let c = default_critical();
        assert_eq!(from_metrics([m("ping", Some(false))], &c), Status::Problem);
    }

    #[test]
    fn critical_is_configurable_and_can_be_off() {
        assert_eq!(
            from_metrics([m("ping", Some(false))], &["ping".to_owned()]),
            Status::Critical
        );
        assert_eq!(
            from_metrics(
                [m("ping", Some(false)), m("data_collected", Some(false))],
                &[]
            ),
            Status::Problem
        );
    }

    #[test]
    fn two_unhealthy_of_one_kind_do_not_stand_for_two_entries() {
        let c = default_critical();
        assert_eq!(
            from_metrics([m("ping", Some(false)), m("ping", Some(false))], &c),
            Status::Problem
        );
    }

    proptest! {
        #[test]
        fn critical_iff_every_critical_metric_is_unhealthy(
            flags in prop::collection::vec((0_usize..4, prop::option::of(any::<bool>())), 0..12)
        ) {
            let names = ["ping", "data_collected", "cpu", "disk"];
            let metrics: Vec<_> = flags.iter().map(|&(i, h)| m(names[i], h)).collect();
            let status = from_metrics(metrics.iter().copied(), &default_critical());
            let down = |n: &str| metrics.iter().any(|x| x.configuration == n && x.is_healthy == Some(false));
            let any_down = metrics.iter().any(|x| x.is_healthy == Some(false));
            let expected = if down("ping") && down("data_collected") {
                Status::Critical
            } else if any_down {
                Status::Problem
            } else {
                Status::Ok
            };
            prop_assert_eq!(status, expected);
        }
    }
}
