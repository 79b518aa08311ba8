//! The alert figures on `/metrics` (Prometheus text format).

use super::Alerts;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

pub async fn render(out: &mut String, alerts: &Alerts) {
    let s = &alerts.stats;
    for (name, help, v) in [
        (
            "edgemon_alerts_evaluations_total",
            "Values compared with an alert threshold.",
            &s.evaluations,
        ),
        (
            "edgemon_alerts_backlog_skipped_total",
            "Values not evaluated because they arrived more than `alerts.backlog` late.",
            &s.backlog_skipped,
        ),
        (
            "edgemon_alerts_problems_total",
            "Problem notifications raised.",
            &s.problems,
        ),
        (
            "edgemon_alerts_recoveries_total",
            "Recovery notifications raised.",
            &s.recoveries,
        ),
        (
            "edgemon_notifications_stored_total",
            "Notifications stored.",
            &s.notifications_stored,
        ),
        (
            "edgemon_alerts_store_failures_total",
            "Failed writes of alert state.",
            &s.store_failures,
        ),
        (
            "edgemon_notifications_delivered_total",
            "Notifications delivered to a webhook.",
            &alerts.delivery_stats.delivered,
        ),
        (
            "edgemon_notifications_delivery_failed_total",
            "Notifications whose delivery failed after every retry.",
            &alerts.delivery_stats.failed,
        ),
        (
            "edgemon_notifications_rate_limited_total",
            "Notifications not delivered: organization over its rate limit.",
            &alerts.delivery_stats.rate_limited,
        ),
    ] {
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
            v.load(Ordering::Relaxed)
        );
    }
    let name = "edgemon_devices_by_health";
    let _ = write!(
        out,
        "# HELP {name} Devices in each health status.\n# TYPE {name} gauge\n"
    );
    for (status, n) in alerts.status_counts().await {
        let _ = writeln!(out, "{name}{{status=\"{status}\"}} {n}");
    }
}
