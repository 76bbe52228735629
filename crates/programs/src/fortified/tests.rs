use proptest::prelude::*;

use super::*;
use crate::catalog::{Catalog, Framework};

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
    let mut s = Submission::open(&first_set(), Framework::Forge, "partner:1", T0);
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
        matches!(refused, Err(MoveError::NotYours { .. })),
        "{refused:?}"
    );
    // An empty reply does not answer.
    let refused = s.apply(
        SubmissionAction::Reply,
        Side::Partner,
        "partner:1",
        T0 + 60,
        Some(" "),
        None,
    );
    assert!(matches!(refused, Err(MoveError::Invalid(_))), "{refused:?}");
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
    assert_eq!(
        s.state,
        SubmissionState::InReview,
        "the last soak ending ends the submission's"
    );
    let at = at + 31 * DAY;
    assert!(
        !s.checks.contains_key("reliability.installation-callbacks"),
        "Connect only"
    );
    let ids: Vec<String> = s.checks.keys().cloned().collect();
    for id in &ids {
        if !s.checks[id].allowed().contains(&CheckAction::Pass) {
            // What the partner attests: evidence first.
            check(&mut s, id, CheckAction::RequestEvidence, Side::Staff, at);
            check(&mut s, id, CheckAction::SubmitEvidence, Side::Partner, at);
        }
        check(&mut s, id, CheckAction::Pass, Side::Staff, at);
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
    let mut s = Submission::open(&first_set(), Framework::Forge, "partner:1", T0);
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
    let mut s = Submission::open(&first_set(), Framework::Forge, "partner:1", T0);
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
        let mut s = Submission::open(&set, Framework::Forge, "partner:1", T0);
        let mut at = T0;
        let mut previous = s.history.len();
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
            // Every accepted move is recorded (a check's move may also end the submission's
            // soak); a refused one records nothing.
            if result.is_ok() {
                prop_assert!(s.history.len() > previous);
            } else {
                prop_assert_eq!(s.history.len(), previous);
            }
            previous = s.history.len();
            prop_assert_eq!(s.ball, s.state.ball());
            for check in s.checks.values() {
                prop_assert_eq!(check.ball, check.state.ball());
            }
            if s.state == SubmissionState::Approved {
                prop_assert!(s.checks.values().all(|c| c.state.is_closed()));
            }
        }
    }
}

#[test]
fn a_failure_or_reopening_undoes_the_test_and_the_soak() {
    let mut s = Submission::open(&first_set(), Framework::Forge, "partner:1", T0);
    let id = "reliability.availability";
    let mut go = |a: CheckAction, side: Side, at: i64| {
        s.apply_check(id, a, side, "x", at, Some("r"), None)
            .unwrap_or_else(|e| panic!("{a:?}: {e}"))
    };
    go(CheckAction::StartConfiguring, Side::Staff, T0);
    go(CheckAction::GrantAccess, Side::Partner, T0);
    go(CheckAction::TestRun, Side::Staff, T0);
    go(CheckAction::StartSoak, Side::Staff, T0);
    go(CheckAction::SoakEnded, Side::System, T0 + 28 * DAY);
    go(CheckAction::Fail, Side::Staff, T0 + 28 * DAY);
    go(CheckAction::SubmitEvidence, Side::Partner, T0 + 29 * DAY);
    let refused = s.apply_check(
        id,
        CheckAction::Pass,
        Side::Staff,
        "x",
        T0 + 29 * DAY,
        None,
        None,
    );
    assert!(
        refused.is_err(),
        "a new test and a new soak are needed: {refused:?}"
    );
}

#[test]
fn a_waiver_runs_out_after_approval_and_a_lapsed_one_blocks_approval() {
    let mut s = Submission::open(&first_set(), Framework::Forge, "partner:1", T0);
    staff(&mut s, SubmissionAction::Triage, T0, None);
    staff(&mut s, SubmissionAction::StartReview, T0, None);
    let ids: Vec<String> = s.checks.keys().cloned().collect();
    for id in &ids {
        s.apply_check(
            id,
            CheckAction::Waive,
            Side::Staff,
            "x",
            T0,
            Some("r"),
            Some(T0 + DAY),
        )
        .unwrap();
    }
    let lapsed = s.apply(
        SubmissionAction::Approve,
        Side::Staff,
        "x",
        T0 + 2 * DAY,
        None,
        None,
    );
    assert!(matches!(lapsed, Err(MoveError::Blocked(_))), "{lapsed:?}");
    staff(&mut s, SubmissionAction::Approve, T0 + 60, None);
    s.apply_check(
        &ids[0],
        CheckAction::WaiverExpired,
        Side::System,
        "timer",
        T0 + DAY,
        None,
        None,
    )
    .unwrap();
    assert_eq!(s.checks[&ids[0]].state, CheckState::NotStarted);
    assert_eq!(
        s.state,
        SubmissionState::Approved,
        "the caller decides what follows"
    );
}

#[test]
fn clarifications_and_answers_are_threaded_with_their_due_date() {
    let mut s = Submission::open(&first_set(), Framework::Forge, "partner:1", T0);
    staff(&mut s, SubmissionAction::Triage, T0, None);
    s.apply(
        SubmissionAction::RequestInfo,
        Side::Staff,
        "staff:1",
        T0 + 10,
        Some("  Where is your alert address?  "),
        Some(T0 + 3 * DAY),
    )
    .unwrap();
    s.apply(
        SubmissionAction::Reply,
        Side::Partner,
        "partner:1",
        T0 + 20,
        Some("alerts@example.com"),
        None,
    )
    .unwrap();
    s.post_message(Side::Staff, "staff:1", T0 + 30, "Thanks.")
        .unwrap();
    let thread: Vec<(&str, Option<i64>, Side)> = s
        .messages
        .iter()
        .map(|m| (m.body.as_str(), m.due, m.side))
        .collect();
    assert_eq!(
        thread,
        [
            (
                "Where is your alert address?",
                Some(T0 + 3 * DAY),
                Side::Staff
            ),
            ("alerts@example.com", None, Side::Partner),
            ("Thanks.", None, Side::Staff),
        ]
    );
    assert!(s.post_message(Side::Partner, "p", T0, "   ").is_err());
    let long = "x".repeat(MESSAGE_LIMIT + 1);
    assert!(s.post_message(Side::Partner, "p", T0, &long).is_err());
    // A decided submission keeps its thread open.
    s.apply(
        SubmissionAction::Withdraw,
        Side::Partner,
        "partner:1",
        T0 + 40,
        Some("later"),
        None,
    )
    .unwrap();
    s.post_message(
        Side::System,
        "review",
        T0 + 50,
        "Your annual review starts soon.",
    )
    .unwrap();
    assert_eq!(s.messages.len(), 4);
}
