use std::collections::HashMap;

use proptest::prelude::{
    Just, ProptestConfig, any, prop, prop_assert, prop_assert_eq, prop_oneof, proptest,
};
use proptest::strategy::Strategy as _;

use super::*;
use crate::calendar::Calendar;
use crate::ids::{GroupId, LeadId, OfferId, OrgId, PoolId, RuleId, SourceId, StatusId, UserId};
use crate::lead::{Lead, LeadDraft, LeadInput, StatusRef};
use crate::owner::Owner;
use crate::pool::{Caps, Load, Taker};
use crate::status::StatusCategory;
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind};

const RULE: Router = Router::Rule {
    rule_id: RuleId::new(1),
};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn new_lead(fields: serde_json::Value, tags: &[&str]) -> Lead {
    let input = LeadInput {
        name: Some("Ana".into()),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        fields: fields.as_object().cloned().unwrap_or_default(),
        ..LeadInput::default()
    };
    let mut l = LeadDraft::parse(input)
        .unwrap_or_else(|e| panic!("{e}"))
        .create(
            OrgId::new(1),
            SourceId::new(3),
            StatusRef {
                id: StatusId::new(1),
                name: "New".into(),
                category: StatusCategory::New,
                shark_tank: false,
            },
            Owner::Queue,
            None,
            Actor::System,
            None,
            at(0),
        )
        .lead;
    l.id = LeadId::new(1);
    l
}

fn agent(id: i64) -> Candidate {
    Candidate {
        user: UserId::new(id),
        name: format!("agent{id}"),
        tags: Vec::new(),
        team: None,
        is_agent: true,
        active: true,
        paused: false,
        caps: Caps::default(),
        load: Load::default(),
    }
}

fn plan(strategy: Strategy, window: Option<u64>) -> Plan {
    Plan {
        strategy,
        group_id: Some(GroupId::new(1)),
        window_secs: window,
        calendar_id: None,
        ignore_hours: false,
        passes: 1,
        fallback: Fallback::Queue,
    }
}

fn input<'a>(
    lead: &'a Lead,
    plan: &'a Plan,
    members: &'a [(UserId, u32)],
    candidates: &'a [Candidate],
    cursor: Cursor,
) -> RouteInput<'a> {
    RouteInput {
        lead,
        router: RULE,
        router_name: "web leads",
        skipped: Vec::new(),
        plan,
        members,
        candidates,
        cursor,
        history: History::default(),
        calendar: None,
        now: at(1_000),
    }
}

fn picked(d: &Decision) -> Vec<UserId> {
    match &d.outcome {
        Outcome::Agent { user_id, .. } => vec![*user_id],
        Outcome::Offer { to, .. } => to.clone(),
        Outcome::Pool { .. } | Outcome::Queue => Vec::new(),
    }
}

#[test]
fn the_first_enabled_matching_rule_wins_and_the_others_say_why_not() {
    let lead = new_lead(
        serde_json::json!({"price": "450000", "city": "Austin"}),
        &["vip"],
    );
    let rule = |id: i64, enabled: bool, conditions: Conditions| Rule {
        id: RuleId::new(id),
        name: format!("r{id}"),
        enabled,
        conditions,
        plan: plan(Strategy::RoundRobin, None),
    };
    let field = |field: &str, test: FieldTest| FieldCondition {
        field: field.into(),
        test,
    };
    let rules = vec![
        rule(1, false, Conditions::default()),
        rule(
            2,
            true,
            Conditions {
                sources: vec![SourceId::new(9)],
                ..Conditions::default()
            },
        ),
        rule(
            3,
            true,
            Conditions {
                fields: vec![field(
                    "price",
                    FieldTest::Range {
                        min: Some(500_000.0),
                        max: None,
                    },
                )],
                ..Conditions::default()
            },
        ),
        rule(
            4,
            true,
            Conditions {
                tags: vec!["hot".into()],
                ..Conditions::default()
            },
        ),
        rule(
            5,
            true,
            Conditions {
                sources: vec![SourceId::new(3)],
                fields: vec![
                    field(
                        "city",
                        FieldTest::OneOf {
                            values: vec!["austin".into(), "Dallas".into()],
                        },
                    ),
                    field("city", FieldTest::Contains { text: "UST".into() }),
                    field(
                        "price",
                        FieldTest::Range {
                            min: Some(400_000.0),
                            max: Some(450_000.0),
                        },
                    ),
                ],
                tags: vec!["VIP".into()],
            },
        ),
        rule(6, true, Conditions::default()),
    ];
    let (hit, skipped) = match_rule(&rules, &lead, "Website");
    assert_eq!(hit.map(|r| r.id), Some(RuleId::new(5)));
    let why: Vec<&str> = skipped.iter().map(|s| s.why.as_str()).collect();
    assert_eq!(
        why,
        [
            "disabled",
            "source \"Website\" is not one of the rule's",
            "field `price` is \"450000\", not at least 500000",
            "no tag `hot`",
        ]
    );
    let unmatched = new_lead(serde_json::json!({}), &[]);
    let (hit, skipped) = match_rule(&rules[..5], &unmatched, "Website");
    assert!(hit.is_none());
    assert_eq!(skipped.len(), 5);
    assert_eq!(
        no_rule(skipped).trace.summary(),
        "no rule matched: sent to the manual assignment queue"
    );
}

