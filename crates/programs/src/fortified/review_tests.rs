//! The annual review's calendar (approvals on month ends and leap days, partners at UTC-11 and
//! UTC+14, a clock change in the review week) and its state machine.

use proptest::prelude::*;

use super::*;

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .as_second()
}

fn zone(name: &str) -> PartnerZone {
    PartnerZone::named(name).unwrap()
}

/// (notice, start, end, remediation due) as RFC 3339 instants.
fn dates(d: &ReviewDates) -> [String; 4] {
    [d.notice_at, d.starts_at, d.ends_at, d.remediation_due].map(|s| {
        jiff::Timestamp::from_second(s)
            .map(|t| t.to_string())
            .unwrap_or_default()
    })
}

#[test]
fn an_approval_on_31_january_is_reviewed_in_the_last_week_of_january() {
    let d = ReviewDates::first(&zone("UTC"), at("2026-01-31T12:00:00Z"));
    assert_eq!(d.year, 2027);
    assert_eq!(d.first_day, "2027-01-25");
    assert_eq!(
        dates(&d),
        [
            "2027-01-11T00:00:00Z",
            "2027-01-25T00:00:00Z",
            "2027-02-01T00:00:00Z",
            "2027-03-01T00:00:00Z"
        ]
    );
}

#[test]
fn an_approval_on_29_february_follows_february_in_common_and_leap_years() {
    let z = zone("UTC");
    let approved = at("2028-02-29T09:30:00Z");
    let common = ReviewDates::first(&z, approved);
    assert_eq!(common.first_day, "2029-02-22");
    assert_eq!(
        dates(&common),
        [
            "2029-02-08T00:00:00Z",
            "2029-02-22T00:00:00Z",
            "2029-03-01T00:00:00Z",
            "2029-03-29T00:00:00Z"
        ]
    );
    let leap = ReviewDates::of_year(&z, approved, 2032);
    assert_eq!(leap.first_day, "2032-02-23");
    assert_eq!(leap.ends_at, at("2032-03-01T00:00:00Z"));
}

#[test]
fn an_approval_on_31_december_is_reviewed_across_the_new_year() {
    let d = ReviewDates::first(&zone("UTC"), at("2026-12-31T23:00:00Z"));
    assert_eq!(d.first_day, "2027-12-25");
    assert_eq!(
        dates(&d),
        [
            "2027-12-11T00:00:00Z",
            "2027-12-25T00:00:00Z",
            "2028-01-01T00:00:00Z",
            "2028-01-29T00:00:00Z"
        ]
    );
    let after = d.next(&zone("UTC"), at("2026-12-31T23:00:00Z"));
    assert_eq!(after.first_day, "2028-12-25");
}

#[test]
fn the_approval_month_and_the_review_days_are_the_partners() {
    // 1 February 05:00 UTC is still 31 January at UTC-11: a January review, at local midnight.
    let samoa = zone("Pacific/Pago_Pago");
    let d = ReviewDates::first(&samoa, at("2026-02-01T05:00:00Z"));
    assert_eq!(d.first_day, "2027-01-25");
    assert_eq!(d.starts_at, at("2027-01-25T11:00:00Z"));
    assert_eq!(d.notice_at, at("2027-01-11T11:00:00Z"));
    // 31 January 12:00 UTC is already 1 February at UTC+14: a February review.
    let line_islands = zone("Pacific/Kiritimati");
    let d = ReviewDates::first(&line_islands, at("2026-01-31T12:00:00Z"));
    assert_eq!(d.first_day, "2027-02-22");
    assert_eq!(d.starts_at, at("2027-02-21T10:00:00Z"));
    assert_eq!(d.ends_at, at("2027-02-28T10:00:00Z"));
    assert_eq!(d.remediation_due, at("2027-03-28T10:00:00Z"));
}

