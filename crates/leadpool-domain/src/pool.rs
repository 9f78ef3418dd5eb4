//! The lead pool: who may see a pool, claiming from it, rejecting into it, moving and
//! assigning leads by hand, caps, and the reserve time a claim starts (seeds 000 and 003).
//!
//! Every decision here is a pure function of the lead, the people involved and `now`; the
//! store makes it atomic (one winner per lead, PRODUCT.md invariants 1 to 3) by writing the
//! transition only if the lead is still at the version it was decided on.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::access::Role;
use crate::ids::{PoolId, TeamId, UserId};
use crate::lead::{Lead, Transition};
use crate::owner::Owner;
use crate::status::StatusCategory;
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind};
use crate::timer::TimerChange;

/// How long a rejecter may not claim the lead back, unless the pool says otherwise.
pub const DEFAULT_REJECT_COOLDOWN: Duration = Duration::from_secs(24 * 3600);

/// A pool's rules, as claims and visibility need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRules {
    /// The pool.
    pub id: PoolId,
    /// Only members of this team see it; `None`: every agent of the organization.
    pub team: Option<TeamId>,
    /// Whether phone and email stay hidden until a lead is claimed.
    pub blind: bool,
}

impl PoolRules {
    /// Whether someone with this role, these teams and these rights may see the pool's leads.
    /// Admins and ISAs see pools at the organization level and those of teams in their scope;
    /// agents need to be active, to have pool access, and to belong to the pool's team if it
    /// has one.
    pub fn visible_to(
        &self,
        role: Role,
        scope: &crate::access::Scope,
        teams: &[TeamId],
        active: bool,
        pool_access: bool,
    ) -> bool {
        match role {
            Role::Admin | Role::Isa => self.team.is_none() || scope.covers(self.team),
            Role::Agent | Role::AllLeadsAgent => {
                active && pool_access && self.team.is_none_or(|t| teams.contains(&t))
            }
        }
    }
}

/// How many open leads in the "new" category an agent may hold, and how many distribution
/// tops them up to first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Caps {
    /// Claims and assignments beyond this are refused; `None`: no cap.
    pub max_new: Option<u32>,
    /// Distribution serves agents below this first.
    pub min_new: u32,
}

impl Caps {
    /// The largest cap or minimum: far above any team's workload, so a typo like
    /// 4294967295 is refused instead of meaning "no cap" in disguise.
    pub const LIMIT: u32 = 100_000;

    /// The field (`max_new_leads` or `min_new_leads`) and why a maximum and a minimum
    /// cannot stand, alone or together, if they cannot.
    pub fn problem(max_new: Option<u32>, min_new: u32) -> Option<(&'static str, String)> {
        let limit = Self::LIMIT;
        if max_new.is_some_and(|max| max > limit) {
            return Some(("max_new_leads", format!("must be at most {limit}")));
        }
        if min_new > limit {
            return Some(("min_new_leads", format!("must be at most {limit}")));
        }
        max_new.filter(|max| min_new > *max).map(|max| {
            (
                "min_new_leads",
                format!("the minimum ({min_new}) cannot be above the maximum ({max})"),
            )
        })
    }

    /// A user's caps: their own where set, else the organization's.
    pub fn effective(org: Self, user_max: Option<u32>, user_min: Option<u32>) -> Self {
        Self {
            max_new: user_max.or(org.max_new),
            min_new: user_min.unwrap_or(org.min_new),
        }
    }

    /// The cap that taking `lead` would break for someone holding `load`, if it would: the
    /// one cap check claims, assignments, accepts and routing all make. Only leads in the
    /// "new" category count toward it.
    pub fn exceeded_by(&self, load: &Load, lead: &Lead) -> Option<u32> {
        let max = self.max_new?;
        (lead.status.category == StatusCategory::New && load.open_new >= max).then_some(max)
    }

    /// Whether someone holding `load` is below the minimum distribution tops up first.
    pub fn below_minimum(&self, load: &Load) -> bool {
        load.open_new < self.min_new
    }
}

/// What an agent holds now, as caps and load balancing count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    /// Open leads in the "new" category.
    pub open_new: u32,
    /// Leads that are not closed.
    pub open_leads: u32,
    /// When distribution last gave them a lead.
    pub last_lead_at: Option<Timestamp>,
}

impl Load {
    /// Counts a lead just handed to them, so a later decision in the same batch sees it
    /// against their cap, their load and when they last got one.
    pub fn took(&mut self, lead: &Lead, now: Timestamp) {
        match lead.status.category {
            StatusCategory::New => {
                self.open_new += 1;
                self.open_leads += 1;
            }
            StatusCategory::Closed => {}
            _ => self.open_leads += 1,
        }
        self.last_lead_at = Some(now);
    }
}

