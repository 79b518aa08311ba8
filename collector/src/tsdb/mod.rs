//! Time-series storage: the data model ([`Point`], [`Query`], [`Series`]) and the
//! [`TimeSeries`] trait that the embedded store and the InfluxDB backend implement.
//!
//! The model mirrors InfluxDB 1.x (measurement, tags, fields, timestamp, retention policy)
//! because the reference writes there and existing OpenWISP dashboards read it; the embedded
//! store answers the same [`Query`] with the same results.

pub mod embedded;
pub mod influx;
mod point;
mod query;
pub mod queue;

pub use point::{FieldValue, Point, Retention};
pub use query::{Agg, Query, Row, Series, TagFilter};

use std::future::Future;
use std::pin::Pin;

/// A query's series and its summary series ([`TimeSeries::query_with_summary`]).
pub type WithSummary = (Vec<Series>, Vec<Series>);

/// A boxed future, so that `Arc<dyn TimeSeries>` works for every backend.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a time-series operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached or failed transiently: retry later.
    #[error("time-series backend unavailable: {0}")]
    Unavailable(String),
    /// The backend refused the request; retrying the same request will not help.
    #[error("time-series backend rejected the request: {0}")]
    Rejected(String),
    /// The query is not valid (unknown aggregation for a field type, bad range…).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
}

/// A time-series backend.
///
/// `write` returns only once the points are durable (committed to disk, or acknowledged by
/// the server). A batch is atomic for the embedded store.
pub trait TimeSeries: Send + Sync + std::fmt::Debug {
    /// Store a batch of points.
    fn write(&self, points: Vec<Point>) -> BoxFuture<'_, Result<(), StoreError>>;
    /// [`write`](Self::write) from borrowed points, for a caller that keeps them (the
    /// write queue's drain, which retries). A backend that only reads them overrides
    /// this and saves the copy.
    fn write_slice<'a>(&'a self, points: &'a [Point]) -> BoxFuture<'a, Result<(), StoreError>> {
        self.write(points.to_vec())
    }
    /// [`write`](Self::write) of points the caller hands on afterwards (the ingest worker
    /// passes them to the alerts). A backend that only reads them overrides this and
    /// saves the copy (a whole group's points: about 30 a sample, each with its strings).
    fn write_shared(
        &self,
        points: std::sync::Arc<Vec<Point>>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.write(std::sync::Arc::unwrap_or_clone(points))
    }
    /// Run an aggregation query; one [`Series`] per group of `group_by_tags` values.
    fn query(&self, query: Query) -> BoxFuture<'_, Result<Vec<Series>, StoreError>>;
    /// The query's series and, for the same points, its summary: the same aggregations
    /// over the whole range (`bucket_us: None`). What a chart needs; a backend that can
    /// compute both in one pass overrides this.
    fn query_with_summary(&self, query: Query) -> BoxFuture<'_, Result<WithSummary, StoreError>> {
        Box::pin(async move {
            let summary = Query {
                bucket_us: None,
                ..query.clone()
            };
            let data = self.query(query).await?;
            let summary = self.query(summary).await?;
            Ok((data, summary))
        })
    }
    /// The newest point of `measurement` in `retention` whose tags include `tags`.
    fn latest(
        &self,
        retention: Retention,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<Option<Point>, StoreError>>;
    /// Delete every point of `measurement` whose tags include `tags` (device deletion).
    fn delete_series(
        &self,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
}
