//! The lead pool's use cases: claim, reject, move into a pool, assign, log a contact, and
//! the pools, caps and rejection reasons admins set.
//!
//! Claims go through one writer per process that takes every claim waiting and decides them
//! all in one transaction (see `group_commit`): one commit for many claims instead of one
//! each. Each claim is still decided on its own against the lead as the batch has left it, so the
//! first claim of a lead wins and later ones are told who won; each agent's cap is counted
//! in the same transaction, with the agent's row locked on PostgreSQL where other instances
//! claim at the same time.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::future::Future;
use std::time::Duration;

use leadpool_domain::Permission;
use leadpool_domain::calendar::Calendar;
use leadpool_domain::lead::Transition;
use leadpool_domain::pool::{self as rules, Caps, ContactKind, Refusal, Taker, reserve_due};
use leadpool_domain::timer::TimerFacts;
use leadpool_domain::{Actor, Lead, LeadId, OrgId, Owner, PoolId, TeamId, Timestamp, UserId};
use leadpool_store::claims::{OrgPoolSettings, RejectReason};
use leadpool_store::offers::NewEvent;
use leadpool_store::pools::{Pool, PoolSettings};
use leadpool_store::users::{User, UserFilter};
use leadpool_store::{StoreError, Tx};

use crate::group_commit::Batched;
use crate::load::{caps_of, read_loads, taker};
use crate::transitions::Step;
use crate::{App, AppError, Member};

/// Most leads one bulk claim, move or assignment may name.
pub const MAX_BULK: usize = 500;
/// Most leads one group-commit transaction decides; more wait for the next.
const MAX_BATCH_LEADS: usize = 2_000;
/// Longest reserve time or cooldown a pool may set.
const MAX_POOL_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// What came of one lead in a bulk claim, move or assignment.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimResult {
    /// The claimer holds it now.
    Claimed {
        /// The lead as it now is.
        lead: Lead,
    },
    /// It was moved or assigned as asked.
    Moved {
        /// The lead as it now is.
        lead: Lead,
    },
    /// It already was where it was asked to go; nothing was written.
    Unchanged {
        /// The lead.
        lead: Lead,
    },
    /// Another agent holds it.
    AlreadyClaimed {
        /// Who.
        by: UserId,
        /// Their name.
        by_name: String,
    },
    /// The agent is at their cap of open new leads.
    OverCap {
        /// The cap.
        max: u32,
    },
    /// No such lead, or not one the actor may see.
    NotVisible,
    /// The lead is not in a pool (or is being offered, for a move).
    NotInPool,
    /// An assignment from the manual queue found the lead gone from it (and not to an agent).
    NotInQueue,
    /// The claimer rejected this lead and may not take it back yet.
    CoolingDown {
        /// When they may.
        until: Timestamp,
    },
}

impl ClaimResult {
    /// The stable wire name.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Claimed { .. } => "claimed",
            Self::Moved { .. } => "moved",
            Self::Unchanged { .. } => "unchanged",
            Self::AlreadyClaimed { .. } => "already_claimed",
            Self::OverCap { .. } => "over_cap",
            Self::NotVisible => "not_visible",
            Self::NotInPool => "not_in_pool",
            Self::NotInQueue => "not_in_queue",
            Self::CoolingDown { .. } => "cooling_down",
        }
    }

    fn refused(r: Refusal) -> Self {
        match r {
            Refusal::AlreadyClaimed { by } => Self::AlreadyClaimed {
                by,
                by_name: String::new(),
            },
            Refusal::OverCap { max } => Self::OverCap { max },
            Refusal::NotVisible => Self::NotVisible,
            Refusal::NotInPool => Self::NotInPool,
            Refusal::CoolingDown { until } => Self::CoolingDown { until },
        }
    }
}

/// Why a bulk move passes over one lead.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// A rule of the pool.
    Pool(Refusal),
    /// An assignment from the queue found the lead gone from it.
    NotInQueue,
}

impl From<Refusal> for Refused {
    fn from(r: Refusal) -> Self {
        Self::Pool(r)
    }
}

/// One lead's answer in a bulk operation, in the order the leads were asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimAnswer {
    /// The lead asked for.
    pub lead_id: LeadId,
    /// What came of it.
    pub result: ClaimResult,
}

