//! Durable deadlines: which timer a lead should have after a change, and what a due timer
//! does when it fires. A timer carries the lead version it was set for; if the lead has
//! moved on since, firing does nothing (PRODUCT.md invariant 4).

use std::time::Duration;

use crate::ids::{PoolId, StatusId};
use crate::lead::{Lead, LeadPatch, StatusRef, Transition};
use crate::owner::Owner;
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind};

/// What a timer is for. One pending timer per (lead, kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// A status that expires into another after a while ("Working" for 336 h → "Recycled").
    StatusExpiry,
    /// A claimer's reserve time: no contact or status change by then sends the lead back.
    ReserveExpiry,
    /// An offer's response window: nobody accepting by then moves the lead on. Checked
    /// against the lead's owner (still that offer), not its version, so edits to the lead
    /// while it is offered do not strand it.
    OfferWindow,
}

impl TimerKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::StatusExpiry => "status_expiry",
            Self::ReserveExpiry => "reserve_expiry",
            Self::OfferWindow => "offer_window",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::StatusExpiry, Self::ReserveExpiry, Self::OfferWindow]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A status's expiry rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusExpiry {
    /// How long a lead may stay in the status.
    pub after: Duration,
    /// The status it then moves to.
    pub to_status: StatusRef,
    /// Whether it also goes back to the default pool.
    pub to_pool: bool,
}

/// How a lead's timer of one kind must change with a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerChange {
    /// Leave its due time; only the lead version it is for moves on.
    Keep,
    /// (Re)set it to fire at this instant.
    Set(Timestamp),
    /// Remove it.
    Cancel,
}

/// The status-expiry timer a lead needs after moving from `before` to `after.status`,
/// given the rule of the status it is now in.
pub fn status_expiry_change(
    before: Option<StatusId>,
    after: &Lead,
    rule: Option<&StatusExpiry>,
    now: Timestamp,
) -> TimerChange {
    match rule {
        None => TimerChange::Cancel,
        Some(_) if before == Some(after.status.id) => TimerChange::Keep,
        Some(r) => TimerChange::Set(
            now.plus_millis(i64::try_from(r.after.as_millis()).unwrap_or(i64::MAX)),
        ),
    }
}

/// What a transition's timers depend on that the lead itself does not say.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimerFacts<'a> {
    /// The expiry rule of the status the lead is in afterwards; read only when the status
    /// changed or the lead is new, as otherwise the timer is kept whatever it says.
    pub status_rule: Option<&'a StatusExpiry>,
    /// When the reserve time this transition starts ends (a claim from a pool with one).
    pub reserve_due: Option<Timestamp>,
    /// When the response window of the offer this transition makes closes.
    pub offer_deadline: Option<Timestamp>,
}

/// How one transition changes each of a lead's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerChanges {
    /// The status expiry.
    pub status_expiry: TimerChange,
    /// The claimer's reserve time.
    pub reserve_expiry: TimerChange,
    /// The offer's response window.
    pub offer_window: TimerChange,
}

impl TimerChanges {
    /// Each kind with its change.
    pub fn by_kind(&self) -> [(TimerKind, TimerChange); 3] {
        [
            (TimerKind::StatusExpiry, self.status_expiry),
            (TimerKind::ReserveExpiry, self.reserve_expiry),
            (TimerKind::OfferWindow, self.offer_window),
        ]
    }
}

