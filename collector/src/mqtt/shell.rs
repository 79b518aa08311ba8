//! The async shell around [`super::check`]: rumqttc's event loop, the in-order processor
//! and the in-order acknowledger.

use super::Stats;
use super::check::{DeadReason, Known, Verdict, check};
use super::topic::{self, Topic};
use crate::config;
use crate::ingest::ledger::{DeadLetter, DeviceStatus, Ledger};
use crate::ingest::{NativeJob, Outcome, Pipeline};
use crate::registry::{Registry, RegistryError};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

/// Largest message accepted (a batch of 100 router samples is about 400 KB).
const MAX_PACKET: usize = 4 * 1024 * 1024;
/// Messages read from the broker and waiting to be checked, at most.
const MESSAGES_AHEAD: usize = 16;
/// Dead-letter payloads are kept up to this size.
const MAX_DEAD_PAYLOAD: usize = 64 * 1024;

/// Why the MQTT side cannot start.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("{0}")]
    Config(String),
    #[error("cannot list the organizations to serve: {0}")]
    Registry(#[from] RegistryError),
}

/// What the MQTT side works with.
#[derive(Debug, Clone)]
pub struct Context {
    pub registry: Arc<Registry>,
    pub ledger: Arc<Ledger>,
    pub pipeline: Pipeline,
    pub stats: Arc<Stats>,
    /// Devices whose clocks are off (shared with the HTTP side).
    pub skews: Arc<crate::ingest::skew::Skews>,
    /// `mqtt.read_ahead_bytes`.
    pub read_ahead_bytes: usize,
}

/// A message waiting for its acknowledgement, with the connection it came on.
#[derive(Debug)]
enum Pending {
    /// Acknowledge now (dead letter, status).
    Now(u64, Publish),
    /// Acknowledge once the worker answers (not at all if it stops first).
    Stored(u64, Publish, oneshot::Receiver<Outcome>),
}

impl Pending {
    /// The acknowledgement needs only the packet id: the payload (already decoded or
    /// dead-lettered) is not kept while a batch waits to be stored.
    fn without_payload(mut self) -> Self {
        let (Pending::Now(_, p) | Pending::Stored(_, p, _)) = &mut self;
        p.payload = bytes::Bytes::new();
        self
    }
}

/// Serve MQTT until `shutdown` turns true, then stop taking messages, acknowledge what
/// was stored, and disconnect.
pub async fn run(
    cfg: config::Mqtt,
    ctx: Context,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), MqttError> {
    let orgs = if cfg.orgs.is_empty() {
        ctx.registry.orgs()?.into_iter().map(|o| o.slug).collect()
    } else {
        cfg.orgs.clone()
    };
    let opts = options(&cfg)?;
    let (client, mut eventloop) = AsyncClient::new(opts, 256);
    // Messages read but not yet checked: few, since one can be 4 MB (a batch of 100
    // samples is about 400 KB); behind them the event loop stops reading and the broker
    // keeps the rest.
    let (msg_tx, msg_rx) = mpsc::channel::<(u64, Publish)>(MESSAGES_AHEAD);
    let (ack_tx, ack_rx) = mpsc::channel::<Pending>(1024);
    // Packet ids are only meaningful on the connection that carried the message: after a
    // reconnection the broker sends what was not acknowledged again, and an old id could
    // name another message. So each message carries its connection's number, and a
    // PUBACK is sent only on that connection.
    let connection = Arc::new(AtomicU64::new(0));
    let processor = tokio::spawn(process(msg_rx, ack_tx, ctx.clone()));
    let acker = tokio::spawn(acknowledge(
        ack_rx,
        client.clone(),
        ctx.stats.clone(),
        connection.clone(),
    ));
    tracing::info!(broker = %cfg.broker, client_id = %cfg.client_id, orgs = ?orgs, "MQTT ingest starting");
    let mut delay = Duration::from_millis(250);
    let mut backoff = None;
    loop {
        if let Some(pause) = backoff.take() {
            tokio::select! {
                () = stopped(&mut shutdown) => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            ev = eventloop.poll() => match ev {
                Ok(Event::Incoming(Packet::ConnAck(c))) => {
                    connection.fetch_add(1, Ordering::SeqCst);
                    delay = Duration::from_millis(250);
                    ctx.stats.connections.fetch_add(1, Ordering::Relaxed);
                    ctx.stats.connected.store(true, Ordering::Relaxed);
                    tracing::info!(session_present = c.session_present, "connected to the MQTT broker");
                    for org in &orgs {
                        for filter in topic::subscriptions(org) {
                            if let Err(e) = client.try_subscribe(filter, QoS::AtLeastOnce) {
                                tracing::error!(error = %e, "cannot subscribe");
                            }
                        }
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if msg_tx.send((connection.load(Ordering::SeqCst), p)).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    connection.fetch_add(1, Ordering::SeqCst);
                    ctx.stats.connected.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %e, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "MQTT connection failed");
                    backoff = Some(delay);
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
    // Stop taking messages (the broker keeps the rest for the next session), let the
    // batches already queued be stored and acknowledged, then disconnect.
    drop(msg_tx);
    finish(&mut eventloop, &client, processor, acker).await;
    ctx.stats.connected.store(false, Ordering::Relaxed);
    tracing::info!("MQTT ingest stopped");
    Ok(())
}

/// The session: persistent, manual acknowledgements.
fn options(cfg: &config::Mqtt) -> Result<MqttOptions, MqttError> {
    let (host, port) = cfg.host_port().map_err(MqttError::Config)?;
    let mut opts = MqttOptions::new(cfg.client_id.clone(), host, port);
    opts.set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(cfg.keep_alive.as_secs()))
        .set_max_packet_size(MAX_PACKET, MAX_PACKET);
    if let Some(user) = &cfg.username {
        opts.set_credentials(user.clone(), cfg.password.clone().unwrap_or_default());
    }
    Ok(opts)
}

/// Keeps the event loop turning until the processor and the acknowledger are done (at
/// most 30 s), then disconnects.
async fn finish(
    eventloop: &mut rumqttc::EventLoop,
    client: &AsyncClient,
    processor: tokio::task::JoinHandle<()>,
    acker: tokio::task::JoinHandle<()>,
) {
    let drain = async {
        let _ = processor.await;
        let _ = acker.await;
    };
    tokio::pin!(drain);
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            tokio::select! {
                () = &mut drain => break,
                ev = eventloop.poll() => if ev.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                },
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "MQTT: pending acknowledgements not sent within 30 s; the broker will redeliver"
        );
    }
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(ev) = eventloop.poll().await {
            if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
    })
    .await;
}

/// Resolves once `shutdown` turns true (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await.map(|_| ());
}