/// Why an agent rejects a lead.
#[derive(Debug, Clone, Default)]
pub struct RejectInput {
    /// One of the organization's rejection reasons.
    pub reason_id: Option<i64>,
    /// The agent's own words.
    pub note: Option<String>,
}

/// A pool's settings as an admin gives them.
#[derive(Debug, Clone, Default)]
pub struct PoolInput {
    /// Its name.
    pub name: String,
    /// Only this team's members see it.
    pub team_id: Option<TeamId>,
    /// Hide phone and email until claimed.
    pub blind: bool,
    /// Reserve time after a claim, in open hours of the pool's calendar.
    pub reserve: Option<Duration>,
    /// The calendar counting the reserve time (default: the organization's).
    pub calendar_id: Option<i64>,
    /// How long a rejecter may not claim the lead back (default 24 h).
    pub reject_cooldown: Option<Duration>,
}

/// One agent's claim, written by the group-commit writer with others waiting.
pub(crate) struct ClaimRequest {
    member: Member,
    ids: Vec<LeadId>,
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

fn bulk_ids(ids: &[LeadId]) -> Result<Vec<LeadId>, AppError> {
    if ids.is_empty() {
        return Err(AppError::invalid("lead_ids", "name at least one lead"));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::invalid(
            "lead_ids",
            format!("at most {MAX_BULK} leads at once"),
        ));
    }
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.contains(id) {
            seen.push(*id);
        }
    }
    Ok(seen)
}

fn reason_text(field: &str, text: Option<String>) -> Result<Option<String>, AppError> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > 1000 => {
            Err(AppError::invalid(field, "at most 1000 characters"))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

fn pool_settings(input: PoolInput) -> Result<PoolSettings, AppError> {
    let mut errors = leadpool_domain::validate::Errors::default();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("name", "give a name of 1 to 100 characters");
    }
    if let Some(r) = input.reserve
        && (r.is_zero() || r > MAX_POOL_DURATION)
    {
        errors.push("reserve_seconds", "must be between 1 second and 365 days");
    }
    let cooldown = input
        .reject_cooldown
        .unwrap_or(rules::DEFAULT_REJECT_COOLDOWN);
    if cooldown > MAX_POOL_DURATION {
        errors.push("reject_cooldown_seconds", "must be at most 365 days");
    }
    Ok(errors.finish(|| PoolSettings {
        name,
        team_id: input.team_id,
        blind: input.blind,
        reserve: input.reserve,
        calendar_id: input.calendar_id,
        reject_cooldown: cooldown,
    })?)
}

/// What one group-commit transaction needs per organization, read once.
struct OrgState {
    settings: OrgPoolSettings,
    pools: HashMap<PoolId, Pool>,
    calendars: HashMap<Option<i64>, Option<Calendar>>,
}

impl OrgState {
    async fn load(tx: &mut Tx, org: OrgId) -> Result<Self, AppError> {
        Ok(Self {
            settings: tx.org_pool_settings(org).await?,
            pools: tx
                .pools(org)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect(),
            calendars: HashMap::new(),
        })
    }

    fn default_pool(&self) -> Result<&Pool, AppError> {
        self.pools
            .values()
            .find(|p| p.is_default)
            .ok_or_else(|| AppError::Internal("the organization has no default pool".into()))
    }

    /// Where rejected leads go: the organization's choice, else the default pool.
    fn reject_pool(&self) -> Result<&Pool, AppError> {
        match self.settings.reject_pool.and_then(|p| self.pools.get(&p)) {
            Some(p) => Ok(p),
            None => self.default_pool(),
        }
    }

