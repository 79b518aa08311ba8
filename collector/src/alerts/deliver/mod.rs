//! Delivery of stored notifications to each organization's channels (a signed webhook,
//! e-mail over SMTP), each channel with a per-organization rate limit. Muted notifications (maintenance) never
//! get here. Runs as one task fed by [`super::Alerts::deliveries`].

pub mod email;
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

/// E-mail: the transport and each organization's recipients.
pub struct Email {
    pub transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    pub from: String,
    pub recipients: Vec<email::EmailSpec>,
    /// Attempts after the first failure.
    pub retries: u32,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("from", &self.from)
            .field("recipients", &self.recipients)
            .finish_non_exhaustive()
    }
}

/// Delivers notifications, each channel with its own per-organization rate limit.
pub struct Dispatcher {
    webhooks: Vec<WebhookSpec>,
    email: Option<Email>,
    webhook_limiter: ratelimit::Limiter,
    email_limiter: ratelimit::Limiter,
    registry: Arc<Registry>,
    clock: crate::checks::runner::Clock,
    pub stats: Arc<DeliveryStats>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

/// Whether `spec_org` (an id or a slug) names `org`.
fn names(spec_org: &str, org: Uuid, slug: Option<&str>) -> bool {
    slug == Some(spec_org) || Uuid::parse_str(spec_org).is_ok_and(|id| id == org)
}

/// Run `attempt` until it succeeds, at most `retries` more times, with backoff.
async fn with_retries<F, Fut>(retries: u32, what: &str, mut attempt: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut delay = std::time::Duration::from_secs(1);
    let mut n = 0;
    loop {
        match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) if n < retries => {
                tracing::warn!(error = %e, attempt = n, channel = what, "delivery failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Dispatcher {
    pub fn new(
        webhooks: Vec<WebhookSpec>,
        email: Option<Email>,
        per_org_per_hour: u32,
        registry: Arc<Registry>,
        clock: crate::checks::runner::Clock,
        stats: Arc<DeliveryStats>,
    ) -> Dispatcher {
        Dispatcher {
            webhooks,
            email,
            webhook_limiter: ratelimit::Limiter::new(per_org_per_hour),
            email_limiter: ratelimit::Limiter::new(per_org_per_hour),
            registry,
            clock,
            stats,
        }
    }

    fn count(&self, result: Result<(), String>, channel: &str, id: u64) {
        match result {
            Ok(()) => {
                self.stats.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, id, channel, "delivery failed; giving up");
            }
        }
    }

    fn limited(&self, org: Uuid, id: u64, channel: &str) {
        self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%org, id, channel, "notification not delivered: organization over its rate limit");
    }

    /// Deliver one notification to every channel of its organization (rate limit, then up
    /// to `retries` retries, or none when `last_chance`: at shutdown).
    pub async fn deliver(&mut self, n: Notification, last_chance: bool) {
        let slug = self.registry.org(n.org).ok().flatten().map(|o| o.slug);
        let now = (self.clock)();
        let hook = self
            .webhooks
            .iter()
            .find(|w| names(&w.org, n.org, slug.as_deref()))
            .cloned();
        if let Some(hook) = hook {
            if self.webhook_limiter.allow(n.org, now) {
                let body = webhook::body(&n);
                let event = n.kind_name();
                let retries = if last_chance { 0 } else { hook.retries };
                let result = with_retries(retries, "webhook", || {
                    let (h, b, e) = (hook.clone(), body.clone(), event.clone());
                    async move {
                        tokio::task::spawn_blocking(move || {
                            webhook::post(&h.url, h.secret.as_bytes(), &e, &b, h.timeout.std())
                        })
                        .await
                        .expect("webhook task panicked")
                        .map_err(|e| e.to_string())
                    }
                })
                .await;
                self.count(result, "webhook", n.id);
            } else {
                self.limited(n.org, n.id, "webhook");
            }
        }
        let to = self.email.as_ref().and_then(|e| {
            e.recipients
                .iter()
                .find(|r| names(&r.org, n.org, slug.as_deref()))
                .map(|r| r.to.clone())
        });
        if let (Some(email), Some(to)) = (&self.email, to) {
            if self.email_limiter.allow(n.org, now) {
                let retries = if last_chance { 0 } else { email.retries };
                let result = match email::message(&email.from, &to, &n) {
                    Ok(message) => {
                        with_retries(retries, "email", || {
                            email::send(&email.transport, message.clone())
                        })
                        .await
                    }
                    Err(e) => Err(e),
                };
                self.count(result, "email", n.id);
            } else {
                self.limited(n.org, n.id, "email");
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
