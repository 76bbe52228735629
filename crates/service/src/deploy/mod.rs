//! The deploy use case: a manifest reported for an environment of an app becomes a numbered
//! version with its evaluation, and may move the Runs on Atlassian badge.
//!
//! Nothing slow runs while the write lock is held: the new manifest is evaluated
//! ([`assess`]), and compared with the environment's latest version, before the transaction
//! starts (in the [`Evaluator`], in its lane). Under the lock the deploy only checks that the
//! latest version is still the one it was compared with; if another deploy landed in between,
//! the transaction is rolled back and the comparison is made again, a few times at most.

mod assess;
mod classify;
mod record;

pub use assess::{Assessed, assess};
pub use classify::MAX_STORED_CHANGES;

use apptrust_programs::AppVersion;
use apptrust_store::apps::App;
use apptrust_store::clock;
use apptrust_store::evaluator::Evaluator;
use apptrust_store::users::{Role, User};
use apptrust_store::variables::Variables;
use apptrust_store::versions::VersionView;
use apptrust_store::{Store, StoreError};

/// How often a deploy compares again when other deploys to the same environment keep landing
/// first, before it gives up with [`StoreError::Busy`].
const MAX_ATTEMPTS: u32 = 6;

/// A deploy to record. The manifest has already been assessed (outside any transaction, so
/// that slow or hostile input never holds the write lock).
#[derive(Debug)]
pub struct DeployRequest<'a> {
    pub app: &'a App,
    pub environment: &'a str,
    pub manifest: &'a str,
    /// The variable values the manifest was assessed with; stored with the version, never shown.
    pub variables: &'a Variables,
    /// SHA-256 of the manifest (see [`apptrust_store::secrets::hash`]), computed once by the
    /// caller.
    pub fingerprint: &'a str,
    pub requested_version: Option<AppVersion>,
    pub idempotency_key: Option<&'a str>,
    pub assessed: &'a Assessed,
    pub deployer: &'a User,
}

/// What a deploy did.
#[derive(Debug)]
pub struct DeployOutcome {
    /// The version, with its evaluation and badge events.
    pub version: VersionView,
    /// True when an earlier deploy with the same idempotency key was returned.
    pub replayed: bool,
}

/// How a version records who reported it: the platform's service account, staff, or a partner.
pub fn reporter(deployer: &User) -> &'static str {
    match deployer.role {
        Role::Platform => "platform",
        Role::Staff => "staff",
        Role::Partner | Role::SiteAdmin => "partner",
    }
}

/// The separator between a reporter kind and its key in a stored idempotency key: a control
/// character, which keys may not contain (see [`check_idempotency_key`]).
const KEY_SCOPE: char = '\u{1f}';

/// Refuses an idempotency key that is empty, longer than 200 characters, or holds a control
/// character.
pub fn check_idempotency_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.chars().count() > 200 || key.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "an idempotency key must be 1 to 200 characters, none of them control characters"
                .to_string(),
        ));
    }
    Ok(())
}

/// The idempotency key as stored. The platform's keys live apart from partners' and staff's
/// (which keep the plain form they always had), so that a partner who guesses the pipeline's
/// keys cannot make the platform's reports look like replays or conflicts.
pub fn stored_key<'k>(deployer: &User, key: &'k str) -> std::borrow::Cow<'k, str> {
    match deployer.role {
        Role::Platform => format!("platform{KEY_SCOPE}{key}").into(),
        _ => key.into(),
    }
}

/// Whether `deployer` may report to `environment`. When only the platform's reports move badges,
/// production is the platform's to report: a partner's production report would share its
/// version numbers and could block the platform's (a partner reporting 999.0.0 first). Callers
/// check this before evaluating, so that a refused report costs nothing.
pub fn may_report(
    store: &Store,
    deployer: &User,
    app: &App,
    environment: &str,
) -> Result<(), StoreError> {
    if environment == "production" && !store.counts_for_badges(reporter(deployer)) {
        return Err(StoreError::Forbidden(format!(
            "production versions of `{}` are reported by the deployment platform here \
             (count-partner-reported-deploys is off); report to another environment, or let the \
             platform report this one",
            app.key
        )));
    }
    Ok(())
}