    /// When the reserve time of a claim from `pool` at `now` ends, if the pool has one.
    async fn reserve_due(
        &mut self,
        tx: &mut Tx,
        org: OrgId,
        pool: PoolId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, AppError> {
        let Some((reserve, calendar_id)) = self
            .pools
            .get(&pool)
            .and_then(|p| p.reserve.map(|r| (r, p.calendar_id)))
        else {
            return Ok(None);
        };
        if let Entry::Vacant(slot) = self.calendars.entry(calendar_id) {
            let stored = match calendar_id {
                Some(id) => Some(tx.calendar(org, id).await?),
                None => tx.default_calendar(org).await?,
            };
            slot.insert(stored.map(|c| c.to_calendar()).transpose()?);
        }
        let calendar = self.calendars.get(&calendar_id).and_then(Option::as_ref);
        match reserve_due(calendar, now, reserve) {
            Ok(due) => Ok(Some(due)),
            Err(e) => {
                // A calendar that never opens again cannot end a reserve; count wall time
                // rather than hold the lead forever.
                tracing::warn!(error = %e, pool = %pool, "reserve time counted in wall-clock time");
                Ok(reserve_due(None, now, reserve).ok())
            }
        }
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
        };
        self.inner.claims.submit(self, request).await
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
            let loads = read_loads(&mut tx, org, &agents, false).await?;
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
            let mut writes: Vec<(Lead, Transition)> = Vec::new();
            let mut reserves: HashMap<LeadId, Timestamp> = HashMap::new();
            for &i in &here {
                let (m, asked) = (&asks[i].member, &asks[i].ids);
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
                    let decided = leads.get_mut(id).map(|lead| {
                        let cooldown = cooldowns.get(&(*id, user.id)).copied();
                        (
                            lead.owner.pool(),
                            rules::claim(lead, t, &pools, cooldown, now).map(|tr| {
                                t.took(lead, now);
                                // Later claims in this batch see the lead as claimed.
                                let before = std::mem::replace(lead, tr.lead.clone());
                                writes.push((before, tr.clone()));
                                tr.lead
                            }),
                        )
                    });
                    let result = match decided {
                        None => ClaimResult::NotVisible,
                        Some((_, Err(r))) => ClaimResult::refused(r),
                        Some((from, Ok(lead))) => {
                            if let Some(pool) = from
                                && let Some(due) =
                                    state.reserve_due(&mut tx, org, pool, now).await?
                            {
                                reserves.insert(*id, due);
                            }
                            ClaimResult::Claimed { lead }
                        }
                    };
                    answers.push(ClaimAnswer {
                        lead_id: *id,
                        result,
                    });
                }
                out[i] = Ok(answers);
            }
            let steps: Vec<Step> = writes
                .iter()
                .map(|(before, t)| Step {
                    facts: TimerFacts {
                        reserve_due: reserves.get(&t.lead.id).copied(),
                        ..TimerFacts::default()
                    },
                    ..Step::plain(before, t)
                })
                .collect();
            timer_set |= self.write_locked(&mut tx, org, &steps, now).await?;
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
    async fn name_winners(
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

impl App {
    /// Writes one lead's transition, with its timers, if the lead is still as read.
    async fn write_one(
        &self,
        tx: &mut Tx,
        before: &Lead,
        t: &Transition,
    ) -> Result<bool, AppError> {
        let steps = [Step::plain(before, t)];
        Ok(self
            .write_steps(tx, before.org, &steps, t.entry.at)
            .await?
            .is_some())
    }

    /// The signed-in agent gives back a lead they hold, with a reason from the organization's
    /// list (and their own words); it goes to the rejection pool, and they may not claim it
    /// back before that pool's cooldown has passed.
    #[tracing::instrument(name = "reject", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn reject(
        &self,
        m: &Member,
        id: LeadId,
        input: RejectInput,
    ) -> Result<Lead, AppError> {
        let note = reason_text("note", input.note)?;
        let Some(reason_id) = input.reason_id else {
            return Err(AppError::invalid(
                "reason_id",
                "pick one of the organization's rejection reasons",
            ));
        };
        for _ in 0..3 {
            let now = self.now();
            let mut tx = self.store().write().await?;
            let reasons = tx.reject_reasons(m.viewer.org).await?;
            let Some(reason) = reasons.iter().find(|r| r.id == reason_id) else {
                let known: Vec<String> = reasons
                    .iter()
                    .map(|r| format!("{} ({})", r.id, r.label))
                    .collect();
                return Err(AppError::invalid(
                    "reason_id",
                    format!(
                        "no rejection reason {reason_id}; the organization's are: {}",
                        known.join(", ")
                    ),
                ));
            };
            let lead = tx
                .lead(m.viewer.org, id, &m.viewer.lead_visibility())
                .await
                .map_err(AppError::from_store("lead"))?;
            let state = OrgState::load(&mut tx, m.viewer.org).await?;
            let pool = state.reject_pool()?;
            let text = match &note {
                Some(n) => format!("rejected: {}: {n}", reason.label),
                None => format!("rejected: {}", reason.label),
            };
            let t = rules::reject(&lead, m.user.id, pool.id, text, now)
                .map_err(|e| AppError::Forbidden(e.to_string()))?;
            if self.write_one(&mut tx, &lead, &t).await? {
                let cooldown = i64::try_from(pool.reject_cooldown.as_millis()).unwrap_or(i64::MAX);
                tx.set_cooldown(id, m.user.id, now.plus_millis(cooldown))
                    .await?;
                tx.commit().await?;
                metrics::counter!("leadpool_rejections_total").increment(1);
                return Ok(t.lead);
            }
        }
        Err(edit_conflict())
    }

    /// Moves leads into a pool (the default pool when `pool` is `None`), each on its own
    /// (admins and ISAs, within their scope).
    #[tracing::instrument(name = "move_to_pool", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn move_to_pool(
        &self,
        m: &Member,
        ids: &[LeadId],
        pool: Option<PoolId>,
        reason: Option<String>,
    ) -> Result<Vec<ClaimAnswer>, AppError> {
        m.require(Permission::Staff("move leads into a pool"))?;
        let ids = bulk_ids(ids)?;
        let reason = reason_text("reason", reason)?;
        let now = self.now();
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        let state = OrgState::load(&mut tx, org).await?;
        let pool = match pool {
            None => state.default_pool()?,
            Some(p) => state.pools.get(&p).ok_or_else(|| {
                AppError::invalid("pool_id", format!("no pool {p} in this organization"))
            })?,
        };
        let actor = Actor::User { user_id: m.user.id };
        let answers = self
            .hand_over_each(&mut tx, m, &ids, |lead| {
                Ok(rules::move_to_pool(
                    lead,
                    pool.id,
                    actor,
                    reason.clone(),
                    now,
                )?)
            })
            .await?;
        tx.commit().await?;
        Ok(answers)
    }

