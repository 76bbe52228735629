//! Deploys are let in before their bodies are read. A deploy carries up to `max-body-bytes` of
//! manifest and then may wait for its evaluation; without a bound, one partner sending many at
//! once could fill memory with bodies that are only waiting. So each deploy first takes a ticket:
//! one of its partner's `max-deploys-per-partner` places, and for a large one (160 kB or more, or
//! of unknown length: real manifests are a few kB) one of its `max-large-deploys-per-partner`
//! places (refused with `429` when none is free), so that one partner can hold at most a bounded
//! share of the bodies and of the large lane's queue. A `platform` account, which reports for
//! every partner, has `max-deploys-per-platform-account` and
//! `max-large-deploys-per-platform-account` places instead. Then the deploy reserves its
//! `Content-Length` from the body budget `deploy-body-budget-mib` shared by all deploys (waited
//! for, up to `evaluation-queue-timeout-ms`, then `503`). The ticket is held until the deploy is
//! answered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use apptrust_store::evaluator::LARGE_MANIFEST_BYTES;
use apptrust_store::users::Role;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::settings::Settings;
use crate::state::AppState;

/// Budgets are counted in KiB.
const UNIT: usize = 1024;

/// The deploy gate shared by all requests.
#[derive(Debug)]
pub struct DeployAdmission {
    bodies: Arc<Semaphore>,
    body_units: usize,
    /// Deploys in flight per partner: (all, large).
    in_flight: Mutex<HashMap<i64, (usize, usize)>>,
    max_per_partner: usize,
    max_large_per_partner: usize,
    max_per_platform: usize,
    max_large_per_platform: usize,
    max_body_bytes: usize,
    queue_timeout: Duration,
}

impl DeployAdmission {
    pub fn new(settings: &Settings) -> DeployAdmission {
        let body_units = (settings.deploy_body_budget_mib.max(1) * 1024 * 1024 / UNIT)
            .clamp(1, Semaphore::MAX_PERMITS);
        DeployAdmission {
            bodies: Arc::new(Semaphore::new(body_units)),
            body_units,
            in_flight: Mutex::new(HashMap::new()),
            max_per_partner: settings.max_deploys_per_partner.max(1),
            max_large_per_partner: settings.max_large_deploys_per_partner.max(1),
            max_per_platform: settings.max_deploys_per_platform_account.max(1),
            max_large_per_platform: settings.max_large_deploys_per_platform_account.max(1),
            max_body_bytes: settings.max_body_bytes,
            queue_timeout: Duration::from_millis(settings.evaluation_queue_timeout_ms),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (usize, usize)>> {
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A deploy's admission; released when dropped.
pub struct DeployTicket {
    gate: Arc<DeployAdmission>,
    /// The partner's key once a place is taken, and whether it is a large one.
    place: Option<(i64, bool)>,
    body: Option<OwnedSemaphorePermit>,
}

impl Drop for DeployTicket {
    fn drop(&mut self) {
        let Some((key, large)) = self.place else {
            return;
        };
        let mut table = self.gate.table();
        if let Some((all, big)) = table.get_mut(&key) {
            *all = all.saturating_sub(1);
            if large {
                *big = big.saturating_sub(1);
            }
            if *all == 0 {
                table.remove(&key);
            }
        }
    }
}

impl DeployTicket {
    /// Admits a deploy from `caller` whose request head is `parts`, or says why not.
    pub async fn admit(
        caller: &SignedIn,
        parts: &Parts,
        state: &AppState,
    ) -> Result<DeployTicket, ApiError> {
        let user = caller.user();
        let gate = state.admission.clone();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(gate.max_body_bytes)
            .min(gate.max_body_bytes);
        let mut ticket = DeployTicket {
            gate: gate.clone(),
            place: None,
            body: None,
        };
        // A body without a length (chunked) may be as large as any: it counts as large.
        let large = declared >= LARGE_MANIFEST_BYTES;
        // Partner members share their partner's places; staff have their own, and so has a
        // platform account, with limits of its own since it reports for every partner.
        let key = user.partner_id.unwrap_or(-user.id);
        let (max_all, max_large, whose, setting) = if user.role == Role::Platform {
            (
                gate.max_per_platform,
                gate.max_large_per_platform,
                "this platform account",
                "platform-account",
            )
        } else {
            (
                gate.max_per_partner,
                gate.max_large_per_partner,
                "this partner",
                "partner",
            )
        };
        {
            let mut table = gate.table();
            let (all, big) = table.entry(key).or_insert((0, 0));
            let refusal = if *all >= max_all {
                Some(format!(
                    "{max_all} deploys of {whose} are already in progress \
                     (`max-deploys-per-{setting}`); retry when one is answered"
                ))
            } else if large && *big >= max_large {
                Some(format!(
                    "{max_large} large deploys (160 kB or more) of {whose} are already in \
                     progress (`max-large-deploys-per-{setting}`); retry when one is answered"
                ))
            } else {
                None
            };
            if let Some(message) = refusal {
                if *all == 0 {
                    table.remove(&key);
                }
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-deploys",
                    message,
                ));
            }
            *all += 1;
            if large {
                *big += 1;
            }
            ticket.place = Some((key, large));
        }
        let units = declared.div_ceil(UNIT).clamp(1, gate.body_units);
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        let body = tokio::time::timeout(
            gate.queue_timeout,
            gate.bodies.clone().acquire_many_owned(units),
        )
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many deploy bodies are waiting (`deploy-body-budget-mib`); retry shortly",
            )
        })?
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "stopping"))?;
        ticket.body = Some(body);
        Ok(ticket)
    }
}

/// Reads and drops a request body the server refuses before reading it (up to the deadline and
/// `limit` bytes), so that the client, which is still sending, reads the refusal instead of
/// seeing the connection break. Nothing is kept.
pub async fn drain(mut body: axum::body::Body, limit: usize, deadline: Duration) {
    use http_body::Body as _;
    let _ = tokio::time::timeout(deadline, async {
        let mut seen = 0usize;
        while seen < limit {
            let frame =
                std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
            match frame {
                Some(Ok(frame)) => {
                    seen += frame.data_ref().map_or(0, |d| d.len());
                }
                _ => break,
            }
        }
    })
    .await;
}