/// The one answer to which timers a change sets, moves or cancels: for a lead that went
/// from `before` (`None`: it was just created) to `after` through an entry of `kind` at
/// `now`. A status that stays keeps its expiry (the database carries the timer to the new
/// version); a reserve time starts with a claim and ends as [`crate::pool::reserve_change`]
/// says; an offer's window opens with the offer and closes when the lead leaves it.
pub fn timer_changes(
    before: Option<&Lead>,
    after: &Lead,
    kind: EventKind,
    facts: &TimerFacts<'_>,
    now: Timestamp,
) -> TimerChanges {
    let status_expiry = match before {
        Some(b) if b.status.id == after.status.id => TimerChange::Keep,
        // A new lead has no timer to cancel.
        None if facts.status_rule.is_none() => TimerChange::Keep,
        _ => status_expiry_change(before.map(|b| b.status.id), after, facts.status_rule, now),
    };
    let reserve_expiry = match (facts.reserve_due, before) {
        (Some(due), _) => TimerChange::Set(due),
        (None, Some(b)) => crate::pool::reserve_change(b, after, kind),
        (None, None) => TimerChange::Keep,
    };
    let was_offer = before
        .map(|b| b.owner)
        .filter(|o| matches!(o, Owner::Offer { .. }));
    let offer_window = match (after.owner, facts.offer_deadline) {
        (o, _) if was_offer == Some(o) => TimerChange::Keep,
        (Owner::Offer { .. }, Some(deadline)) => TimerChange::Set(deadline),
        _ if was_offer.is_some() => TimerChange::Cancel,
        _ => TimerChange::Keep,
    };
    TimerChanges {
        status_expiry,
        reserve_expiry,
        offer_window,
    }
}