#[test]
fn plans_that_cannot_work_are_refused_with_the_field_at_fault() {
    let mut p = plan(Strategy::Broadcast, None);
    p.passes = 0;
    p.group_id = None;
    let err = p.check().map(|()| "ok").unwrap_or_else(|e| {
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["group_id", "window_secs", "passes"]);
        "refused"
    });
    assert_eq!(err, "refused");
    assert!(plan(Strategy::RoundRobin, Some(60)).check().is_ok());
}

#[test]
fn round_robin_resumes_after_the_last_agent_when_the_group_changes() {
    let lead = new_lead(serde_json::json!({}), &[]);
    let p = plan(Strategy::RoundRobin, None);
    let cands: Vec<Candidate> = (1..=5).map(agent).collect();
    let u = UserId::new;
    let mut cursor = Cursor::default();
    let route = |members: &[(UserId, u32)], cursor: &mut Cursor| {
        let d = decide(&input(&lead, &p, members, &cands, cursor.clone()));
        *cursor = d.cursor.clone().unwrap_or_default();
        picked(&d)[0]
    };
    let abc = [(u(1), 1), (u(2), 1), (u(3), 1)];
    assert_eq!(route(&abc, &mut cursor), u(1));
    assert_eq!(route(&abc, &mut cursor), u(2));
    // Seed 004: adding someone does not reset the round; they join it.
    let abcd = [(u(1), 1), (u(2), 1), (u(4), 1), (u(3), 1)];
    assert_eq!(route(&abcd, &mut cursor), u(4));
    assert_eq!(route(&abcd, &mut cursor), u(3));
    // Removing the last agent served: the line goes on from their place.
    let acd = [(u(1), 1), (u(4), 1), (u(3), 1)];
    let mut c2 = cursor.clone();
    c2.last = Some(u(2));
    c2.last_index = 1;
    c2.served = vec![(u(1), 1), (u(2), 1)];
    assert_eq!(route(&acd, &mut c2), u(4));
    // A new round starts once everyone in line has had their share.
    assert_eq!(route(&abcd, &mut cursor), u(1));
    assert_eq!(cursor.round, 1);
}

#[test]
fn load_balancing_serves_those_under_their_minimum_then_the_lightest_then_the_longest_waiting() {
    let lead = new_lead(serde_json::json!({}), &[]);
    let p = plan(Strategy::LoadBalanced, None);
    let mut cands: Vec<Candidate> = (1..=3).map(agent).collect();
    cands[0].load.open_leads = 2;
    cands[1].load.open_leads = 1;
    cands[1].load.last_lead_at = Some(at(500));
    cands[2].load.open_leads = 1;
    cands[2].load.last_lead_at = Some(at(100));
    let members: Vec<(UserId, u32)> = (1..=3).map(|i| (UserId::new(i), 1)).collect();
    let d = decide(&input(&lead, &p, &members, &cands, Cursor::default()));
    assert_eq!(picked(&d), [UserId::new(3)]);
    assert!(
        d.trace
            .tie_break
            .as_deref()
            .is_some_and(|t| t.contains("waited longest")),
        "{:?}",
        d.trace.tie_break
    );
    // Weight 2 halves agent 1's load; a minimum puts them first whatever the load.
    let weighted = [
        (UserId::new(1), 4),
        (UserId::new(2), 1),
        (UserId::new(3), 1),
    ];
    let d = decide(&input(&lead, &p, &weighted, &cands, Cursor::default()));
    assert_eq!(picked(&d), [UserId::new(1)]);
    cands[0].caps.min_new = 1;
    cands[0].load.open_leads = 9;
    let d = decide(&input(&lead, &p, &members, &cands, Cursor::default()));
    assert_eq!(picked(&d), [UserId::new(1)]);
    assert_eq!(
        d.trace.minimum.as_deref(),
        Some("served first for being under their minimum: agent1 (0 of a minimum of 1 new leads)")
    );
    assert!(d.trace.summary().contains("under their minimum"));
}

