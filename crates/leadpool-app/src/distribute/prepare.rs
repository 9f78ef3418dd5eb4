//! Deciding where leads go: which rule, reassignment group or offer plan routes each lead,
//! and everyone those plans may hand it to, with their caps and loads. What the decisions
//! share is read once per batch and, when asked, locked in the one order every routing locks
//! it in.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use leadpool_domain::calendar::Calendar;
use leadpool_domain::pool::Caps;
use leadpool_domain::routing::{
    self, Candidate, GroupEntry, History, MemberRef, Outcome, Plan, RouteInput, Router,
    SkippedRule, Strategy,
};
use leadpool_domain::{Lead, OrgId, PoolId, Timestamp, UserId};
use leadpool_store::users::UserFilter;
use leadpool_store::{StoreError, Tx};

use crate::load::{Compared, caps_of, read_loads};
use crate::setup::Setup;
use crate::{App, AppError};

use super::{Prepared, ToRoute, Via};

/// What routes one lead of a batch: the router, its name and plan, and the rules passed over.
struct Chosen {
    router: Router,
    name: String,
    plan: Plan,
    skipped: Vec<SkippedRule>,
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
            let key = plan.calendar_id;
            let calendar = if !plan.uses_hours() {
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
        // Loads are compared only by load balancing; minimums by every strategy that picks.
        let compared = if plans
            .iter()
            .any(|(_, p)| p.strategy == Strategy::LoadBalanced)
        {
            Compared::Load
        } else {
            Compared::Minimum
        };
        let mut loads = read_loads(tx, org, &agents, compared).await?;
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
}
