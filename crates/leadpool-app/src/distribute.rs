//! Distribution's use cases: routing a new lead through the rules, the offers that follow
//! and their answers (accept, decline, a call, the window's end, an admin's cancel),
//! reassignment groups, the manual queue, dry runs and the explanation of the last decision.
//!
//! A decision is made and written in one transaction: the members' rows are locked (on
//! PostgreSQL) before their caps are counted, and the rule's round-robin position is locked
//! before it moves, so concurrent intakes through one rule take turns. Every answer to an
//! offer locks the lead first, so an accept racing the window's end, or fifty accepts racing
//! each other, have exactly one outcome.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use leadpool_domain::calendar::Calendar;
use leadpool_domain::pool::Caps;
use leadpool_domain::routing::{
    self, AttemptOutcome, Candidate, Decision, GroupEntry, History, MemberRef, OfferRefusal,
    Outcome, Plan, RouteInput, Router, SkippedRule, Strategy,
};
use leadpool_domain::timer::TimerFacts;
use leadpool_domain::{Actor, Lead, LeadId, OrgId, Owner, PoolId, SourceId, Timestamp, UserId};
use leadpool_store::offers::{NewEvent, NewOffer, OfferState, StoredOffer};
use leadpool_store::routing::Reassignment;
use leadpool_store::users::UserFilter;
use leadpool_store::{StoreError, Tx};
use serde_json::json;

use crate::load::{caps_of, read_loads};
use crate::setup::Setup;
use crate::transitions::Step;
use crate::{App, AppError};

/// What routes a lead.
#[derive(Clone, Copy)]
pub(crate) enum Via<'a> {
    /// The organization's rules (a new lead from the source of this name).
    Rules {
        /// The source's name, for the reasons rules did not match.
        source: &'a str,
    },
    /// A reassignment group, triggered by hand.
    Reassignment(&'a Reassignment),
    /// The plan of an offer that ended without a taker.
    After(&'a StoredOffer),
}

/// A decision ready to write, with what made it.
#[derive(Debug)]
pub(crate) struct Prepared {
    router: Option<(Router, String, Plan)>,
    pub(crate) decision: Decision,
}

/// What routes one lead of a batch: the router, its name and plan, and the rules passed over.
struct Chosen {
    router: Router,
    name: String,
    plan: Plan,
    skipped: Vec<SkippedRule>,
}

/// A lead to route and what routes it.
pub(crate) struct ToRoute<'a> {
    /// The lead, as read.
    pub(crate) lead: &'a Lead,
    /// What routes it.
    pub(crate) via: Via<'a>,
    /// The offers already made for it.
    pub(crate) history: History,
}

/// How an agent answers an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Takes it.
    Accept,
    /// Turns it down.
    Decline,
    /// Called the lead (with the PIN dialled in with, if any); counts as accepting.
    Call {
        /// The PIN.
        pin: Option<String>,
    },
}

/// What came of an answer to an offer.
#[derive(Debug, Clone, PartialEq)]
pub enum OfferAnswer {
    /// Done; the lead as it now is.
    Done {
        /// The lead.
        lead: Box<Lead>,
    },
    /// Refused, and why (naming who took it when someone did).
    Refused {
        /// Why.
        refusal: OfferRefusal,
        /// The name of who took it, for `AlreadyTaken`.
        by_name: Option<String>,
    },
}

/// A call reported by a phone system.
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    /// The agent on the call.
    pub agent_id: Option<UserId>,
    /// The lead called.
    pub lead_id: Option<LeadId>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// The offer's PIN, when the agent dialled in with one.
    pub pin: Option<String>,
}

/// What a reported call did.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// It took the offered lead.
    Claimed {
        /// The lead.
        lead: Box<Lead>,
    },
    /// The lead was not on offer to the agent: the call was logged as a contact.
    Logged {
        /// The lead.
        lead: Box<Lead>,
    },
    /// It could not take the offered lead.
    Refused {
        /// Why.
        refusal: OfferRefusal,
        /// Who took it, if someone did.
        by_name: Option<String>,
    },
}

/// A lead to try the rules on without changing anything.
#[derive(Debug, Clone, Default)]
pub struct DryRunInput {
    /// A stored lead (its fields, tags and source).
    pub lead_id: Option<LeadId>,
    /// Or a source…
    pub source_id: Option<SourceId>,
    /// …with these custom fields…
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// …and tags.
    pub tags: Vec<String>,
}

