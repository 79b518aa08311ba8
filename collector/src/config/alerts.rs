//! `[alerts]`: alert evaluation, health status and notifications (docs/alerts.md).

use super::Duration;
use crate::alerts::deliver::WebhookSpec;
use crate::alerts::deliver::email::{EmailSpec, SmtpSpec};
use crate::alerts::maintenance::WindowSpec;
use crate::alerts::{Catalog, MetricSpec, Status};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Evaluate alerts on every stored point and keep each device's health status.
    pub enabled: bool,
    /// `{site.name}` in notification subjects.
    pub site_name: String,
    /// Prefix of `{notification.target_link}` (the device's page is
    /// `<base_url>/devices/<uuid>`).
    pub base_url: String,
    /// Tolerances shorter than this act at once (the reference's `TOLERANCE_INTERVAL`).
    pub tolerance_interval: Duration,
    /// Points older than this when they arrive are stored but never raise or clear alerts.
    pub backlog: Duration,
    /// Metric configurations that make a device `critical` when all are unhealthy; an
    /// empty list disables `critical`.
    pub critical_metrics: Vec<String>,
    /// Forget a device's management IP when it becomes critical (it is stale then).
    pub auto_clear_management_ip: bool,
    /// When a critical device sends data, run its critical checks at once.
    pub recovery_detection: bool,
    /// Names shown for the health statuses (`ok = "healthy"`, …); the stored values do not
    /// change.
    pub health_labels: BTreeMap<String, String>,
    /// Changes to the metric configurations and new metrics, by configuration name.
    pub metrics: BTreeMap<String, MetricSpec>,
    /// Maintenance windows: notifications are stored muted and not delivered.
    pub maintenance: Vec<WindowSpec>,
    /// One webhook per organization.
    pub webhooks: Vec<WebhookSpec>,
    /// The SMTP server for e-mail notifications.
    pub smtp: Option<SmtpSpec>,
    /// Each organization's e-mail recipients (needs `smtp`).
    pub emails: Vec<EmailSpec>,
    /// Deliveries per organization per hour and channel, at most (0: unlimited).
    pub rate_limit_per_hour: u32,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            enabled: true,
            site_name: "edgemon".to_owned(),
            base_url: "http://localhost:8000".to_owned(),
            tolerance_interval: Duration::from_secs(300),
            backlog: Duration::from_secs(300),
            critical_metrics: vec!["ping".to_owned(), "data_collected".to_owned()],
            auto_clear_management_ip: true,
            recovery_detection: true,
            health_labels: BTreeMap::new(),
            metrics: BTreeMap::new(),
            maintenance: Vec::new(),
            webhooks: Vec::new(),
            smtp: None,
            emails: Vec::new(),
            rate_limit_per_hour: 60,
        }
    }
}

impl Alerts {
    /// The metric catalog these options describe; errors name the option.
    pub fn catalog(&self) -> Result<Catalog, String> {
        let catalog = Catalog::build(&self.metrics)?;
        for name in &self.critical_metrics {
            match catalog.metrics.get(name) {
                None => {
                    return Err(format!(
                        "option `alerts.critical_metrics`: no metric configuration {name:?}"
                    ));
                }
                Some(m) if m.alert.is_none() => {
                    return Err(format!(
                        "option `alerts.critical_metrics`: metric {name:?} has no alert settings"
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(catalog)
    }

    /// The label shown for `status`.
    pub fn label(&self, status: Status) -> &str {
        self.health_labels
            .get(status.as_str())
            .map_or(status.as_str(), String::as_str)
    }

    pub(super) fn check(&self) -> Result<(), String> {
        self.catalog()?;
        for key in self.health_labels.keys() {
            if !Status::ALL.iter().any(|s| s.as_str() == key) {
                return Err(format!(
                    "option `alerts.health_labels.{key}`: not a health status (expected \
                     unknown, ok, problem, critical or deactivated)"
                ));
            }
        }
        for (i, w) in self.maintenance.iter().enumerate() {
            w.parse()
                .map_err(|e| format!("option `alerts.maintenance[{i}]`: {e}"))?;
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            w.check()
                .map_err(|e| format!("option `alerts.webhooks[{i}]`: {e}"))?;
        }
        if let Some(smtp) = &self.smtp {
            smtp.check()
                .map_err(|e| format!("option `alerts.smtp`: {e}"))?;
        } else if !self.emails.is_empty() {
            return Err("option `alerts.emails` needs `alerts.smtp`".into());
        }
        for (i, e) in self.emails.iter().enumerate() {
            e.check()
                .map_err(|m| format!("option `alerts.emails[{i}]`: {m}"))?;
        }
        if self.backlog.as_secs() == 0 {
            return Err("option `alerts.backlog` must be at least 1s".into());
        }
        Ok(())
    }
}
