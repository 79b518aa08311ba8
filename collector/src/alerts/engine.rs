//! The alert state machine of one metric of one device (sans-IO).
//!
//! It keeps the reference's two flags and the recent points its tolerance test reads:
//!
//! - `is_healthy`: follows every checked value at once (drives the device's health status);
//! - `is_healthy_tolerant`: changes only when the threshold has been crossed (or no longer
//!   crossed) for the whole tolerance (drives notifications).
//!
//! [`MetricState::observe`] takes the value, the point's time and the current time and
//! says what changed. Rules (openwisp-server.md §d, `check_threshold`):
//!
//! - a point older than `backlog` (5 min) when it arrives is remembered but never checked;
//! - a tolerance under the tolerance interval (5 min) acts at once;
//! - otherwise the state changes only when the window before the point (the tolerance, or
//!   1.25 × the tolerance when it is between one and two intervals) holds at least two
//!   points on the new side, the older at least `tolerance` before the point, and no point
//!   on the old side (the flapping guard).
//! - with a recovery threshold, a metric in problem recovers only past that level.

use super::rule::Rule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Engine settings (the reference's `TOLERANCE_INTERVAL` and backlog age).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Tolerances below this act at once; between one and two of it, the window is 1.25 ×.
    pub tolerance_interval_us: i64,
    /// Points older than this on arrival never raise or clear alerts.
    pub backlog_us: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            tolerance_interval_us: 300_000_000,
            backlog_us: 300_000_000,
        }
    }
}

/// Most points remembered per metric, whatever the window (memory bound).
const MAX_POINTS: usize = 2048;

/// The state of one metric of one device; persisted between restarts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricState {
    /// `None` until the first checked value.
    pub is_healthy: Option<bool>,
    pub is_healthy_tolerant: Option<bool>,
    /// Recent points (time µs → value) for the tolerance window.
    points: Points,
}

/// A metric's recent points, oldest first: a sorted vector, not a `BTreeMap` (whose
/// smallest node takes ~200 bytes even for the few points a window holds, for every
/// metric of every device). Serialised as the map it replaced, so stored states still
/// read.
#[derive(Debug, Clone, Default, PartialEq)]
struct Points(Vec<(i64, f64)>);

impl Points {
    /// Add or replace the value at `time_us`.
    fn insert(&mut self, time_us: i64, value: f64) {
        match self.0.binary_search_by_key(&time_us, |&(t, _)| t) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                // One more slot, not a doubling (a first push reserves four): a window
                // keeps about as many points from one sample to the next, and this
                // vector exists for every metric of every device.
                self.0.reserve_exact(1);
                self.0.insert(i, (time_us, value));
            }
        }
    }

    fn newest(&self) -> Option<i64> {
        self.0.last().map(|&(t, _)| t)
    }

    /// Forget the points before `from`, and the oldest beyond `max`.
    fn keep(&mut self, from: i64, max: usize) {
        let older = self.0.partition_point(|&(t, _)| t < from);
        let over = self.0.len().saturating_sub(older).saturating_sub(max);
        self.0.drain(..older + over);
        if self.0.capacity() > 2 * self.0.len() + 4 {
            self.0.shrink_to(self.0.len() + 2);
        }
    }

    /// The points at or after `start`.
    fn since(&self, start: i64) -> &[(i64, f64)] {
        &self.0[self.0.partition_point(|&(t, _)| t < start)..]
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

impl Serialize for Points {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(t, v)| (t, v)))
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Points(
            BTreeMap::<i64, f64>::deserialize(d)?.into_iter().collect(),
        ))
    }
}

/// A notification the transition calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Problem,
    Recovery,
}

impl Kind {
    /// `problem` / `recovery`: the suffix of the notification type.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Problem => "problem",
            Kind::Recovery => "recovery",
        }
    }
}

/// What one observation changed.
// The reference's two flags and their side conditions, each asked for separately.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// `false` for a backlog point: nothing was evaluated.
    pub checked: bool,
    pub healthy_changed: bool,
    pub tolerant_changed: bool,
    /// The tolerant flag was unset before (first checked value).
    pub first_time: bool,
    /// The notification to send, if any (already filtered by `Rule::enabled`, the
    /// caller's `send_alert` and the first-time-healthy rule).
    pub notify: Option<Kind>,
}

