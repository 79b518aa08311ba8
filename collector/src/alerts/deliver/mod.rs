//! Delivery of stored notifications to each organization's channels (today: a signed
//! webhook), with a per-organization rate limit. Muted notifications (maintenance) never
//! get here. Runs as one task fed by [`super::Alerts::deliveries`].

pub mod ratelimit;
pub mod webhook;

use super::notification::Notification;
use crate::config::Duration;
use crate::registry::Registry;
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// `[[alerts.webhooks]]`: one organization's webhook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// Organization id or slug.
    pub org: String,
    /// `http://` or `https://` URL the notifications are POSTed to.
    pub url: String,
    /// HMAC-SHA256 key of the `X-Edgemon-Signature` header.
    pub secret: String,
    /// Attempts after the first failure (backoff 1 s, 2 s, 4 s, …).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Limit of one attempt.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
}

fn default_retries() -> u32 {
    3
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

impl WebhookSpec {
    pub fn check(&self) -> Result<(), String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!("`url` {:?} is not an http(s) URL", self.url));
        }
        if self.secret.len() < 16 {
            return Err("`secret` must be at least 16 characters".into());
        }
        if self.timeout.as_secs() == 0 {
            return Err("`timeout` must be at least 1s".into());
        }
        Ok(())
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
    pub rate_limited: AtomicU64,
}

/// Delivers notifications.
pub struct Dispatcher {
    webhooks: Vec<WebhookSpec>,
    limiter: ratelimit::Limiter,
    registry: Arc<Registry>,
    clock: crate::checks::runner::Clock,
    pub stats: Arc<DeliveryStats>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    pub fn new(
        webhooks: Vec<WebhookSpec>,
        per_org_per_hour: u32,
        registry: Arc<Registry>,
        clock: crate::checks::runner::Clock,
        stats: Arc<DeliveryStats>,
    ) -> Dispatcher {
        Dispatcher {
            webhooks,
            limiter: ratelimit::Limiter::new(per_org_per_hour),
            registry,
            clock,
            stats,
        }
    }

    fn webhook_of(&self, org: Uuid) -> Option<WebhookSpec> {
        let slug = self.registry.org(org).ok().flatten().map(|o| o.slug);
        self.webhooks
            .iter()
            .find(|w| {
                slug.as_deref() == Some(w.org.as_str())
                    || Uuid::parse_str(&w.org).is_ok_and(|id| id == org)
            })
            .cloned()
    }

    /// Deliver one notification (rate limit, then up to `retries` retries, or none when
    /// `last_chance`: at shutdown).
    pub async fn deliver(&mut self, n: Notification, last_chance: bool) {
        let Some(hook) = self.webhook_of(n.org) else {
            return;
        };
        if !self.limiter.allow(n.org, (self.clock)()) {
            self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(org = %n.org, id = n.id, "notification not delivered: organization over its rate limit");
            return;
        }
        let body = webhook::body(&n);
        let event = n.kind_name();
        let mut delay = std::time::Duration::from_secs(1);
        let retries = if last_chance { 0 } else { hook.retries };
        for attempt in 0..=retries {
            let (h, b, e) = (hook.clone(), body.clone(), event.clone());
            let result = tokio::task::spawn_blocking(move || {
                webhook::post(&h.url, h.secret.as_bytes(), &e, &b, h.timeout.std())
            })
            .await
            .expect("webhook task panicked");
            match result {
                Ok(()) => {
                    self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(e) if attempt < retries => {
                    tracing::warn!(error = %e, attempt, "webhook failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => {
                    self.stats.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(error = %e, id = n.id, "webhook failed; giving up");
                }
            }
        }
    }

    /// Deliver until `shutdown` (or until the sending side is gone); at shutdown, what is
    /// already queued gets one attempt.
    pub async fn run(
        mut self,
        mut rx: tokio::sync::mpsc::UnboundedReceiver<Notification>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => {
                    while let Ok(n) = rx.try_recv() {
                        self.deliver(n, true).await;
                    }
                    return;
                }
                n = rx.recv() => match n {
                    Some(n) => self.deliver(n, false).await,
                    None => return,
                },
            }
        }
    }
}
