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
    crate::installations::hooks::after_badge_moved_in(
        connection,
        app_id,
        event.program,
        (previous.as_str(), event.to.as_str()),
        &reasons,
        now,
    )
    .await?;
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

/// An approval program's badge status (`cloudFortified`): besides the shared ones, a badge can
/// be suspended during an escalation and retired with its program.
pub const APPROVED: &str = "APPROVED";
pub const SUSPENDED: &str = "SUSPENDED";
pub const REMOVED: &str = "REMOVED";
pub const RETIRED: &str = "RETIRED";
pub const NOT_A_PARTICIPANT: &str = "NOT_A_PARTICIPANT";

/// A move of an approval or derived program's badge.
#[derive(Clone, Debug)]
pub struct ProgramBadgeMove<'a> {
    /// The badge key (`cloudFortified`).
    pub badge: &'a str,
    /// The status it moves to.
    pub to: &'a str,
    /// The requirement set it stands on (kept when `None`).
    pub requirement_set: Option<&'a str>,
    /// `approval`, `annual-review`, `escalation`, `dependency`, `retirement`.
    pub cause: &'a str,
    pub reasons: &'a [String],
    /// What caused it (`submission:12`, `review:3`).
    pub reference: &'a str,
    /// The statuses it moves from; from any other the move does not happen (a removed or
    /// retired badge does not come back through a late escalation move). Empty: any.
    pub from: &'a [&'a str],
}

/// Moves an approval or derived program's badge in the caller's transaction: the badge row, and
/// when its status changed, its event and the notification (`badge.gained` or `badge.lost`).
/// Returns the status it had, or `None` when it was in none of `from` and nothing moved.
pub async fn move_program_badge(
    connection: &mut Connection,
    app_id: i64,
    change: &ProgramBadgeMove<'_>,
    now: &str,
) -> Result<Option<String>, StoreError> {
    let stored = badges::lock_in(connection, app_id, change.badge).await?;
    let previous = stored
        .as_ref()
        .map_or_else(|| NOT_A_PARTICIPANT.to_string(), |b| b.status.clone());
    if !change.from.is_empty() && !change.from.contains(&previous.as_str()) {
        return Ok(None);
    }
    let version = change
        .requirement_set
        .map(str::to_string)
        .or_else(|| stored.as_ref().and_then(|b| b.version.clone()));
    let row = StoredBadge {
        status: change.to.to_string(),
        version: version.clone(),
        reasons: change.reasons.to_vec(),
    };
    badges::save_in(connection, app_id, change.badge, &row, None, now).await?;
    if previous == change.to {
        return Ok(Some(previous));
    }
    let version = version.unwrap_or_default();
    let news = match (previous == APPROVED, change.to == APPROVED) {
        (false, true) => Some(notifications::BADGE_GAINED),
        (true, false) => Some(notifications::BADGE_LOST),
        _ => None,
    };
    if let Some(name) = news {
        notifications::record_in(
            connection,
            now,
            name,
            app_id,
            change.reference,
            serde_json::json!({
                "program": change.badge,
                "from": previous,
                "to": change.to,
                "version": version,
                "cause": change.cause,
                "reasons": change.reasons,
            }),
        )
        .await?;
    }
    crate::installations::hooks::after_badge_moved_in(
        connection,
        app_id,
        change.badge,
        (&previous, change.to),
        change.reasons,
        now,
    )
    .await?;
    badges::insert_event_in(
        connection,
        app_id,
        &NewBadgeEvent {
            program: change.badge,
            at: now,
            from: &previous,
            to: change.to,
            cause: change.cause,
            version: &version,
            reasons: change.reasons,
            reference: change.reference,
        },
    )
    .await?;
    Ok(Some(previous))
}

/// Moves the badge to `requirement_set` keeping its status (carried or suspended): what a
/// passed review or a grace end does.
pub async fn move_to_set(
    connection: &mut Connection,
    app_id: i64,
    badge: &str,
    requirement_set: &str,
    cause: &str,
    reference: &str,
    now: &str,
) -> Result<(), StoreError> {
    let Some(current) = badges::lock_in(connection, app_id, badge).await? else {
        return Ok(());
    };
    if current.status != APPROVED && current.status != SUSPENDED {
        return Ok(());
    }
    move_program_badge(
        connection,
        app_id,
        &ProgramBadgeMove {
            badge,
            to: &current.status,
            requirement_set: Some(requirement_set),
            cause,
            reasons: &[],
            reference,
            from: &[APPROVED, SUSPENDED],
        },
        now,
    )
    .await
    .map(|_| ())
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
    move_program_badge(
        connection,
        app_id,
        &ProgramBadgeMove {
            badge,
            to: APPROVED,
            requirement_set: Some(requirement_set),
            cause: "approval",
            reasons: &[],
            reference,
            // Never over a retired badge (an approval racing the program's end).
            from: &[NOT_A_PARTICIPANT, REMOVED],
        },
        now,
    )
    .await
    .map(|_| ())
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
