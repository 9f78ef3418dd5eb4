//! The one place a lead's change is stored: its transition with the timeline entry, the
//! timers the domain's [`timer_changes`] says the change sets, moves or cancels, and the
//! outbox events [`events_of_move`] says it tells. Every use case writes through here, so a
//! new kind of timer or event is one more arm in the domain, not one more call in each use
//! case. A batch costs a few statements whatever its size.

use leadpool_domain::delivery::events_of_move;
use leadpool_domain::lead::Transition;
use leadpool_domain::timer::{TimerChange, TimerChanges, TimerFacts, timer_changes};
use leadpool_domain::{Lead, OrgId, Owner, Timestamp};
use leadpool_store::Tx;
use leadpool_store::offers::NewEvent;

use crate::{App, AppError};

/// A change to write: the lead as it was read, its transition, and what the transition's
/// timers depend on besides the lead.
pub(crate) struct Step<'a> {
    /// The lead as it was read (its version is the one the write expects).
    pub(crate) before: &'a Lead,
    /// The change.
    pub(crate) t: &'a Transition,
    /// See [`TimerFacts`].
    pub(crate) facts: TimerFacts<'a>,
}

impl<'a> Step<'a> {
    /// A change whose timers follow from the lead alone.
    pub(crate) fn plain(before: &'a Lead, t: &'a Transition) -> Self {
        Self {
            before,
            t,
            facts: TimerFacts::default(),
        }
    }
}

impl App {
    /// Writes changes of distinct leads of one organization, each only if its lead is still
    /// at the version it was read at, with their timeline entries and timers. `None` when a
    /// lead had moved on (the caller must not commit); else whether a timer was set.
    pub(crate) async fn write_steps(
        &self,
        tx: &mut Tx,
        org: OrgId,
        steps: &[Step<'_>],
        now: Timestamp,
    ) -> Result<Option<bool>, AppError> {
        if steps.is_empty() {
            return Ok(Some(false));
        }
        // The batch statement even for one lead: it sets only the columns that changed, so
        // a claim does not rewrite the lead's other indexes.
        let changes: Vec<(&Lead, &Transition)> = steps.iter().map(|s| (s.before, s.t)).collect();
        let written = tx.update_leads(org, &changes).await?.len() == steps.len();
        if !written {
            return Ok(None);
        }
        let changes: Vec<(&Lead, TimerChanges)> = steps
            .iter()
            .map(|s| {
                let after = &s.t.lead;
                let c = timer_changes(
                    Some(s.before),
                    after,
                    s.t.entry.kind,
                    &s.facts,
                    s.t.entry.at,
                );
                (after, c)
            })
            .collect();
        let timer_set = write_timers(tx, org, &changes, now).await?;
        tx.push_events(org, &move_events(steps), now).await?;
        Ok(Some(timer_set))
    }

    /// [`App::write_steps`] for leads this transaction holds (locked rows on PostgreSQL, the
    /// whole file on SQLite): a version that moved under the lock means a bug, not a race.
    pub(crate) async fn write_locked(
        &self,
        tx: &mut Tx,
        org: OrgId,
        steps: &[Step<'_>],
        now: Timestamp,
    ) -> Result<bool, AppError> {
        self.write_steps(tx, org, steps, now).await?.ok_or_else(|| {
            AppError::Internal(format!(
                "of {} leads, one changed while locked",
                steps.len()
            ))
        })
    }
}

/// The outbox events the changes tell by themselves, with what a reader needs to say why.
fn move_events(steps: &[Step<'_>]) -> Vec<NewEvent> {
    steps
        .iter()
        .flat_map(|s| {
            let (after, entry) = (&s.t.lead, &s.t.entry);
            let pool_id = match after.owner {
                Owner::Pool { pool_id } => Some(pool_id),
                _ => None,
            };
            events_of_move(&s.before.owner, &after.owner, entry.kind, entry.actor)
                .into_iter()
                .map(move |(user, kind)| NewEvent {
                    user,
                    lead: Some(after.id),
                    kind,
                    payload: serde_json::json!({
                        "pool_id": pool_id,
                        "why": entry.kind.as_str(),
                        "reason": entry.reason,
                    }),
                })
        })
        .collect()
}

/// Writes timer changes of leads as they now are (each timer for the lead's version): one
/// statement for the timers cancelled and one for those set; a kept timer needs none (a
/// status expiry is carried to the new version by the database). Returns whether one was set.
pub(crate) async fn write_timers(
    tx: &mut Tx,
    org: OrgId,
    changes: &[(&Lead, TimerChanges)],
    now: Timestamp,
) -> Result<bool, AppError> {
    let mut set = Vec::new();
    let mut cancel = Vec::new();
    for (lead, c) in changes {
        for (kind, change) in c.by_kind() {
            match change {
                TimerChange::Set(due) => set.push((lead.id, kind, due, lead.version)),
                TimerChange::Cancel => cancel.push((lead.id, kind)),
                TimerChange::Keep => {}
            }
        }
    }
    tx.cancel_timers(&cancel).await?;
    tx.set_timers(org, &set, now).await?;
    Ok(!set.is_empty())
}
