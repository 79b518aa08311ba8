//! `data_collected`: has the device sent anything in the last `interval`? Read from the
//! time of its latest `device_data` snapshot (written for every stored sample).

use super::{Check, CheckError, Output, Target, device_point};
use crate::alerts::Status;
use crate::derive::DEVICE_DATA;
use crate::tsdb::{BoxFuture, FieldValue, Retention, TimeSeries};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
pub struct DataCollected {
    tsdb: Arc<dyn TimeSeries>,
    interval_us: i64,
}

impl DataCollected {
    pub fn new(tsdb: Arc<dyn TimeSeries>, interval: Duration) -> Self {
        DataCollected {
            tsdb,
            interval_us: i64::try_from(interval.as_micros()).unwrap_or(i64::MAX),
        }
    }
}

/// 1 when the latest snapshot is at most `interval_us` old, else 0 (sans-IO).
pub fn collected(latest_us: Option<i64>, now_us: i64, interval_us: i64) -> i64 {
    i64::from(latest_us.is_some_and(|t| t >= now_us.saturating_sub(interval_us)))
}

impl Check for DataCollected {
    fn name(&self) -> &'static str {
        "data_collected"
    }

    fn metric(&self) -> &'static str {
        "data_collected"
    }

    fn run<'a>(
        &'a self,
        target: &'a Target,
        now_us: i64,
    ) -> BoxFuture<'a, Result<Option<Output>, CheckError>> {
        Box::pin(async move {
            let latest = self
                .tsdb
                .latest(
                    Retention::Short,
                    DEVICE_DATA.to_owned(),
                    vec![("pk".to_owned(), target.device.id.to_string())],
                )
                .await?;
            let value = collected(latest.map(|p| p.time_us), now_us, self.interval_us);
            let point = device_point("data_collected", &target.device, now_us)
                .retention(Retention::Short)
                .field("data_collected", FieldValue::Int(value));
            Ok(Some(Output {
                points: vec![point],
                // A critical device is already known to be down (the reference).
                send_alert: target.status != Status::Critical,
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::collected;

    #[test]
    fn within_the_interval_inclusive() {
        assert_eq!(collected(None, 100, 10), 0);
        assert_eq!(collected(Some(90), 100, 10), 1);
        assert_eq!(collected(Some(89), 100, 10), 0);
        assert_eq!(
            collected(Some(150), 100, 10),
            1,
            "a clock ahead counts as recent"
        );
    }
}
