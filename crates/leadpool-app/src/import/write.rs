//! Storing leads: a checked file, read again and written a chunk at a time (refused whole
//! if a row has a problem, unless bad rows are skipped), and prepared leads in chunks; each
//! chunk inserted, routed and given its timers, and its repeating rows merged, in the one
//! transaction.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use leadpool_domain::lead::{LeadPatch, NewLead, StatusRef, Transition};
use leadpool_domain::timer::{StatusExpiry, TimerChanges, TimerFacts, timer_changes};
use leadpool_domain::{
    Actor, EventKind, FieldError, Invalid, Lead, LeadId, Owner, SourceId, StatusId, Timestamp,
};
use leadpool_store::Tx;
use leadpool_store::orgs::Organization;
use leadpool_store::statuses::Status;

use crate::setup::Setup;
use crate::transitions::{Step, write_timers};
use crate::{App, AppError};

use super::check::{Checked, CheckedFile};
use super::duplicates::{Duplicate, Duplicates, Repeats, Seen, contacts};
use super::{
    CHUNK, ImportPlan, ImportReport, PreparedLead, Routed, RowProblem, Unowned, source_names,
};

/// Every bad row's problems, one per field, named by line.
fn refusal(problems: &[RowProblem]) -> AppError {
    AppError::Invalid(Invalid(
        problems
            .iter()
            .flat_map(|p| {
                p.problems.iter().map(move |f| {
                    FieldError::new(format!("line {}: {}", p.line, f.field), f.message.clone())
                })
            })
            .collect(),
    ))
}

/// The patch that makes `before` into `merged`, a lead that only gained emails, phones,
/// tags and custom fields.
fn added(before: &Lead, merged: &Lead) -> LeadPatch {
    let fields: serde_json::Map<String, serde_json::Value> = merged
        .fields
        .as_map()
        .iter()
        .filter(|(k, _)| !before.fields.as_map().contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    LeadPatch {
        name: None,
        emails: (merged.emails != before.emails).then(|| merged.emails.clone()),
        phones: (merged.phones != before.phones).then(|| merged.phones.clone()),
        tags: (merged.tags != before.tags).then(|| merged.tags.clone()),
        fields: (!fields.is_empty()).then_some(fields),
        status: None,
    }
}

/// What writing leads needs from the organization, read once per transaction: nothing else
/// changes it inside the transaction.
struct Writing {
    now: Timestamp,
    default_status: StatusRef,
    refs: HashMap<StatusId, StatusRef>,
    expiries: HashMap<StatusId, Option<StatusExpiry>>,
    sources: HashMap<SourceId, String>,
    setup: Option<Arc<Setup>>,
}

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
        Some(row) => Err(stored_meanwhile(row.line)),
        None => Ok(()),
    }
}

/// The refusal of a row whose external id a lead of its source took after the check.
fn stored_meanwhile(line: u64) -> AppError {
    AppError::Conflict {
        code: "already_exists",
        message: format!("line {line}: its external_id was stored meanwhile; nothing was imported"),
    }
}

