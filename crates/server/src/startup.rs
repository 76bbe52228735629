//! Building and running the service: open and migrate the store, seed the demo if asked, start
//! the background jobs, listen, and shut down cleanly on SIGTERM or Ctrl-C.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use apptrust_store::evaluator::{Evaluator, EvaluatorLimits};
use apptrust_store::{DatabaseUrl, PoolSettings, Store, secrets};
use tokio::net::TcpListener;

use crate::connection::{ConnectionLimits, ServeLimits};

use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::state::AppState;
use crate::trust_cache::TrustCache;

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Store(#[from] apptrust_store::StoreError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Settings(String),
}

/// Opens the configured database with the configured pool size.
pub async fn open_store(settings: &Settings) -> Result<Store, apptrust_store::StoreError> {
    let url: DatabaseUrl = settings.database.parse()?;
    let pool = PoolSettings {
        max_connections: settings.max_connections.max(1),
        ..PoolSettings::default()
    };
    Store::open(&url, &pool).await
}

/// The evaluator that the settings describe.
pub fn evaluator(settings: &Settings) -> Evaluator {
    Evaluator::new(EvaluatorLimits {
        slots: settings.evaluation_slots.max(1),
        queue_timeout: Duration::from_millis(settings.evaluation_queue_timeout_ms),
    })
}

fn serve_limits(settings: &Settings) -> ServeLimits {
    ServeLimits {
        connection: ConnectionLimits {
            header_read: Duration::from_millis(settings.header_read_timeout_ms.max(1)),
            idle: Duration::from_millis(settings.idle_timeout_ms.max(1)),
            max_head_bytes: settings.max_head_bytes.max(1024),
            max_request_line_bytes: settings.max_request_line_bytes.max(256),
            max_headers: settings.max_headers.max(8),
        },
        max_connections: settings.max_http_connections.max(1),
        shutdown_grace: Duration::from_millis(settings.shutdown_grace_ms),
    }
}

/// The trust programs: those built into the binary, or the `programs-dir` folder. Every problem
/// stops start-up, each with its file and line.
fn load_programs(settings: &Settings) -> Result<apptrust_programs::catalog::Catalog, String> {
    use apptrust_programs::catalog::{Catalog, read_folder};
    let (files, source) = match &settings.programs_dir {
        Some(dir) => (read_folder(std::path::Path::new(dir))?, format!("{dir}/")),
        None => (
            apptrust_programs::builtin::files(),
            "built-in programs/".to_string(),
        ),
    };
    Catalog::load(&files).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("  {source}{}:{}: {}", p.file, p.line, p.problem))
            .collect();
        format!("the trust programs have problems:\n{}", lines.join("\n"))
    })
}