#[test]
fn round_robin_and_broadcast_top_up_agents_under_their_minimum_first() {
    let lead = new_lead(serde_json::json!({}), &[]);
    let mut cands: Vec<Candidate> = (1..=3).map(agent).collect();
    cands[2].caps.min_new = 2;
    cands[2].load.open_new = 1;
    let members: Vec<(UserId, u32)> = (1..=3).map(|i| (UserId::new(i), 1)).collect();
    // The line says agent1 is next; agent3 is under their minimum and goes first.
    let rr = plan(Strategy::RoundRobin, Some(300));
    let d = decide(&input(&lead, &rr, &members, &cands, Cursor::default()));
    assert_eq!(picked(&d), [UserId::new(3)]);
    assert!(
        d.trace
            .minimum
            .as_deref()
            .is_some_and(|m| m.contains("agent3 (1 of a minimum of 2 new leads)")),
        "{:?}",
        d.trace
    );
    let broadcast = plan(Strategy::Broadcast, Some(300));
    let d = decide(&input(
        &lead,
        &broadcast,
        &members,
        &cands,
        Cursor::default(),
    ));
    assert_eq!(picked(&d), [UserId::new(3)]);
    // At their minimum, they are one of everyone again.
    cands[2].load.open_new = 2;
    let d = decide(&input(
        &lead,
        &broadcast,
        &members,
        &cands,
        Cursor::default(),
    ));
    assert_eq!(picked(&d).len(), 3);
    assert!(d.trace.minimum.is_none());
    let d = decide(&input(&lead, &rr, &members, &cands, Cursor::default()));
    assert_eq!(picked(&d), [UserId::new(1)]);
}

#[test]
fn nobody_eligible_goes_to_the_fallback_at_once_with_every_reason() {
    let lead = new_lead(serde_json::json!({}), &[]);
    let mut p = plan(Strategy::RoundRobin, Some(300));
    p.fallback = Fallback::Pool {
        pool_id: PoolId::new(4),
    };
    let mut cands: Vec<Candidate> = (1..=4).map(agent).collect();
    cands[0].active = false;
    cands[1].paused = true;
    cands[2].caps.max_new = Some(2);
    cands[2].load.open_new = 2;
    cands[3].is_agent = false;
    let members: Vec<(UserId, u32)> = (1..=4).map(|i| (UserId::new(i), 1)).collect();
    let d = decide(&input(&lead, &p, &members, &cands, Cursor::default()));
    assert_eq!(
        d.outcome,
        Outcome::Pool {
            pool_id: PoolId::new(4)
        }
    );
    let why: Vec<String> = d.trace.excluded.iter().map(|e| e.why.to_string()).collect();
    assert_eq!(
        why,
        [
            "inactive",
            "paused",
            "over cap (2 new leads)",
            "not an agent"
        ]
    );
    assert_eq!(d.trace.fallback.as_deref(), Some("nobody is eligible"));
    assert!(d.cursor.is_none(), "a fallback does not move the line");

    // A default assignee at their cap is passed over for the queue, and the trace says so.
    p.fallback = Fallback::Agent {
        user_id: UserId::new(3),
    };
    let d = decide(&input(&lead, &p, &members, &cands, Cursor::default()));
    assert_eq!(d.outcome, Outcome::Queue);
    assert!(
        d.trace.outcome.contains("agent3 is over cap"),
        "{}",
        d.trace.outcome
    );
}