#[test]
fn a_review_week_whose_clocks_change_keeps_its_seven_calendar_days() {
    let berlin = zone("Europe/Berlin");
    // Summer time starts on 28 March 2027: the week is an hour short.
    let march = ReviewDates::first(&berlin, at("2026-03-10T10:00:00Z"));
    assert_eq!(march.first_day, "2027-03-25");
    assert_eq!(march.starts_at, at("2027-03-24T23:00:00Z"));
    assert_eq!(march.ends_at, at("2027-03-31T22:00:00Z"));
    assert_eq!(march.ends_at - march.starts_at, 7 * DAY - 3600);
    assert_eq!(march.notice_at, at("2027-03-10T23:00:00Z"));
    assert_eq!(march.remediation_due, at("2027-04-28T22:00:00Z"));
    // Summer time ends on 31 October 2027: the week is an hour long.
    let october = ReviewDates::first(&berlin, at("2026-10-02T10:00:00Z"));
    assert_eq!(october.starts_at, at("2027-10-24T22:00:00Z"));
    assert_eq!(october.ends_at, at("2027-10-31T23:00:00Z"));
    assert_eq!(october.ends_at - october.starts_at, 7 * DAY + 3600);
    // Notice given in summer time for a review in winter time still lands on local midnight.
    assert_eq!(october.notice_at, at("2027-10-10T22:00:00Z"));
}

#[test]
fn an_unknown_zone_is_refused_by_name() {
    let error = PartnerZone::named("Mars/Olympus_Mons").unwrap_err();
    assert!(error.to_string().contains("Mars/Olympus_Mons"), "{error}");
}

fn scheduled() -> Review {
    let approved = at("2026-03-28T10:00:00Z");
    let d = ReviewDates::first(&zone("UTC"), approved);
    Review::schedule(
        d,
        approved,
        "cloud-fortified/2026-01",
        "cloud-fortified/2027-01",
    )
}

fn system(r: &mut Review, action: ReviewAction, when: i64) -> Result<ReviewState, MoveError> {
    r.apply(action, Side::System, "deadline", when, None, None)
}

#[test]
fn a_review_with_findings_passes_after_remediation() {
    let mut r = scheduled();
    assert_eq!(r.dates.first_day, "2027-03-25");
    assert_eq!(r.ball, Ball::Timer);
    assert!(
        {
            let when = r.dates.notice_at - 1;
            system(&mut r, ReviewAction::Notify, when)
        }
        .is_err()
    );
    {
        let when = r.dates.notice_at;
        system(&mut r, ReviewAction::Notify, when)
    }
    .unwrap();
    assert!(
        {
            let when = r.dates.starts_at - 1;
            system(&mut r, ReviewAction::Open, when)
        }
        .is_err()
    );
    {
        let when = r.dates.starts_at;
        system(&mut r, ReviewAction::Open, when)
    }
    .unwrap();
    assert_eq!(r.ball, Ball::Staff);
    let t = r.dates.starts_at + DAY;
    let missing = r.apply(
        ReviewAction::ReportFindings,
        Side::Staff,
        "s",
        t,
        None,
        None,
    );
    assert!(matches!(missing, Err(MoveError::Invalid(_))));
    r.apply(
        ReviewAction::ReportFindings,
        Side::Staff,
        "staff:1",
        t,
        Some("The alert address bounces."),
        None,
    )
    .unwrap();
    assert_eq!((r.state, r.ball), (ReviewState::Remediating, Ball::Partner));
    assert_eq!(r.due, Some(r.dates.remediation_due));
    let theirs = r.apply(ReviewAction::Pass, Side::Partner, "p", t, None, None);
    assert!(matches!(theirs, Err(MoveError::NotYours { .. })));
    r.apply(
        ReviewAction::Resolve,
        Side::Partner,
        "partner:1",
        t + DAY,
        Some("Fixed the MX record."),
        None,
    )
    .unwrap();
    r.apply(
        ReviewAction::Pass,
        Side::Staff,
        "staff:1",
        t + 2 * DAY,
        None,
        None,
    )
    .unwrap();
    assert_eq!(r.state, ReviewState::PassedAfterRemediation);
    assert_eq!(r.outcome, Some(ReviewOutcome::PassedAfterRemediation));
    assert!(r.keeps_badge());
    let Err(MoveError::NotNow { allowed, .. }) = r.apply(
        ReviewAction::Remove,
        Side::Staff,
        "s",
        t,
        Some("late"),
        None,
    ) else {
        panic!("a decided review does not move");
    };
    assert!(allowed.is_empty());
}