/// Runs the service until it is asked to stop.
pub async fn run(mut settings: Settings) -> Result<(), ServeError> {
    // The demo runs on a developer's machine, where the webhook receiver to try is local too.
    settings.allow_private_webhooks |= settings.demo;
    crate::logging::init(&settings.log_format, &settings.log_level)
        .map_err(ServeError::Settings)?;
    let mut store = open_store(&settings).await?;
    if settings.test_clock {
        store = store.with_clock(Arc::new(apptrust_store::clock::TestClock::new()));
    }
    store = store.with_partner_reports_counting(settings.count_partner_reported_deploys);
    store.migrate().await?;
    // A bad relay address stops start-up here rather than failing every e-mail later.
    let mailer = match &settings.smtp_url {
        Some(url) => Some(
            apptrust_service::notify::email::Mailer::new(
                url,
                &settings.mail_from,
                Duration::from_millis(
                    settings
                        .delivery_timeout_ms
                        .clamp(100, MAX_DELIVERY_TIMEOUT_MS),
                ),
            )
            .map_err(ServeError::Settings)?,
        ),
        None => None,
    };
    let programs = Arc::new(load_programs(&settings).map_err(ServeError::Settings)?);
    let evaluator = evaluator(&settings);
    let demo = if settings.demo {
        Some(crate::demo::seed(&store, &evaluator, &programs).await?)
    } else {
        None
    };
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|source| ServeError::Listen {
            address: settings.listen.clone(),
            source,
        })?;
    let address = listener.local_addr()?;
    // Random, so that nothing about the process (such as its id) shows in `/readyz` or leases.
    let instance = secrets::new_secret("")
        .ok()
        .and_then(|s| s.get(..12).map(str::to_string))
        .unwrap_or_else(|| "instance".to_string());
    crate::logging::set_instance(&instance);
    let limits = serve_limits(&settings);
    let state = AppState::new(crate::state::Shared {
        programs,
        directory_cache: Arc::new(crate::directory_cache::DirectoryCache::new(
            Duration::from_millis(settings.trust_cache_ms),
        )),
        trust_cache: Arc::new(TrustCache::new(
            Duration::from_millis(settings.trust_cache_ms),
            settings.max_trust_negatives,
        )),
        egress_cache: Arc::new(crate::egress_cache::EgressCache::new(
            Duration::from_millis(settings.egress_cache_ms),
        )),
        version_egress: Arc::default(),
        metrics: Arc::new(Metrics::default()),
        stale_evaluations: Arc::new(crate::metrics::CachedFigure::new(Duration::from_millis(
            settings.metrics_refresh_ms,
        ))),
        timer_counts: Arc::new(std::array::from_fn(|_| {
            crate::metrics::CachedFigure::new(Duration::from_millis(settings.metrics_refresh_ms))
        })),
        outbox_counts: Arc::new(std::array::from_fn(|_| {
            crate::metrics::CachedFigure::new(Duration::from_millis(settings.metrics_refresh_ms))
        })),
        evaluator,
        admission: Arc::new(crate::admission::DeployAdmission::new(&settings)),
        instance: instance.into(),
        loopback: address.ip().is_loopback(),
        settings: Arc::new(settings),
        store: store.clone(),
    });
    announce(&address, &state, demo.as_ref());
    // One timer runner per instance; at start it fires what came due while the service was down.
    // Re-evaluation after a rules-engine change is one of its kinds of work.
    let mut handlers = apptrust_service::timers::handlers();
    handlers.insert(
        apptrust_service::reevaluation::KIND,
        Arc::new(reevaluation(&state)),
    );
    apptrust_service::submission_timers::register(&mut handlers, &store, &state.programs);
    apptrust_service::case_timers::register(&mut handlers, &store, &state.programs);
    apptrust_service::security::register(&mut handlers, &store, &state.programs);
    apptrust_service::program_calendar::register(&mut handlers, &store, &state.programs);
    apptrust_service::program_calendar::schedule(&store, &state.programs).await?;
    apptrust_service::reevaluation::start(&store).await?;
    let keep_alive = tokio::spawn(apptrust_service::reevaluation::keep_alive(
        store.clone(),
        Duration::from_millis(state.settings.job_interval_ms.max(1000)),
    ));
    let timers = tokio::spawn(
        apptrust_service::timers::Runner::new(
            store.clone(),
            handlers,
            state.instance.to_string(),
            apptrust_service::timers::RunnerSettings {
                interval: Duration::from_millis(state.settings.timer_interval_ms.max(10)),
                ..apptrust_service::timers::RunnerSettings::default()
            },
        )
        .with_observer(timer_metrics(state.metrics.clone()))
        .run(),
    );
    // One deliverer per instance: dispatches the outbox and sends webhooks and e-mail. At a stop
    // it finishes the round under way (within the shutdown grace), so that what it sent is
    // recorded and not sent again.
    let (stop_deliveries, deliveries_stop) = tokio::sync::watch::channel(false);
    let deliverer = tokio::spawn(
        apptrust_service::notify::Deliverer::new(
            store.clone(),
            state.instance.to_string(),
            apptrust_service::notify::DelivererSettings {
                interval: Duration::from_millis(state.settings.delivery_interval_ms.max(10)),
                webhook_timeout: Duration::from_millis(
                    state
                        .settings
                        .delivery_timeout_ms
                        .clamp(100, MAX_DELIVERY_TIMEOUT_MS),
                ),
                ..apptrust_service::notify::DelivererSettings::default()
            },
            state.settings.allow_private_webhooks,
            mailer,
        )
        .with_observer(delivery_metrics(state.metrics.clone()))
        .run(deliveries_stop),
    );
    let grace = limits.shutdown_grace;
    let app = crate::routes::router(state);
    crate::connection::serve(listener, app, limits, shutdown_signal()).await;
    timers.abort();
    keep_alive.abort();
    let _ = stop_deliveries.send(true);
    if tokio::time::timeout(grace, deliverer).await.is_err() {
        tracing::warn!("the deliverer did not finish its round within the shutdown grace");
    }
    store.close().await;
    Ok(())
}

/// The re-evaluation handler: each batch that moved badges clears the trust cache, and every
/// re-evaluated version is counted (`apptrust_reevaluations_total`).
fn reevaluation(state: &AppState) -> apptrust_service::reevaluation::Reevaluation {
    let (trust_cache, metrics) = (state.trust_cache.clone(), state.metrics.clone());
    apptrust_service::reevaluation::Reevaluation {
        store: state.store.clone(),
        evaluator: state.evaluator.clone(),
        owner: state.instance.to_string(),
        interval: Duration::from_millis(state.settings.job_interval_ms.max(10)),
        observer: Some(Arc::new(
            move |batch: &apptrust_service::reevaluation::Batch| {
                if batch.badge_events > 0 {
                    trust_cache.clear();
                }
                let evaluated = u64::try_from(batch.evaluated).unwrap_or(u64::MAX);
                metrics.add("apptrust_reevaluations_total", "done", evaluated);
            },
        )),
    }
}