/// A lead in the manual queue and why it is there.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedLead {
    /// The lead.
    pub lead: Lead,
    /// Why it is in the queue (the entry that put it there).
    pub reason: Option<String>,
    /// Since when.
    pub since: Option<Timestamp>,
}

/// An open offer with its lead, as the offered agent sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenOffer {
    /// The offer.
    pub offer: StoredOffer,
    /// The lead.
    pub lead: Lead,
}

fn new_pin() -> Result<String, AppError> {
    let mut buf = [0u8; 4];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(format!("{:06}", u32::from_le_bytes(buf) % 1_000_000))
}

/// The stable wire name of a refusal.
pub const fn refusal_code(r: OfferRefusal) -> &'static str {
    match r {
        OfferRefusal::AlreadyTaken { .. } => "already_taken",
        OfferRefusal::Ended => "offer_ended",
        OfferRefusal::NotOffered => "not_offered",
        OfferRefusal::Expired { .. } => "offer_expired",
        OfferRefusal::WrongPin => "wrong_pin",
        OfferRefusal::OverCap { .. } => "over_cap",
    }
}

impl App {
    /// Decides where `lead` goes, reading (and when `lock`, locking) what the decision needs.
    pub(crate) async fn prepare(
        &self,
        tx: &mut Tx,
        lead: &Lead,
        via: Via<'_>,
        history: History,
        lock: bool,
        now: Timestamp,
    ) -> Result<Prepared, AppError> {
        let item = ToRoute { lead, via, history };
        let setup = self.setup(tx, lead.org).await?;
        self.prepare_all(tx, lead.org, &setup, &[item], lock, now)
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal("no decision for the lead".into()))
    }

    /// Decides where each of many leads of one organization goes, in order, each seeing the
    /// decisions before it (round-robin positions, agents' new leads). What the decisions
    /// share (rules, groups, agents, positions, calendars) is read once and, when `lock`,
    /// locked: agents before positions, each set in one fixed order, as every routing
    /// locks them, so two batches never wait on each other in a cycle. `setup` is the
    /// organization's as this transaction sees it (see [`App::setup`]).
    pub(crate) async fn prepare_all(
        &self,
        tx: &mut Tx,
        org: OrgId,
        setup: &Setup,
        items: &[ToRoute<'_>],
        lock: bool,
        now: Timestamp,
    ) -> Result<Vec<Prepared>, AppError> {
        // What routes each lead, or the rules it skipped when none matched.
        let chosen: Vec<Result<Chosen, Vec<SkippedRule>>> = items
            .iter()
            .map(|item| match item.via {
                Via::Rules { source } => {
                    let (hit, skipped) = routing::match_rule(&setup.rules, item.lead, source);
                    match hit {
                        Some(r) => Ok(Chosen {
                            router: Router::Rule { rule_id: r.id },
                            name: r.name.clone(),
                            plan: r.plan.clone(),
                            skipped,
                        }),
                        None => Err(skipped),
                    }
                }
                Via::Reassignment(rg) => Ok(Chosen {
                    router: Router::Reassignment {
                        reassignment_id: rg.id,
                    },
                    name: rg.name.clone(),
                    plan: rg.plan.clone(),
                    skipped: Vec::new(),
                }),
                Via::After(o) => Ok(Chosen {
                    router: o.offer.router,
                    name: o.router_name.clone(),
                    plan: o.plan.clone(),
                    skipped: Vec::new(),
                }),
            })
            .collect();
        let plans: Vec<&Plan> = chosen.iter().flatten().map(|c| &c.plan).collect();
        let entries_of = |p: &Plan| -> &[GroupEntry] {
            p.group_id
                .and_then(|g| setup.groups.get(&g))
                .map_or(&[], Vec::as_slice)
        };
        let wanted: Vec<(&[GroupEntry], &Plan)> =
            plans.iter().map(|p| (entries_of(p), *p)).collect();
        let mut candidates = self.candidates(tx, org, &wanted, setup.caps, lock).await?;
        let round_robin: Vec<Router> = chosen
            .iter()
            .flatten()
            .filter(|c| c.plan.strategy == Strategy::RoundRobin)
            .map(|c| c.router)
            .collect();
        let mut cursors = if lock {
            tx.lock_cursors(org, &round_robin).await?
        } else {
            let mut read = HashMap::new();
            for r in round_robin {
                read.insert(r, tx.cursor(org, r).await?);
            }
            read
        };
        let mut calendars: HashMap<Option<i64>, Option<Calendar>> = HashMap::new();
        let mut pool_names: HashMap<PoolId, Option<String>> = HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        for (item, chosen) in items.iter().zip(chosen) {
            let Chosen {
                router,
                name,
                plan,
                skipped,
            } = match chosen {
                Ok(c) => c,
                Err(skipped) => {
                    out.push(Prepared {
                        router: None,
                        decision: routing::no_rule(skipped),
                    });
                    continue;
                }
            };
            // Hours matter only to a plan that respects them or counts a window in them.
            let key = plan.calendar_id;
            let calendar = if plan.ignore_hours && plan.window_secs.is_none() {
                None
            } else {
                if let Entry::Vacant(v) = calendars.entry(key) {
                    v.insert(setup.calendar(key)?);
                }
                calendars.get(&key).and_then(Option::as_ref)
            };
            let members = routing::resolve_members(entries_of(&plan), &candidates);
            let mut decision = routing::decide(&RouteInput {
                lead: item.lead,
                router,
                router_name: &name,
                skipped,
                plan: &plan,
                members: &members,
                candidates: &candidates,
                cursor: cursors.get(&router).cloned().unwrap_or_default(),
                history: item.history.clone(),
                calendar,
                now,
            });
            // The leads after this one see where it went.
            if let Some(c) = &decision.cursor {
                cursors.insert(router, c.clone());
            }
            if let Outcome::Agent { user_id, .. } = decision.outcome
                && let Some(c) = candidates.iter_mut().find(|c| c.user == user_id)
            {
                c.load.took(item.lead, now);
            }
            // The domain knows pools by id; people know them by name.
            if let Outcome::Pool { pool_id } = decision.outcome {
                if let Entry::Vacant(v) = pool_names.entry(pool_id) {
                    v.insert(match tx.pool(org, pool_id).await {
                        Ok(p) => Some(p.name),
                        Err(StoreError::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    });
                }
                if let Some(Some(n)) = pool_names.get(&pool_id) {
                    decision.trace.outcome = format!("sent to pool \"{n}\"");
                }
            }
            out.push(Prepared {
                router: Some((router, name, plan)),
                decision,
            });
        }
        Ok(out)
    }

    /// Everyone the plans may hand a lead to, as they are now: members by name and by tag,
    /// the direct agents and the default assignees, with caps, counts and pause.
    async fn candidates(
        &self,
        tx: &mut Tx,
        org: OrgId,
        plans: &[(&[GroupEntry], &Plan)],
        org_caps: Caps,
        lock: bool,
    ) -> Result<Vec<Candidate>, AppError> {
        let mut ids: Vec<UserId> = Vec::new();
        let mut tags = Vec::new();
        for (entries, plan) in plans {
            for e in *entries {
                match &e.member {
                    MemberRef::User { user_id } => ids.push(*user_id),
                    MemberRef::Tag { tag } => tags.push(tag.clone()),
                }
            }
            if let Strategy::DirectAgent { user_id } = plan.strategy {
                ids.push(user_id);
            }
            if let routing::Fallback::Agent { user_id } = plan.fallback {
                ids.push(user_id);
            }
        }
        tags.sort_unstable();
        tags.dedup();
        ids.extend(tx.users_tagged(org, &tags).await?);
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let users = tx
            .users(
                org,
                &UserFilter {
                    ids: Some(ids),
                    ..UserFilter::default()
                },
            )
            .await?;
        let found: Vec<UserId> = users.iter().map(|u| u.id).collect();
        if lock {
            tx.lock_users(org, &found).await?;
        }
        let agents: Vec<(UserId, Caps)> =
            users.iter().map(|u| (u.id, caps_of(u, org_caps))).collect();
        // Loads are compared only by load balancing.
        let load_balanced = plans
            .iter()
            .any(|(_, p)| p.strategy == Strategy::LoadBalanced);
        let mut loads = read_loads(tx, org, &agents, load_balanced).await?;
        Ok(users
            .into_iter()
            .zip(agents)
            .map(|(u, (_, caps))| Candidate {
                user: u.id,
                team: u.teams.first().copied(),
                is_agent: u.role.is_agent(),
                active: u.active,
                paused: u.paused,
                caps,
                load: loads.remove(&u.id).unwrap_or_default(),
                tags: u.tags,
                name: u.name,
            })
            .collect())
    }

    /// Writes a prepared decision (see [`App::apply_all`]). Returns the lead and whether a
    /// timer was set.
    pub(crate) async fn apply(
        &self,
        tx: &mut Tx,
        before: &Lead,
        p: &Prepared,
        actor: Actor,
        now: Timestamp,
    ) -> Result<(Lead, bool), AppError> {
        let (mut leads, timer_set) = self.apply_all(tx, &[(before, p)], actor, now).await?;
        let lead = leads
            .pop()
            .ok_or_else(|| AppError::Internal("no lead written".into()))?;
        Ok((lead, timer_set))
    }

    /// Writes prepared decisions for distinct leads of one organization: each lead's `routed`
    /// transition, the offers and their windows, the round-robin positions and the agents'
    /// events, a few statements for all of them. Returns the leads and whether a timer was
    /// set; fails (writing nothing the caller keeps) if any lead changed since it was read.
    pub(crate) async fn apply_all(
        &self,
        tx: &mut Tx,
        items: &[(&Lead, &Prepared)],
        actor: Actor,
        now: Timestamp,
    ) -> Result<(Vec<Lead>, bool), AppError> {
        let Some(org) = items.first().map(|(l, _)| l.org) else {
            return Ok((Vec::new(), false));
        };
        // Each offered lead's PIN, in item order; the offers are stored together first, as
        // each lead's new owner names its offer.
        let pins: Vec<Option<String>> = items
            .iter()
            .map(|(_, p)| match (&p.decision.outcome, &p.router) {
                (Outcome::Offer { .. }, Some(_)) => new_pin().map(Some),
                _ => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        let new_offers: Vec<NewOffer> = items
            .iter()
            .zip(&pins)
            .filter_map(|((before, p), pin)| {
                let (
                    Outcome::Offer {
                        to,
                        deadline,
                        broadcast,
                    },
                    Some((router, name, plan)),
                    Some(pin),
                ) = (&p.decision.outcome, &p.router, pin)
                else {
                    return None;
                };
                Some(NewOffer {
                    lead: before.id,
                    router: *router,
                    router_name: name,
                    plan,
                    to,
                    deadline: *deadline,
                    pin,
                    broadcast: *broadcast,
                    history: &p.decision.history,
                })
            })
            .collect();
        let mut ids = tx.insert_offers(org, &new_offers, now).await?.into_iter();
        let mut transitions = Vec::with_capacity(items.len());
        let mut offers = Vec::with_capacity(items.len());
        for ((before, p), pin) in items.iter().zip(pins) {
            let d = &p.decision;
            let offer = match pin {
                Some(pin) => Some((
                    ids.next().ok_or_else(|| {
                        AppError::Internal("an offer stored without an id".into())
                    })?,
                    pin,
                )),
                None => None,
            };
            let owner = d
                .owner(offer.as_ref().map(|(id, _)| *id))
                .ok_or_else(|| AppError::Internal("an offer decided without a router".into()))?;
            transitions.push(d.transition(before, owner, actor, now));
            offers.push(offer);
        }
        let steps: Vec<Step> = items
            .iter()
            .zip(&transitions)
            .map(|((before, p), t)| Step {
                facts: TimerFacts {
                    offer_deadline: match p.decision.outcome {
                        Outcome::Offer { deadline, .. } => Some(deadline),
                        _ => None,
                    },
                    ..TimerFacts::default()
                },
                ..Step::plain(before, t)
            })
            .collect();
        let Some(timer_set) = self.write_steps(tx, org, &steps, now).await? else {
            let ids: Vec<String> = items.iter().map(|(l, _)| l.id.to_string()).collect();
            return Err(AppError::Conflict {
                code: "lead_changed",
                message: format!(
                    "one of leads {} changed meanwhile; try again",
                    ids.join(", ")
                ),
            });
        };
        let mut cursors: Vec<(Router, routing::Cursor)> = Vec::new();
        let mut routed_to = Vec::new();
        let mut events = Vec::new();
        for ((p, t), offer) in items.iter().map(|(_, p)| p).zip(&transitions).zip(&offers) {
            let d = &p.decision;
            if let (Some(c), Some((router, _, _))) = (&d.cursor, &p.router) {
                match cursors.iter_mut().find(|(r, _)| r == router) {
                    Some(last) => last.1 = c.clone(),
                    None => cursors.push((*router, c.clone())),
                }
            }
            let lead = &t.lead;
            match (&d.outcome, offer) {
                (Outcome::Offer { to, deadline, .. }, Some((offer_id, pin))) => {
                    let payload = json!({
                        "offer_id": offer_id, "deadline": deadline, "pin": pin,
                        "lead_name": lead.name.as_ref().map(|n| n.as_str()),
                    });
                    events.extend(to.iter().map(|u| NewEvent {
                        user: *u,
                        lead: Some(lead.id),
                        kind: "offer_made",
                        payload: payload.clone(),
                    }));
                }
                (Outcome::Agent { user_id, .. }, _) => {
                    routed_to.push(*user_id);
                    events.push(NewEvent {
                        user: *user_id,
                        lead: Some(lead.id),
                        kind: "lead_assigned",
                        payload: json!({ "reason": d.trace.summary() }),
                    });
                }
                _ => {}
            }
            metrics::counter!("leadpool_routed_total", "outcome" => outcome_name(&d.outcome))
                .increment(1);
        }
        tx.save_cursors(org, &cursors).await?;
        routed_to.sort_unstable();
        routed_to.dedup();
        tx.set_last_routed(org, &routed_to, now).await?;
        tx.push_events(org, &events, now).await?;
        Ok((transitions.into_iter().map(|t| t.lead).collect(), timer_set))
    }

    /// Routes new leads, each with its source's name, through the organization's rules in
    /// the caller's transaction, in the order given, each seeing where the ones before it
    /// went. Returns the leads as routed, by id, and whether a timer was set.
    pub(crate) async fn route_new_leads(
        &self,
        tx: &mut Tx,
        org: OrgId,
        setup: &Setup,
        leads: &[(&Lead, &str)],
        now: Timestamp,
    ) -> Result<(HashMap<LeadId, Lead>, bool), AppError> {
        let to_route: Vec<ToRoute> = leads
            .iter()
            .map(|(lead, source)| ToRoute {
                lead,
                via: Via::Rules { source },
                history: History::default(),
            })
            .collect();
        let prepared = self
            .prepare_all(tx, org, setup, &to_route, true, now)
            .await?;
        let decided: Vec<(&Lead, &Prepared)> =
            to_route.iter().map(|t| t.lead).zip(&prepared).collect();
        let (routed, set) = self.apply_all(tx, &decided, Actor::System, now).await?;
        Ok((routed.into_iter().map(|l| (l.id, l)).collect(), set))
    }

    /// The offer window of `lead` ran out (the scheduler, in its transaction): the lead goes
    /// to the next member or the fallback. `false` when the lead is no longer on that offer.
    pub(crate) async fn fire_offer_window(
        &self,
        tx: &mut Tx,
        lead: &Lead,
        now: Timestamp,
    ) -> Result<bool, AppError> {
        let Owner::Offer { offer_id } = lead.owner else {
            return Ok(false);
        };
        let stored = tx.offer(lead.org, offer_id).await?;
        if stored.state != OfferState::Open {
            return Ok(false);
        }
        let Some(t) = routing::expire(lead, &stored.offer, now) else {
            return Ok(false);
        };
        self.write_locked(tx, lead.org, &[Step::plain(lead, &t)], now)
            .await?;
        let mut history = stored.offer.history.clone();
        history.close(&stored.offer.to, AttemptOutcome::Expired);
        self.end_offer(
            tx,
            &stored,
            OfferState::MovedOn,
            None,
            &history,
            "expired",
            now,
        )
        .await?;
        let p = self
            .prepare(tx, &t.lead, Via::After(&stored), history, true, now)
            .await?;
        self.apply(tx, &t.lead, &p, Actor::System, now).await?;
        Ok(true)
    }

    /// Closes an offer and tells everyone still holding it that it is withdrawn.
    #[allow(
        clippy::too_many_arguments,
        reason = "every argument is a distinct fact of how the offer ended"
    )]
    pub(crate) async fn end_offer(
        &self,
        tx: &mut Tx,
        o: &StoredOffer,
        state: OfferState,
        winner: Option<(UserId, &str)>,
        history: &History,
        why: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let lead_org = o.org;
        tx.close_offer(
            lead_org,
            o.offer.id,
            state,
            winner.map(|(u, _)| u),
            history,
            now,
        )
        .await?;
        let payload = json!({
            "offer_id": o.offer.id,
            "why": why,
            "winner_id": winner.map(|(u, _)| u),
            "winner_name": winner.map(|(_, n)| n),
        });
        let events: Vec<NewEvent> = o
            .offer
            .to
            .iter()
            .filter(|u| winner.is_none_or(|(w, _)| w != **u))
            .map(|u| NewEvent {
                user: *u,
                lead: Some(o.offer.lead_id),
                kind: "offer_withdrawn",
                payload: payload.clone(),
            })
            .collect();
        tx.push_events(lead_org, &events, now).await?;
        Ok(())
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Agent { .. } => "agent",
        Outcome::Offer { .. } => "offer",
        Outcome::Pool { .. } => "pool",
        Outcome::Queue => "queue",
    }
}