#[test]
fn outside_the_calendar_nobody_is_eligible_unless_the_rule_offers_anyway() {
    let lead = new_lead(serde_json::json!({}), &[]);
    let cal = Calendar::new("office", "UTC", "mon-fri 09:00-17:00", Vec::new())
        .unwrap_or_else(|e| panic!("{e}"));
    // 2026-11-28 is a Saturday.
    let saturday = Timestamp::parse_rfc3339("2026-11-28T12:00:00Z").unwrap_or(at(0));
    let p = plan(Strategy::RoundRobin, Some(3600));
    let cands = vec![agent(1)];
    let members = [(UserId::new(1), 1)];
    let mut i = input(&lead, &p, &members, &cands, Cursor::default());
    i.calendar = Some(&cal);
    i.now = saturday;
    let d = decide(&i);
    assert_eq!(d.outcome, Outcome::Queue);
    assert_eq!(d.trace.excluded[0].why, Exclusion::OutsideHours);

    let mut anyway = p.clone();
    anyway.ignore_hours = true;
    i.plan = &anyway;
    let d = decide(&i);
    let monday_10 = Timestamp::parse_rfc3339("2026-11-30T10:00:00Z").unwrap_or(at(0));
    match d.outcome {
        Outcome::Offer { deadline, .. } => assert_eq!(deadline, monday_10),
        other => panic!("expected an offer, got {other:?}"),
    }
}

fn offer_of(d: &Decision, id: i64) -> Offer {
    match &d.outcome {
        Outcome::Offer {
            to,
            deadline,
            broadcast,
        } => Offer {
            id: OfferId::new(id),
            lead_id: LeadId::new(1),
            router: RULE,
            to: to.clone(),
            deadline: *deadline,
            pin: "4711".into(),
            broadcast: *broadcast,
            history: d.history.clone(),
        },
        other => panic!("expected an offer, got {other:?}"),
    }
}

fn taker(u: UserId) -> Taker {
    Taker {
        user: u,
        team: None,
        caps: Caps::default(),
        load: Load::default(),
    }
}

