use proptest::prelude::*;

use super::*;
use crate::access::Scope;
use crate::contact::{Contact, ContactInput, ContactKind, add_note, log_contact};
use crate::ids::{LeadId, OrgId, SourceId, StatusId};
use crate::lead::{LeadDraft, LeadInput, LeadPatch, StatusRef};
use crate::validate::NoteText;

const POOL: PoolId = PoolId::new(1);
const OTHER_POOL: PoolId = PoolId::new(2);

fn status(category: StatusCategory) -> StatusRef {
    let id = match category {
        StatusCategory::New => 1,
        StatusCategory::Contacted => 2,
        StatusCategory::Working => 3,
        StatusCategory::Closed => 4,
    };
    StatusRef {
        id: StatusId::new(id),
        name: category.as_str().into(),
        category,
        shark_tank: false,
    }
}

fn lead_in(owner: Owner, category: StatusCategory, id: i64) -> Lead {
    let draft = LeadDraft::parse(LeadInput {
        name: Some("Ana".into()),
        ..LeadInput::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let mut l = draft
        .create(
            OrgId::new(1),
            SourceId::new(1),
            status(category),
            owner,
            None,
            Actor::System,
            None,
            Timestamp::from_millis(0),
        )
        .lead;
    l.id = LeadId::new(id);
    l
}

fn pooled(id: i64) -> Lead {
    lead_in(Owner::Pool { pool_id: POOL }, StatusCategory::New, id)
}

fn taker(user: i64, max: Option<u32>, open_new: u32) -> Taker {
    Taker {
        user: UserId::new(user),
        team: Some(TeamId::new(5)),
        caps: Caps {
            max_new: max,
            min_new: 0,
        },
        load: Load {
            open_new,
            ..Load::default()
        },
    }
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

#[test]
fn a_claim_hands_the_lead_to_the_taker_with_a_claimed_entry() {
    let lead = pooled(1);
    let t =
        claim(&lead, &taker(7, None, 0), &[POOL], None, at(10)).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        t.lead.owner,
        Owner::Agent {
            user_id: UserId::new(7)
        }
    );
    assert_eq!(t.lead.team_id, Some(TeamId::new(5)));
    assert_eq!(t.lead.from_pool, Some(POOL));
    assert_eq!(t.lead.version, lead.version + 1);
    assert_eq!(t.entry.kind, EventKind::Claimed);
    assert!(t.entry.changes.get("owner").is_some());
}

#[test]
fn the_loser_of_a_claim_learns_who_won_but_only_if_they_saw_the_pool() {
    let won = claim(&pooled(1), &taker(7, None, 0), &[POOL], None, at(10))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .lead;
    assert_eq!(
        claim(&won, &taker(8, None, 0), &[POOL], None, at(11)).err(),
        Some(Refusal::AlreadyClaimed { by: UserId::new(7) })
    );
    assert_eq!(
        claim(&won, &taker(8, None, 0), &[OTHER_POOL], None, at(11)).err(),
        Some(Refusal::NotVisible)
    );
    let private = lead_in(
        Owner::Agent {
            user_id: UserId::new(7),
        },
        StatusCategory::New,
        2,
    );
    assert_eq!(
        claim(&private, &taker(8, None, 0), &[POOL], None, at(11)).err(),
        Some(Refusal::NotVisible)
    );
}

#[test]
fn a_claim_of_a_lead_one_holds_says_so_even_if_it_never_was_in_a_pool() {
    let mine = lead_in(
        Owner::Agent {
            user_id: UserId::new(7),
        },
        StatusCategory::New,
        2,
    );
    assert_eq!(
        claim(&mine, &taker(7, None, 0), &[POOL], None, at(11)).err(),
        Some(Refusal::AlreadyClaimed { by: UserId::new(7) })
    );
}

#[test]
fn claims_outside_a_pool_or_a_visible_pool_are_refused() {
    let queued = lead_in(Owner::Queue, StatusCategory::New, 1);
    assert_eq!(
        claim(&queued, &taker(7, None, 0), &[POOL], None, at(1)).err(),
        Some(Refusal::NotInPool)
    );
    assert_eq!(
        claim(&pooled(2), &taker(7, None, 0), &[OTHER_POOL], None, at(1)).err(),
        Some(Refusal::NotVisible)
    );
}

#[test]
fn a_rejecter_waits_out_the_cooldown_before_claiming_back() {
    let lead = pooled(1);
    assert_eq!(
        claim(&lead, &taker(7, None, 0), &[POOL], Some(at(100)), at(99)).err(),
        Some(Refusal::CoolingDown { until: at(100) })
    );
    assert!(claim(&lead, &taker(7, None, 0), &[POOL], Some(at(100)), at(100)).is_ok());
}

#[test]
fn only_new_leads_count_toward_the_cap() {
    assert_eq!(
        claim(&pooled(1), &taker(7, Some(5), 5), &[POOL], None, at(1)).err(),
        Some(Refusal::OverCap { max: 5 })
    );
    let working = lead_in(Owner::Pool { pool_id: POOL }, StatusCategory::Working, 2);
    assert!(claim(&working, &taker(7, Some(5), 5), &[POOL], None, at(1)).is_ok());
}

#[test]
fn assigning_over_a_cap_needs_an_override_which_the_timeline_records() {
    let lead = lead_in(Owner::Queue, StatusCategory::New, 1);
    let admin = Actor::User {
        user_id: UserId::new(1),
    };
    assert_eq!(
        assign(&lead, &taker(7, Some(2), 2), false, admin, None, at(1)).err(),
        Some(Refusal::OverCap { max: 2 })
    );
    let t = assign(&lead, &taker(7, Some(2), 2), true, admin, None, at(1))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .unwrap_or_else(|| panic!("a change"));
    assert_eq!(
        t.entry.changes.get("cap_override"),
        Some(&json!({"max": 2, "open_new": 2}))
    );
    assert_eq!(t.entry.kind, EventKind::OwnerChanged);
    assert_eq!(
        assign(&t.lead, &taker(7, Some(2), 3), false, admin, None, at(2)),
        Ok(None)
    );
}

#[test]
fn a_reject_returns_the_lead_to_the_pool_with_the_reason() {
    let mine = lead_in(
        Owner::Agent {
            user_id: UserId::new(7),
        },
        StatusCategory::New,
        1,
    );
    let t = reject(&mine, UserId::new(7), POOL, "wrong area".into(), at(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.lead.owner, Owner::Pool { pool_id: POOL });
    assert_eq!(t.entry.kind, EventKind::Rejected);
    assert_eq!(t.entry.reason.as_deref(), Some("wrong area"));
    assert_eq!(
        reject(&mine, UserId::new(8), POOL, "x".into(), at(5)).err(),
        Some(NotYours)
    );
}

#[test]
fn the_reserve_time_ends_with_a_contact_a_status_out_of_new_or_a_new_owner() {
    let claimed = claim(&pooled(1), &taker(7, None, 0), &[POOL], None, at(1))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .lead;
    let agent = Actor::User {
        user_id: UserId::new(7),
    };
    let call = Contact::parse(ContactInput::noted(ContactKind::Call, None))
        .unwrap_or_else(|e| panic!("{e}"));
    let contact = log_contact(&claimed, &call, agent, at(2));
    assert_eq!(contact.lead.owner, claimed.owner);
    assert_eq!(contact.entry.kind, EventKind::ContactLogged);
    assert_eq!(
        reserve_change(&claimed, &contact.lead, contact.entry.kind),
        TimerChange::Cancel
    );
    let note = NoteText::parse("call back Monday").unwrap_or_else(|e| panic!("{e}"));
    let noted = add_note(&claimed, &note, agent, at(2));
    assert_eq!(noted.entry.kind, EventKind::NoteAdded);
    assert_eq!(
        reserve_change(&claimed, &noted.lead, noted.entry.kind),
        TimerChange::Keep,
        "a note is not a contact"
    );

    let rename = claimed
        .apply(
            &LeadPatch {
                name: Some(None),
                phones: Some(vec![
                    crate::Phone::parse("+15555550100").unwrap_or_else(|e| panic!("{e}")),
                ]),
                ..LeadPatch::default()
            },
            agent,
            None,
            at(2),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a change"));
    assert_eq!(
        reserve_change(&claimed, &rename.lead, rename.entry.kind),
        TimerChange::Keep
    );

    let worked = claimed
        .apply(
            &LeadPatch {
                status: Some(status(StatusCategory::Working)),
                ..LeadPatch::default()
            },
            agent,
            None,
            at(2),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a change"));
    assert_eq!(
        reserve_change(&claimed, &worked.lead, worked.entry.kind),
        TimerChange::Cancel
    );

    let rejected = reject(&claimed, UserId::new(7), POOL, "no".into(), at(2))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        reserve_change(&claimed, &rejected.lead, rejected.entry.kind),
        TimerChange::Cancel
    );
}

#[test]
fn speed_to_lead_is_the_first_contact_after_each_assignment() {
    let lead = pooled(1);
    assert_eq!((lead.assigned_at, lead.first_contact_at), (None, None));
    let call = Contact::parse(ContactInput::noted(ContactKind::Call, None))
        .unwrap_or_else(|e| panic!("{e}"));
    let staff = Actor::User {
        user_id: UserId::new(99),
    };
    let unowned = log_contact(&lead, &call, staff, at(1));
    assert_eq!(unowned.lead.first_contact_at, None, "nobody was assigned");
    let claimed = claim(&lead, &taker(7, None, 0), &[POOL], None, at(10))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .lead;
    assert_eq!(claimed.assigned_at, Some(at(10)));
    let first = log_contact(&claimed, &call, staff, at(25));
    assert_eq!(first.lead.first_contact_at, Some(at(25)));
    assert_eq!(first.entry.changes["first_contact_after_ms"], 15);
    let second = log_contact(&first.lead, &call, staff, at(40));
    assert_eq!(
        second.lead.first_contact_at,
        Some(at(25)),
        "only the first counts"
    );
    assert!(second.entry.changes.get("first_contact_after_ms").is_none());
    let Some(moved) = assign(&second.lead, &taker(8, None, 0), false, staff, None, at(50))
        .unwrap_or_else(|e| panic!("{e:?}"))
    else {
        panic!("a new owner");
    };
    assert_eq!(
        (moved.lead.assigned_at, moved.lead.first_contact_at),
        (Some(at(50)), None),
        "a new assignment starts a new measure"
    );
}

#[test]
fn a_shark_tank_lead_is_anyones_until_its_first_contact() {
    let mut lead = pooled(1);
    lead.status.shark_tank = true;
    let ana = claim(&lead, &taker(7, None, 0), &[POOL], None, at(1))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .lead;
    assert!(ana.held_temporarily());
    assert_eq!(
        claim(&ana, &taker(8, None, 0), &[POOL], None, at(1)).err(),
        Some(Refusal::AlreadyClaimed { by: UserId::new(7) }),
        "claims racing at one instant have one winner"
    );
    let bo =
        claim(&ana, &taker(8, None, 0), &[POOL], None, at(2)).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        bo.lead.owner,
        Owner::Agent {
            user_id: UserId::new(8)
        }
    );
    assert!(
        bo.entry
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("shark tank"))
    );
    assert_eq!(
        claim(&ana, &taker(8, None, 0), &[OTHER_POOL], None, at(2)).err(),
        Some(Refusal::NotVisible),
        "only those who see its pool"
    );
    assert_eq!(
        claim(&ana, &taker(8, Some(0), 0), &[POOL], None, at(2)).err(),
        Some(Refusal::OverCap { max: 0 }),
        "caps hold"
    );
    let by_call = claim_by_call(
        &ana,
        &taker(9, None, 0),
        &[POOL],
        None,
        Call::Outbound,
        at(2),
    );
    assert!(by_call.is_ok(), "a call takes it too");
    let call = Contact::parse(ContactInput::noted(ContactKind::Call, None))
        .unwrap_or_else(|e| panic!("{e}"));
    let contacted = log_contact(
        &ana,
        &call,
        Actor::User {
            user_id: UserId::new(7),
        },
        at(3),
    )
    .lead;
    assert!(!contacted.held_temporarily());
    assert_eq!(
        claim(&contacted, &taker(8, None, 0), &[POOL], None, at(4)).err(),
        Some(Refusal::AlreadyClaimed { by: UserId::new(7) }),
        "the first contact makes the hold permanent"
    );
    let plain = claim(&pooled(2), &taker(7, None, 0), &[POOL], None, at(1))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .lead;
    assert!(!plain.held_temporarily(), "only shark-tank statuses");
}

#[test]
fn a_due_reserve_timer_sends_a_new_lead_back_to_its_pool_and_nothing_else() {
    let lead = lead_in(
        Owner::Pool {
            pool_id: OTHER_POOL,
        },
        StatusCategory::New,
        1,
    );
    let claimed = claim(&lead, &taker(7, None, 0), &[OTHER_POOL], None, at(1))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .lead;
    let back = fire_reserve_expiry(&claimed, POOL, at(50)).unwrap_or_else(|| panic!("fires"));
    assert_eq!(
        back.lead.owner,
        Owner::Pool {
            pool_id: OTHER_POOL
        }
    );
    assert_eq!(back.entry.kind, EventKind::ReserveExpired);
    assert!(
        back.entry
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("reserve time expired"))
    );
    let worked = claimed
        .apply(
            &LeadPatch {
                status: Some(status(StatusCategory::Working)),
                ..LeadPatch::default()
            },
            Actor::System,
            None,
            at(2),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a change"));
    assert_eq!(fire_reserve_expiry(&worked.lead, POOL, at(50)), None);
    assert_eq!(fire_reserve_expiry(&back.lead, POOL, at(60)), None);
}

#[test]
fn pools_are_seen_by_active_agents_with_access_in_their_team() {
    let open = PoolRules {
        id: POOL,
        team: None,
        blind: false,
    };
    let team_pool = PoolRules {
        team: Some(TeamId::new(3)),
        ..open.clone()
    };
    let org = Scope::Organization;
    assert!(open.visible_to(Role::Agent, &org, &[], true, true));
    assert!(!open.visible_to(Role::Agent, &org, &[], true, false));
    assert!(!open.visible_to(Role::Agent, &org, &[], false, true));
    assert!(!team_pool.visible_to(Role::Agent, &org, &[TeamId::new(4)], true, true));
    assert!(team_pool.visible_to(Role::Agent, &org, &[TeamId::new(3)], true, true));
    assert!(team_pool.visible_to(Role::Isa, &org, &[], true, false));
    assert!(!team_pool.visible_to(
        Role::Admin,
        &Scope::Teams(vec![TeamId::new(4)]),
        &[],
        true,
        true
    ));
}

#[test]
fn caps_take_the_users_own_values_over_the_organizations() {
    let org = Caps {
        max_new: Some(10),
        min_new: 2,
    };
    assert_eq!(Caps::effective(org, None, None), org);
    assert_eq!(
        Caps::effective(org, Some(3), Some(1)),
        Caps {
            max_new: Some(3),
            min_new: 1
        }
    );
}

proptest! {
    /// The one cap check: one more lead is refused exactly when it is "new", a maximum is
    /// set and the agent already holds that many; so an agent who takes only what it allows,
    /// counting each lead they take, never holds more new leads than their maximum.
    #[test]
    fn the_cap_refuses_exactly_the_new_lead_that_would_go_over_the_maximum(
        max in prop::option::of(0u32..5),
        start in 0u32..5,
        categories in proptest::collection::vec(0usize..4, 0..30),
    ) {
        let caps = Caps { max_new: max, min_new: 0 };
        let mut load = Load { open_new: start, ..Load::default() };
        for c in categories {
            let category = [
                StatusCategory::New,
                StatusCategory::Contacted,
                StatusCategory::Working,
                StatusCategory::Closed,
            ][c];
            let lead = lead_in(Owner::Queue, category, 1);
            let refused = caps.exceeded_by(&load, &lead);
            let expected = max.filter(|m| category == StatusCategory::New && load.open_new >= *m);
            prop_assert_eq!(refused, expected);
            if refused.is_none() {
                let before = load.open_new;
                load.took(&lead, at(1));
                prop_assert!(max.is_none_or(|m| load.open_new <= m.max(before)));
            }
        }
    }
}

proptest! {
    /// Claims in any order by any takers: each lead ends with exactly one owner, the first
    /// claimer; every later claim names that winner; nobody ends over their cap.
    #[test]
    fn claims_in_any_order_have_one_winner_per_lead_and_respect_caps(
        claims in proptest::collection::vec((0usize..6, 0i64..8), 1..80),
        max in 0u32..4,
    ) {
        let mut leads: Vec<Lead> = (0..8).map(pooled).collect();
        let mut takers: Vec<Taker> = (0..6).map(|u| taker(u + 100, Some(max), 0)).collect();
        let mut winners: Vec<Option<UserId>> = vec![None; 8];
        for (who, which) in claims {
            let i = usize::try_from(which).unwrap_or(0);
            let before = leads[i].clone();
            match claim(&before, &takers[who], &[POOL], None, at(1)) {
                Ok(t) => {
                    prop_assert!(winners[i].is_none());
                    prop_assert!(takers[who].load.open_new < max);
                    takers[who].took(&before, at(1));
                    winners[i] = Some(takers[who].user);
                    leads[i] = t.lead;
                }
                Err(Refusal::AlreadyClaimed { by }) => prop_assert_eq!(Some(by), winners[i]),
                Err(Refusal::OverCap { max: m }) => {
                    prop_assert_eq!(m, max);
                    prop_assert!(takers[who].load.open_new >= max);
                }
                Err(other) => prop_assert!(false, "unexpected refusal {other:?}"),
            }
        }
        for (lead, winner) in leads.iter().zip(&winners) {
            prop_assert_eq!(lead.owner.agent(), *winner);
        }
        for t in &takers {
            prop_assert!(t.load.open_new <= max);
        }
    }
}

#[test]
fn reserve_time_counts_open_hours_when_the_pool_has_a_calendar() {
    let cal = crate::calendar::Calendar::new("office", "UTC", "mon-fri 09:00-17:00", Vec::new())
        .unwrap_or_else(|e| panic!("{e}"));
    // Friday 2026-11-27 16:00 UTC plus 2 open hours: Monday 10:00.
    let claimed =
        Timestamp::parse_rfc3339("2026-11-27T16:00:00Z").unwrap_or_else(|| panic!("time"));
    let due = reserve_due(Some(&cal), claimed, Duration::from_secs(7200))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Some(due), Timestamp::parse_rfc3339("2026-11-30T10:00:00Z"));
    let wall =
        reserve_due(None, claimed, Duration::from_secs(7200)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(wall, claimed.plus_millis(7_200_000));
}

#[test]
fn a_call_takes_a_pool_or_queue_lead_and_a_transfer_takes_it_from_its_sender_only() {
    let me = taker(7, None, 0);
    let t = claim_by_call(&pooled(1), &me, &[POOL], None, Call::Outbound, at(5))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(t.lead.owner.agent(), Some(UserId::new(7)));
    assert_eq!(t.entry.kind, EventKind::Claimed);
    assert_eq!(
        t.entry.reason.as_deref(),
        Some("taken by a call (outbound) from the pool")
    );
    let queued = lead_in(Owner::Queue, StatusCategory::New, 2);
    assert!(claim_by_call(&queued, &me, &[], None, Call::Inbound, at(5)).is_ok());
    assert_eq!(
        claim(&queued, &me, &[POOL], None, at(5)).err(),
        Some(Refusal::NotInPool),
        "a claim from the list takes pool leads only"
    );
    assert_eq!(
        claim_by_call(&pooled(3), &me, &[OTHER_POOL], None, Call::Outbound, at(5)).err(),
        Some(Refusal::NotVisible)
    );
    let held_by = |u: i64| {
        lead_in(
            Owner::Agent {
                user_id: UserId::new(u),
            },
            StatusCategory::Working,
            4,
        )
    };
    let from_a = Call::Transfer {
        from: UserId::new(8),
    };
    let moved = claim_by_call(&held_by(8), &me, &[], None, from_a, at(5))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(moved.lead.owner.agent(), Some(UserId::new(7)));
    assert_eq!(
        claim_by_call(&held_by(9), &me, &[], None, from_a, at(5)).err(),
        Some(Refusal::AlreadyClaimed { by: UserId::new(9) }),
        "a transfer from someone who does not hold the lead moves nothing"
    );
    assert_eq!(
        claim_by_call(&held_by(8), &me, &[], None, Call::Outbound, at(5)).err(),
        Some(Refusal::AlreadyClaimed { by: UserId::new(8) }),
        "the caller is told who holds a lead even outside any pool they see"
    );
    assert_eq!(
        claim(&held_by(8), &me, &[], None, at(5)).err(),
        Some(Refusal::NotVisible),
        "a claim from the list names nobody outside the pools the claimer sees"
    );
    let capped = taker(7, Some(0), 0);
    let new_held = lead_in(
        Owner::Agent {
            user_id: UserId::new(8),
        },
        StatusCategory::New,
        5,
    );
    assert_eq!(
        claim_by_call(&new_held, &capped, &[], None, from_a, at(5)).err(),
        Some(Refusal::OverCap { max: 0 })
    );
    let offered = lead_in(
        Owner::Offer {
            offer_id: crate::ids::OfferId::new(3),
        },
        StatusCategory::New,
        6,
    );
    assert_eq!(
        claim_by_call(&offered, &me, &[POOL], None, Call::Outbound, at(5)).err(),
        Some(Refusal::NotInPool)
    );
}

#[test]
fn each_kind_of_call_gives_ownership_only_when_the_organization_says_so() {
    let transfer = Call::Transfer {
        from: UserId::new(1),
    };
    let default = CallOwnership::default();
    assert!(default.gives(Call::Outbound));
    assert!(!default.gives(Call::Inbound));
    assert!(!default.gives(transfer));
    let all = CallOwnership {
        outbound: false,
        inbound: true,
        transfer: true,
    };
    assert!(!all.gives(Call::Outbound));
    assert!(all.gives(Call::Inbound) && all.gives(transfer));
}

proptest! {
    /// Claims and calls of every kind on pool and queue leads, in any order, against a model
    /// of who holds each lead: the first to take a lead wins it, only a transfer from its
    /// holder passes it on, and everyone else on a call is told who holds it.
    #[test]
    fn calls_and_claims_racing_have_one_winner_per_lead(
        attempts in proptest::collection::vec(
            (0usize..5, 0usize..6, 0usize..4, 0usize..5),
            1..60,
        ),
    ) {
        let mut leads: Vec<Lead> = (0i64..6)
            .map(|id| if id % 2 == 0 { pooled(id) } else { lead_in(Owner::Queue, StatusCategory::New, id) })
            .collect();
        let takers: Vec<Taker> = (0..5).map(|u| taker(u + 100, None, 0)).collect();
        let mut holders: Vec<Option<UserId>> = vec![None; 6];
        for (who, i, kind, from) in attempts {
            let me = takers[who].user;
            let call = match kind {
                0 => None,
                1 => Some(Call::Outbound),
                2 => Some(Call::Inbound),
                _ => Some(Call::Transfer { from: takers[from].user }),
            };
            let tried = match call {
                None => claim(&leads[i], &takers[who], &[POOL], None, at(1)),
                Some(c) => claim_by_call(&leads[i], &takers[who], &[POOL], None, c, at(1)),
            };
            let in_pool = i % 2 == 0;
            let expected = match (holders[i], call) {
                (None, None) if !in_pool => Err(Refusal::NotInPool),
                (None, _) => Ok(me),
                (Some(h), Some(Call::Transfer { from })) if from == h && h != me => Ok(me),
                (Some(h), Some(_)) => Err(Refusal::AlreadyClaimed { by: h }),
                (Some(h), None) if in_pool || h == me => Err(Refusal::AlreadyClaimed { by: h }),
                // A claim names nobody to someone who never saw the lead in a pool.
                (Some(_), None) => Err(Refusal::NotVisible),
            };
            prop_assert_eq!(tried.as_ref().map(|t| t.lead.owner.agent()).map_err(|r| *r), expected.map(Some));
            if let Ok(t) = tried {
                holders[i] = t.lead.owner.agent();
                leads[i] = t.lead;
            }
        }
        for (lead, holder) in leads.iter().zip(&holders) {
            prop_assert_eq!(lead.owner.agent(), *holder);
        }
    }
}