impl App {
    /// Stores a checked file in one transaction, reading `input` (the file `plan` was made
    /// from) again from the start and checking each row again inside the transaction.
    /// Refuses the whole file if any row has a problem, unless `skip_invalid`; refuses it if
    /// it is not the file checked, or a row's external id was stored since. `progress` gets
    /// the running count of stored rows after each chunk.
    ///
    /// Only a chunk of rows is held at a time. All of them go into ONE transaction rather
    /// than one per chunk, so a refusal or a crash at any row leaves nothing of the file
    /// stored: the cost is one long write transaction, which an import is anyway.
    #[allow(
        clippy::too_many_arguments,
        reason = "the file is read again here, so it comes in beside the plan made from it"
    )]
    #[tracing::instrument(name = "commit_import", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn commit_import(
        &self,
        org: &Organization,
        plan: ImportPlan,
        input: impl Read,
        skip_invalid: bool,
        unowned: Unowned,
        reason: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportReport, AppError> {
        if !plan.problems.is_empty() && !skip_invalid {
            return Err(refusal(&plan.problems.first));
        }
        let mut tx = self.store().write().await?;
        let writing = self.writing(&mut tx, org, unowned).await?;
        let mut file = CheckedFile::open(
            &mut tx,
            org,
            &plan.source,
            &plan.options,
            input,
            writing.now,
        )
        .await?;
        let mut report = ImportReport {
            columns: plan.columns.clone(),
            ..ImportReport::default()
        };
        let merge = plan.options.duplicates == Duplicates::Merge;
        while let Some(chunk) = file.next_chunk(&mut tx).await? {
            let mut ready = Vec::with_capacity(chunk.len());
            let mut repeating = Vec::new();
            for row in chunk {
                match row {
                    Checked::Ready(row) => ready.push(row),
                    Checked::Duplicate(row, d) => {
                        if merge {
                            repeating.push((row, d.clone()));
                        }
                        report.duplicates.push(d);
                    }
                    Checked::Refused(p) if skip_invalid => report.skipped.push(p),
                    // The check passed every row; the file or the organization changed since
                    // (a row edited, a status renamed, an agent deactivated).
                    Checked::Refused(p) => return Err(refusal(&[p])),
                    Checked::Stored {
                        source,
                        external_id,
                        ..
                    } if plan.stored.contains(&(source, external_id.clone())) => {
                        report.already_imported += 1;
                    }
                    Checked::Stored { line, .. } => return Err(stored_meanwhile(line)),
                }
            }
            let ids = self
                .write_chunk(&mut tx, org, &writing, &ready, reason, &mut report.routed)
                .await?;
            for (row, id) in ready.iter().zip(ids) {
                file.seen.settle(&contacts(&row.draft), row.line, id);
            }
            report.merged_into += self
                .merge_chunk(
                    &mut tx,
                    org,
                    &mut file.seen,
                    &repeating,
                    reason,
                    writing.now,
                )
                .await?;
            report.imported += ready.len();
            progress(u64::try_from(report.imported + report.duplicates.count).unwrap_or(u64::MAX));
        }
        if file.fingerprint() != plan.fingerprint {
            return Err(AppError::Conflict {
                code: "file_changed",
                message: "the file changed after it was checked; nothing was imported".into(),
            });
        }
        tx.commit().await?;
        self.timers_changed(true);
        metrics::counter!("leadpool_leads_created_total")
            .increment(u64::try_from(report.imported).unwrap_or(0));
        Ok(report)
    }

    /// Stores prepared leads in one transaction, each with its `created` entry; those
    /// without an owner are routed or left in the queue as `unowned` says. Returns how many
    /// were stored and where the rules sent the unowned ones.
    #[tracing::instrument(name = "insert_prepared", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn insert_prepared(
        &self,
        org: &Organization,
        rows: Vec<PreparedLead>,
        unowned: Unowned,
        reason: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(usize, Routed), AppError> {
        let mut tx = self.store().write().await?;
        let writing = self.writing(&mut tx, org, unowned).await?;
        let mut routed = Routed::default();
        let mut done = 0u64;
        for chunk in rows.chunks(CHUNK) {
            refuse_stored_external_ids(&mut tx, org, chunk).await?;
            self.write_chunk(&mut tx, org, &writing, chunk, reason, &mut routed)
                .await?;
            done += chunk.len() as u64;
            progress(done);
        }
        tx.commit().await?;
        self.timers_changed(true);
        metrics::counter!("leadpool_leads_created_total")
            .increment(u64::try_from(rows.len()).unwrap_or(0));
        Ok((rows.len(), routed))
    }

    /// Reads what writing leads into `org` needs.
    async fn writing(
        &self,
        tx: &mut Tx,
        org: &Organization,
        unowned: Unowned,
    ) -> Result<Writing, AppError> {
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
        let sources = source_names(tx, org).await?;
        let setup = match unowned {
            Unowned::Route => Some(self.setup(tx, org.id).await?),
            Unowned::Queue => None,
        };
        Ok(Writing {
            now: self.now(),
            default_status,
            refs,
            expiries,
            sources,
            setup,
        })
    }

    /// Writes one chunk of prepared leads with the statements intake batches use: one
    /// INSERT, one routing decision over the chunk in file order (each lead seeing where the
    /// ones before it went), one write of the results and of the status timers. Returns the
    /// new leads' ids in the chunk's order.
    async fn write_chunk(
        &self,
        tx: &mut Tx,
        org: &Organization,
        w: &Writing,
        chunk: &[PreparedLead],
        reason: &str,
        routed: &mut Routed,
    ) -> Result<Vec<LeadId>, AppError> {
        if chunk.is_empty() {
            return Ok(Vec::new());
        }
        let news: Vec<NewLead> = chunk
            .iter()
            .map(|row| {
                let mut new = row.draft.clone().create(
                    org.id,
                    row.source_id,
                    row.status
                        .and_then(|s| w.refs.get(&s).cloned())
                        .unwrap_or_else(|| w.default_status.clone()),
                    row.owner,
                    row.team,
                    Actor::System,
                    Some(reason.to_owned()),
                    row.created_at.unwrap_or(w.now),
                );
                // A lead that came in long ago enters the queue now: the queue's order is
                // when leads started waiting there.
                new.lead.queued_at = new.lead.queued_at.map(|_| w.now);
                new
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
        if let Some(setup) = &w.setup {
            let unowned: Vec<(&Lead, &str)> = created
                .iter()
                .filter(|l| l.owner == Owner::Queue)
                .map(|l| (l, w.sources.get(&l.source_id).map_or("", String::as_str)))
                .collect();
            if !unowned.is_empty() {
                (after, _) = self
                    .route_new_leads(tx, org.id, setup, &unowned, w.now)
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
                    status_rule: w.expiries.get(&lead.status.id).and_then(Option::as_ref),
                    ..TimerFacts::default()
                };
                let at = row.created_at.unwrap_or(w.now);
                (
                    lead,
                    timer_changes(None, lead, EventKind::Created, &facts, at),
                )
            })
            .collect();
        write_timers(tx, org.id, &timers, w.now).await?;
        Ok(created.iter().map(|l| l.id).collect())
    }

    /// Merges a chunk's repeating rows, in file order, each into the lead it repeats: a
    /// stored one, or the one the earlier row went into (noted in `seen` as rows are
    /// written). One read of those leads, and one write of each changed lead with a timeline
    /// entry naming the lines merged. Returns how many leads changed.
    async fn merge_chunk(
        &self,
        tx: &mut Tx,
        org: &Organization,
        seen: &mut Seen,
        rows: &[(PreparedLead, Duplicate)],
        reason: &str,
        now: Timestamp,
    ) -> Result<usize, AppError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let mut targets = Vec::with_capacity(rows.len());
        for (row, d) in rows {
            let target = match d.repeats {
                Repeats::Lead(id) => Some(id),
                Repeats::Line(_) => seen.lead_of(&d.by),
            }
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "line {}: the lead it repeats was not written",
                    row.line
                ))
            })?;
            seen.settle(&contacts(&row.draft), row.line, target);
            targets.push(target);
        }
        let mut ids = targets.clone();
        ids.sort_unstable();
        ids.dedup();
        let before: HashMap<LeadId, Lead> = tx
            .leads_by_ids(org.id, &ids, true)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let mut after: HashMap<LeadId, (Lead, Vec<u64>)> = HashMap::new();
        for ((row, _), target) in rows.iter().zip(&targets) {
            let lead = match after.remove(target) {
                Some(merged) => merged,
                None => (
                    before.get(target).cloned().ok_or_else(|| {
                        AppError::Internal(format!("line {}: lead {target} is gone", row.line))
                    })?,
                    Vec::new(),
                ),
            };
            let (current, mut lines) = lead;
            let next = current
                .apply(&current.absorb(&row.draft), Actor::System, None, now)?
                .map_or(current, |t| t.lead);
            lines.push(row.line);
            after.insert(*target, (next, lines));
        }
        let transitions: Vec<(&Lead, Transition)> = ids
            .iter()
            .filter_map(|id| {
                let (merged, lines) = after.get(id)?;
                let old = before.get(id)?;
                let lines: Vec<String> = lines.iter().map(u64::to_string).collect();
                let why = format!("{reason}: merged from line {}", lines.join(", "));
                old.apply(&added(old, merged), Actor::System, Some(why), now)
                    .transpose()
                    .map(|t| t.map(|t| (old, t)))
            })
            .collect::<Result<_, _>>()?;
        let steps: Vec<Step<'_>> = transitions
            .iter()
            .map(|(old, t)| Step::plain(old, t))
            .collect();
        self.write_locked(tx, org.id, &steps, now).await?;
        Ok(steps.len())
    }
}