impl Outcome {
    /// Whether the device's health status must be recomputed (the reference's
    /// `threshold_crossed` signal).
    pub fn changed(&self) -> bool {
        self.healthy_changed || self.tolerant_changed
    }
}

impl MetricState {
    /// Points remembered for the window (for tests and persistence size checks).
    pub fn remembered(&self) -> usize {
        self.points.len()
    }

    /// Evaluate one value of the metric. `time_us` is the point's time, `now_us` the
    /// collector's clock; `send_alert` is false for checks that must not notify (the
    /// reference's data_collected on a critical device).
    pub fn observe(
        &mut self,
        rule: &Rule,
        config: &EngineConfig,
        value: f64,
        time_us: i64,
        now_us: i64,
        send_alert: bool,
    ) -> Outcome {
        self.remember(rule, config, value, time_us);
        if time_us < now_us.saturating_sub(config.backlog_us) || !value.is_finite() {
            return Outcome::default();
        }
        let mut out = Outcome {
            checked: true,
            ..Outcome::default()
        };
        let healthy = !rule.offending(value, self.is_healthy == Some(false));
        if self.is_healthy != Some(healthy) {
            self.is_healthy = Some(healthy);
            out.healthy_changed = true;
        }
        let crossed = self.crossed_by(rule, config, value, time_us);
        let (next, kind) = match (crossed, self.is_healthy_tolerant) {
            (false, Some(true)) | (true, Some(false)) => return out,
            (true, _) => (false, Kind::Problem),
            (false, Some(false) | None) => (true, Kind::Recovery),
        };
        out.first_time = self.is_healthy_tolerant.is_none();
        self.is_healthy_tolerant = Some(next);
        out.tolerant_changed = true;
        let quiet = out.first_time && next;
        if !quiet && rule.enabled && send_alert {
            out.notify = Some(kind);
        }
        out
    }

    /// Forget everything (the reference resets both flags when a device becomes `unknown`).
    pub fn reset(&mut self) {
        self.is_healthy = None;
        self.is_healthy_tolerant = None;
    }

    fn remember(&mut self, rule: &Rule, config: &EngineConfig, value: f64, time_us: i64) {
        self.points.insert(time_us, value);
        let newest = self.points.newest().expect("just inserted");
        self.points
            .keep(newest.saturating_sub(window_us(rule, config)), MAX_POINTS);
    }

    /// The reference's `_is_crossed_by`: whether the tolerant state should be "crossed".
    fn crossed_by(&self, rule: &Rule, config: &EngineConfig, value: f64, time_us: i64) -> bool {
        let in_problem = self.is_healthy_tolerant == Some(false);
        let value_crossed = rule.offending(value, in_problem);
        let tolerance_us = tolerance_us(rule);
        if tolerance_us == 0 || tolerance_us < config.tolerance_interval_us {
            return value_crossed;
        }
        let start = time_us.saturating_sub(window_us(rule, config));
        let window = self.points.since(start);
        let mut same_side = window
            .iter()
            .filter(|&&(_, v)| rule.offending(v, in_problem) == value_crossed);
        let keep = in_problem;
        let (Some(&(first, _)), Some(_)) = (same_side.next(), same_side.next()) else {
            return keep;
        };
        if first > time_us.saturating_sub(tolerance_us) {
            return keep;
        }
        let flapping = window
            .iter()
            .any(|&(_, v)| rule.offending(v, in_problem) != value_crossed);
        if flapping { keep } else { value_crossed }
    }
}

fn tolerance_us(rule: &Rule) -> i64 {
    i64::try_from(rule.tolerance_s)
        .unwrap_or(i64::MAX / 2_000_000)
        .saturating_mul(1_000_000)
}

/// The window the tolerance test reads: the tolerance, or 1.25 × it when it lies between
/// one and two tolerance intervals (the reference widens it so that two points one
/// interval apart fit).
fn window_us(rule: &Rule, config: &EngineConfig) -> i64 {
    let t = tolerance_us(rule);
    let ti = config.tolerance_interval_us;
    if ti <= t && t <= ti.saturating_mul(2) {
        t.saturating_add(t / 4)
    } else {
        t
    }
}

#[cfg(test)]
mod tests;
