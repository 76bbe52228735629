//! The deliverer: each instance runs one. A round dispatches new notifications into deliveries,
//! claims the due ones under a lease, sends them at once (webhooks on blocking threads, e-mail
//! through the relay), and records every attempt with what follows: delivered, retried after a
//! growing gap with jitter, or, a day after the first attempt, failed.

use std::sync::Arc;
use std::time::Duration;

use apptrust_store::deliveries::{self, Attempt, DueDelivery, Next, Target};
use apptrust_store::{Store, StoreError};

use super::backoff;
use super::email::{self, Mailer};
use super::webhook::{self, WebhookClient};

/// The deliverer's named limits.
#[derive(Clone, Debug)]
pub struct DelivererSettings {
    /// How often an idle deliverer looks for work.
    pub interval: Duration,
    /// Deliveries claimed and sent at once per round.
    pub batch: i64,
    /// Notifications dispatched per round.
    pub dispatch_batch: i64,
    /// How long one webhook request may take.
    pub webhook_timeout: Duration,
}

impl Default for DelivererSettings {
    fn default() -> Self {
        DelivererSettings {
            interval: Duration::from_millis(1000),
            batch: 32,
            dispatch_batch: 200,
            webhook_timeout: Duration::from_secs(10),
        }
    }
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub dispatched: usize,
    pub attempted: usize,
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retried: usize,
    /// Deliveries given up on.
    pub failed: usize,
}

/// Time a send may take beyond `delivery-timeout-ms` before it is abandoned.
const SEND_MARGIN: Duration = Duration::from_secs(2);

/// Told about every round (for metrics).
pub type DeliveryObserver = Arc<dyn Fn(&DeliveryRound) + Send + Sync>;

/// One instance's deliverer.
pub struct Deliverer {
    store: Store,
    owner: String,
    settings: DelivererSettings,
    webhooks: WebhookClient,
    mailer: Option<Mailer>,
    observer: Option<DeliveryObserver>,
}

impl Deliverer {
    /// A deliverer named `owner` (unique per instance). Without a `mailer` no e-mail is
    /// dispatched at all.
    pub fn new(
        store: Store,
        owner: impl Into<String>,
        settings: DelivererSettings,
        allow_private_webhooks: bool,
        mailer: Option<Mailer>,
    ) -> Deliverer {
        Deliverer {
            webhooks: WebhookClient::new(settings.webhook_timeout, allow_private_webhooks),
            store,
            owner: owner.into(),
            settings,
            mailer,
            observer: None,
        }
    }

    /// The same deliverer, telling `observer` what each round did.
    pub fn with_observer(mut self, observer: DeliveryObserver) -> Deliverer {
        self.observer = Some(observer);
        self
    }

    /// A lease comfortably longer than the slowest send, so that no other instance takes a
    /// delivery over while it is on the wire.
    fn lease_seconds(&self) -> i64 {
        i64::try_from(self.settings.webhook_timeout.as_secs())
            .unwrap_or(3600)
            .saturating_mul(3)
            .max(60)
    }

    /// One round: dispatch, claim, send, record.
    pub async fn round(&self) -> Result<DeliveryRound, StoreError> {
        let mut round = DeliveryRound {
            dispatched: self
                .store
                .dispatch_notifications(self.settings.dispatch_batch, self.mailer.is_some())
                .await?,
            ..DeliveryRound::default()
        };
        let channels: &[&str] = if self.mailer.is_some() {
            &[deliveries::WEBHOOK, deliveries::EMAIL]
        } else {
            &[deliveries::WEBHOOK]
        };
        let due = self
            .store
            .claim_due_deliveries(
                &self.owner,
                channels,
                self.settings.batch,
                self.lease_seconds(),
            )
            .await?;
        round.attempted = due.len();
        let began_at = self.store.now();
        let mut sends = tokio::task::JoinSet::new();
        let deadline = self.settings.webhook_timeout + SEND_MARGIN;
        for delivery in due {
            let webhooks = self.webhooks.clone();
            let mailer = self.mailer.clone();
            sends.spawn(async move {
                // Every send has a deadline of its own, whatever the transport bounds or not
                // (name lookups, a relay that stops answering), so that a round ends well within
                // the lease and no stuck send holds up the others.
                let sent =
                    tokio::time::timeout(deadline, send(&webhooks, mailer.as_ref(), &delivery))
                        .await
                        .unwrap_or_else(|_| {
                            let ms = i64::try_from(deadline.as_millis()).unwrap_or(i64::MAX);
                            (
                                Attempt {
                                    status_code: None,
                                    error: Some(format!("no answer within {ms} ms")),
                                    duration_ms: ms,
                                },
                                false,
                            )
                        });
                (delivery, sent.0, sent.1)
            });
        }
        while let Some(sent) = sends.join_next().await {
            let Ok((delivery, attempt, permanent)) = sent else {
                // A send that panicked: its lease runs out and it is tried again.
                continue;
            };
            let next = self.next(&delivery, &attempt, permanent);
            match &next {
                Next::Delivered => round.delivered += 1,
                Next::RetryAt(_) => round.retried += 1,
                Next::Failed => round.failed += 1,
            }
            if next != Next::Delivered {
                tracing::warn!(
                    delivery = delivery.id,
                    event = %delivery.event,
                    attempt = delivery.attempts,
                    status = ?attempt.status_code,
                    error = attempt.error.as_deref().unwrap_or(""),
                    next = ?next,
                    "delivery attempt failed"
                );
            }
            // One failed write does not drop the other sends' results: each is recorded on its
            // own, and an unrecorded one is sent again when its lease runs out.
            if let Err(error) = self
                .store
                .finish_delivery_attempt(&delivery, &self.owner, &began_at, &attempt, &next)
                .await
            {
                tracing::error!(delivery = delivery.id, %error, "recording a delivery attempt failed");
            }
        }
        if let Some(observer) = &self.observer {
            observer(&round);
        }
        Ok(round)
    }

