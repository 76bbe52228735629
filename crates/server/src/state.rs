//! What every request handler shares.

use std::sync::Arc;

use apptrust_store::Store;
use apptrust_store::evaluator::Evaluator;

use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::trust_cache::TrustCache;

/// The shared state. Cloned for every request, so it is one reference count: a struct of
/// fifteen `Arc`s cost a quarter of the CPU of the hottest routes in clones and drops, on
/// counters both cores share.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every request handler shares, behind [`AppState`].
pub struct Shared {
    pub store: Store,
    /// The trust programs and their requirement sets, loaded at start.
    pub programs: Arc<apptrust_programs::catalog::Catalog>,
    pub settings: Arc<Settings>,
    pub trust_cache: Arc<TrustCache>,
    /// The app directory for the directory page, kept for `trust-cache-ms`.
    pub directory_cache: Arc<crate::directory_cache::DirectoryCache>,
    /// Installations' egress and the proxy's tokens, for egress decisions (`egress-cache-ms`).
    pub egress_cache: Arc<crate::egress_cache::EgressCache>,
    /// Versions' egress, read once from their manifests.
    pub version_egress: Arc<apptrust_service::installations::egress::VersionEgressCache>,
    pub metrics: Arc<Metrics>,
    /// The count of stale evaluations shown by `/metrics`, recounted at most once per
    /// `metrics-refresh-ms`.
    pub stale_evaluations: Arc<crate::metrics::CachedFigure>,
    /// The waiting timers shown by `/metrics` (due, scheduled, failing), recounted at most once
    /// per `metrics-refresh-ms`: counting reads every unfired timer.
    pub timer_counts: Arc<[crate::metrics::CachedFigure; 3]>,
    /// The outbox's depth shown by `/metrics` (undispatched, pending, failed), recounted at
    /// most once per `metrics-refresh-ms`.
    pub outbox_counts: Arc<[crate::metrics::CachedFigure; 3]>,
    /// Runs manifest evaluations in their lanes (see `apptrust_store::evaluator`).
    pub evaluator: Evaluator,
    /// Lets deploys in before their bodies are read.
    pub admission: Arc<crate::admission::DeployAdmission>,
    /// This instance's name in job leases.
    pub instance: Arc<str>,
    /// The listen address is loopback: cookies may go without `Secure` unless a proxy says
    /// HTTPS.
    pub loopback: bool,
}
