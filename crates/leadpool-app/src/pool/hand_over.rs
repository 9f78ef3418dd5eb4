//! Handing leads over: an agent rejecting a lead they hold, staff moving leads into a pool
//! or assigning them to an agent, and logging a contact with a lead.

use std::collections::HashMap;

use leadpool_domain::Permission;
use leadpool_domain::contact::{self, Contact, ContactInput};
use leadpool_domain::delivery::EventType;
use leadpool_domain::lead::Transition;
use leadpool_domain::pool::{self as rules, Refusal};
use leadpool_domain::validate::NoteText;
use leadpool_domain::{Actor, Lead, LeadId, Owner, PoolId, UserId};
use leadpool_store::Tx;
use leadpool_store::offers::NewEvent;

use crate::leads::lead_to_work;
use crate::load::{Compared, caps_of, read_loads, taker};
use crate::transitions::Step;
use crate::{App, AppError, Member};

use super::{ClaimAnswer, ClaimResult, OrgState, RejectInput, bulk_ids, reason_text};

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
        Err(AppError::edit_conflict())
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
        tx.lock_users(org, &[agent])
            .await
            .map_err(AppError::absent("agent_id", "user"))?;
        // SQLite locks the whole database instead of rows, so this read is the check there.
        let user = tx
            .user(org, agent)
            .await
            .map_err(AppError::absent("agent_id", "user"))?;
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
        let load = read_loads(&mut tx, org, &[(agent, caps)], Compared::Cap).await?;
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
                    kind: EventType::LeadAssigned,
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

    /// Records a call, email, text or meeting with a lead, with how it went and a note; it
    /// ends the holder's reserve time. The holder, or an admin or ISA who may see the lead,
    /// logs it.
    #[tracing::instrument(name = "log_contact", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn log_contact(
        &self,
        m: &Member,
        id: LeadId,
        input: ContactInput,
    ) -> Result<Lead, AppError> {
        let c = Contact::parse(input)?;
        self.work_lead(m, id, "log contacts with this lead", |lead, actor, now| {
            contact::log_contact(lead, &c, actor, now)
        })
        .await
    }

    /// Writes a note on a lead's timeline (up to 1,000 characters); unlike a contact it
    /// ends no reserve time. Who may: as for [`App::log_contact`].
    #[tracing::instrument(name = "log_note", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn log_note(&self, m: &Member, id: LeadId, text: &str) -> Result<Lead, AppError> {
        let note = NoteText::parse(text).map_err(|e| AppError::invalid("text", e))?;
        self.work_lead(m, id, "write notes on this lead", |lead, actor, now| {
            contact::add_note(lead, &note, actor, now)
        })
        .await
    }

    /// Writes the transition `change` makes of a lead `m` may work (naming `what` when they
    /// may not), retrying when the lead moves under it.
    async fn work_lead(
        &self,
        m: &Member,
        id: LeadId,
        what: &'static str,
        change: impl Fn(&Lead, Actor, leadpool_domain::Timestamp) -> Transition,
    ) -> Result<Lead, AppError> {
        for _ in 0..3 {
            let mut tx = self.store().write().await?;
            let lead = lead_to_work(&mut tx, m, id, what).await?;
            let t = change(&lead, Actor::User { user_id: m.user.id }, self.now());
            if self.write_one(&mut tx, &lead, &t).await? {
                tx.commit().await?;
                return Ok(t.lead);
            }
        }
        Err(AppError::edit_conflict())
    }
}
