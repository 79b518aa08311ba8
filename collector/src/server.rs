//! `edgemon-collector serve`: open the stores, start the ingest worker, serve HTTP, and shut
//! down gracefully (stop accepting, drain the queue, close the stores) on SIGINT/SIGTERM.

use crate::config::{Config, LogFormat, LogLevel};
use crate::http::{AppState, router};
use crate::ingest::{self, Ledger, Processor};
use crate::mqtt;
use crate::registry::Registry;
use crate::tsdb::TimeSeries;
use crate::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

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
    pub embedded: Arc<EmbeddedStore>,
    /// Native ingest's settled sequence numbers, dead letters, device status.
    pub ledger: Arc<Ledger>,
}

/// Open the registry and the time-series store under `config.data_dir`.
pub fn open_stores(config: &Config) -> anyhow::Result<Stores> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data_dir {}", config.data_dir.display()))?;
    let registry = Registry::open(&config.data_dir.join("registry.redb"))
        .context("cannot open the registry (is another collector using this data_dir?)")?;
    let embedded = open_tsdb(config)?;
    let ledger = Ledger::open(&config.data_dir.join("ingest.redb"))
        .context("cannot open the ingest ledger")?;
    Ok(Stores {
        registry: Arc::new(registry),
        embedded,
        ledger: Arc::new(ledger),
    })
}

fn open_tsdb(config: &Config) -> anyhow::Result<Arc<EmbeddedStore>> {
    let t = &config.embedded;
    let embedded = EmbeddedConfig {
        short_retention_hours: config.retention.short.as_secs() / 3600,
        default_retention_hours: config.retention.default.as_secs() / 3600,
        sweep_interval_secs: t.sweep_interval.as_secs().max(1),
        sweep_chunk_points: t.sweep_chunk_points,
        max_batch_points: t.max_batch_points,
        queue_capacity: t.queue_capacity,
        cache_mib: t.cache_mib,
    };
    let store = EmbeddedStore::open(
        config.data_dir.join("timeseries.redb"),
        embedded,
        Arc::new(SystemClock),
    )?;
    Ok(Arc::new(store))
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
    let tsdb: Arc<dyn TimeSeries> = stores.embedded.clone();
    let (stop_retention, retention_stopped) = tokio::sync::oneshot::channel::<()>();
    let retention = {
        let store = stores.embedded.clone();
        tokio::spawn(async move {
            store
                .run_retention(async {
                    let _ = retention_stopped.await;
                })
                .await;
        })
    };
    let (pipeline, worker) = ingest::start(
        Processor::new(
            tsdb.clone(),
            stores.ledger.clone(),
            crate::derive::transform::Options {
                mac_vendor_detection: config.ingest.mac_vendor_detection,
            },
        ),
        config.ingest.queue_capacity,
        config.ingest.batch_max,
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mqtt_stats = config
        .mqtt
        .enabled
        .then(|| Arc::new(mqtt::Stats::default()));
    let mqtt_task = mqtt_stats.clone().map(|stats| {
        let ctx = mqtt::Context {
            registry: stores.registry.clone(),
            ledger: stores.ledger.clone(),
            pipeline: pipeline.clone(),
            stats,
        };
        tokio::spawn(mqtt::run(config.mqtt.clone(), ctx, stop_rx))
    });
    let state = AppState {
        registry: stores.registry.clone(),
        pipeline,
        tsdb,
        embedded: Some(stores.embedded.clone()),
        retry_after_s: config.ingest.retry_after_s,
        mqtt: mqtt_stats,
    };
    let app = router(state, config.http.max_body_bytes);
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "edgemon-collector listening");
    on_ready(addr);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    })
    .await
    .context("HTTP server failed")?;
    if let Some(task) = mqtt_task {
        task.await
            .context("MQTT task panicked")?
            .context("MQTT ingest failed")?;
    }
    tracing::info!("stopped accepting; draining the ingest queue");
    worker.await.context("ingest worker panicked")?;
    let _ = stop_retention.send(());
    retention.await.context("retention task panicked")?;
    match Arc::try_unwrap(stores.embedded) {
        Ok(store) => store.close().await,
        Err(_) => {
            tracing::warn!("time-series store still shared at shutdown; not closed explicitly");
        }
    }
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
