//! Badge moves: loading a program's badge as its pure model, and saving a change with its event
//! and the notification that everyone who must hear about it receives, in the caller's
//! transaction (so the change and the news commit together).

use apptrust_programs::{AppVersion, BadgeEvent, BadgeStatus, Program, RunsOnAtlassian};
use apptrust_rules::Code;
use apptrust_store::badges::{self, NewBadgeEvent, StoredBadge};
use apptrust_store::{Connection, StoreError, notifications};

/// The notification a move from `from` to `to` sends, if any: gaining a badge and losing one
/// are news; moves between statuses without the badge are not.
pub fn announcement(from: BadgeStatus, to: BadgeStatus) -> Option<&'static str> {
    match (from == BadgeStatus::Approved, to == BadgeStatus::Approved) {
        (false, true) => Some(notifications::BADGE_GAINED),
        (true, false) => Some(notifications::BADGE_LOST),
        _ => None,
    }
}

/// The app's Runs on Atlassian badge (the default when it never had a production deploy).
pub async fn load_runs_on_atlassian(
    connection: &mut Connection,
    app_id: i64,
) -> Result<RunsOnAtlassian, StoreError> {
    let Some(stored) = badges::load_in(connection, app_id, Program::RunsOnAtlassian.key()).await?
    else {
        return Ok(RunsOnAtlassian::default());
    };
    Ok(RunsOnAtlassian {
        status: BadgeStatus::parse(&stored.status)
            .ok_or_else(|| StoreError::Corrupt(format!("badge status `{}`", stored.status)))?,
        version: stored
            .version
            .map(|v| v.parse::<AppVersion>())
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        reasons: stored
            .reasons
            .iter()
            .filter_map(|r| Code::from_name(r))
            .collect(),
    })
}

/// Saves the badge after a deploy or a re-evaluation, and, when the status changed, its event
/// and the notification it sends.
pub async fn save_runs_on_atlassian(
    connection: &mut Connection,
    app_id: i64,
    badge: &RunsOnAtlassian,
    previous: BadgeStatus,
    event: Option<&BadgeEvent>,
    reference: &str,
    now: &str,
) -> Result<(), StoreError> {
    let names = |codes: &[Code]| codes.iter().map(|c| c.name().to_string()).collect();
    let stored = StoredBadge {
        status: badge.status.as_str().to_string(),
        version: badge.version.map(|v| v.to_string()),
        reasons: names(&badge.reasons),
    };
    let program = Program::RunsOnAtlassian.key();
    badges::save_in(
        connection,
        app_id,
        program,
        &stored,
        Some("production"),
        now,
    )
    .await?;
    let Some(event) = event else { return Ok(()) };
    let reasons: Vec<String> = names(&event.reasons);
    if let Some(name) = announcement(previous, event.to) {
        notifications::record_in(
            connection,
            now,
            name,
            app_id,
            reference,
            serde_json::json!({
                "program": event.program,
                "from": previous.as_str(),
                "to": event.to.as_str(),
                "version": event.version.to_string(),
                "cause": event.cause.as_str(),
                "reasons": reasons,
            }),
        )
        .await?;
    }
    let version = event.version.to_string();
    badges::insert_event_in(
        connection,
        app_id,
        &NewBadgeEvent {
            program: event.program,
            at: &event.at,
            from: previous.as_str(),
            to: event.to.as_str(),
            cause: event.cause.as_str(),
            version: &version,
            reasons: &reasons,
            reference,
        },
    )
    .await
}

/// Grants an approval program's badge (`badge`, as `cloudFortified`) on approval, against the
/// requirement set `requirement_set`: the badge row, its event (cause `approval`) and the
/// `badge.gained` notification, in the caller's transaction.
pub async fn grant_on_approval(
    connection: &mut Connection,
    app_id: i64,
    badge: &str,
    requirement_set: &str,
    reference: &str,
    now: &str,
) -> Result<(), StoreError> {
    let previous = badges::load_in(connection, app_id, badge)
        .await?
        .map_or_else(|| "NOT_A_PARTICIPANT".to_string(), |b| b.status);
    let approved = BadgeStatus::Approved.as_str();
    let stored = StoredBadge {
        status: approved.to_string(),
        version: Some(requirement_set.to_string()),
        reasons: Vec::new(),
    };
    badges::save_in(connection, app_id, badge, &stored, None, now).await?;
    if previous == approved {
        return Ok(());
    }
    notifications::record_in(
        connection,
        now,
        notifications::BADGE_GAINED,
        app_id,
        reference,
        serde_json::json!({
            "program": badge,
            "from": previous,
            "to": approved,
            "version": requirement_set,
            "cause": "approval",
            "reasons": [],
        }),
    )
    .await?;
    badges::insert_event_in(
        connection,
        app_id,
        &NewBadgeEvent {
            program: badge,
            at: now,
            from: &previous,
            to: approved,
            cause: "approval",
            version: requirement_set,
            reasons: &[],
            reference,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaining_and_losing_the_badge_are_news_and_nothing_else_is() {
        use BadgeStatus::*;
        assert_eq!(
            announcement(NotAParticipant, Approved),
            Some("badge.gained")
        );
        assert_eq!(announcement(Approved, Removed), Some("badge.lost"));
        assert_eq!(announcement(NotAParticipant, Removed), None);
        assert_eq!(announcement(Approved, Approved), None);
    }
}