/// An agent taking leads, with what the cap needs to know about them right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taker {
    /// The agent.
    pub user: UserId,
    /// The team the lead joins when they take it (their first team).
    pub team: Option<TeamId>,
    /// Their effective caps.
    pub caps: Caps,
    /// What they hold now.
    pub load: Load,
}

impl Taker {
    /// Whether taking `lead` would put them over their maximum (see [`Caps::exceeded_by`]).
    pub(crate) fn over_cap(&self, lead: &Lead) -> Option<u32> {
        self.caps.exceeded_by(&self.load, lead)
    }

    /// Counts a lead they just took.
    pub fn took(&mut self, lead: &Lead, now: Timestamp) {
        self.load.took(lead, now);
    }
}

/// Why a claim was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Refusal {
    /// Someone holds it now (this is who).
    AlreadyClaimed {
        /// Its owner now.
        by: UserId,
    },
    /// The taker is at their cap.
    OverCap {
        /// The cap.
        max: u32,
    },
    /// The taker may not see this lead.
    NotVisible,
    /// The lead is not in a pool (it is in the manual queue or being offered).
    NotInPool,
    /// The taker rejected it and may not take it back before this instant.
    CoolingDown {
        /// When they may claim it again.
        until: Timestamp,
    },
}

/// Claims a pool lead for `taker`. `visible_pools` are the pools the taker may see;
/// `cooldown_until` is set when they rejected this lead and the cooldown has not passed.
pub fn claim(
    lead: &Lead,
    taker: &Taker,
    visible_pools: &[PoolId],
    cooldown_until: Option<Timestamp>,
    now: Timestamp,
) -> Result<Transition, Refusal> {
    claim_as(lead, taker, visible_pools, cooldown_until, None, now)
}

/// A reported call, as ownership by call tells its kinds apart (seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "direction", rename_all = "snake_case")]
pub enum Call {
    /// The agent called the lead.
    Outbound,
    /// The agent answered the lead's call.
    Inbound,
    /// The agent received the lead's call from another agent.
    Transfer {
        /// Who passed the call on.
        from: UserId,
    },
}

impl Call {
    /// How the timeline and answers name it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Outbound => "outbound",
            Self::Inbound => "inbound",
            Self::Transfer { .. } => "transfer",
        }
    }
}

/// Which reported calls make the agent on them the lead's owner, per organization (seed 002:
/// "the lead is called", "upon answering an inbound call or upon receiving a transfer").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CallOwnership {
    /// An outbound call.
    pub outbound: bool,
    /// An answered inbound call.
    pub inbound: bool,
    /// A received transfer.
    pub transfer: bool,
}

impl Default for CallOwnership {
    /// Calling a lead takes it; answering or receiving a call only when the organization
    /// turns that on.
    fn default() -> Self {
        Self {
            outbound: true,
            inbound: false,
            transfer: false,
        }
    }
}

impl CallOwnership {
    /// Whether a call of this kind may make the agent on it the owner.
    pub const fn gives(self, call: Call) -> bool {
        match call {
            Call::Outbound => self.outbound,
            Call::Inbound => self.inbound,
            Call::Transfer { .. } => self.transfer,
        }
    }
}

/// Takes a lead for the agent on a call, through the rules of a claim: a pool lead as a
/// claim would take it (visibility, cooldown, cap); a lead in the manual queue within the
/// cap; a lead the transferring agent holds, within the cap. A lead someone else holds is
/// refused naming them (the caller is on the phone with it, so they know the lead anyway);
/// an offer is refused as a claim refuses it (only its offered agents take it, by its PIN).
pub fn claim_by_call(
    lead: &Lead,
    taker: &Taker,
    visible_pools: &[PoolId],
    cooldown_until: Option<Timestamp>,
    call: Call,
    now: Timestamp,
) -> Result<Transition, Refusal> {
    claim_as(lead, taker, visible_pools, cooldown_until, Some(call), now)
}

