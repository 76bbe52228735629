//! Escalations: their stages, the badge effects, and that the partner is told before any badge
//! changes.

use proptest::prelude::*;

use super::*;

const T0: i64 = 1_800_000_000;

fn raised() -> Escalation {
    Escalation::raise(
        Source::Customer,
        "user:9 (admin@customer.test)",
        None,
        "The app lost our data sync for two days.",
        T0,
    )
    .unwrap()
}

fn staff(
    e: &mut Escalation,
    action: EscalationAction,
    at: i64,
    due: Option<i64>,
) -> Result<Option<BadgeEffect>, MoveError> {
    e.apply(action, Side::Staff, "staff:1", at, Some("because"), due)
}

#[test]
fn an_escalation_needs_a_reason() {
    assert!(Escalation::raise(Source::Staff, "s", None, "  ", T0).is_err());
}

#[test]
fn an_unmet_plan_leads_to_notice_suspension_and_removal() {
    let mut e = raised();
    assert_eq!(e.ball, Ball::Partner);
    assert!(matches!(
        staff(&mut e, EscalationAction::AgreePlan, T0, None),
        Err(MoveError::Invalid(_))
    ));
    staff(&mut e, EscalationAction::AgreePlan, T0, Some(T0 + 10 * DAY)).unwrap();
    assert_eq!(e.deadline(), Some(T0 + 10 * DAY));
    let early = e.apply(
        EscalationAction::PlanOverdue,
        Side::System,
        "t",
        T0 + DAY,
        None,
        None,
    );
    assert!(matches!(early, Err(MoveError::Blocked(_))));
    e.apply(
        EscalationAction::PlanOverdue,
        Side::System,
        "t",
        T0 + 10 * DAY,
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        (e.state, e.ball),
        (EscalationState::PlanOverdue, Ball::Staff)
    );
    // Staff cannot suspend at once: the partner is told first, and the notice runs.
    let Err(MoveError::NotYours { .. }) = staff(&mut e, EscalationAction::Suspend, T0, None) else {
        panic!("suspension is the notice's end, not a staff move");
    };
    let demoted = T0 + 11 * DAY;
    assert_eq!(
        staff(&mut e, EscalationAction::Demote, demoted, None).unwrap(),
        None
    );
    assert_eq!(e.ball, Ball::Timer);
    assert_eq!(e.deadline(), Some(demoted + DEMOTION_NOTICE_DAYS * DAY));
    let early = e.apply(
        EscalationAction::Suspend,
        Side::System,
        "t",
        demoted + DAY,
        None,
        None,
    );
    assert!(matches!(early, Err(MoveError::Blocked(_))));
    let effect = e
        .apply(
            EscalationAction::Suspend,
            Side::System,
            "t",
            demoted + DEMOTION_NOTICE_DAYS * DAY,
            None,
            None,
        )
        .unwrap();
    assert_eq!(effect, Some(BadgeEffect::Suspend));
    assert_eq!(e.ball, Ball::Staff);
    let effect = staff(&mut e, EscalationAction::Remove, demoted + 30 * DAY, None).unwrap();
    assert_eq!(effect, Some(BadgeEffect::Remove));
    assert!(e.state.is_terminal());
    assert!(e.allowed().is_empty());
}

#[test]
fn a_suspension_resolved_restores_the_badge_and_exclusions_close_without_one() {
    let mut e = raised();
    staff(&mut e, EscalationAction::Demote, T0, None).unwrap();
    e.apply(
        EscalationAction::Suspend,
        Side::System,
        "t",
        T0 + DEMOTION_NOTICE_DAYS * DAY,
        None,
        None,
    )
    .unwrap();
    let effect = staff(&mut e, EscalationAction::Resolve, T0 + 9 * DAY, None).unwrap();
    assert_eq!(effect, Some(BadgeEffect::Restore));

    let mut excluded = raised();
    assert_eq!(
        staff(&mut excluded, EscalationAction::Exclude, T0, None).unwrap(),
        None
    );
    assert_eq!(excluded.state, EscalationState::Excluded);
    let partner = raised().apply(
        EscalationAction::Resolve,
        Side::Partner,
        "p",
        T0,
        Some("we fixed it"),
        None,
    );
    assert!(matches!(partner, Err(MoveError::NotYours { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random moves by random sides: the ball always matches the state; a badge is suspended
    /// only after a demotion told the partner at least the notice period before; a removal
    /// only follows a suspension; a refused move changes nothing.
    #[test]
    fn random_escalation_moves_keep_the_rules(moves in proptest::collection::vec((0usize..9, 0usize..3, 0i64..12), 1..60)) {
        let mut e = raised();
        let sides = [Side::Partner, Side::Staff, Side::System];
        let mut t = T0;
        for (action, side, quarter_days) in moves {
            t += quarter_days * DAY / 4;
            let action = EscalationAction::ALL[action];
            let before = e.clone();
            let result = e.apply(action, sides[side], "someone", t, Some("because"), Some(t + 2 * DAY));
            prop_assert_eq!(e.ball, e.state.ball());
            match result {
                Ok(effect) => {
                    prop_assert_eq!(action.side(), sides[side]);
                    if effect == Some(BadgeEffect::Suspend) {
                        let told = e.history.iter().rev().find(|h| h.action == "demote");
                        prop_assert!(told.is_some_and(|h| t - h.at >= DEMOTION_NOTICE_DAYS * DAY));
                    }
                    if effect == Some(BadgeEffect::Remove) {
                        prop_assert_eq!(before.state, EscalationState::Suspended);
                    }
                }
                Err(_) => prop_assert_eq!(&e, &before),
            }
        }
    }
}
