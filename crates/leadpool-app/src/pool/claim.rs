//! Agents claiming pool leads. Claims go through one writer per process that takes every
//! claim waiting and decides them all in one transaction (see `group_commit`): one commit for
//! many claims instead of one each. Each claim is still decided on its own against the lead as
//! the batch has left it, so the first claim of a lead wins and later ones are told who won;
//! each agent's cap is counted in the same transaction, with the agent's row locked on
//! PostgreSQL where other instances claim at the same time.

use std::collections::HashMap;
use std::future::Future;

use leadpool_domain::contact::{self, Contact};
use leadpool_domain::lead::Transition;
use leadpool_domain::pool::{self as rules, Call, Caps, Taker};
use leadpool_domain::timer::TimerFacts;
use leadpool_domain::{Actor, Lead, LeadId, OrgId, PoolId, Timestamp, UserId};
use leadpool_store::Tx;
use leadpool_store::users::{User, UserFilter};

use crate::group_commit::Batched;
use crate::load::{Compared, caps_of, read_loads, taker};
use crate::transitions::Step;
use crate::{App, AppError, Member};

use super::{ClaimAnswer, ClaimResult, OrgState, bulk_ids};

/// Most leads one group-commit transaction decides; more wait for the next.
const MAX_BATCH_LEADS: usize = 2_000;

/// One agent's claim, written by the group-commit writer with others waiting.
pub(crate) struct ClaimRequest {
    member: Member,
    ids: Vec<LeadId>,
    /// A claim made by a call (seed 002): it may also take a lead from the manual queue or
    /// from the agent who transferred the call, starts no reserve time, and logs the call
    /// as this contact in the same transaction.
    call: Option<(Call, Contact)>,
}

impl Batched for ClaimRequest {
    type Answer = Vec<ClaimAnswer>;
    const MAX_WEIGHT: usize = MAX_BATCH_LEADS;

    fn weight(&self) -> usize {
        self.ids.len()
    }

    fn write(
        app: &App,
        batch: &[&Self],
    ) -> impl Future<Output = Result<Vec<Result<Self::Answer, AppError>>, AppError>> + Send {
        app.claim_together(batch)
    }
}

