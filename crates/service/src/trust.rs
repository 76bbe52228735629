//! The public trust document of an app: every program's badge with its status and since when,
//! the reasons and the version behind it, and the badge history, in the shape of the
//! specification's read model (a superset of what Marketplace clients already read).
//!
//! Badges are one model for every program (`apptrust_store::trust::BadgeRow`); only the way a
//! program's entry is written differs, because clients read each program's established shape
//! (`bugBountyParticipant.cloud.status`, `runsOnAtlassian.eligible`). The document's types are
//! the API's own (`apptrust_api::trust`), so that the server serves them as they are and the
//! OpenAPI document describes them.

use apptrust_api::trust::{
    BadgeEvent, BugBounty, CloudFortifiedEntry, Programs, RunsOnAtlassianEntry, Status,
    TrustDocument,
};
use apptrust_programs::Program;
use apptrust_programs::fortified::Review;
use apptrust_store::cases::{CaseFilter, REVIEW};
use apptrust_store::trust::{BadgeEventView, BadgeRow};
use apptrust_store::{Store, StoreError};

/// How many badge events the document carries, newest first.
pub const EVENTS_IN_DOCUMENT: i64 = 50;

/// The status of a program an app has no record in.
const NOT_A_PARTICIPANT: &str = "NOT_A_PARTICIPANT";

/// The document of the app with this key; `None` when there is no such app.
pub async fn document(store: &Store, app_key: &str) -> Result<Option<TrustDocument>, StoreError> {
    let Some(app) = store.public_app(app_key).await? else {
        return Ok(None);
    };
    let badges = store.badges_of(app.id).await?;
    let badge_events = store
        .badge_events_of(app.id, EVENTS_IN_DOCUMENT)
        .await?
        .into_iter()
        .map(badge_event)
        .collect();
    let mut programs = programs(&badges);
    if programs.cloud_fortified.since.is_some() {
        programs.cloud_fortified.next_review = next_review(store, app.id).await?;
    }
    Ok(Some(TrustDocument {
        app_key: app_key.to_string(),
        name: app.name,
        partner: app.partner,
        framework: app.framework,
        programs,
        badge_events,
    }))
}

/// The first day of the app's next Cloud Fortified review, if one is scheduled.
async fn next_review(store: &Store, app_id: i64) -> Result<Option<String>, StoreError> {
    let rows = store
        .cases(&CaseFilter {
            kind: REVIEW.to_string(),
            program: Some("cloud-fortified".to_string()),
            app_id: Some(app_id),
            open: true,
            limit: 1,
            ..CaseFilter::default()
        })
        .await?;
    Ok(rows.first().and_then(|row| {
        serde_json::from_str::<Review>(&row.document)
            .ok()
            .map(|review| review.dates.first_day)
    }))
}

/// A badge event as the API shows it.
pub fn badge_event(event: BadgeEventView) -> BadgeEvent {
    BadgeEvent {
        program: event.program,
        at: event.at,
        from: event.from,
        to: event.to,
        cause: event.cause,
        version: event.version,
        reasons: event.reasons,
    }
}

/// Each program's entry from the app's badges.
fn programs(badges: &[BadgeRow]) -> Programs {
    let badge = |program: Program| badges.iter().find(|b| b.program == program.key());
    let status = |program: Program| Status {
        status: badge(program)
            .map_or(NOT_A_PARTICIPANT, |b| b.status.as_str())
            .to_string(),
    };
    let runs_on_atlassian = match badge(Program::RunsOnAtlassian) {
        Some(b) => RunsOnAtlassianEntry {
            eligible: b.status == "APPROVED",
            status: b.status.clone(),
            since: Some(b.since.clone()),
            version: b.version.clone(),
            environment: b.environment.clone(),
            reasons: b.reasons.clone(),
            reported_by: b.reported_by.clone(),
        },
        None => RunsOnAtlassianEntry {
            eligible: false,
            status: NOT_A_PARTICIPANT.to_string(),
            since: None,
            version: None,
            environment: None,
            reasons: Vec::new(),
            reported_by: None,
        },
    };
    Programs {
        cloud_fortified: match badge(Program::CloudFortified) {
            Some(b) => CloudFortifiedEntry {
                status: b.status.clone(),
                since: Some(b.since.clone()),
                requirement_set: b.version.clone(),
                next_review: None,
            },
            None => CloudFortifiedEntry {
                status: NOT_A_PARTICIPANT.to_string(),
                since: None,
                requirement_set: None,
                next_review: None,
            },
        },
        bug_bounty_participant: BugBounty {
            cloud: status(Program::BugBountyParticipant),
        },
        cloud_security_participant: status(Program::CloudSecurityParticipant),
        runs_on_atlassian,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn badge(program: &str, status: &str) -> BadgeRow {
        BadgeRow {
            program: program.to_string(),
            status: status.to_string(),
            since: "2026-01-02T03:04:05.000Z".to_string(),
            version: Some("1.0.0".to_string()),
            environment: Some("production".to_string()),
            reasons: vec![],
            reported_by: Some("platform".to_string()),
        }
    }

    #[test]
    fn every_program_has_its_entry_in_the_read_model_shape() {
        let programs = programs(&[
            badge("runsOnAtlassian", "APPROVED"),
            badge("bugBountyParticipant", "APPROVED"),
        ]);
        assert_eq!(
            serde_json::to_value(&programs).unwrap(),
            json!({
                "cloudFortified": {"status": "NOT_A_PARTICIPANT"},
                "bugBountyParticipant": {"cloud": {"status": "APPROVED"}},
                "cloudSecurityParticipant": {"status": "NOT_A_PARTICIPANT"},
                "runsOnAtlassian": {"eligible": true, "status": "APPROVED",
                    "since": "2026-01-02T03:04:05.000Z", "version": "1.0.0",
                    "environment": "production", "reasons": [], "reportedBy": "platform"},
            })
        );
    }

    #[test]
    fn an_app_never_deployed_to_production_is_no_participant() {
        let value = serde_json::to_value(programs(&[])).unwrap();
        assert_eq!(
            value["runsOnAtlassian"],
            json!({"eligible": false, "status": "NOT_A_PARTICIPANT", "version": null,
                   "environment": null, "reasons": [], "reportedBy": null})
        );
    }
}
