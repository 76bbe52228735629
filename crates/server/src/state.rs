//! What every request handler shares.

use std::sync::Arc;

use apptrust_store::Store;
use tokio::sync::Semaphore;

use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::trust_cache::TrustCache;

/// The shared state. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub trust_cache: Arc<TrustCache>,
    pub metrics: Arc<Metrics>,
    /// Bounds how many manifests are evaluated at once.
    pub evaluations: Arc<Semaphore>,
    /// This instance's name in job leases.
    pub instance: Arc<str>,
}