#[test]
fn an_overdue_remediation_is_extended_or_ends_in_removal() {
    let mut r = scheduled();
    {
        let when = r.dates.starts_at;
        system(&mut r, ReviewAction::Open, when)
    }
    .unwrap();
    let t = r.dates.starts_at;
    r.apply(
        ReviewAction::ReportFindings,
        Side::Staff,
        "s",
        t,
        Some("No SLO data."),
        None,
    )
    .unwrap();
    let due = r.dates.remediation_due;
    assert!(system(&mut r, ReviewAction::RemediationOverdue, due - 1).is_err());
    system(&mut r, ReviewAction::RemediationOverdue, due).unwrap();
    assert_eq!((r.state, r.ball), (ReviewState::Overdue, Ball::Staff));
    let short = r.apply(
        ReviewAction::Extend,
        Side::Staff,
        "s",
        due,
        Some("x"),
        Some(due + 60),
    );
    assert!(matches!(short, Err(MoveError::Invalid(_))));
    r.apply(
        ReviewAction::Extend,
        Side::Staff,
        "s",
        due,
        Some("Vendor outage"),
        Some(due + 10 * DAY),
    )
    .unwrap();
    assert_eq!(r.outcome, Some(ReviewOutcome::Extended));
    assert_eq!(r.due, Some(due + 10 * DAY));
    system(&mut r, ReviewAction::RemediationOverdue, due + 10 * DAY).unwrap();
    r.apply(
        ReviewAction::Remove,
        Side::Staff,
        "s",
        due + 11 * DAY,
        Some("Still no SLO data."),
        None,
    )
    .unwrap();
    assert_eq!(r.outcome, Some(ReviewOutcome::Removed));
    assert!(!r.keeps_badge());
    // Removal cannot skip the remediation: a review just opened cannot remove.
    let mut fresh = scheduled();
    {
        let when = fresh.dates.starts_at;
        system(&mut fresh, ReviewAction::Open, when)
    }
    .unwrap();
    let Err(MoveError::NotNow { allowed, .. }) =
        fresh.apply(ReviewAction::Remove, Side::Staff, "s", t, Some("no"), None)
    else {
        panic!("removal needs findings first");
    };
    assert_eq!(allowed, ["pass", "report-findings"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random moves by random sides never leave the review without its ball holder, never let a
    /// side take another's move, never remove without findings, and a decided review stays so.
    #[test]
    fn random_review_moves_keep_the_rules(moves in proptest::collection::vec((0usize..9, 0usize..3, 0i64..80), 1..60)) {
        let mut r = scheduled();
        let sides = [Side::Partner, Side::Staff, Side::System];
        let mut t = r.dates.notice_at - DAY;
        for (action, side, days) in moves {
            t += days * DAY / 4;
            let action = ReviewAction::ALL[action];
            let before = r.clone();
            let result = r.apply(action, sides[side], "someone", t, Some("because"), Some(t + 2 * DAY));
            prop_assert_eq!(r.ball, r.state.ball());
            match result {
                Ok(to) => {
                    prop_assert_eq!(action.side(), sides[side]);
                    prop_assert!(!before.state.is_terminal());
                    if to == ReviewState::Removed {
                        prop_assert!(!r.findings.is_empty());
                    }
                    prop_assert_eq!(r.history.len(), before.history.len() + 1);
                }
                Err(_) => prop_assert_eq!(&r, &before),
            }
        }
    }
}
