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
    /// A warning to the claimer that their reserve time is about to end; set, moved and
    /// cancelled with the reserve timer, and changes nothing on the lead when it fires.
    ReserveWarning,
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
            Self::ReserveWarning => "reserve_warning",
            Self::OfferWindow => "offer_window",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::StatusExpiry,
            Self::ReserveExpiry,
            Self::ReserveWarning,
            Self::OfferWindow,
        ]
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
    /// Whether pending tasks hold the expiry off (seed 002: "only call leads without
    /// pending tasks or tasks past due by").
    pub hold: Option<TaskHold>,
    /// Counts `after` in this calendar's open hours; `None`: wall-clock time.
    pub calendar: Option<crate::calendar::Calendar>,
}

/// How a lead's pending tasks hold off its status expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskHold {
    /// While it has any pending task.
    WhilePending,
    /// Until every pending task is overdue by this much.
    UntilOverdueBy(Duration),
}

/// A lead's pending tasks, as a hold reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingTasks {
    /// How many.
    pub count: u32,
    /// The latest due time among them.
    pub latest_due: Option<Timestamp>,
}

/// Whether a lead's status expiry may happen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Nothing holds it.
    Free,
    /// Its tasks hold it until this instant.
    Until(Timestamp),
    /// Its tasks hold it until one of them changes.
    Indefinite,
}

impl StatusExpiry {
    /// When a lead that entered (or re-armed) the status at `start` expires: `after` of open
    /// time in the rule's calendar, or of wall time. A calendar that never opens again
    /// counts wall time rather than keep the lead forever.
    pub fn due_from(&self, start: Timestamp) -> Timestamp {
        crate::pool::reserve_due(self.calendar.as_ref(), start, self.after)
            .unwrap_or_else(|_| start.plus_millis(millis(self.after)))
    }

    /// The one answer to whether `tasks` hold this expiry off at `now`.
    pub fn hold(&self, tasks: PendingTasks, now: Timestamp) -> Hold {
        match (self.hold, tasks.latest_due) {
            (None, _) | (_, None) => Hold::Free,
            (Some(TaskHold::WhilePending), Some(_)) => Hold::Indefinite,
            (Some(TaskHold::UntilOverdueBy(by)), Some(latest)) => {
                match latest.plus_millis(millis(by)) {
                    end if end > now => Hold::Until(end),
                    _ => Hold::Free,
                }
            }
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
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
        Some(r) => TimerChange::Set(r.due_from(now)),
    }
}

/// A task closing re-arms a status expiry its tasks held off (the timer was removed when it
/// fell due while held): counted afresh from `now`, since resuming would expire the lead the
/// moment its agent finishes a task. Anything else keeps the timer.
fn rearm(kind: EventKind, facts: &TimerFacts<'_>, now: Timestamp) -> TimerChange {
    let closes = matches!(kind, EventKind::TaskCompleted | EventKind::TaskDeleted);
    match facts.status_rule {
        Some(r) if closes && r.hold.is_some() && !facts.expiry_armed => {
            let fresh = r.due_from(now);
            match r.hold(facts.pending_tasks, now) {
                Hold::Indefinite => TimerChange::Keep,
                Hold::Free => TimerChange::Set(fresh),
                Hold::Until(end) => TimerChange::Set(fresh.max(end)),
            }
        }
        _ => TimerChange::Keep,
    }
}

/// What a transition's timers depend on that the lead itself does not say.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimerFacts<'a> {
    /// The expiry rule of the status the lead is in afterwards; read only when the status
    /// changed, the lead is new or a task closed, as otherwise the timer is kept whatever
    /// it says.
    pub status_rule: Option<&'a StatusExpiry>,
    /// The lead's pending tasks after a task closed.
    pub pending_tasks: PendingTasks,
    /// Whether the lead has a status-expiry timer (read when a task closed).
    pub expiry_armed: bool,
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
    /// The warning before it ends.
    pub reserve_warning: TimerChange,
    /// The offer's response window.
    pub offer_window: TimerChange,
}