/// Records a deploy, or returns the earlier one made with the same idempotency key.
pub async fn deploy(
    store: &Store,
    request: &DeployRequest<'_>,
    evaluator: &Evaluator,
) -> Result<DeployOutcome, StoreError> {
    may_report(store, request.deployer, request.app, request.environment)?;
    match (
        record(store, request, evaluator).await,
        request.idempotency_key,
    ) {
        // The key was used before, or two deploys with it raced: answer with the recorded one.
        (Err(StoreError::Conflict(conflict)), Some(key)) => {
            let replay = Replay {
                deployer: request.deployer,
                app: request.app,
                environment: request.environment,
                key,
                fingerprint: request.fingerprint,
                variables: request.variables,
                requested_version: request.requested_version,
            };
            match find_replay(store, &replay).await? {
                Some(outcome) => Ok(outcome),
                None => Err(StoreError::Conflict(conflict)),
            }
        }
        (other, _) => other,
    }
}

/// A deploy that carries an idempotency key, as far as a replay is concerned.
#[derive(Debug)]
pub struct Replay<'a> {
    pub deployer: &'a User,
    pub app: &'a App,
    pub environment: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub variables: &'a Variables,
    pub requested_version: Option<AppVersion>,
}

/// The earlier deploy made with this idempotency key, if any; a conflict when the key was used
/// for a different manifest, variable values, environment or version, or by a reporter of
/// another kind (a partner's key never answers for the platform, nor the other way round).
/// Callers check this before evaluating, so that a retry returns the recorded result even if
/// the rules engine changed since.
pub async fn find_replay(
    store: &Store,
    replay: &Replay<'_>,
) -> Result<Option<DeployOutcome>, StoreError> {
    let (app, key) = (replay.app, replay.key);
    let stored = stored_key(replay.deployer, key);
    let Some(recorded) = store.version_by_idempotency_key(app.id, &stored).await? else {
        return Ok(None);
    };
    if recorded.reported_by != reporter(replay.deployer) {
        let who = match recorded.reported_by.as_str() {
            "platform" => "the platform",
            "staff" => "staff",
            _ => "a partner",
        };
        return Err(StoreError::Conflict(format!(
            "idempotency key `{key}` was already used for a deploy of `{}` that {who} reported; \
             use keys of your own",
            app.key
        )));
    }
    let same = recorded.manifest_sha256 == replay.fingerprint
        && recorded.environment == replay.environment
        && recorded.variables == *replay.variables;
    if !same {
        return Err(StoreError::Conflict(format!(
            "idempotency key `{key}` was already used for a different deploy of `{}`",
            app.key
        )));
    }
    let version = store.version_by_id(recorded.id).await?;
    if let Some(requested) = replay.requested_version
        && requested.to_string() != version.version
    {
        return Err(StoreError::Conflict(format!(
            "idempotency key `{key}` was already used for version {}",
            version.version
        )));
    }
    Ok(Some(DeployOutcome {
        version,
        replayed: true,
    }))
}

/// Classifies and writes, again while other deploys to the environment keep landing first.
async fn record(
    store: &Store,
    request: &DeployRequest<'_>,
    evaluator: &Evaluator,
) -> Result<DeployOutcome, StoreError> {
    // Deploys to one environment on this instance take turns, so that they do not keep
    // invalidating each other's comparison; only another instance can get in between.
    let _turn = store
        .environment_turn(request.app.id, request.environment)
        .await;
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            // Another instance won the race: give it room before comparing again.
            let pause = 20 * (1 << attempt) + u64::from(clock::jitter_ms(20));
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        let (compared_with, report) = classify::classify_ahead(store, request, evaluator).await?;
        if let Some(outcome) =
            record::record_if_latest(store, request, compared_with, report).await?
        {
            return Ok(outcome);
        }
    }
    Err(StoreError::Busy(format!(
        "other deploys to `{}` of `{}` kept landing first; retry",
        request.environment, request.app.key
    )))
}