impl App {
    /// Claims pool leads for the signed-in agent: each lead is decided on its own, and the
    /// answer lists, per lead, whether it was claimed or why not (naming the winner of a lost
    /// race). Only active agents claim.
    #[tracing::instrument(name = "claim", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn claim(&self, m: &Member, ids: &[LeadId]) -> Result<Vec<ClaimAnswer>, AppError> {
        if !m.viewer.role.is_agent() {
            return Err(AppError::Forbidden(
                "only agents claim leads; admins and ISAs assign them".into(),
            ));
        }
        if !m.user.active {
            return Err(AppError::Forbidden(
                "your account is inactive, so you cannot claim leads".into(),
            ));
        }
        let ids = bulk_ids(ids)?;
        let request = ClaimRequest {
            member: m.clone(),
            ids,
            call: None,
        };
        self.inner.claims.submit(self, request).await
    }

    /// Makes the agent `m` on a call the owner of the lead through the claim path (one
    /// winner, caps, visibility, cooldown), logging the call as `contact` in the same
    /// transaction when it does.
    pub(crate) async fn claim_by_call(
        &self,
        m: &Member,
        id: LeadId,
        call: Call,
        contact: Contact,
    ) -> Result<ClaimAnswer, AppError> {
        let request = ClaimRequest {
            member: m.clone(),
            ids: vec![id],
            call: Some((call, contact)),
        };
        self.inner
            .claims
            .submit(self, request)
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal(format!("no answer for lead {id}")))
    }

    /// Decides and writes many agents' claims in one transaction. Each agent is read afresh
    /// here (the member a request carries may be a few seconds old): only an active agent
    /// claims, from the pools they may see now, within their cap now.
    async fn claim_together(
        &self,
        asks: &[&ClaimRequest],
    ) -> Result<Vec<Result<Vec<ClaimAnswer>, AppError>>, AppError> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let mut out: Vec<Result<Vec<ClaimAnswer>, AppError>> =
            (0..asks.len()).map(|_| Ok(Vec::new())).collect();
        let mut orgs: Vec<OrgId> = asks.iter().map(|a| a.member.viewer.org).collect();
        orgs.sort_unstable();
        orgs.dedup();
        let mut timer_set = false;
        for org in orgs {
            let here: Vec<usize> = (0..asks.len())
                .filter(|&i| asks[i].member.viewer.org == org)
                .collect();
            let mut state = OrgState::load(&mut tx, org).await?;
            let ids: Vec<UserId> = here.iter().map(|&i| asks[i].member.user.id).collect();
            let filter = UserFilter {
                ids: Some(ids),
                ..UserFilter::default()
            };
            let users: HashMap<UserId, User> = tx
                .users(org, &filter)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect();
            let agents: Vec<(UserId, Caps)> = users
                .values()
                .map(|u| (u.id, caps_of(u, state.settings.caps)))
                .collect();
            // Only agents with a cap need their leads counted (and locked while counted).
            let capped: Vec<UserId> = agents
                .iter()
                .filter(|(_, c)| c.max_new.is_some())
                .map(|(u, _)| *u)
                .collect();
            // Agents before leads: the order every cap-counting transaction locks in.
            tx.lock_users(org, &capped).await?;
            let loads = read_loads(&mut tx, org, &agents, Compared::Cap).await?;
            let mut wanted: Vec<LeadId> = here
                .iter()
                .flat_map(|&i| asks[i].ids.iter().copied())
                .collect();
            wanted.sort_unstable();
            wanted.dedup();
            let mut leads: HashMap<LeadId, Lead> = tx
                .leads_by_ids(org, &wanted, true)
                .await?
                .into_iter()
                .map(|l| (l.id, l))
                .collect();
            let cooldowns = tx.cooldowns(&wanted, now).await?;
            let mut takers: HashMap<UserId, Taker> = HashMap::new();
            let mut writes: Vec<Write> = Vec::new();
            for &i in &here {
                let (m, asked, call) = (&asks[i].member, &asks[i].ids, &asks[i].call);
                let user = match users.get(&m.user.id) {
                    Some(u) if u.active && u.role.is_agent() => u,
                    _ => {
                        out[i] = Err(AppError::Forbidden("only active agents claim leads".into()));
                        continue;
                    }
                };
                let pools: Vec<PoolId> = state
                    .pools
                    .values()
                    .filter(|p| {
                        p.rules().visible_to(
                            user.role,
                            &m.viewer.scope,
                            &user.teams,
                            user.active,
                            user.pool_access,
                        )
                    })
                    .map(|p| p.id)
                    .collect();
                let t = takers.entry(user.id).or_insert_with(|| {
                    let load = loads.get(&user.id).copied().unwrap_or_default();
                    taker(user, state.settings.caps, load)
                });
                let mut answers = Vec::with_capacity(asked.len());
                for id in asked {
                    let Some(lead) = leads.get_mut(id) else {
                        answers.push(ClaimAnswer {
                            lead_id: *id,
                            result: ClaimResult::NotVisible,
                        });
                        continue;
                    };
                    let cooldown = cooldowns.get(&(*id, user.id)).copied();
                    let decided = match call {
                        None => rules::claim(lead, t, &pools, cooldown, now),
                        Some((c, _)) => rules::claim_by_call(lead, t, &pools, cooldown, *c, now),
                    };
                    let result = match decided {
                        Err(r) => ClaimResult::refused(r),
                        Ok(tr) => {
                            t.took(lead, now);
                            // A call is itself the contact that would end a reserve time at once.
                            let reserve_due = match (call, lead.owner.pool()) {
                                (None, Some(pool)) => {
                                    state.reserve_due(&mut tx, org, pool, now).await?
                                }
                                _ => None,
                            };
                            // Later claims in this batch see the lead as claimed.
                            let before = std::mem::replace(lead, tr.lead.clone());
                            writes.push(Write {
                                before,
                                t: tr,
                                reserve_due,
                            });
                            if let Some((_, call)) = call {
                                let actor = Actor::User { user_id: user.id };
                                let logged = contact::log_contact(lead, call, actor, now);
                                let before = std::mem::replace(lead, logged.lead.clone());
                                writes.push(Write {
                                    before,
                                    t: logged,
                                    reserve_due: None,
                                });
                            }
                            ClaimResult::Claimed { lead: lead.clone() }
                        }
                    };
                    answers.push(ClaimAnswer {
                        lead_id: *id,
                        result,
                    });
                }
                out[i] = Ok(answers);
            }
            for steps in in_rounds(&writes) {
                timer_set |= self.write_locked(&mut tx, org, &steps, now).await?;
            }
            self.name_winners(&mut tx, org, &mut out).await?;
        }
        tx.commit().await?;
        self.timers_changed(timer_set);
        let claimed = out
            .iter()
            .flatten()
            .flatten()
            .filter(|a| matches!(a.result, ClaimResult::Claimed { .. }))
            .count();
        metrics::counter!("leadpool_claims_total").increment(claimed as u64);
        Ok(out)
    }

    /// Fills in the names of the winners of lost races.
    pub(super) async fn name_winners(
        &self,
        tx: &mut Tx,
        org: OrgId,
        out: &mut [Result<Vec<ClaimAnswer>, AppError>],
    ) -> Result<(), AppError> {
        let mut winners: Vec<UserId> = out
            .iter()
            .flatten()
            .flatten()
            .filter_map(|a| match a.result {
                ClaimResult::AlreadyClaimed { by, .. } => Some(by),
                _ => None,
            })
            .collect();
        winners.sort_unstable();
        winners.dedup();
        let names = tx.user_names(org, &winners).await?;
        for a in out.iter_mut().flatten().flatten() {
            if let ClaimResult::AlreadyClaimed { by, by_name } = &mut a.result
                && let Some(n) = names.get(by)
            {
                by_name.clone_from(n);
            }
        }
        Ok(())
    }
}

/// One change a batch of claims makes to a lead.
struct Write {
    /// The lead as the change found it.
    before: Lead,
    /// The change.
    t: Transition,
    /// When the reserve time the change starts ends.
    reserve_due: Option<Timestamp>,
}

/// The batch's changes as rounds of distinct leads, each lead's changes in the order made:
/// the batch statement writes one change per lead, and a lead changes twice when a call
/// takes it (the claim, then the call as a contact) or a transfer passes it on.
fn in_rounds(writes: &[Write]) -> Vec<Vec<Step<'_>>> {
    let mut round_of: HashMap<LeadId, usize> = HashMap::new();
    let mut rounds: Vec<Vec<Step<'_>>> = Vec::new();
    for w in writes {
        let round = round_of.entry(w.t.lead.id).or_default();
        if rounds.len() == *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(Step {
            facts: TimerFacts {
                reserve_due: w.reserve_due,
                ..TimerFacts::default()
            },
            ..Step::plain(&w.before, &w.t)
        });
        *round += 1;
    }
    rounds
}