impl TimerChanges {
    /// Each kind with its change.
    pub fn by_kind(&self) -> [(TimerKind, TimerChange); 4] {
        [
            (TimerKind::StatusExpiry, self.status_expiry),
            (TimerKind::ReserveExpiry, self.reserve_expiry),
            (TimerKind::ReserveWarning, self.reserve_warning),
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
        Some(b) if b.status.id == after.status.id => rearm(kind, facts, now),
        // A new lead has no timer to cancel.
        None if facts.status_rule.is_none() => TimerChange::Keep,
        _ => status_expiry_change(before.map(|b| b.status.id), after, facts.status_rule, now),
    };
    let reserve_expiry = match (facts.reserve_due, before) {
        (Some(due), _) => TimerChange::Set(due),
        (None, Some(b)) => crate::pool::reserve_change(b, after, kind),
        (None, None) => TimerChange::Keep,
    };
    let reserve_warning = match reserve_expiry {
        TimerChange::Set(due) => TimerChange::Set(crate::pool::reserve_warning_at(now, due)),
        other => other,
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
        reserve_warning,
        offer_window,
    }
}

/// What a due status-expiry timer does.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpiryFiring {
    /// Nothing: the lead moved on since the timer was set.
    Stale,
    /// The lead's pending tasks hold the expiry: the timer is set again for then, or with
    /// `None` left removed until a task closes and re-arms it.
    Held(Option<Timestamp>),
    /// The status change and, if the rule says so, the return to the pool: each a
    /// transition with its own timeline entry.
    Expired(Vec<Transition>),
}