/// The registry's record of a device, as [`check`] needs it.
fn lookup(registry: &Registry, id: Uuid) -> Result<Option<Known>, RegistryError> {
    let Some(device) = registry.device(id)? else {
        return Ok(None);
    };
    Ok(registry.org(device.org)?.map(|org| Known {
        id,
        org: org.id,
        org_slug: org.slug,
        key_hash: device.key_hash,
        active: device.active && org.active,
    }))
}

/// Retries a blocking storage operation with backoff until it works.
async fn retrying<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    what: &str,
    op: impl Fn() -> Result<T, E> + Send + Sync + 'static,
) -> T {
    let op = Arc::new(op);
    let mut delay = Duration::from_millis(100);
    loop {
        let o = op.clone();
        match tokio::task::spawn_blocking(move || o()).await {
            Ok(Ok(v)) => return v,
            Ok(Err(e)) => tracing::warn!(error = %e, "{what} failed; retrying"),
            Err(e) => tracing::warn!(error = %e, "{what} failed; retrying"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

/// Checks each message in arrival order and hands it on.
async fn process(
    mut rx: mpsc::Receiver<(u64, Publish)>,
    acks: mpsc::Sender<Pending>,
    ctx: Context,
) {
    while let Some((conn, p)) = rx.recv().await {
        let topic = topic::parse(&p.topic);
        let known = match &topic {
            Some(Topic { device, .. }) => {
                let (registry, id) = (ctx.registry.clone(), *device);
                retrying("registry lookup", move || lookup(&registry, id)).await
            }
            None => None,
        };
        let pending = match check(topic.as_ref(), &p.payload, known.as_ref()) {
            Verdict::Batch { device, org, batch } => {
                let (done, stored) = oneshot::channel();
                let mut samples = batch.samples;
                let now = crate::registry::now_us();
                crate::ingest::skew::settle_batch(&ctx.skews, device, &mut samples, now);
                let job = NativeJob {
                    device,
                    org,
                    samples,
                    done,
                };
                if ctx
                    .pipeline
                    .send_native(job, ctx.read_ahead_bytes)
                    .await
                    .is_err()
                {
                    return;
                }
                Pending::Stored(conn, p, stored)
            }
            Verdict::Status { device, online } => {
                let ledger = ctx.ledger.clone();
                let status = DeviceStatus {
                    online,
                    since_us: crate::registry::now_us(),
                };
                retrying("status write", move || ledger.set_status(device, &status)).await;
                ctx.stats.status_updates.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%device, online, "device status");
                Pending::Now(conn, p)
            }
            Verdict::Dead { reason, detail } => {
                dead_letter(&ctx, &p, reason, detail).await;
                Pending::Now(conn, p)
            }
        };
        if acks.send(pending.without_payload()).await.is_err() {
            return;
        }
    }
}

async fn dead_letter(ctx: &Context, p: &Publish, reason: DeadReason, detail: String) {
    let i = DeadReason::ALL
        .iter()
        .position(|r| *r == reason)
        .expect("every reason is listed");
    ctx.stats.dead[i].fetch_add(1, Ordering::Relaxed);
    tracing::warn!(topic = %p.topic, reason = reason.name(), %detail, bytes = p.payload.len(), "MQTT message dead-lettered");
    let letter = Arc::new(DeadLetter {
        received_us: crate::registry::now_us(),
        topic: p.topic.clone(),
        reason: reason.name().to_owned(),
        detail,
        payload: p.payload[..p.payload.len().min(MAX_DEAD_PAYLOAD)].to_vec(),
    });
    let ledger = ctx.ledger.clone();
    retrying("dead-letter write", move || ledger.dead_letter(&letter)).await;
}

/// Acknowledges in arrival order; a batch only once it is stored; nothing that came on
/// an earlier connection (the broker delivers it again, and it is then a duplicate).
async fn acknowledge(
    mut rx: mpsc::Receiver<Pending>,
    client: AsyncClient,
    stats: Arc<Stats>,
    connection: Arc<AtomicU64>,
) {
    while let Some(pending) = rx.recv().await {
        let (conn, p) = match pending {
            Pending::Now(conn, p) => (conn, p),
            Pending::Stored(conn, p, stored) => {
                if stored.await.is_err() {
                    continue; // not stored: the broker delivers it again
                }
                stats.batches.fetch_add(1, Ordering::Relaxed);
                (conn, p)
            }
        };
        if conn != connection.load(Ordering::SeqCst) {
            continue;
        }
        if client.ack(&p).await.is_err() {
            return;
        }
    }
}