/// The one decision behind a claim and a claim by `call`.
fn claim_as(
    lead: &Lead,
    taker: &Taker,
    visible_pools: &[PoolId],
    cooldown_until: Option<Timestamp>,
    call: Option<Call>,
    now: Timestamp,
) -> Result<Transition, Refusal> {
    let from = match (lead.owner, call) {
        // Seed 002's shark tank: until someone contacts it, whoever may see its pool may
        // take it from the agent holding it, by a claim or a call. Not at the instant the
        // holder got it: claims decided together race for one lead and have one winner.
        (Owner::Agent { user_id }, _)
            if user_id != taker.user
                && lead.held_temporarily()
                && lead.assigned_at.is_some_and(|at| at < now)
                && lead.from_pool.is_some_and(|p| visible_pools.contains(&p)) =>
        {
            "an agent who had not contacted it (shark tank)".to_owned()
        }
        (Owner::Queue, Some(_)) => "the manual queue".to_owned(),
        // A lead one already holds is theirs, wherever it came from (issue 18, defect 1: a
        // lead never in a pool read as one they could no longer see).
        (Owner::Agent { user_id }, None) if user_id == taker.user => {
            return Err(Refusal::AlreadyClaimed { by: user_id });
        }
        (Owner::Agent { user_id }, Some(Call::Transfer { from }))
            if user_id == from && from != taker.user =>
        {
            "the agent who passed the call on".to_owned()
        }
        (Owner::Agent { user_id }, Some(_)) => return Err(Refusal::AlreadyClaimed { by: user_id }),
        // The entry's owner change names the pool; the reason says how it was taken.
        _ => {
            claimed_pool(lead, visible_pools)?;
            "the pool".to_owned()
        }
    };
    if let Some(until) = cooldown_until.filter(|u| *u > now) {
        return Err(Refusal::CoolingDown { until });
    }
    if let Some(max) = taker.over_cap(lead) {
        return Err(Refusal::OverCap { max });
    }
    let reason = match call {
        None => format!("claimed from {from}"),
        Some(c) => format!("taken by a call ({}) from {from}", c.name()),
    };
    Ok(lead.hand_over(
        Owner::Agent {
            user_id: taker.user,
        },
        taker.team.or(lead.team_id),
        EventKind::Claimed,
        Actor::User {
            user_id: taker.user,
        },
        Some(reason),
        json!({}),
        now,
    ))
}

/// The pool a claim takes `lead` from, or why it may not.
fn claimed_pool(lead: &Lead, visible_pools: &[PoolId]) -> Result<PoolId, Refusal> {
    match lead.owner {
        Owner::Pool { pool_id } if visible_pools.contains(&pool_id) => Ok(pool_id),
        Owner::Pool { .. } => Err(Refusal::NotVisible),
        // Naming the winner is only fair to someone who could see the lead in a pool.
        Owner::Agent { user_id } if lead.from_pool.is_some_and(|p| visible_pools.contains(&p)) => {
            Err(Refusal::AlreadyClaimed { by: user_id })
        }
        Owner::Agent { .. } => Err(Refusal::NotVisible),
        Owner::Queue | Owner::Offer { .. } => Err(Refusal::NotInPool),
    }
}

/// Why an agent may not reject a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("only the agent who holds a lead may reject it")]
pub struct NotYours;

/// An agent gives back a lead they hold, with their reason; it goes to `to_pool`.
pub fn reject(
    lead: &Lead,
    agent: UserId,
    to_pool: PoolId,
    reason: String,
    now: Timestamp,
) -> Result<Transition, NotYours> {
    if lead.owner != (Owner::Agent { user_id: agent }) {
        return Err(NotYours);
    }
    Ok(lead.hand_over(
        Owner::Pool { pool_id: to_pool },
        lead.team_id,
        EventKind::Rejected,
        Actor::User { user_id: agent },
        Some(reason),
        json!({}),
        now,
    ))
}

/// An admin or ISA hands a lead to an agent. Over the agent's cap only with `override_cap`,
/// which the timeline records. `None` when the agent already holds it.
pub fn assign(
    lead: &Lead,
    taker: &Taker,
    override_cap: bool,
    actor: Actor,
    reason: Option<String>,
    now: Timestamp,
) -> Result<Option<Transition>, Refusal> {
    let to = Owner::Agent {
        user_id: taker.user,
    };
    if lead.owner == to {
        return Ok(None);
    }
    if matches!(lead.owner, Owner::Offer { .. }) {
        return Err(Refusal::NotInPool);
    }
    let extra = match taker.over_cap(lead) {
        Some(max) if !override_cap => return Err(Refusal::OverCap { max }),
        Some(max) => json!({ "cap_override": { "max": max, "open_new": taker.load.open_new } }),
        None => json!({}),
    };
    Ok(Some(lead.hand_over(
        to,
        taker.team.or(lead.team_id),
        EventKind::OwnerChanged,
        actor,
        reason,
        extra,
        now,
    )))
}

/// An admin or ISA moves a lead into a pool. `None` when it is already there.
pub fn move_to_pool(
    lead: &Lead,
    pool: PoolId,
    actor: Actor,
    reason: Option<String>,
    now: Timestamp,
) -> Result<Option<Transition>, Refusal> {
    let to = Owner::Pool { pool_id: pool };
    if lead.owner == to {
        return Ok(None);
    }
    if matches!(lead.owner, Owner::Offer { .. }) {
        return Err(Refusal::NotInPool);
    }
    Ok(Some(lead.hand_over(
        to,
        lead.team_id,
        EventKind::OwnerChanged,
        actor,
        reason,
        json!({}),
        now,
    )))
}