/// Counts what the timer runner does: `apptrust_timers_total{outcome="fired"|"failed"|"late"}`.
fn timer_metrics(metrics: Arc<Metrics>) -> apptrust_service::timers::Observer {
    Arc::new(move |round: &apptrust_service::timers::Round| {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        metrics.add("apptrust_timers_total", "fired", as_u64(round.fired));
        metrics.add("apptrust_timers_total", "failed", as_u64(round.failed));
        metrics.add("apptrust_timers_total", "late", as_u64(round.late));
    })
}

/// The longest `delivery-timeout-ms` honoured: ten minutes.
const MAX_DELIVERY_TIMEOUT_MS: u64 = 600_000;

/// Counts what the deliverer does: `apptrust_delivery_attempts_total{outcome="delivered"|
/// "retried"|"failed"}` (failed: given up).
fn delivery_metrics(metrics: Arc<Metrics>) -> apptrust_service::notify::DeliveryObserver {
    Arc::new(move |round: &apptrust_service::notify::DeliveryRound| {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let name = "apptrust_delivery_attempts_total";
        metrics.add(name, "delivered", as_u64(round.delivered));
        metrics.add(name, "retried", as_u64(round.retried));
        metrics.add(name, "failed", as_u64(round.failed));
    })
}

/// The first line is for scripts and tests (`listening on http://ADDR`); the rest is for people.
fn announce(
    address: &std::net::SocketAddr,
    state: &AppState,
    demo: Option<&crate::demo::DemoLogins>,
) {
    let mut out = std::io::stdout().lock();
    let url = format!("http://{address}");
    let _ = writeln!(out, "apptrust serve: listening on {url}");
    let cookies = match state.settings.secure_cookies {
        Some(true) => "always Secure",
        Some(false) => "never Secure (secure-cookies = false)",
        None if state.loopback => "Secure when X-Forwarded-Proto says https (loopback)",
        None => "Secure (not loopback)",
    };
    let _ = writeln!(
        out,
        "  database: {} ({})  instance: {}  session cookies: {cookies}",
        state
            .settings
            .database
            .parse::<DatabaseUrl>()
            .map(|u| u.redacted())
            .unwrap_or_default(),
        state.store.kind().as_str(),
        state.instance
    );
    let _ = writeln!(
        out,
        "  notifications: webhooks{}; e-mail {}",
        if state.settings.allow_private_webhooks {
            " (private addresses allowed)"
        } else {
            ""
        },
        match &state.settings.smtp_url {
            Some(url) => format!("through {}", redact_smtp(url)),
            None => "off (no smtp-url)".to_string(),
        }
    );
    if state.settings.test_clock {
        let _ = writeln!(
            out,
            "\n  !! TEST CLOCK: time is whatever staff set through {url}/api/v1/test/clock !!\n  \
             !! (--test-clock). Never run a real marketplace like this.                    !!"
        );
    }
    if let Some(demo) = demo {
        let _ = writeln!(
            out,
            "\n  Demo data is loaded. Try:\n\
             \x20   open {url}/ in a browser; sign in at {url}/sign-in with a token below, then\n\
             \x20     staff work from {url}/staff, the partner from {url}/partner, the site admin from {url}/admin\n\
             \x20   curl {url}/api/v1/apps/com.acme.issue-insights/trust\n\
             \x20   curl {url}/api/v1/apps/com.acme.vendor-reports/trust\n\
             \x20   curl '{url}/api/v1/apps?badge=runsOnAtlassian'\n\
             \x20   curl -H 'Authorization: Bearer {}' '{url}/api/v1/submissions?ball=partner'\n\
             \x20   curl -H 'Authorization: Bearer {}' '{url}/api/v1/reviews?open=true'\n\
             \x20   curl -H 'Authorization: Bearer {}' '{url}/api/v1/escalations?open=true'\n\
             \x20   curl {url}/api/v1/apps/com.acme.board-sync/trust\n\
             \x20   curl -H 'Authorization: Bearer {}' {url}/api/v1/sites/globex.atlassian.net/installations\n\
             \x20   apptrust deploy --server {url} --token {} --app com.acme.issue-insights --environment staging examples/eligible/manifest.yml\n\
             \n  Demo tokens (new at every start):\n    staff:      {}\n    partner:    {}\n    site admin: {} (globex.atlassian.net)",
            demo.partner_token,
            demo.partner_token,
            demo.staff_token,
            demo.site_admin_token,
            demo.partner_token,
            demo.staff_token,
            demo.partner_token,
            demo.site_admin_token
        );
    }
    let _ = out.flush();
}

/// The relay's address without its password.
fn redact_smtp(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(an unreadable address)".to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
