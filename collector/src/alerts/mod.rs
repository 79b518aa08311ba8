//! Alerts, device health and notifications.
//!
//! ```text
//! points written by ingest / checks ──► Alerts::observe (service.rs, async shell)
//!     │ for each alerting metric (catalog.rs) and its per-device override (rule.rs)
//!     ▼
//! engine.rs: MetricState::observe(rule, value, time, now) ──► Outcome (sans-IO)
//!     │ flags changed → health.rs: status from the device's metrics (sans-IO)
//!     │ notify        → texts.rs: rendered notification
//!     ▼
//! store.rs (alerts.redb): metric states, device health, notifications per organization
//! ```
//!
//! docs/alerts.md describes the behaviour and where it differs from the reference.

pub mod catalog;
pub mod deliver;
pub mod engine;
pub mod health;
pub mod maintenance;
pub mod metrics;
pub mod notification;
pub mod rule;
pub mod service;
pub mod store;
pub mod texts;

pub use catalog::{Catalog, MetricConfig, MetricSpec};
pub use engine::{EngineConfig, Kind, MetricState, Outcome};
pub use health::Status;
pub use rule::{AlertDefaults, AlertOverride, Operator, Rule};
pub use service::{Alerts, Settings};