/// How a lead's reserve timer must change with a change other than a claim (to `after`
/// through an entry of `kind`): it ends when the agent logs a contact, moves the lead out
/// of "new", or the lead changes hands. Only a lead an agent holds can have one running.
pub fn reserve_change(before: &Lead, after: &Lead, kind: EventKind) -> TimerChange {
    let worked = kind == EventKind::ContactLogged || after.status.category != StatusCategory::New;
    if before.owner.agent().is_some() && (worked || after.owner != before.owner) {
        TimerChange::Cancel
    } else {
        TimerChange::Keep
    }
}

/// What a due reserve timer does: if an agent still holds the lead and it is still new, it
/// goes back to the pool it was claimed from (or `fallback`). Every change that ends the
/// reserve removes the timer in its own transaction, so no version is compared: an edit
/// that keeps the reserve (a new phone number, a status change within "new", a status
/// expiry) must not make it lapse silently.
pub fn fire_reserve_expiry(lead: &Lead, fallback: PoolId, now: Timestamp) -> Option<Transition> {
    reserve_holder(lead)?;
    let pool_id = lead.from_pool.unwrap_or(fallback);
    Some(lead.hand_over(
        Owner::Pool { pool_id },
        lead.team_id,
        EventKind::ReserveExpired,
        Actor::System,
        Some("reserve time expired: no contact logged and status still new".into()),
        json!({}),
        now,
    ))
}

/// The agent whose reserve time on `lead` is still running, if it is: they hold the lead and
/// it is still new. A due reserve timer sends it back, and its warning tells them, only
/// then.
pub fn reserve_holder(lead: &Lead) -> Option<UserId> {
    lead.owner
        .agent()
        .filter(|_| lead.status.category == StatusCategory::New)
}

/// How long before a reserve time ends its holder is warned: a quarter of an hour, or
/// halfway through a shorter reserve.
pub const RESERVE_WARNING: Duration = Duration::from_secs(15 * 60);

/// When the holder of a reserve time claimed at `claimed` and ending at `due` is warned
/// (see [`RESERVE_WARNING`]).
pub fn reserve_warning_at(claimed: Timestamp, due: Timestamp) -> Timestamp {
    let span = due.as_millis().saturating_sub(claimed.as_millis()).max(0);
    let before = i64::try_from(RESERVE_WARNING.as_millis())
        .unwrap_or(i64::MAX)
        .min(span / 2);
    due.plus_millis(-before)
}

/// When a reserve of `reserve` open time that starts at `claimed` ends: in `calendar`'s open
/// hours when the pool has one, else in wall-clock time.
pub fn reserve_due(
    calendar: Option<&crate::calendar::Calendar>,
    claimed: Timestamp,
    reserve: Duration,
) -> Result<Timestamp, crate::calendar::CalendarError> {
    match calendar {
        Some(c) => {
            let due = c.deadline(crate::calendar::to_jiff(claimed)?, reserve)?;
            Ok(crate::calendar::from_jiff(due))
        }
        None => Ok(claimed.plus_millis(i64::try_from(reserve.as_millis()).unwrap_or(i64::MAX))),
    }
}

/// A lead with phone and email hidden, as a blind pool shows it before a claim.
pub fn blind(lead: &Lead) -> Lead {
    Lead {
        emails: Vec::new(),
        phones: Vec::new(),
        ..lead.clone()
    }
}

impl Lead {
    /// Whether the agent holding it holds it only until a first contact: its status is a
    /// shark tank and nobody has contacted it since they got it. The first logged contact
    /// (which sets `first_contact_at`) makes the hold permanent.
    pub fn held_temporarily(&self) -> bool {
        self.status.shark_tank && self.owner.agent().is_some() && self.first_contact_at.is_none()
    }

    /// Hands the lead to `to` with an entry of `kind`; `extra` adds to the recorded changes.
    #[allow(
        clippy::too_many_arguments,
        reason = "every argument is a distinct fact of the hand-over"
    )]
    pub(crate) fn hand_over(
        &self,
        to: Owner,
        team_id: Option<TeamId>,
        kind: EventKind,
        actor: Actor,
        reason: Option<String>,
        extra: Value,
        now: Timestamp,
    ) -> Transition {
        let mut t = match self.reassign(to, team_id, actor, reason.clone(), now) {
            Some(t) => t,
            None => self.touch(actor, reason, now),
        };
        t.entry.kind = kind;
        t.lead.keep_queue_reason(kind, t.entry.reason.as_ref());
        if let (Value::Object(changes), Value::Object(extra)) = (&mut t.entry.changes, extra) {
            changes.extend(extra);
        }
        t
    }
}

#[cfg(test)]
mod tests;
