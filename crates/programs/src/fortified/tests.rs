use proptest::prelude::*;

use super::*;
use crate::catalog::Catalog;

fn first_set() -> crate::catalog::RequirementSet {
    let catalog = Catalog::load(&crate::builtin::files()).unwrap();
    catalog
        .program("cloud-fortified")
        .unwrap()
        .set("2026-01")
        .unwrap()
        .clone()
}

const T0: i64 = 1_780_000_000;

fn staff(s: &mut Submission, action: SubmissionAction, at: i64, reason: Option<&str>) {
    s.apply(action, Side::Staff, "staff:1", at, reason, None)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_submission_goes_from_submitted_to_approved_with_every_check_closed() {
    let mut s = Submission::open(&first_set(), "partner:1", T0);
    assert_eq!((s.state, s.ball), (SubmissionState::Submitted, Ball::Staff));
    staff(&mut s, SubmissionAction::Triage, T0 + 60, None);
    s.apply(
        SubmissionAction::RequestInfo,
        Side::Staff,
        "staff:1",
        T0 + 3600,
        Some("Which bug bounty covers the app?"),
        None,
    )
    .unwrap();
    assert_eq!(s.ball, Ball::Partner);
    assert_eq!(s.due, Some(T0 + 3600 + 14 * DAY), "14 days by default");
    // A partner cannot take a staff action; staff cannot answer for the partner.
    let refused = s.apply(
        SubmissionAction::StartReview,
        Side::Partner,
        "partner:1",
        T0,
        None,
        None,
    );
    assert!(
        matches!(refused, Err(MoveError::NotNow { .. })),
        "{refused:?}"
    );
    let refused = s.apply(
        SubmissionAction::Reply,
        Side::Staff,
        "staff:1",
        T0 + 7200,
        None,
        None,
    );
    assert!(
        matches!(refused, Err(MoveError::NotYours { .. })),
        "{refused:?}"
    );
    s.apply(
        SubmissionAction::Reply,
        Side::Partner,
        "partner:1",
        T0 + DAY,
        Some("Ours."),
        None,
    )
    .unwrap();
    staff(&mut s, SubmissionAction::StartReview, T0 + 2 * DAY, None);

    // Approval waits for every check.
    let refused = s.apply(
        SubmissionAction::Approve,
        Side::Staff,
        "staff:1",
        T0 + 2 * DAY,
        None,
        None,
    );
    let message = refused.unwrap_err().to_string();
    assert!(
        message.contains("checks are open") && message.contains("security.bug-bounty"),
        "{message}"
    );

    // The bug bounty soaks 30 days; availability goes through configuring and a test run.
    let at = T0 + 2 * DAY;
    let check = |s: &mut Submission, r: &str, a: CheckAction, side: Side, at: i64| {
        s.apply_check(
            r,
            a,
            side,
            if side == Side::Partner {
                "partner:1"
            } else {
                "staff:1"
            },
            at,
            None,
            None,
        )
        .unwrap_or_else(|e| panic!("{r} {a:?}: {e}"))
    };
    check(
        &mut s,
        "security.bug-bounty",
        CheckAction::RequestEvidence,
        Side::Staff,
        at,
    );
    check(
        &mut s,
        "security.bug-bounty",
        CheckAction::SubmitEvidence,
        Side::Partner,
        at,
    );
    let refused = s.apply_check(
        "security.bug-bounty",
        CheckAction::Pass,
        Side::Staff,
        "staff:1",
        at,
        None,
        None,
    );
    assert!(refused.is_err(), "cannot pass before it soaked");
    check(
        &mut s,
        "security.bug-bounty",
        CheckAction::StartSoak,
        Side::Staff,
        at,
    );
    check(
        &mut s,
        "reliability.availability",
        CheckAction::StartConfiguring,
        Side::Staff,
        at,
    );
    check(
        &mut s,
        "reliability.availability",
        CheckAction::GrantAccess,
        Side::Partner,
        at,
    );
    check(
        &mut s,
        "reliability.availability",
        CheckAction::TestRun,
        Side::Staff,
        at,
    );
    check(
        &mut s,
        "reliability.availability",
        CheckAction::StartSoak,
        Side::Staff,
        at,
    );
    staff(&mut s, SubmissionAction::Soak, at, None);
    assert_eq!(s.ball, Ball::Timer);
    let early = s.apply_check(
        "security.bug-bounty",
        CheckAction::SoakEnded,
        Side::System,
        "timer",
        at + 29 * DAY,
        None,
        None,
    );
    assert!(early.is_err(), "the soak has not run");
    check(
        &mut s,
        "reliability.availability",
        CheckAction::SoakEnded,
        Side::System,
        at + 28 * DAY,
    );
    assert!(
        s.apply(
            SubmissionAction::SoakEnded,
            Side::System,
            "timer",
            at + 28 * DAY,
            None,
            None
        )
        .is_err(),
        "one check still soaks"
    );
    check(
        &mut s,
        "security.bug-bounty",
        CheckAction::SoakEnded,
        Side::System,
        at + 30 * DAY,
    );
    s.apply(
        SubmissionAction::SoakEnded,
        Side::System,
        "timer",
        at + 30 * DAY,
        None,
        None,
    )
    .unwrap();
    let at = at + 31 * DAY;
    let ids: Vec<String> = s.checks.keys().cloned().collect();
    for id in &ids {
        let state = s.checks[id].state;
        if state == CheckState::NotStarted {
            if id == "reliability.installation-callbacks" {
                // Waived: the app has no installation callbacks (Forge).
                s.apply_check(
                    id,
                    CheckAction::Waive,
                    Side::Staff,
                    "staff:1",
                    at,
                    Some("A Forge app"),
                    Some(at + 365 * DAY),
                )
                .unwrap();
                continue;
            }
            check(&mut s, id, CheckAction::Pass, Side::Staff, at);
        } else {
            check(&mut s, id, CheckAction::Pass, Side::Staff, at);
        }
    }
    staff(&mut s, SubmissionAction::Approve, at, None);
    assert_eq!((s.state, s.ball), (SubmissionState::Approved, Ball::Nobody));
    let waiting = s.waiting(at);
    assert_eq!(
        waiting.partner,
        DAY - 3600,
        "from the question to the reply"
    );
    assert_eq!(
        waiting.timer,
        30 * DAY,
        "the submission soaked until the bug bounty had (30 days)"
    );
    assert_eq!(waiting.partner + waiting.staff + waiting.timer, at - T0);
    // Decided: nothing moves any more, and the error says so.
    let message = s
        .apply(
            SubmissionAction::Withdraw,
            Side::Partner,
            "partner:1",
            at,
            Some("x"),
            None,
        )
        .unwrap_err()
        .to_string();
    assert!(message.contains("nothing (it is decided)"), "{message}");
}

#[test]
fn an_unanswered_clarification_rejects_the_submission_after_its_due_date() {
    let mut s = Submission::open(&first_set(), "partner:1", T0);
    staff(&mut s, SubmissionAction::Triage, T0, None);
    staff(
        &mut s,
        SubmissionAction::RequestInfo,
        T0,
        Some("Where is your alert address?"),
    );
    let early = s.apply(
        SubmissionAction::ClarificationTimeout,
        Side::System,
        "timer",
        T0 + 13 * DAY,
        None,
        None,
    );
    assert!(early.is_err());
    s.apply(
        SubmissionAction::ClarificationTimeout,
        Side::System,
        "timer",
        T0 + 14 * DAY,
        None,
        None,
    )
    .unwrap();
    assert_eq!(s.state, SubmissionState::Rejected);
}

#[test]
fn an_expired_waiver_reopens_its_check() {
    let mut s = Submission::open(&first_set(), "partner:1", T0);
    let id = "support.critical-response";
    let refused = s.apply_check(
        id,
        CheckAction::Waive,
        Side::Staff,
        "staff:1",
        T0,
        None,
        Some(T0 + DAY),
    );
    assert!(refused.is_err(), "a waiver needs a reason");
    s.apply_check(
        id,
        CheckAction::Waive,
        Side::Staff,
        "staff:1",
        T0,
        Some("Seasonal"),
        Some(T0 + DAY),
    )
    .unwrap();
    assert_eq!(s.checks[id].waiver.as_ref().unwrap().granted_by, "staff:1");
    assert!(
        s.apply_check(
            id,
            CheckAction::WaiverExpired,
            Side::System,
            "timer",
            T0 + 60,
            None,
            None
        )
        .is_err()
    );
    s.apply_check(
        id,
        CheckAction::WaiverExpired,
        Side::System,
        "timer",
        T0 + DAY,
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        (s.checks[id].state, s.checks[id].ball),
        (CheckState::NotStarted, Ball::Staff)
    );
    assert!(s.checks[id].waiver.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random moves by random sides: the ball always matches the state, nothing is approved
    /// with an open check, a partner never takes a staff move, and every accepted move is in
    /// the history.
    #[test]
    fn random_moves_keep_the_rules(moves in proptest::collection::vec((0usize..22, 0usize..3, 0usize..12, 0i64..5), 1..80)) {
        let set = first_set();
        let ids: Vec<String> = set.requirements.iter().map(|r| r.id.clone()).collect();
        let mut s = Submission::open(&set, "partner:1", T0);
        let mut at = T0;
        let mut accepted = 1;
        for (what, who, which, days) in moves {
            at += days * DAY;
            let side = [Side::Partner, Side::Staff, Side::System][who];
            let reason = Some("because");
            let result = if what < SubmissionAction::ALL.len() {
                let action = SubmissionAction::ALL[what];
                let outcome = s.apply(action, side, "someone", at, reason, None).map(|_| ());
                if outcome.is_ok() {
                    prop_assert_eq!(side, action.side(), "{:?} by {:?}", action, side);
                    if action == SubmissionAction::Approve {
                        prop_assert!(s.checks.values().all(|c| c.state.is_closed()));
                    }
                }
                outcome
            } else {
                let action = CheckAction::ALL[(what - SubmissionAction::ALL.len()) % CheckAction::ALL.len()];
                let id = &ids[which % ids.len()];
                let outcome = s
                    .apply_check(id, action, side, "someone", at, reason, Some(at + DAY))
                    .map(|_| ());
                if outcome.is_ok() {
                    prop_assert_eq!(side, action.side());
                }
                outcome
            };
            if result.is_ok() {
                accepted += 1;
            }
            prop_assert_eq!(s.ball, s.state.ball());
            for check in s.checks.values() {
                prop_assert_eq!(check.ball, check.state.ball());
            }
            prop_assert_eq!(s.history.len(), accepted);
            if s.state == SubmissionState::Approved {
                prop_assert!(s.checks.values().all(|c| c.state.is_closed()));
            }
        }
    }
}
