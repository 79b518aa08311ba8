//! What an alert compares: operator, threshold, tolerance, optional recovery threshold.
//!
//! A metric configuration carries the defaults ([`AlertDefaults`]); a device may override
//! them per metric ([`AlertOverride`], the reference's `AlertSettings` row). The engine
//! reads the merged [`Rule`].

use serde::{Deserialize, Serialize};

/// How a value crosses the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    /// Alert when the value is below the threshold.
    #[serde(rename = "<")]
    Below,
    /// Alert when the value is above the threshold.
    #[serde(rename = ">")]
    Above,
}

impl Operator {
    /// The reference's test: `value > threshold` for `>`, else `value < threshold`.
    pub fn crossed(self, value: f64, threshold: f64) -> bool {
        match self {
            Operator::Above => value > threshold,
            Operator::Below => value < threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Above => ">",
            Operator::Below => "<",
        }
    }
}

impl std::str::FromStr for Operator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            ">" => Ok(Operator::Above),
            "<" => Ok(Operator::Below),
            other => Err(format!("operator {other:?} is neither \"<\" nor \">\"")),
        }
    }
}

/// The reference's bound on a custom tolerance: one week, in seconds.
pub const MAX_TOLERANCE_S: u64 = 10_080 * 60;

/// A metric configuration's alert defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertDefaults {
    pub operator: Operator,
    pub threshold: f64,
    /// How long the threshold must stay crossed before a notification, in seconds.
    pub tolerance_s: u64,
    /// Hysteresis: once in problem, the value must pass this level (not just the
    /// threshold) to recover. `None`: recover at the threshold, as the reference does.
    pub recovery_threshold: Option<f64>,
}

/// One device's settings for one metric; `None` fields take the configuration's default.
/// Stored by the collector and changed through the CLI (the API reuses the type).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct AlertOverride {
    /// `Some(false)`: health is still tracked but no notification is sent.
    pub enabled: Option<bool>,
    pub operator: Option<Operator>,
    pub threshold: Option<f64>,
    pub tolerance_s: Option<u64>,
    pub recovery_threshold: Option<f64>,
}

/// The effective settings of one metric of one device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub operator: Operator,
    pub threshold: f64,
    pub tolerance_s: u64,
    pub recovery_threshold: Option<f64>,
    /// Whether notifications are sent (the reference's `is_active`).
    pub enabled: bool,
}

impl Rule {
    /// Defaults with an override applied.
    pub fn new(defaults: &AlertDefaults, custom: Option<&AlertOverride>) -> Rule {
        let c = custom.copied().unwrap_or_default();
        Rule {
            operator: c.operator.unwrap_or(defaults.operator),
            threshold: c.threshold.unwrap_or(defaults.threshold),
            tolerance_s: c.tolerance_s.unwrap_or(defaults.tolerance_s),
            recovery_threshold: c.recovery_threshold.or(defaults.recovery_threshold),
            enabled: c.enabled.unwrap_or(true),
        }
    }

    /// Whether `value` is a problem, given whether the metric is in problem already: with a
    /// recovery threshold, a metric in problem stays there until the value passes it.
    pub fn offending(&self, value: f64, in_problem: bool) -> bool {
        match (in_problem, self.recovery_threshold) {
            (true, Some(r)) => match self.operator {
                Operator::Above => value > r,
                Operator::Below => value < r,
            },
            _ => self.operator.crossed(value, self.threshold),
        }
    }

    /// Why these settings cannot work, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if !self.threshold.is_finite() {
            return Err(format!(
                "threshold {} is not a finite number",
                self.threshold
            ));
        }
        if self.tolerance_s > MAX_TOLERANCE_S {
            return Err(format!(
                "tolerance of {} minutes is over the maximum of 10080 (one week)",
                self.tolerance_s / 60
            ));
        }
        if let Some(r) = self.recovery_threshold {
            let wrong_side = match self.operator {
                Operator::Above => r.is_nan() || r > self.threshold,
                Operator::Below => r.is_nan() || r < self.threshold,
            };
            if wrong_side {
                return Err(format!(
                    "recovery threshold {r} must be on the healthy side of threshold {} \
                     (operator {})",
                    self.threshold,
                    self.operator.symbol()
                ));
            }
        }
        Ok(())
    }
}
