//! A stored notification: the reference's openwisp-notifications record, rendered.

use super::engine::Kind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One notification for the administrators of an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Increasing id, unique across organizations.
    pub id: u64,
    pub org: Uuid,
    /// The device it is about (the reference's `target`).
    pub device: Uuid,
    /// The device's name when the notification was made.
    pub device_name: String,
    /// The metric configuration (`cpu`, `ping`, …): the reference's actor.
    pub metric: String,
    pub kind: Kind,
    /// `warning` or `info` with the default texts.
    pub level: String,
    pub verb: String,
    /// Rendered e-mail subject.
    pub subject: String,
    /// Rendered markdown message.
    pub message: String,
    /// When it was made, µs since the epoch (collector clock).
    pub time_us: i64,
    /// When the point that caused it was taken.
    pub point_time_us: i64,
    pub unread: bool,
    /// Made during a maintenance window: stored, not delivered.
    pub muted: bool,
}

impl Notification {
    /// The reference's notification type: `<configuration>_problem` / `_recovery`.
    pub fn kind_name(&self) -> String {
        format!("{}_{}", self.metric, self.kind.as_str())
    }
}
