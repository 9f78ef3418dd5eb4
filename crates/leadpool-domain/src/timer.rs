//! Durable deadlines: which timer a lead should have after a change, and what a due timer
//! does when it fires. A timer carries the lead version it was set for; if the lead has
//! moved on since, firing does nothing (PRODUCT.md invariant 4).

use std::time::Duration;

use crate::ids::{PoolId, StatusId};
use crate::lead::{Lead, LeadPatch, StatusRef, Transition};
use crate::owner::Owner;
use crate::time::Timestamp;
use crate::timeline::Actor;

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
