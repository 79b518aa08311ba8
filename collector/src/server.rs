//! `edgemon-collector serve`: open the stores, start the ingest worker, serve HTTP, and shut
//! down gracefully (stop accepting, drain the queue, close the stores) on SIGINT/SIGTERM.

use crate::alerts::deliver::{Dispatcher, Email};
use crate::alerts::store::AlertStore;
use crate::alerts::{Alerts, Settings};
use crate::checks::runner::Runner;
use crate::checks::schedule::{self, Plan};
use crate::config::{Backend, Config, LogFormat, LogLevel};
use crate::http::{AppState, router};
use crate::ingest::{self, Ledger, Processor};
use crate::mqtt;
use crate::registry::Registry;
use crate::sessions::SessionStore;
use crate::tsdb::TimeSeries;
use crate::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use crate::tsdb::influx::{Durations, InfluxStore};
use crate::tsdb::queue::WriteQueue;
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Threads for `serve`'s blocking pool (tokio's default: up to 512). Storage commits and
/// registrations run there: redb serialises the writes of each file, so more threads only
/// wait, and each thread that allocates may get its own glibc arena. With the default the
/// collector ran 70 threads and 215 MB RSS at 2 000 devices; with 4 for storage, 137 MB
/// at the same ingest rate (`docs/benchmarks.md`). One more for notification delivery
/// (one webhook post at a time), and the InfluxDB drain's batches in flight, so that a
/// slow InfluxDB or webhook never holds the threads storage needs.
pub fn blocking_threads(config: &Config) -> usize {
    const STORAGE: usize = 4;
    const DELIVERY: usize = 1;
    let influx = if config.tsdb.backend == Backend::Influxdb {
        crate::tsdb::queue::IN_FLIGHT
    } else {
        0
    };
    STORAGE + DELIVERY + influx
}