#[test]
fn a_broadcast_is_taken_by_accepting_or_calling_with_the_pin_and_declines_keep_it_open() {
    let lead = new_lead(serde_json::json!({}), &[]);
    let p = plan(Strategy::Broadcast, Some(120));
    let cands: Vec<Candidate> = (1..=3).map(agent).collect();
    let members: Vec<(UserId, u32)> = (1..=3).map(|i| (UserId::new(i), 1)).collect();
    let d = decide(&input(&lead, &p, &members, &cands, Cursor::default()));
    let offer = offer_of(&d, 8);
    assert_eq!(offer.to.len(), 3);
    let owner = d.owner(Some(offer.id)).unwrap_or(Owner::Queue);
    let offered = d.transition(&lead, owner, Actor::System, at(1_000)).lead;
    assert_eq!(offered.owner, Owner::Offer { offer_id: offer.id });

    // A decline leaves it open to the others.
    let u = UserId::new;
    assert!(decline(&offered, &offer, u(1), at(1_100)).is_ok());
    let mut h = offer.history.clone();
    h.close(&[u(1)], AttemptOutcome::Declined);
    assert_eq!(after_decline(&offer, &h), Some(vec![u(2), u(3)]));

    let call = |pin: Option<&str>| Acceptance::Call {
        pin: pin.map(str::to_owned),
    };
    assert_eq!(
        accept(&offered, &offer, &taker(u(2)), &call(None), at(1_200)).err(),
        Some(OfferRefusal::WrongPin)
    );
    assert_eq!(
        accept(
            &offered,
            &offer,
            &taker(u(9)),
            &Acceptance::Accept,
            at(1_200)
        )
        .err(),
        Some(OfferRefusal::NotOffered)
    );
    let won = accept(
        &offered,
        &offer,
        &taker(u(3)),
        &call(Some("4711")),
        at(1_200),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(won.entry.kind, EventKind::OfferAccepted);
    assert_eq!(
        accept(
            &won.lead,
            &offer,
            &taker(u(2)),
            &Acceptance::Accept,
            at(1_300)
        )
        .err(),
        Some(OfferRefusal::AlreadyTaken { by: u(3) })
    );
    let late = offer.deadline.plus_millis(1);
    assert_eq!(
        accept(&offered, &offer, &taker(u(2)), &Acceptance::Accept, late).err(),
        Some(OfferRefusal::Expired {
            deadline: offer.deadline
        })
    );
    assert!(expire(&won.lead, &offer, late).is_none());
    let expired = expire(&offered, &offer, late);
    assert_eq!(
        expired.as_ref().map(|t| t.entry.kind),
        Some(EventKind::OfferExpired)
    );
    // Its time reads like every other time people see (issue 18, defect 5), not RFC 3339.
    assert_eq!(
        expired.and_then(|t| t.entry.reason),
        Some(format!(
            "nobody accepted within the response window (ended {})",
            offer.deadline.to_minute_utc()
        ))
    );
}

#[test]
fn a_timed_out_round_robin_offer_moves_to_the_next_agent_then_the_fallback() {
    let lead = new_lead(serde_json::json!({}), &[]);
    let mut p = plan(Strategy::RoundRobin, Some(60));
    p.passes = 2;
    let cands: Vec<Candidate> = (1..=2).map(agent).collect();
    let members = [(UserId::new(1), 1), (UserId::new(2), 1)];
    let mut i = input(&lead, &p, &members, &cands, Cursor::default());
    let mut order = Vec::new();
    loop {
        let d = decide(&i);
        let who = picked(&d);
        if who.is_empty() {
            assert_eq!(d.outcome, Outcome::Queue);
            assert!(
                d.trace
                    .excluded
                    .iter()
                    .all(|e| matches!(e.why, Exclusion::AlreadyOffered { times: 2 }))
            );
            break;
        }
        order.extend(who.iter().copied());
        i.history = d.history.clone();
        i.history.close(&who, AttemptOutcome::Expired);
        i.cursor = d.cursor.clone().unwrap_or_default();
    }
    let u = UserId::new;
    assert_eq!(order, [u(1), u(2), u(1), u(2)]);
}

/// One step of a sequence: a lead to route, or a change to the group.
#[derive(Debug, Clone)]
enum Step {
    Lead,
    Add { id: i64, weight: u32 },
    Remove { nth: usize },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Lead),
        1 => (100i64..110, 1u32..4).prop_map(|(id, weight)| Step::Add { id, weight }),
        1 => (0usize..10).prop_map(|nth| Step::Remove { nth }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Members who stay in the group get counts that differ by at most one per weight unit,
    /// whatever members join or leave around them.
    #[test]
    fn round_robin_is_fair_per_weight_across_group_edits(
        weights in prop::collection::vec(1u32..4, 1..6),
        steps in prop::collection::vec(step(), 1..200),
    ) {
        let lead = new_lead(serde_json::json!({}), &[]);
        let p = plan(Strategy::RoundRobin, None);
        let mut members: Vec<(UserId, u32)> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| (UserId::new(i64::try_from(i).unwrap_or(0) + 1), *w))
            .collect();
        let base = members.clone();
        let cands: Vec<Candidate> = (1..=5).chain(100..110).map(agent).collect();
        let mut cursor = Cursor::default();
        let mut counts: HashMap<UserId, u64> = HashMap::new();
        for s in steps {
            match s {
                Step::Lead => {
                    let d = decide(&input(&lead, &p, &members, &cands, cursor.clone()));
                    let who = picked(&d);
                    prop_assert_eq!(who.len(), 1);
                    *counts.entry(who[0]).or_default() += 1;
                    cursor = d.cursor.unwrap_or_default();
                }
                Step::Add { id, weight } => {
                    let u = UserId::new(id);
                    if !members.iter().any(|(x, _)| *x == u) {
                        members.insert(members.len() / 2, (u, weight));
                    }
                }
                Step::Remove { nth } => {
                    let added: Vec<usize> = (0..members.len())
                        .filter(|i| !base.contains(&members[*i]))
                        .collect();
                    if let Some(&i) = added.get(nth % added.len().max(1)) {
                        members.remove(i);
                    }
                }
            }
        }
        for (a, wa) in &base {
            for (b, wb) in &base {
                let (ca, cb) = (counts.get(a).copied().unwrap_or(0), counts.get(b).copied().unwrap_or(0));
                // |ca/wa - cb/wb| <= 1, without fractions.
                let lhs = (ca * u64::from(*wb)).abs_diff(cb * u64::from(*wa));
                prop_assert!(lhs <= u64::from(*wa) * u64::from(*wb), "{a:?}:{ca}/{wa} vs {b:?}:{cb}/{wb}");
            }
        }
    }

    /// Whatever the agents' state and the strategy, a pick is always eligible, and nobody
    /// eligible means the fallback.
    #[test]
    fn no_strategy_ever_picks_an_ineligible_member(
        flags in prop::collection::vec((any::<bool>(), any::<bool>(), any::<bool>(), 0u32..4, prop::option::of(0u32..3), 0u8..3), 1..8),
        strategy in 0u8..4,
        window in prop::option::of(1u64..1000),
        seed_cursor in 0usize..8,
    ) {
        let lead = new_lead(serde_json::json!({}), &[]);
        let strategy = match strategy {
            0 => Strategy::RoundRobin,
            1 => Strategy::Broadcast,
            2 => Strategy::LoadBalanced,
            _ => Strategy::DirectAgent { user_id: UserId::new(1) },
        };
        let window = if strategy == Strategy::Broadcast { window.or(Some(60)) } else { window };
        let mut p = plan(strategy, window);
        p.passes = 2;
        let mut cands = Vec::new();
        let mut history = History::default();
        for (i, (active, paused, agent_role, open_new, max, offered)) in flags.iter().enumerate() {
            let id = i64::try_from(i).unwrap_or(0) + 1;
            let mut c = agent(id);
            c.active = *active;
            c.paused = *paused;
            c.is_agent = *agent_role;
            c.load.open_new = *open_new;
            c.load.open_leads = *open_new;
            c.caps.max_new = *max;
            cands.push(c);
            for _ in 0..*offered {
                history.attempts.push(Attempt { user_id: UserId::new(id), outcome: AttemptOutcome::Expired });
            }
        }
        let members: Vec<(UserId, u32)> = cands.iter().map(|c| (c.user, 1)).collect();
        let cursor = Cursor { last_index: seed_cursor, ..Cursor::default() };
        let mut i = input(&lead, &p, &members, &cands, cursor);
        i.history = history.clone();
        let d = decide(&i);
        let ok = |c: &Candidate| {
            c.active && c.is_agent && !c.paused
                && c.caps.max_new.is_none_or(|m| c.load.open_new < m)
                && history.attempts.iter().filter(|a| a.user_id == c.user).count() < 2
        };
        let any_ok = match strategy {
            Strategy::DirectAgent { user_id } => cands.iter().any(|c| c.user == user_id && ok(c)),
            _ => cands.iter().any(ok),
        };
        let who = picked(&d);
        for u in &who {
            let c = cands.iter().find(|c| c.user == *u);
            prop_assert!(c.is_some_and(ok), "picked ineligible {u:?}: {:?}", d.trace);
        }
        prop_assert_eq!(who.is_empty(), !any_ok, "{:?}", d.trace);
        if who.is_empty() {
            prop_assert_eq!(&d.outcome, &Outcome::Queue);
            prop_assert!(d.trace.fallback.is_some());
        }
        if strategy == Strategy::Broadcast {
            let expected: Vec<UserId> = cands.iter().filter(|c| ok(c)).map(|c| c.user).collect();
            prop_assert_eq!(who, expected);
        }
    }

    /// Leads decided one after another, each agent counting the leads the earlier decisions
    /// gave them (as a batch of intakes is decided), never push anyone over their cap, and
    /// load balancing keeps the uncapped agents' counts within one of each other.
    #[test]
    fn decisions_in_a_row_that_count_what_they_gave_respect_caps_and_balance(
        caps in prop::collection::vec(prop::option::of(0u32..6), 1..8),
        leads in 1usize..40,
        load_balanced in any::<bool>(),
    ) {
        let lead = new_lead(serde_json::json!({}), &[]);
        let p = plan(if load_balanced { Strategy::LoadBalanced } else { Strategy::RoundRobin }, None);
        let mut cands: Vec<Candidate> = caps
            .iter()
            .enumerate()
            .map(|(i, max)| {
                let mut c = agent(i64::try_from(i).unwrap_or(0) + 1);
                c.caps.max_new = *max;
                c
            })
            .collect();
        let members: Vec<(UserId, u32)> = cands.iter().map(|c| (c.user, 1)).collect();
        let mut cursor = Cursor::default();
        for n in 0..leads {
            let now = at(1_000 + i64::try_from(n).unwrap_or(0));
            let mut i = input(&lead, &p, &members, &cands, cursor.clone());
            i.now = now;
            let d = decide(&i);
            if let Some(c) = d.cursor.clone() {
                cursor = c;
            }
            match d.outcome {
                Outcome::Agent { user_id, .. } => {
                    let c = cands.iter_mut().find(|c| c.user == user_id);
                    prop_assert!(c.is_some());
                    if let Some(c) = c {
                        c.load.took(&lead, now);
                        prop_assert_eq!(c.load.last_lead_at, Some(now));
                    }
                }
                Outcome::Queue => {
                    prop_assert!(cands.iter().all(|c| c.caps.max_new.is_some_and(|m| c.load.open_new >= m)));
                }
                other => prop_assert!(false, "unexpected {other:?}"),
            }
        }
        for c in &cands {
            prop_assert!(c.caps.max_new.is_none_or(|m| c.load.open_new <= m), "{c:?}");
            prop_assert_eq!(c.load.open_new, c.load.open_leads);
        }
        let free: Vec<u32> = cands.iter().filter(|c| c.caps.max_new.is_none()).map(|c| c.load.open_new).collect();
        if let (Some(lo), Some(hi)) = (free.iter().min(), free.iter().max()) {
            prop_assert!(hi - lo <= 1, "uncapped counts {free:?}");
        }
    }

    /// Every strategy that picks among members picks only agents under their minimum while
    /// any eligible one is, and anyone eligible otherwise; the trace names them.
    #[test]
    fn agents_under_their_minimum_are_served_first_by_every_strategy(
        agents in prop::collection::vec((0u32..4, 0u32..4, any::<bool>()), 1..8),
        strategy in 0u8..3,
        seed_cursor in 0usize..8,
    ) {
        let lead = new_lead(serde_json::json!({}), &[]);
        let strategy = match strategy {
            0 => Strategy::RoundRobin,
            1 => Strategy::Broadcast,
            _ => Strategy::LoadBalanced,
        };
        let p = plan(strategy, Some(60));
        let cands: Vec<Candidate> = agents
            .iter()
            .enumerate()
            .map(|(i, (min, open_new, active))| {
                let mut c = agent(i64::try_from(i).unwrap_or(0) + 1);
                c.caps.min_new = *min;
                c.load.open_new = *open_new;
                c.active = *active;
                c
            })
            .collect();
        let members: Vec<(UserId, u32)> = cands.iter().map(|c| (c.user, 1)).collect();
        let cursor = Cursor { last_index: seed_cursor, ..Cursor::default() };
        let d = decide(&input(&lead, &p, &members, &cands, cursor));
        let under = |c: &Candidate| c.active && c.load.open_new < c.caps.min_new;
        let any_under = cands.iter().any(under);
        let who = picked(&d);
        prop_assert_eq!(who.is_empty(), !cands.iter().any(|c| c.active));
        for u in &who {
            let c = cands.iter().find(|c| c.user == *u);
            prop_assert!(c.is_some_and(|c| c.active && (!any_under || under(c))), "{u:?}: {:?}", d.trace);
        }
        prop_assert_eq!(d.trace.minimum.is_some(), any_under);
        if strategy == Strategy::Broadcast && any_under {
            let expected: Vec<UserId> = cands.iter().filter(|c| under(c)).map(|c| c.user).collect();
            prop_assert_eq!(who, expected);
        }
    }

    /// However many offered agents race to accept a broadcast, in any order, exactly one wins
    /// and every later one is told who.
    #[test]
    fn a_broadcast_has_exactly_one_winner(
        n in 1i64..30,
        order in prop::collection::vec(0i64..40, 1..60),
    ) {
        let lead = new_lead(serde_json::json!({}), &[]);
        let p = plan(Strategy::Broadcast, Some(60));
        let cands: Vec<Candidate> = (1..=n).map(agent).collect();
        let members: Vec<(UserId, u32)> = cands.iter().map(|c| (c.user, 1)).collect();
        let d = decide(&input(&lead, &p, &members, &cands, Cursor::default()));
        let offer = offer_of(&d, 5);
        let owner = d.owner(Some(offer.id)).unwrap_or(Owner::Queue);
        let mut current = d.transition(&lead, owner, Actor::System, at(1_000)).lead;
        let mut winner = None;
        for who in order {
            let u = UserId::new(who + 1);
            match accept(&current, &offer, &taker(u), &Acceptance::Accept, at(1_001)) {
                Ok(t) => {
                    prop_assert!(winner.is_none(), "a second winner {u:?}");
                    prop_assert!(offer.to.contains(&u));
                    winner = Some(u);
                    current = t.lead;
                }
                Err(OfferRefusal::AlreadyTaken { by }) => prop_assert_eq!(Some(by), winner),
                Err(OfferRefusal::NotOffered) => prop_assert!(!offer.to.contains(&u)),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