/// What firing a status-expiry timer does: nothing if the lead moved on since the timer was
/// set (`timer_version` differs), else the status change and, if the rule says so, the
/// return to `pool`: each a transition with its own timeline entry.
pub fn fire_status_expiry(
    lead: &Lead,
    timer_version: i64,
    rule: &StatusExpiry,
    pool: Option<PoolId>,
    now: Timestamp,
) -> Vec<Transition> {
    if lead.version != timer_version {
        return Vec::new();
    }
    let hours = rule.after.as_secs_f64() / 3600.0;
    let reason = format!(
        "status expired: {} for {hours:.1} h becomes {}",
        lead.status.name, rule.to_status.name
    );
    let patch = LeadPatch {
        status: Some(rule.to_status.clone()),
        ..LeadPatch::default()
    };
    let mut out = Vec::new();
    let mut current = lead.clone();
    if let Ok(Some(t)) = current.apply(&patch, Actor::System, Some(reason.clone()), now) {
        current = t.lead.clone();
        out.push(t);
    }
    if let (true, Some(pool_id)) = (rule.to_pool, pool)
        && let Some(t) = current.reassign(
            Owner::Pool { pool_id },
            current.team_id,
            Actor::System,
            Some(reason),
            now,
        )
    {
        out.push(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{LeadId, OrgId, SourceId, UserId};
    use crate::lead::{LeadDraft, LeadInput};
    use crate::status::StatusCategory;
    use crate::timeline::EventKind;

    fn status(id: i64, name: &str, category: StatusCategory) -> StatusRef {
        StatusRef {
            id: StatusId::new(id),
            name: name.into(),
            category,
        }
    }

    fn working_lead() -> Lead {
        let draft = LeadDraft::parse(LeadInput {
            name: Some("Ana".into()),
            ..LeadInput::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let mut l = draft
            .create(
                OrgId::new(1),
                SourceId::new(1),
                status(2, "Working", StatusCategory::Working),
                Owner::Agent {
                    user_id: UserId::new(7),
                },
                None,
                Actor::System,
                None,
                Timestamp::from_millis(0),
            )
            .lead;
        l.id = LeadId::new(1);
        l
    }

    fn rule(to_pool: bool) -> StatusExpiry {
        StatusExpiry {
            after: Duration::from_secs(336 * 3600),
            to_status: status(3, "Recycled", StatusCategory::New),
            to_pool,
        }
    }

    #[test]
    fn entering_an_expiring_status_sets_the_timer_and_staying_keeps_it() {
        let lead = working_lead();
        let now = Timestamp::from_millis(1_000);
        assert_eq!(
            status_expiry_change(Some(StatusId::new(1)), &lead, Some(&rule(false)), now),
            TimerChange::Set(now.plus_millis(336 * 3_600_000))
        );
        assert_eq!(
            status_expiry_change(Some(StatusId::new(2)), &lead, Some(&rule(false)), now),
            TimerChange::Keep
        );
        assert_eq!(
            status_expiry_change(Some(StatusId::new(2)), &lead, None, now),
            TimerChange::Cancel
        );
    }

    #[test]
    fn an_edit_that_keeps_status_and_owner_keeps_every_timer() {
        let mut lead = working_lead();
        lead.owner = Owner::Pool {
            pool_id: PoolId::new(9),
        };
        let now = Timestamp::from_millis(5);
        let edit = lead.touch(Actor::System, Some("a note".into()), now);
        let c = timer_changes(
            Some(&lead),
            &edit.lead,
            edit.entry.kind,
            &TimerFacts::default(),
            now,
        );
        assert!(c.by_kind().iter().all(|(_, ch)| *ch == TimerChange::Keep));
    }

    #[test]
    fn a_new_lead_gets_its_status_expiry_and_nothing_to_cancel() {
        let lead = working_lead();
        let now = Timestamp::from_millis(7);
        let r = rule(false);
        let with_rule = TimerFacts {
            status_rule: Some(&r),
            ..TimerFacts::default()
        };
        let c = timer_changes(None, &lead, EventKind::Created, &with_rule, now);
        assert_eq!(
            c.status_expiry,
            TimerChange::Set(now.plus_millis(336 * 3_600_000))
        );
        let c = timer_changes(None, &lead, EventKind::Created, &TimerFacts::default(), now);
        assert!(c.by_kind().iter().all(|(_, ch)| *ch == TimerChange::Keep));
    }

    #[test]
    fn an_offer_sets_its_window_and_leaving_it_cancels_the_window() {
        let lead = working_lead();
        let now = Timestamp::from_millis(9);
        let deadline = now.plus_millis(60_000);
        let offered = Owner::Offer {
            offer_id: crate::ids::OfferId::new(3),
        };
        let Some(t) = lead.reassign(offered, None, Actor::System, None, now) else {
            panic!("a change of owner");
        };
        let facts = TimerFacts {
            offer_deadline: Some(deadline),
            ..TimerFacts::default()
        };
        let c = timer_changes(Some(&lead), &t.lead, EventKind::Routed, &facts, now);
        assert_eq!(c.offer_window, TimerChange::Set(deadline));
        // The agent held it before: the reserve time ends with the new owner.
        assert_eq!(c.reserve_expiry, TimerChange::Cancel);
        let Some(taken) = t.lead.reassign(lead.owner, None, Actor::System, None, now) else {
            panic!("a change of owner");
        };
        let c = timer_changes(
            Some(&t.lead),
            &taken.lead,
            EventKind::OfferAccepted,
            &TimerFacts::default(),
            now,
        );
        assert_eq!(c.offer_window, TimerChange::Cancel);
        assert_eq!(c.reserve_expiry, TimerChange::Keep);
    }

    #[test]
    fn a_due_expiry_recycles_the_lead_into_the_pool_with_reasons() {
        let lead = working_lead();
        let out = fire_status_expiry(
            &lead,
            lead.version,
            &rule(true),
            Some(PoolId::new(9)),
            Timestamp::from_millis(5),
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].entry.kind, EventKind::StatusChanged);
        assert_eq!(out[1].entry.kind, EventKind::OwnerChanged);
        assert_eq!(
            out[1].lead.owner,
            Owner::Pool {
                pool_id: PoolId::new(9)
            }
        );
        assert_eq!(out[1].lead.status.name, "Recycled");
        assert!(
            out[0]
                .entry
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("Working for 336.0 h becomes Recycled"))
        );
    }

    #[test]
    fn a_stale_timer_does_nothing() {
        let lead = working_lead();
        assert!(
            fire_status_expiry(
                &lead,
                lead.version - 1,
                &rule(true),
                Some(PoolId::new(9)),
                Timestamp::from_millis(5)
            )
            .is_empty()
        );
    }
}