    /// Rounds until `stop` says so: at once while there is work, then every `interval`. A round
    /// under way when the stop comes is finished, so that what it sent is recorded.
    ///
    /// Each round runs in a task of its own: a bug that panics fails that round (its claimed
    /// deliveries are sent again when their leases run out), not the deliverer.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let this = Arc::new(self);
        while !*stop.borrow() {
            let deliverer = this.clone();
            let busy = match tokio::spawn(async move { deliverer.round().await }).await {
                Ok(Ok(round)) => {
                    round.attempted as i64 >= this.settings.batch
                        || round.dispatched as i64 >= this.settings.dispatch_batch
                }
                Ok(Err(error)) => {
                    tracing::error!(%error, "delivery round failed");
                    false
                }
                Err(error) => {
                    tracing::error!(%error, "delivery round failed unexpectedly");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = tokio::time::sleep(this.settings.interval) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// What follows an attempt: delivered, retried after the backoff's gap, or failed once a
    /// day has passed since the first attempt (or at once for a permanent refusal).
    fn next(&self, delivery: &DueDelivery, attempt: &Attempt, permanent: bool) -> Next {
        if attempt.error.is_none() {
            return Next::Delivered;
        }
        // `410 Gone`: the receiver says it will never take this again.
        if permanent || attempt.status_code == Some(410) {
            return Next::Failed;
        }
        let first = time::OffsetDateTime::parse(
            &delivery.first_attempt_at,
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap_or_else(|_| self.store.clock().now());
        let elapsed = self.store.clock().now() - first;
        let failures = u32::try_from(delivery.attempts.max(1)).unwrap_or(u32::MAX);
        match backoff::next_gap(failures, elapsed, apptrust_store::clock::jitter_ms(1000)) {
            Some(gap) => Next::RetryAt(self.store.from_now(gap.whole_seconds().max(1))),
            None => Next::Failed,
        }
    }
}

/// Sends one delivery; the attempt, and whether its failure is permanent.
async fn send(
    webhooks: &WebhookClient,
    mailer: Option<&Mailer>,
    delivery: &DueDelivery,
) -> (Attempt, bool) {
    if let Some(reason) = &delivery.refused {
        let attempt = Attempt {
            status_code: None,
            error: Some(format!("not sent: {reason}")),
            duration_ms: 0,
        };
        return (attempt, true);
    }
    match &delivery.target {
        Target::Webhook { url, secrets, .. } => {
            let body = webhook::body(delivery.notification_id, &delivery.event, &delivery.payload);
            let (client, url, secrets, id) =
                (webhooks.clone(), url.clone(), secrets.clone(), delivery.id);
            let attempt =
                tokio::task::spawn_blocking(move || client.send(&url, id, &secrets, &body))
                    .await
                    .unwrap_or_else(|e| Attempt {
                        status_code: None,
                        error: Some(format!("the send failed: {e}")),
                        duration_ms: 0,
                    });
            (attempt, false)
        }
        Target::Email { address, name } => match mailer {
            Some(mailer) => {
                let sent = mailer
                    .send(
                        name,
                        address,
                        &email::render(&delivery.event, &delivery.payload),
                    )
                    .await;
                (sent.attempt, sent.permanent_failure)
            }
            None => (
                Attempt {
                    status_code: None,
                    error: Some("no SMTP relay is configured (smtp-url)".into()),
                    duration_ms: 0,
                },
                false,
            ),
        },
    }
}
