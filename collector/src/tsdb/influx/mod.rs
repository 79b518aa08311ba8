//! The InfluxDB 1.x backend: [`TimeSeries`] over the HTTP API, with the reference's
//! database, retention policies, measurement, tag and field names, so an existing OpenWISP
//! InfluxDB and its Grafana dashboards keep working.
//!
//! Data flow: points → [`line`] (line protocol, one request per retention policy) →
//! [`client`] (`/write?precision=u`); a [`Query`] → [`influxql`] → `/query?epoch=u` →
//! [`result`] (JSON → [`Series`], typed with the measurement's field types).
//! [`retention`] plans the `CREATE`/`ALTER` statements run at start.
//! In the collector the store sits behind the durable write queue (`tsdb::queue`).

pub mod client;
pub mod influxql;
pub mod line;
pub mod result;
pub mod retention;

pub use client::{Client, ClientError, Settings};
pub use retention::{Change, Durations};

use super::{BoxFuture, Point, Query, Retention, Series, StoreError, TimeSeries};
use result::FieldTypes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The InfluxDB backend. Cheap to share; every request runs on tokio's blocking pool.
#[derive(Debug, Clone)]
pub struct InfluxStore {
    client: Client,
    /// Field types per (policy, measurement): JSON answers do not say whether `5` is an
    /// integer or a float. Refreshed when a queried field is not in it.
    types: Arc<Mutex<HashMap<(Retention, String), FieldTypes>>>,
}

impl InfluxStore {
    pub fn new(settings: Settings) -> Result<Self, ClientError> {
        Ok(InfluxStore {
            client: Client::new(settings)?,
            types: Arc::default(),
        })
    }

    pub fn settings(&self) -> &Settings {
        self.client.settings()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Client) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let client = self.client.clone();
        tokio::task::spawn_blocking(move || f(&client))
            .await
            .map_err(|e| StoreError::Unavailable(format!("InfluxDB request task failed: {e}")))?
    }

    /// Create the database (idempotent) and create or alter the retention policies to
    /// `want`. Returns what was changed.
    pub async fn prepare(&self, want: Durations) -> Result<Vec<Change>, StoreError> {
        self.blocking(move |c| {
            let db = &c.settings().database;
            result::ok(&c.query(&format!("CREATE DATABASE {}", influxql::ident(db)))?)?;
            let existing = result::rows(&c.query(&format!(
                "SHOW RETENTION POLICIES ON {}",
                influxql::ident(db)
            ))?)?;
            let changes = retention::plan(db, &existing, want);
            for change in &changes {
                result::ok(&c.query(&change.statement)?)?;
            }
            Ok(changes)
        })
        .await
    }

    /// The retention policies as the server reports them: (name, Go duration text).
    pub async fn retention_policies(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.blocking(move |c| {
            let rows = result::rows(&c.query(&format!(
                "SHOW RETENTION POLICIES ON {}",
                influxql::ident(&c.settings().database)
            ))?)?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    Some((
                        r.get("name")?.as_str()?.to_owned(),
                        r.get("duration")?.as_str()?.to_owned(),
                    ))
                })
                .collect())
        })
        .await
    }

    /// The measurement's field types, from the cache unless `need` names a field it lacks.
    async fn field_types(
        &self,
        retention: Retention,
        measurement: &str,
        need: &[&str],
    ) -> Result<FieldTypes, StoreError> {
        let key = (retention, measurement.to_owned());
        if let Some(t) = self.types.lock().expect("not poisoned").get(&key)
            && need.iter().all(|f| t.contains_key(*f))
        {
            return Ok(t.clone());
        }
        let q = influxql::field_keys(retention, measurement);
        let types = self
            .blocking(move |c| result::field_types(&c.query(&q)?))
            .await?;
        self.types
            .lock()
            .expect("not poisoned")
            .insert(key, types.clone());
        Ok(types)
    }
}

/// Line protocol per retention policy; a point that cannot be written at all is
/// `Rejected`, naming it.
fn encode(points: &[Point]) -> Result<Vec<(Retention, String)>, StoreError> {
    let mut bodies: Vec<(Retention, String)> = Vec::new();
    for p in points {
        let body = match bodies.iter_mut().find(|(r, _)| *r == p.retention) {
            Some((_, b)) => b,
            None => {
                bodies.push((p.retention, String::new()));
                &mut bodies.last_mut().expect("just pushed").1
            }
        };
        line::encode(body, p).map_err(|e| StoreError::Rejected(e.to_string()))?;
    }
    Ok(bodies)
}

impl InfluxStore {
    /// Send line protocol bodies, one request per retention policy.
    async fn send(&self, bodies: Vec<(Retention, String)>) -> Result<(), StoreError> {
        if bodies.is_empty() {
            return Ok(());
        }
        self.blocking(move |c| {
            for (retention, body) in bodies {
                c.write(retention.influx_name(), body)?;
            }
            Ok(())
        })
        .await
    }
}

impl TimeSeries for InfluxStore {
    fn write(&self, points: Vec<Point>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move { self.send(encode(&points)?).await })
    }

    fn write_slice<'a>(&'a self, points: &'a [Point]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.send(encode(points)?).await })
    }

    fn query(&self, query: Query) -> BoxFuture<'_, Result<Vec<Series>, StoreError>> {
        Box::pin(async move {
            let statement = influxql::select(&query)?;
            let need: Vec<&str> = query.fields.iter().map(|(f, _)| f.as_str()).collect();
            let types = self
                .field_types(query.retention, &query.measurement, &need)
                .await?;
            let body = self.blocking(move |c| c.query(&statement)).await?;
            result::series(&body, &query.fields, &query.group_by_tags, &types)
        })
    }

    fn latest(
        &self,
        retention: Retention,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<Option<Point>, StoreError>> {
        Box::pin(async move {
            let statement = influxql::latest(retention, &measurement, &tags);
            let body = self.blocking(move |c| c.query(&statement)).await?;
            let types = self.field_types(retention, &measurement, &[]).await?;
            result::latest(&body, retention, &measurement, &types)
        })
    }

    fn delete_series(
        &self,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let statement = influxql::drop_series(&measurement, &tags);
            self.blocking(move |c| result::ok(&c.query(&statement)?))
                .await
        })
    }
}