/// Set up logging once for the process.
pub fn init_logging(config: &Config) {
    let level = match config.log.level {
        LogLevel::Error => tracing::Level::ERROR,
        LogLevel::Warn => tracing::Level::WARN,
        LogLevel::Info => tracing::Level::INFO,
        LogLevel::Debug => tracing::Level::DEBUG,
        LogLevel::Trace => tracing::Level::TRACE,
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Everything a running collector holds open.
#[derive(Debug)]
pub struct Stores {
    pub registry: Arc<Registry>,
    /// The time-series backend everything reads and writes: the embedded store, or the
    /// write queue in front of InfluxDB.
    pub tsdb: Arc<dyn TimeSeries>,
    /// The embedded store, when it is the backend.
    pub embedded: Option<Arc<EmbeddedStore>>,
    /// The write queue, when InfluxDB is the backend.
    pub queue: Option<Arc<WriteQueue>>,
    pub sessions: Arc<SessionStore>,
    /// Alerts and health (`None` when `alerts.enabled` is false).
    pub alerts: Option<Arc<Alerts>>,
    /// Native ingest's settled sequence numbers, dead letters, device status.
    pub ledger: Arc<Ledger>,
}

/// Open the registry and the time-series store under `config.data_dir`.
pub fn open_stores(config: &Config) -> anyhow::Result<Stores> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data_dir {}", config.data_dir.display()))?;
    let registry = Registry::open(&config.data_dir.join("registry.redb"))
        .context("cannot open the registry (is another collector using this data_dir?)")?;
    let (tsdb, embedded, queue) = match config.tsdb.backend {
        Backend::Embedded => {
            let e = open_tsdb(config)?;
            (e.clone() as Arc<dyn TimeSeries>, Some(e), None)
        }
        Backend::Influxdb => {
            let q = open_influx_queue(config)?;
            (q.clone() as Arc<dyn TimeSeries>, None, Some(q))
        }
    };
    let sessions = SessionStore::open(&config.data_dir.join("sessions.redb"))?;
    let registry = Arc::new(registry);
    let alerts = open_alerts(config, &registry)?;
    let ledger = Ledger::open(&config.data_dir.join("ingest.redb"))
        .context("cannot open the ingest ledger")?;
    Ok(Stores {
        registry,
        tsdb,
        embedded,
        queue,
        sessions: Arc::new(sessions),
        alerts,
        ledger: Arc::new(ledger),
    })
}

fn open_alerts(config: &Config, registry: &Arc<Registry>) -> anyhow::Result<Option<Arc<Alerts>>> {
    if !config.alerts.enabled {
        return Ok(None);
    }
    let catalog = config
        .alerts
        .catalog()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = AlertStore::open(&config.data_dir.join("alerts.redb"))?;
    let alerts = Alerts::new(
        catalog,
        Settings::from_config(&config.alerts),
        registry.clone(),
        store,
    )?;
    Ok(Some(Arc::new(alerts)))
}

/// The embedded store's settings from `config`.
pub fn embedded_config(config: &Config) -> EmbeddedConfig {
    let t = &config.embedded;
    EmbeddedConfig {
        short_retention_hours: config.retention.short.as_secs() / 3600,
        default_retention_hours: config.retention.default.as_secs() / 3600,
        sweep_interval_secs: t.sweep_interval.as_secs().max(1),
        sweep_chunk_points: t.sweep_chunk_points,
        max_batch_points: t.max_batch_points,
        queue_capacity: t.queue_capacity,
        cache_mib: t.cache_mib,
    }
}

fn open_tsdb(config: &Config) -> anyhow::Result<Arc<EmbeddedStore>> {
    let store = EmbeddedStore::open(
        config.data_dir.join("timeseries.redb"),
        embedded_config(config),
        Arc::new(SystemClock),
    )?;
    Ok(Arc::new(store))
}

/// The InfluxDB backend behind its write queue (`data_dir/tsdb-queue.redb`).
pub fn open_influx_queue(config: &Config) -> anyhow::Result<Arc<WriteQueue>> {
    let influx = InfluxStore::new(config.influxdb.settings())?;
    let queue = WriteQueue::open(
        &config.data_dir.join("tsdb-queue.redb"),
        Arc::new(influx),
        config.influxdb.queue(),
    )
    .context(
        "cannot open the time-series write queue (is another collector using this data_dir?)",
    )?;
    Ok(Arc::new(queue))
}

/// The InfluxDB retention durations `config` asks for.
pub fn influx_durations(config: &Config) -> Durations {
    Durations {
        default_secs: config.retention.default.as_secs(),
        short_secs: config.retention.short.as_secs(),
    }
}

/// Create the database and retention policies (retrying while InfluxDB is away), then
/// drain the write queue until `stop` resolves. Ingest does not wait for any of it.
async fn run_influx(
    queue: Arc<WriteQueue>,
    influx: InfluxStore,
    durations: Durations,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut attempt = 0;
    loop {
        match influx.prepare(durations).await {
            Ok(changes) => {
                for c in changes {
                    tracing::info!(change = %c.description, "InfluxDB prepared");
                }
                break;
            }
            Err(e) => {
                let wait = crate::tsdb::queue::backoff::delay(
                    attempt,
                    std::time::Duration::from_millis(100),
                    std::time::Duration::from_secs(30),
                    fastrand::u64(..),
                );
                attempt += 1;
                tracing::warn!(error = %e, "cannot prepare the InfluxDB database; retrying (samples are queued meanwhile)");
                tokio::select! {
                    () = &mut stop => return,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
    queue.run_drain(stop).await;
}

/// The embedded store's retention sweep, or InfluxDB's preparation and the write
/// queue's drain, until `stop` resolves.
fn start_storage_task(
    config: &Config,
    stores: &Stores,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    Ok(match (&stores.embedded, &stores.queue) {
        (Some(store), _) => {
            let store = store.clone();
            tokio::spawn(async move { store.run_retention(stop).await })
        }
        (None, Some(queue)) => tokio::spawn(run_influx(
            queue.clone(),
            InfluxStore::new(config.influxdb.settings())?,
            influx_durations(config),
            stop,
        )),
        (None, None) => unreachable!("open_stores opens one backend"),
    })
}

/// The active checks `config` enables, over the open stores.
pub fn check_runner(config: &Config, stores: &Stores) -> anyhow::Result<Arc<Runner>> {
    let tsdb = stores.tsdb.clone();
    let checks = crate::checks::from_config(&config.checks, tsdb.clone())?;
    Ok(Arc::new(Runner::new(
        checks,
        stores.registry.clone(),
        tsdb,
        stores.alerts.clone(),
        config.checks.concurrency,
        Arc::new(crate::registry::now_us),
    )))
}

/// Close the embedded store once nothing else holds it (pending writes are committed).
pub async fn close_tsdb(store: impl Into<Option<Arc<EmbeddedStore>>>) {
    let Some(store) = store.into() else {
        return;
    };
    match Arc::try_unwrap(store) {
        Ok(store) => store.close().await,
        Err(_) => {
            tracing::warn!("time-series store still shared at shutdown; not closed explicitly");
        }
    }
}

type Task = Option<tokio::task::JoinHandle<()>>;

/// The check schedule, when `checks.enabled`.
fn start_checks(
    config: &Config,
    stores: &Stores,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(Task, Option<Arc<crate::checks::runner::CheckStats>>)> {
    if !config.checks.enabled {
        return Ok((None, None));
    }
    let runner = check_runner(config, stores)?;
    let stats = runner.stats.clone();
    let recovery = stores.alerts.as_ref().and_then(|a| a.recovery_channel());
    let plan = Plan {
        interval: config.checks.interval.std(),
        jitter: config.checks.jitter.std(),
        critical: config.alerts.critical_metrics.clone(),
    };
    let task = tokio::spawn(schedule::run(runner, plan, recovery, stop));
    Ok((Some(task), Some(stats)))
}

/// The notification delivery task, when a channel is configured.
fn start_delivery(
    config: &Config,
    stores: &Stores,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Task> {
    let email = match &config.alerts.smtp {
        Some(smtp) if !config.alerts.emails.is_empty() => Some(Email {
            transport: smtp
                .transport()
                .map_err(|e| anyhow::anyhow!("alerts.smtp: {e}"))?,
            from: smtp.from.clone(),
            recipients: config.alerts.emails.clone(),
            retries: 3,
        }),
        _ => None,
    };
    let Some(alerts) = &stores.alerts else {
        return Ok(None);
    };
    if config.alerts.webhooks.is_empty() && email.is_none() {
        return Ok(None);
    }
    let dispatcher = Dispatcher::new(
        config.alerts.webhooks.clone(),
        email,
        config.alerts.rate_limit_per_hour,
        stores.registry.clone(),
        Arc::new(crate::registry::now_us),
        alerts.delivery_stats.clone(),
    );
    Ok(alerts
        .deliveries()
        .map(|rx| tokio::spawn(dispatcher.run(rx, stop))))
}

/// What the HTTP handlers reach.
fn app_state(
    config: &Config,
    stores: &Stores,
    pipeline: crate::ingest::Pipeline,
    tsdb: Arc<dyn TimeSeries>,
    mqtt: Option<Arc<mqtt::Stats>>,
) -> AppState {
    AppState {
        registry: stores.registry.clone(),
        pipeline,
        tsdb,
        embedded: stores.embedded.clone(),
        queue: stores.queue.clone(),
        alerts: stores.alerts.clone(),
        retry_after_s: config.ingest.retry_after_s,
        ack_stored: config.ingest.ack == crate::config::Ack::Stored,
        sessions: stores.sessions.clone(),
        chart_tz: jiff::tz::TimeZone::get(&config.charts.timezone)
            .expect("checked when the configuration was loaded"),
        dashboard_ifnames: config
            .charts
            .dashboard_traffic_interfaces
            .iter()
            .map(|i| crate::derive::slug::clean_timeseries_data_key(i))
            .collect(),
        mqtt,
        web: Arc::new(crate::http::ui::Web::from_config(config)),
        skews: Arc::default(),
        checks: None,
    }
}

/// Run the collector until `shutdown` resolves. `on_ready` gets the bound address (the
/// configured port may be 0).
pub async fn serve(
    config: Config,
    stores: Stores,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.http.listen))?;
    let addr = listener.local_addr()?;
    let tsdb = stores.tsdb.clone();
    let (stop_retention, retention_stopped) = tokio::sync::oneshot::channel::<()>();
    let retention = start_storage_task(&config, &stores, async {
        let _ = retention_stopped.await;
    })?;
    let (pipeline, worker) = ingest::start_bounded(
        Processor::new(
            tsdb.clone(),
            stores.ledger.clone(),
            crate::derive::transform::Options {
                mac_vendor_detection: config.ingest.mac_vendor_detection,
            },
        )
        .with_alerts(stores.alerts.clone())
        .with_sessions(Some(stores.sessions.clone())),
        config.ingest.queue_capacity,
        config.ingest.queue_max_bytes,
        config.ingest.batch_max,
    );
    let (stop_checks, checks_stopped) = tokio::sync::oneshot::channel::<()>();
    let (schedule, check_stats) = start_checks(&config, &stores, async {
        let _ = checks_stopped.await;
    })?;
    let (stop_delivery, delivery_stopped) = tokio::sync::oneshot::channel::<()>();
    let delivery = start_delivery(&config, &stores, async {
        let _ = delivery_stopped.await;
    })?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mqtt_stats = config
        .mqtt
        .enabled
        .then(|| Arc::new(mqtt::Stats::default()));
    let skews = Arc::new(crate::ingest::skew::Skews::default());
    let mqtt_task = mqtt_stats.clone().map(|stats| {
        let ctx = mqtt::Context {
            registry: stores.registry.clone(),
            ledger: stores.ledger.clone(),
            pipeline: pipeline.clone(),
            stats,
            skews: skews.clone(),
            read_ahead_bytes: config.mqtt.read_ahead_bytes,
        };
        tokio::spawn(mqtt::run(config.mqtt.clone(), ctx, stop_rx))
    });
    let mut state = app_state(&config, &stores, pipeline, tsdb, mqtt_stats);
    state.skews = skews;
    state.checks = check_stats;
    let app = router(state, config.http.max_body_bytes);
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "edgemon-collector listening");
    on_ready(addr);
    let limits = crate::http::serve::Limits {
        header_timeout: config.http.idle_timeout.std(),
        grace: config.http.shutdown_grace.std(),
    };
    crate::http::serve::serve(listener, app, limits, async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    })
    .await;
    let _ = stop_checks.send(());
    if let Some(schedule) = schedule {
        schedule.await.context("check schedule panicked")?;
    }
    if let Some(task) = mqtt_task {
        task.await
            .context("MQTT task panicked")?
            .context("MQTT ingest failed")?;
    }
    tracing::info!("stopped accepting; draining the ingest queue");
    worker.await.context("ingest worker panicked")?;
    let _ = stop_delivery.send(());
    if let Some(delivery) = delivery {
        delivery.await.context("notification delivery panicked")?;
    }
    let _ = stop_retention.send(());
    retention
        .await
        .context("retention or write-queue task panicked")?;
    // The last holder of the backend goes first, so the embedded store can be closed.
    let Stores {
        embedded,
        tsdb: shared,
        ..
    } = stores;
    drop(shared);
    close_tsdb(embedded).await;
    tracing::info!("ingest queue drained, stores closed; bye");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
