//! Storing leads: a checked file (refused whole if a row has a problem, unless bad rows are
//! skipped) and prepared leads in chunks, each chunk inserted, routed and given its timers in
//! the one transaction.

use std::collections::HashMap;

use leadpool_domain::lead::NewLead;
use leadpool_domain::timer::{TimerChanges, TimerFacts, timer_changes};
use leadpool_domain::{Actor, EventKind, FieldError, Invalid, Lead, LeadId, Owner, SourceId};
use leadpool_store::Tx;
use leadpool_store::orgs::Organization;
use leadpool_store::statuses::Status;

use crate::transitions::write_timers;
use crate::{App, AppError};

use super::{ImportPlan, ImportReport, PreparedLead, Routed, Unowned, source_names};

/// Rows an import writes with one set of statements.
const CHUNK: usize = 500;

/// Refuses rows whose external id a lead of their source has taken since the file was
/// checked, naming the first such row's line.
async fn refuse_stored_external_ids(
    tx: &mut Tx,
    org: &Organization,
    rows: &[PreparedLead],
) -> Result<(), AppError> {
    let keys: Vec<(SourceId, &str)> = rows
        .iter()
        .filter_map(|r| r.draft.external_id.as_deref().map(|x| (r.source_id, x)))
        .collect();
    let stored = tx.leads_by_external_ids(org.id, &keys).await?;
    match rows.iter().find(|r| {
        stored
            .iter()
            .any(|l| l.source_id == r.source_id && l.external_id == r.draft.external_id)
    }) {
        Some(row) => Err(AppError::Conflict {
            code: "already_exists",
            message: format!(
                "line {}: its external_id was stored meanwhile; nothing was imported",
                row.line
            ),
        }),
        None => Ok(()),
    }
}
impl App {
    /// Stores a checked file in one transaction. Refuses the whole file if any row has a
    /// problem, unless `skip_invalid`. `progress` gets the running count of stored rows
    /// after each chunk.
    #[tracing::instrument(name = "commit_import", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn commit_import(
        &self,
        org: &Organization,
        plan: ImportPlan,
        skip_invalid: bool,
        unowned: Unowned,
        reason: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportReport, AppError> {
        if !plan.problems.is_empty() && !skip_invalid {
            let errors = plan
                .problems
                .iter()
                .flat_map(|p| {
                    p.problems.iter().map(move |f| {
                        FieldError::new(format!("line {}: {}", p.line, f.field), f.message.clone())
                    })
                })
                .collect();
            return Err(AppError::Invalid(Invalid(errors)));
        }
        let (imported, routed) = self
            .insert_prepared(org, plan.rows, unowned, reason, progress)
            .await?;
        Ok(ImportReport {
            imported,
            routed,
            skipped: plan.problems,
            already_imported: plan.already_imported.len(),
        })
    }

    /// Stores prepared leads in one transaction, each with its `created` entry; those
    /// without an owner are routed or left in the queue as `unowned` says. Returns how many
    /// were stored and where the rules sent the unowned ones.
    ///
    /// Rows are written [`CHUNK`] at a time with the statements intake batches use: one
    /// INSERT, one routing decision over the chunk in file order (each lead seeing where
    /// the ones before it went), one write of the results and of the status timers.
    #[tracing::instrument(name = "insert_prepared", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn insert_prepared(
        &self,
        org: &Organization,
        rows: Vec<PreparedLead>,
        unowned: Unowned,
        reason: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(usize, Routed), AppError> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let statuses = tx.statuses(org.id).await?;
        let default_status = statuses
            .iter()
            .find(|s| s.is_default)
            .map(Status::to_ref)
            .ok_or_else(|| AppError::Internal(format!("organization {} has no status", org.id)))?;
        let (mut refs, mut expiries) = (HashMap::new(), HashMap::new());
        for s in &statuses {
            refs.insert(s.id, s.to_ref());
            expiries.insert(s.id, tx.status_expiry(org.id, s.id).await?);
        }
        let sources = source_names(&mut tx, org).await?;
        // Read once: nothing else changes the routing setup inside this transaction.
        let setup = match unowned {
            Unowned::Route => Some(self.setup(&mut tx, org.id).await?),
            Unowned::Queue => None,
        };
        let n = rows.len();
        let mut routed = Routed::default();
        let mut done = 0u64;
        for chunk in rows.chunks(CHUNK) {
            refuse_stored_external_ids(&mut tx, org, chunk).await?;
            let news: Vec<NewLead> = chunk
                .iter()
                .map(|row| {
                    row.draft.clone().create(
                        org.id,
                        row.source_id,
                        row.status
                            .and_then(|s| refs.get(&s).cloned())
                            .unwrap_or_else(|| default_status.clone()),
                        row.owner,
                        row.team,
                        Actor::System,
                        Some(reason.to_owned()),
                        row.created_at.unwrap_or(now),
                    )
                })
                .collect();
            let created = tx
                .insert_leads(&news)
                .await
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict { code, message } => AppError::Conflict {
                        code,
                        message: format!(
                            "a row conflicts with a lead stored meanwhile: {message}; nothing was imported"
                        ),
                    },
                    other => other,
                })?;
            let mut after: HashMap<LeadId, Lead> = HashMap::new();
            if let Some(setup) = &setup {
                let unowned: Vec<(&Lead, &str)> = created
                    .iter()
                    .filter(|l| l.owner == Owner::Queue)
                    .map(|l| (l, sources.get(&l.source_id).map_or("", String::as_str)))
                    .collect();
                if !unowned.is_empty() {
                    (after, _) = self
                        .route_new_leads(&mut tx, org.id, setup, &unowned, now)
                        .await?;
                    for lead in after.values() {
                        routed.count(lead.owner);
                    }
                }
            }
            // Each timer counts from the row's own time, for the version routing left.
            let timers: Vec<(&Lead, TimerChanges)> = created
                .iter()
                .zip(chunk)
                .map(|(lead, row)| {
                    let lead = after.get(&lead.id).unwrap_or(lead);
                    let facts = TimerFacts {
                        status_rule: expiries.get(&lead.status.id).and_then(Option::as_ref),
                        ..TimerFacts::default()
                    };
                    let at = row.created_at.unwrap_or(now);
                    (
                        lead,
                        timer_changes(None, lead, EventKind::Created, &facts, at),
                    )
                })
                .collect();
            write_timers(&mut tx, org.id, &timers, now).await?;
            done += chunk.len() as u64;
            progress(done);
        }
        tx.commit().await?;
        self.timers_changed(true);
        metrics::counter!("leadpool_leads_created_total").increment(u64::try_from(n).unwrap_or(0));
        Ok((n, routed))
    }
}
