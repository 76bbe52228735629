//! Store rows as the API shows them: each function turns a row of `apptrust_store` into its wire
//! type in `apptrust_api`. The API crate knows nothing of storage, and the store nothing of the
//! wire, so the mapping lives here, at the edge, once for every route that answers with the row.

use apptrust_api as api;
use apptrust_store as store;

use crate::error::ApiError;

/// An app.
pub fn app(app: &store::apps::App) -> api::apps::App {
    api::apps::App {
        key: app.key.clone(),
        name: app.name.clone(),
        partner: app.partner.clone(),
        framework: app.framework.clone(),
        forge_app_id: app.forge_app_id.clone(),
        created_at: app.created_at.clone(),
    }
}

/// An environment.
pub fn environment(environment: store::apps::Environment) -> api::environments::Environment {
    api::environments::Environment {
        name: environment.name,
        latest_version: environment.latest_version,
        created_at: environment.created_at,
    }
}

/// An app with its environments.
pub fn app_with_environments(
    app: &store::apps::App,
    environments: Vec<store::apps::Environment>,
) -> api::apps::AppWithEnvironments {
    api::apps::AppWithEnvironments {
        app: self::app(app),
        environments: environments.into_iter().map(environment).collect(),
    }
}

/// A page of the public search.
pub fn search_page(page: store::search::SearchPage) -> api::apps::SearchPage {
    api::apps::SearchPage {
        apps: page
            .apps
            .into_iter()
            .map(|app| api::apps::AppSummary {
                key: app.key,
                name: app.name,
                partner: app.partner,
                framework: app.framework,
                badges: app.badges,
            })
            .collect(),
        next: page.next,
    }
}

/// A partner.
pub fn partner(partner: store::partners::Partner) -> api::partners::Partner {
    api::partners::Partner {
        key: partner.key,
        name: partner.name,
        created_at: partner.created_at,
        time_zone: partner.time_zone,
        security_contact: partner.security_contact,
    }
}

/// A role.
pub fn role(role: store::users::Role) -> api::users::Role {
    match role {
        store::users::Role::Partner => api::users::Role::Partner,
        store::users::Role::Staff => api::users::Role::Staff,
        store::users::Role::SiteAdmin => api::users::Role::SiteAdmin,
        store::users::Role::Platform => api::users::Role::Platform,
    }
}

/// A user.
pub fn user(user: &store::users::User) -> api::users::User {
    api::users::User {
        id: user.id,
        name: user.name.clone(),
        email: user.email.clone(),
        role: role(user.role),
        partner: user.partner.clone(),
        site: user.site.clone(),
        disabled_at: user.disabled_at.clone(),
    }
}

/// A token as listed.
pub fn token(token: store::tokens::TokenInfo) -> api::tokens::TokenInfo {
    api::tokens::TokenInfo {
        id: token.id,
        label: token.label,
        created_at: token.created_at,
        expires_at: token.expires_at,
        revoked_at: token.revoked_at,
        issued_by_token: token.issued_by_token,
    }
}

/// A token just issued, with its secret.
pub fn issued_token(info: store::tokens::TokenInfo, secret: String) -> api::tokens::IssuedToken {
    api::tokens::IssuedToken {
        token: secret,
        id: info.id,
        label: info.label,
        expires_at: info.expires_at,
    }
}

/// What revoking every credential of a user ended, from the store's count (which is also what
/// the audit log records).
pub fn revoked(ended: &serde_json::Value) -> Result<api::tokens::RevokedCredentials, ApiError> {
    serde_json::from_value(ended.clone()).map_err(|_| ApiError::internal())
}

/// A live session; `current` when it is the one asking.
pub fn session(session: store::sessions::SessionInfo, current: bool) -> api::session::SessionInfo {
    api::session::SessionInfo {
        id: session.id,
        created_at: session.created_at,
        expires_at: session.expires_at,
        token_id: session.token_id,
        current,
    }
}

