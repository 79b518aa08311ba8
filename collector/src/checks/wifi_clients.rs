//! `wifi_clients`: distinct WiFi clients of the device over two windows, written as
//! `wifi_clients_max` (last `max_window`, 5 min) and `wifi_clients_min` (last
//! `min_window`, 3 days), as the reference's WifiClients check (not created by default).

use super::{Check, CheckError, Output, Target, device_point};
use crate::alerts::Status;
use crate::tsdb::{Agg, BoxFuture, FieldValue, Query, Retention, TagFilter, TimeSeries};
use std::sync::Arc;

#[derive(Debug)]
pub struct WifiClients {
    tsdb: Arc<dyn TimeSeries>,
    min_window_us: i64,
    max_window_us: i64,
}

impl WifiClients {
    pub fn new(tsdb: Arc<dyn TimeSeries>, min_window_us: i64, max_window_us: i64) -> Self {
        WifiClients {
            tsdb,
            min_window_us,
            max_window_us,
        }
    }

    /// `COUNT(DISTINCT(clients))` of the device's `wifi_clients` points in
    /// `[now − window, now]`.
    async fn distinct(
        &self,
        device: uuid::Uuid,
        now_us: i64,
        window_us: i64,
    ) -> Result<i64, CheckError> {
        let filter = |key: &str, value: String| TagFilter {
            key: key.to_owned(),
            value,
        };
        let series = self
            .tsdb
            .query(Query {
                retention: Retention::Default,
                measurement: "wifi_clients".to_owned(),
                filters: vec![
                    filter("content_type", "config.device".to_owned()),
                    filter("object_id", device.to_string()),
                ],
                fields: vec![("clients".to_owned(), Agg::CountDistinct)],
                start_us: now_us.saturating_sub(window_us),
                end_us: now_us.saturating_add(1),
                bucket_us: None,
                bucket_offset_us: 0,
                group_by_tags: Vec::new(),
            })
            .await?;
        Ok(series
            .iter()
            .flat_map(|s| &s.rows)
            .filter_map(|r| match r.values.first() {
                Some(Some(FieldValue::Int(n))) => Some(*n),
                _ => None,
            })
            .sum())
    }
}

impl Check for WifiClients {
    fn name(&self) -> &'static str {
        "wifi_clients"
    }

    fn metric(&self) -> &'static str {
        "wifi_clients_max"
    }

    fn run<'a>(
        &'a self,
        target: &'a Target,
        now_us: i64,
    ) -> BoxFuture<'a, Result<Option<Output>, CheckError>> {
        Box::pin(async move {
            // Nothing to say about a device never seen or down (the reference).
            if matches!(target.status, Status::Unknown | Status::Critical) {
                return Ok(None);
            }
            let id = target.device.id;
            let max = self.distinct(id, now_us, self.max_window_us).await?;
            let min = self.distinct(id, now_us, self.min_window_us).await?;
            Ok(Some(Output {
                points: vec![
                    device_point("wifi_clients_max", &target.device, now_us)
                        .field("clients", FieldValue::Int(max)),
                    device_point("wifi_clients_min", &target.device, now_us)
                        .field("clients", FieldValue::Int(min)),
                ],
                send_alert: true,
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsdb::Point;
    use crate::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, ManualClock};

    const MIN: i64 = 60_000_000;
    const NOW: i64 = 1_800_000_000_000_000;

    fn target(status: Status) -> Target {
        let mut device = crate::checks::ping::tests_device();
        device.id = uuid::Uuid::from_u128(5);
        Target { device, status }
    }

    #[tokio::test]
    async fn distinct_clients_over_both_windows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            EmbeddedStore::open(
                dir.path().join("ts.redb"),
                EmbeddedConfig::default(),
                Arc::new(ManualClock::new(NOW)),
            )
            .unwrap(),
        );
        let device = target(Status::Ok).device.id.to_string();
        let other = uuid::Uuid::from_u128(6).to_string();
        let point = |object: &str, mac: &str, ago_min: i64| {
            Point::new("wifi_clients", NOW - ago_min * MIN)
                .tag("content_type", "config.device")
                .tag("object_id", object)
                .tag("ifname", "wlan0")
                .field("clients", FieldValue::Str(mac.to_owned()))
        };
        store
            .write(vec![
                point(&device, "aa", 1),
                point(&device, "bb", 2),
                point(&device, "aa", 3),
                point(&device, "cc", 60),
                point(&device, "dd", 5 * 24 * 60), // older than 3 days
                point(&other, "ee", 1),
            ])
            .await
            .unwrap();
        let check = WifiClients::new(store.clone(), 4320 * MIN, 5 * MIN);
        let out = check.run(&target(Status::Ok), NOW).await.unwrap().unwrap();
        let value = |m: &str| {
            out.points
                .iter()
                .find(|p| p.measurement == m)
                .map(|p| p.fields["clients"].clone())
        };
        assert_eq!(value("wifi_clients_max"), Some(FieldValue::Int(2)));
        assert_eq!(value("wifi_clients_min"), Some(FieldValue::Int(3)));
        for skip in [Status::Unknown, Status::Critical] {
            assert!(check.run(&target(skip), NOW).await.unwrap().is_none());
        }
    }
}