    /// Hands leads to an agent, each on its own (admins and ISAs, within their scope). Over
    /// the agent's cap only with `override_cap`, which each lead's timeline records. With
    /// `from_queue`, only leads still in the manual queue move: of two people assigning the
    /// same queued lead, the second is told who has it rather than moving it again.
    #[tracing::instrument(name = "assign", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn assign(
        &self,
        m: &Member,
        ids: &[LeadId],
        agent: UserId,
        override_cap: bool,
        reason: Option<String>,
        from_queue: bool,
    ) -> Result<Vec<ClaimAnswer>, AppError> {
        m.require(Permission::Staff("assign leads"))?;
        let ids = bulk_ids(ids)?;
        let reason = reason_text("reason", reason)?;
        let now = self.now();
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        tx.lock_users(org, &[agent]).await.map_err(|e| match e {
            StoreError::NotFound => {
                AppError::invalid("agent_id", format!("no user {agent} in this organization"))
            }
            e => e.into(),
        })?;
        let user = tx.user(org, agent).await?;
        if !user.active || !user.role.is_agent() {
            return Err(AppError::invalid(
                "agent_id",
                format!("{} is not an active agent", user.name),
            ));
        }
        if !m.viewer.scope.covers(user.teams.first().copied()) {
            return Err(AppError::Forbidden(format!(
                "{} is outside your scope",
                user.name
            )));
        }
        let settings = tx.org_pool_settings(org).await?;
        let caps = caps_of(&user, settings.caps);
        let load = read_loads(&mut tx, org, &[(agent, caps)], false).await?;
        let mut t = taker(
            &user,
            settings.caps,
            load.get(&agent).copied().unwrap_or_default(),
        );
        let actor = Actor::User { user_id: m.user.id };
        let answers = self
            .hand_over_each(&mut tx, m, &ids, |lead| {
                match lead.owner {
                    _ if !from_queue => {}
                    Owner::Queue => {}
                    Owner::Agent { user_id } => {
                        return Err(Refusal::AlreadyClaimed { by: user_id }.into());
                    }
                    Owner::Pool { .. } | Owner::Offer { .. } => return Err(Refused::NotInQueue),
                }
                let tr = rules::assign(lead, &t, override_cap, actor, reason.clone(), now)?;
                if tr.is_some() {
                    t.took(lead, now);
                }
                Ok(tr)
            })
            .await?;
        let mut answers = [Ok(answers)];
        self.name_winners(&mut tx, org, &mut answers).await?;
        let [answers] = answers;
        let answers = answers?;
        // The assignee hears of each lead (seed 001's email; delivered from the outbox).
        let payload = serde_json::json!({ "by": m.user.name, "reason": reason });
        let events: Vec<NewEvent> = answers
            .iter()
            .filter_map(|a| match &a.result {
                ClaimResult::Moved { lead } => Some(NewEvent {
                    user: agent,
                    lead: Some(lead.id),
                    kind: "lead_assigned",
                    payload: payload.clone(),
                }),
                _ => None,
            })
            .collect();
        tx.push_events(org, &events, now).await?;
        tx.commit().await?;
        Ok(answers)
    }

    /// Moves each lead among `ids` the member may see as `decide` says, in order, and writes
    /// the moves with their entries and timers.
    async fn hand_over_each(
        &self,
        tx: &mut Tx,
        m: &Member,
        ids: &[LeadId],
        mut decide: impl FnMut(&Lead) -> Result<Option<Transition>, Refused>,
    ) -> Result<Vec<ClaimAnswer>, AppError> {
        let leads: HashMap<LeadId, Lead> = tx
            .leads_by_ids(m.viewer.org, ids, true)
            .await?
            .into_iter()
            .filter(|l| m.viewer.can_see_lead(l.org, l.team_id, l.owner))
            .map(|l| (l.id, l))
            .collect();
        let mut writes = Vec::new();
        let mut answers = Vec::with_capacity(ids.len());
        for id in ids {
            let result = match leads.get(id) {
                None => ClaimResult::NotVisible,
                Some(lead) => match decide(lead) {
                    Ok(Some(t)) => {
                        writes.push((lead.clone(), t.clone()));
                        ClaimResult::Moved { lead: t.lead }
                    }
                    Ok(None) => ClaimResult::Unchanged { lead: lead.clone() },
                    Err(Refused::Pool(r)) => ClaimResult::refused(r),
                    Err(Refused::NotInQueue) => ClaimResult::NotInQueue,
                },
            };
            answers.push(ClaimAnswer {
                lead_id: *id,
                result,
            });
        }
        let steps: Vec<Step> = writes.iter().map(|(l, t)| Step::plain(l, t)).collect();
        self.write_locked(tx, m.viewer.org, &steps, self.now())
            .await?;
        Ok(answers)
    }

    /// Records a call, email, text or meeting with a lead; it ends the holder's reserve time.
    /// The holder, or an admin or ISA who may see the lead, logs it.
    #[tracing::instrument(name = "log_contact", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn log_contact(
        &self,
        m: &Member,
        id: LeadId,
        kind: ContactKind,
        note: Option<String>,
    ) -> Result<Lead, AppError> {
        let note = reason_text("note", note)?;
        for _ in 0..3 {
            let mut tx = self.store().write().await?;
            let lead = tx
                .lead(m.viewer.org, id, &m.viewer.lead_visibility())
                .await
                .map_err(AppError::from_store("lead"))?;
            m.require(Permission::WorkLead {
                what: "log contacts with this lead",
                org: lead.org,
                team: lead.team_id,
                owner: lead.owner,
            })?;
            let t = rules::log_contact(
                &lead,
                kind,
                note.clone(),
                Actor::User { user_id: m.user.id },
                self.now(),
            );
            if self.write_one(&mut tx, &lead, &t).await? {
                tx.commit().await?;
                return Ok(t.lead);
            }
        }
        Err(edit_conflict())
    }

    /// The pools the member may see (admins: every pool of the organization).
    #[tracing::instrument(name = "list_pools", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_pools(&self, m: &Member) -> Result<Vec<Pool>, AppError> {
        let mut tx = self.store().read().await?;
        let pools = tx.pools(m.viewer.org).await?;
        tx.commit().await?;
        Ok(pools
            .into_iter()
            .filter(|p| m.viewer.administers_organization() || m.viewer.pools.contains(&p.id))
            .collect())
    }

    /// Creates a pool (organization admins).
    #[tracing::instrument(name = "create_pool", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_pool(&self, m: &Member, input: PoolInput) -> Result<Pool, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let settings = pool_settings(input)?;
        let mut tx = self.store().write().await?;
        self.check_pool_links(&mut tx, m.viewer.org, &settings)
            .await?;
        let pool = tx
            .insert_pool(m.viewer.org, &settings, false, self.now())
            .await?;
        tx.commit().await?;
        self.forget_members();
        Ok(pool)
    }

    /// Changes a pool's settings (organization admins). A new reserve time applies to claims
    /// from now on.
    #[tracing::instrument(name = "update_pool", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_pool(
        &self,
        m: &Member,
        id: PoolId,
        input: PoolInput,
    ) -> Result<Pool, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let settings = pool_settings(input)?;
        let mut tx = self.store().write().await?;
        self.check_pool_links(&mut tx, m.viewer.org, &settings)
            .await?;
        let pool = tx
            .update_pool(m.viewer.org, id, &settings)
            .await
            .map_err(AppError::from_store("pool"))?;
        tx.commit().await?;
        self.forget_members();
        Ok(pool)
    }

    async fn check_pool_links(
        &self,
        tx: &mut Tx,
        org: OrgId,
        s: &PoolSettings,
    ) -> Result<(), AppError> {
        if let Some(t) = s.team_id {
            tx.team(org, t).await.map_err(|e| match e {
                StoreError::NotFound => {
                    AppError::invalid("team_id", format!("no team {t} in this organization"))
                }
                e => e.into(),
            })?;
        }
        if let Some(c) = s.calendar_id {
            tx.calendar(org, c).await.map_err(|e| match e {
                StoreError::NotFound => AppError::invalid(
                    "calendar_id",
                    format!("no calendar {c} in this organization"),
                ),
                e => e.into(),
            })?;
        }
        Ok(())
    }

    /// The organization's caps and rejection pool (any member).
    #[tracing::instrument(name = "pool_settings", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn pool_settings(&self, m: &Member) -> Result<OrgPoolSettings, AppError> {
        let mut tx = self.store().read().await?;
        let s = tx.org_pool_settings(m.viewer.org).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Changes the organization's caps and rejection pool (organization admins).
    #[tracing::instrument(name = "set_pool_settings", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_pool_settings(
        &self,
        m: &Member,
        settings: OrgPoolSettings,
    ) -> Result<OrgPoolSettings, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        if let Some(why) = Caps::conflict(settings.caps.max_new, settings.caps.min_new) {
            return Err(AppError::invalid("min_new_leads", why));
        }
        let mut tx = self.store().write().await?;
        if let Some(p) = settings.reject_pool {
            tx.pool(m.viewer.org, p).await.map_err(|e| match e {
                StoreError::NotFound => AppError::invalid(
                    "reject_pool_id",
                    format!("no pool {p} in this organization"),
                ),
                e => e.into(),
            })?;
        }
        tx.set_org_pool_settings(m.viewer.org, &settings).await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// The organization's rejection reasons (any member).
    #[tracing::instrument(name = "reject_reasons", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn reject_reasons(&self, m: &Member) -> Result<Vec<RejectReason>, AppError> {
        let mut tx = self.store().read().await?;
        let r = tx.reject_reasons(m.viewer.org).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Adds a rejection reason (organization admins).
    #[tracing::instrument(name = "add_reject_reason", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn add_reject_reason(
        &self,
        m: &Member,
        label: &str,
    ) -> Result<RejectReason, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(AppError::invalid(
                "label",
                "give a label of 1 to 100 characters",
            ));
        }
        let mut tx = self.store().write().await?;
        let r = tx
            .insert_reject_reason(m.viewer.org, label, self.now())
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Removes a rejection reason (organization admins); past rejections keep their words.
    #[tracing::instrument(name = "remove_reject_reason", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn remove_reject_reason(&self, m: &Member, id: i64) -> Result<(), AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let mut tx = self.store().write().await?;
        tx.delete_reject_reason(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("rejection reason"))?;
        tx.commit().await?;
        Ok(())
    }

    /// The leads as `m` may see them: a blind pool's leads without phone and email.
    pub(crate) fn shown_to(m: &Member, lead: Lead) -> Lead {
        if m.viewer.contact_hidden(lead.owner) {
            rules::blind(&lead)
        } else {
            lead
        }
    }
}

fn edit_conflict() -> AppError {
    AppError::Conflict {
        code: "edit_conflict",
        message: "the lead kept changing while it was being saved; reload and try again".into(),
    }
}