/// An evaluation as stored.
pub fn evaluation(evaluation: store::evaluation::StoredEvaluation) -> api::versions::Evaluation {
    api::versions::Evaluation {
        verdict: evaluation.verdict,
        rules: evaluation.rules,
        blockers: evaluation.blockers,
        findings: Some(evaluation.findings).filter(|f| !f.is_null()),
        findings_omitted: evaluation.findings_omitted,
        engine_version: evaluation.engine_version,
        evaluated_at: evaluation.evaluated_at,
    }
}

/// A version.
pub fn version(version: store::versions::VersionView) -> api::versions::Version {
    api::versions::Version {
        app: version.app,
        environment: version.environment,
        version: version.version,
        deployed_at: version.deployed_at,
        deployed_by: version.deployed_by,
        reported_by: version.reported_by,
        manifest_sha256: version.manifest_sha256,
        variables: version.variables,
        evaluation: evaluation(version.evaluation),
        change: version.change,
        badge_events: version
            .badge_events
            .into_iter()
            .map(apptrust_service::trust::badge_event)
            .collect(),
        manifest: version.manifest,
    }
}

/// An entry of the audit log.
pub fn audit_entry(entry: store::audit::AuditEntry) -> api::audit::AuditEntry {
    api::audit::AuditEntry {
        id: entry.id,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
        detail: entry.detail,
    }
}

/// A notification.
pub fn notification(
    notification: store::notifications::Notification,
) -> api::notifications::Notification {
    api::notifications::Notification {
        id: notification.id,
        event: notification.event,
        subject: notification.subject,
        payload: notification.payload,
        created_at: notification.created_at,
    }
}

/// A webhook.
pub fn webhook(webhook: store::webhooks::Webhook) -> api::webhooks::Webhook {
    api::webhooks::Webhook {
        id: webhook.id,
        url: webhook.url,
        events: webhook.events,
        partner: webhook.partner,
        created_by: webhook.created_by,
        created_at: webhook.created_at,
        previous_secret_until: webhook.previous_secret_until,
    }
}

/// A delivery.
pub fn delivery(delivery: store::deliveries::Delivery) -> api::webhooks::Delivery {
    api::webhooks::Delivery {
        id: delivery.id,
        notification: delivery.notification,
        event: delivery.event,
        channel: delivery.channel,
        webhook: delivery.webhook,
        recipient: delivery.recipient,
        status: delivery.status,
        attempts: delivery.attempts,
        next_attempt_at: delivery.next_attempt_at,
        last_status: delivery.last_status,
        last_error: delivery.last_error,
        delivered_at: delivery.delivered_at,
        created_at: delivery.created_at,
    }
}

/// One attempt at a delivery.
pub fn attempt(attempt: store::deliveries::AttemptRecord) -> api::webhooks::DeliveryAttempt {
    api::webhooks::DeliveryAttempt {
        at: attempt.at,
        status_code: attempt.status_code,
        error: attempt.error,
        duration_ms: attempt.duration_ms,
    }
}

/// Recorded moves (of a submission, its checks, a review, an escalation), oldest first.
pub fn history(
    moves: &[apptrust_programs::fortified::Transition],
) -> Vec<api::submissions::HistoryEntry> {
    moves
        .iter()
        .map(|t| api::submissions::HistoryEntry {
            at: apptrust_service::submissions::shown(t.at),
            actor: t.actor.clone(),
            side: apptrust_programs::spelled(&t.side),
            action: t.action.clone(),
            requirement: t.requirement.clone(),
            from: t.from.clone(),
            to: t.to.clone(),
            reason: t.reason.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_names_every_event_the_store_records_in_the_same_order() {
        let api: Vec<&str> = api::notifications::Event::ALL
            .iter()
            .map(|e| e.as_str())
            .collect();
        assert_eq!(api, store::notifications::EVENTS);
        for event in api::notifications::Event::ALL {
            assert_eq!(
                serde_json::to_value(event).unwrap_or_default(),
                event.as_str()
            );
        }
    }

    #[test]
    fn every_role_reads_as_the_store_spells_it() {
        for stored in [
            store::users::Role::Partner,
            store::users::Role::Staff,
            store::users::Role::SiteAdmin,
            store::users::Role::Platform,
        ] {
            assert_eq!(
                serde_json::to_value(role(stored)).unwrap_or_default(),
                stored.as_str()
            );
        }
    }
}