/// What firing a status-expiry timer does: nothing if the lead moved on since the timer was
/// set (`timer_version` differs); waiting while its pending `tasks` hold it (see
/// [`StatusExpiry::hold`]); else the status change and, if the rule says so, the return to
/// `pool`.
pub fn fire_status_expiry(
    lead: &Lead,
    timer_version: i64,
    rule: &StatusExpiry,
    tasks: PendingTasks,
    pool: Option<PoolId>,
    now: Timestamp,
) -> ExpiryFiring {
    if lead.version != timer_version {
        return ExpiryFiring::Stale;
    }
    match rule.hold(tasks, now) {
        Hold::Free => {}
        Hold::Until(end) => return ExpiryFiring::Held(Some(end)),
        Hold::Indefinite => return ExpiryFiring::Held(None),
    }
    let hours = rule.after.as_secs_f64() / 3600.0;
    let open = if rule.calendar.is_some() { " open" } else { "" };
    let reason = format!(
        "status expired: {} for {hours:.1}{open} h becomes {}",
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
    ExpiryFiring::Expired(out)
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
            shark_tank: false,
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
            hold: None,
            calendar: None,
        }
    }

    fn expired(f: ExpiryFiring) -> Vec<Transition> {
        match f {
            ExpiryFiring::Expired(out) => out,
            other => panic!("not expired: {other:?}"),
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
    fn an_expiry_in_open_hours_skips_closed_time() {
        let lead = working_lead();
        let cal =
            crate::calendar::Calendar::new("office", "UTC", "mon-fri 09:00-17:00", Vec::new())
                .unwrap_or_else(|e| panic!("{e}"));
        let r = StatusExpiry {
            after: Duration::from_secs(10 * 3600),
            calendar: Some(cal),
            ..rule(false)
        };
        // Friday 2026-11-27 16:00 UTC: 1 h on Friday, 8 h on Monday, 1 h on Tuesday.
        let friday = Timestamp::parse_rfc3339("2026-11-27T16:00:00Z").unwrap_or_else(|| panic!());
        let tuesday = Timestamp::parse_rfc3339("2026-12-01T10:00:00Z").unwrap_or_else(|| panic!());
        assert_eq!(
            status_expiry_change(Some(StatusId::new(1)), &lead, Some(&r), friday),
            TimerChange::Set(tuesday)
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
    fn a_reserve_time_brings_its_warning_and_ending_it_cancels_both() {
        let lead = working_lead();
        let claimed = Timestamp::from_millis(1_000);
        let hour = claimed.plus_millis(3_600_000);
        let facts = TimerFacts {
            reserve_due: Some(hour),
            ..TimerFacts::default()
        };
        let c = timer_changes(Some(&lead), &lead, EventKind::Claimed, &facts, claimed);
        assert_eq!(c.reserve_expiry, TimerChange::Set(hour));
        assert_eq!(
            c.reserve_warning,
            TimerChange::Set(hour.plus_millis(-15 * 60_000)),
            "a quarter of an hour before"
        );
        let short = TimerFacts {
            reserve_due: Some(claimed.plus_millis(10 * 60_000)),
            ..TimerFacts::default()
        };
        let c = timer_changes(Some(&lead), &lead, EventKind::Claimed, &short, claimed);
        assert_eq!(
            c.reserve_warning,
            TimerChange::Set(claimed.plus_millis(5 * 60_000)),
            "halfway through a reserve shorter than half an hour"
        );
        let offered = Owner::Offer {
            offer_id: crate::ids::OfferId::new(3),
        };
        let Some(t) = lead.reassign(offered, None, Actor::System, None, claimed) else {
            panic!("a change of owner");
        };
        let c = timer_changes(
            Some(&lead),
            &t.lead,
            EventKind::Routed,
            &TimerFacts::default(),
            claimed,
        );
        assert_eq!(
            (c.reserve_expiry, c.reserve_warning),
            (TimerChange::Cancel, TimerChange::Cancel)
        );
    }

    #[test]
    fn a_due_expiry_recycles_the_lead_into_the_pool_with_reasons() {
        let lead = working_lead();
        let out = expired(fire_status_expiry(
            &lead,
            lead.version,
            &rule(true),
            PendingTasks::default(),
            Some(PoolId::new(9)),
            Timestamp::from_millis(5),
        ));
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
        assert_eq!(
            fire_status_expiry(
                &lead,
                lead.version - 1,
                &rule(true),
                PendingTasks::default(),
                Some(PoolId::new(9)),
                Timestamp::from_millis(5)
            ),
            ExpiryFiring::Stale
        );
    }

    fn held(hold: TaskHold) -> StatusExpiry {
        StatusExpiry {
            hold: Some(hold),
            ..rule(false)
        }
    }

    fn pending(due: i64) -> PendingTasks {
        PendingTasks {
            count: 1,
            latest_due: Some(Timestamp::from_millis(due)),
        }
    }

    #[test]
    fn pending_tasks_hold_a_due_expiry_as_the_rule_says() {
        let lead = working_lead();
        let now = Timestamp::from_millis(10_000);
        let fire =
            |r: &StatusExpiry, tasks| fire_status_expiry(&lead, lead.version, r, tasks, None, now);
        let waiting = held(TaskHold::WhilePending);
        assert_eq!(fire(&waiting, pending(1)), ExpiryFiring::Held(None));
        assert_eq!(expired(fire(&waiting, PendingTasks::default())).len(), 1);
        let overdue = held(TaskHold::UntilOverdueBy(Duration::from_secs(60)));
        assert_eq!(
            fire(&overdue, pending(9_000)),
            ExpiryFiring::Held(Some(Timestamp::from_millis(69_000))),
            "a task due a second ago holds it for another 59 s"
        );
        assert_eq!(
            expired(fire(&overdue, pending(-50_000))).len(),
            1,
            "overdue by more than 60 s"
        );
        assert_eq!(
            expired(fire(&rule(false), pending(1))).len(),
            1,
            "no hold: tasks do not matter"
        );
    }

    #[test]
    fn closing_the_last_task_re_arms_an_expiry_it_held_off_and_only_then() {
        let lead = working_lead();
        let now = Timestamp::from_millis(50);
        let waiting = held(TaskHold::WhilePending);
        let done = lead.touch(Actor::System, None, now);
        let change = |kind, tasks, armed| {
            let facts = TimerFacts {
                status_rule: Some(&waiting),
                pending_tasks: tasks,
                expiry_armed: armed,
                ..TimerFacts::default()
            };
            timer_changes(Some(&lead), &done.lead, kind, &facts, now).status_expiry
        };
        let fresh = TimerChange::Set(now.plus_millis(336 * 3_600_000));
        assert_eq!(
            change(EventKind::TaskCompleted, PendingTasks::default(), false),
            fresh
        );
        assert_eq!(
            change(EventKind::TaskDeleted, PendingTasks::default(), false),
            fresh
        );
        assert_eq!(
            change(EventKind::TaskCompleted, pending(99), false),
            TimerChange::Keep,
            "another task still holds it"
        );
        assert_eq!(
            change(EventKind::TaskCompleted, PendingTasks::default(), true),
            TimerChange::Keep,
            "a running timer is kept"
        );
        assert_eq!(
            change(EventKind::TaskAdded, PendingTasks::default(), false),
            TimerChange::Keep
        );
    }

    proptest::proptest! {
        #[test]
        fn a_held_expiry_never_fires_early_and_is_rescheduled_to_the_future(
            count in 0u32..3,
            due in -100_000i64..100_000,
            by in proptest::option::of(0u64..200),
            now in 0i64..100_000,
        ) {
            let lead = working_lead();
            let r = held(by.map_or(TaskHold::WhilePending, |s| TaskHold::UntilOverdueBy(Duration::from_secs(s))));
            let tasks = PendingTasks { count, latest_due: (count > 0).then(|| Timestamp::from_millis(due)) };
            let now = Timestamp::from_millis(now);
            match fire_status_expiry(&lead, lead.version, &r, tasks, None, now) {
                ExpiryFiring::Expired(_) => {
                    let free = count == 0
                        || by.is_some_and(|s| due + i64::try_from(s).unwrap_or(0) * 1000 <= now.as_millis());
                    proptest::prop_assert!(free, "expired while a task held it");
                }
                ExpiryFiring::Held(Some(end)) => proptest::prop_assert!(end > now),
                ExpiryFiring::Held(None) => proptest::prop_assert!(count > 0 && by.is_none()),
                ExpiryFiring::Stale => proptest::prop_assert!(false, "the version matched"),
            }
        }
    }
}
