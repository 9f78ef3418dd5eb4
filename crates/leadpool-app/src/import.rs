//! CSV import and export, and bulk loading of prepared leads (import and demo data).
//!
//! An import is checked whole before anything is written, then written in ONE transaction:
//! a file with a bad row is refused with every bad row listed by line, or, with
//! `skip_invalid`, its good rows are imported and each skipped row is reported. Nothing is
//! ever half-imported.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{Read, Write};

use leadpool_domain::lead::{LeadDraft, LeadInput, NewLead};
use leadpool_domain::timer::{TimerChanges, TimerFacts, timer_changes};
use leadpool_domain::{
    Actor, EventKind, FieldError, Invalid, Lead, LeadId, Owner, SourceId, StatusId, TeamId,
    Timestamp, Visibility,
};
use leadpool_store::Tx;
use leadpool_store::leads::{After, LeadFilter, LeadSort};
use leadpool_store::orgs::Organization;
use leadpool_store::sources::Source;
use leadpool_store::statuses::Status;
use leadpool_store::users::UserFilter;

use crate::transitions::write_timers;
use crate::{App, AppError};

/// Columns with a meaning of their own; any other column is a custom field.
const KNOWN: &[&str] = &[
    "name",
    "first_name",
    "last_name",
    "email",
    "emails",
    "phone",
    "phones",
    "tags",
    "status",
    "external_id",
    "owner_email",
    "created_at",
];
/// Columns `export` writes that `import` reads past (they describe, not set).
const EXPORT_ONLY: &[&str] = &["id", "source", "owner", "team_id", "updated_at"];

/// A lead checked and ready to store.
#[derive(Debug, Clone)]
pub struct PreparedLead {
    /// Where it came from (a line number for imports).
    pub line: u64,
    /// Its source.
    pub source_id: SourceId,
    /// Its contents.
    pub draft: LeadDraft,
    /// Its status; `None`: the organization's default.
    pub status: Option<StatusId>,
    /// Who holds it.
    pub owner: Owner,
    /// The team whose scope it is in.
    pub team: Option<TeamId>,
    /// When it came in, if earlier than now.
    pub created_at: Option<Timestamp>,
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The file's line number (1 is the header).
    pub line: u64,
    /// What is wrong with it.
    pub problems: Vec<FieldError>,
}

/// A checked file.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// Rows ready to store.
    pub rows: Vec<PreparedLead>,
    /// Rows with problems.
    pub problems: Vec<RowProblem>,
    /// Rows whose external id is already stored for this source (nothing to do).
    pub already_imported: Vec<u64>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Leads stored.
    pub imported: usize,
    /// Where the routing rules sent the stored leads that came without an owner.
    pub routed: Routed,
    /// Rows skipped for problems (only with `skip_invalid`).
    pub skipped: Vec<RowProblem>,
    /// Rows already imported before.
    pub already_imported: usize,
}

/// What happens to imported leads that come without an owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unowned {
    /// They go through the routing rules, as leads from the intake API do.
    #[default]
    Route,
    /// They wait in the manual assignment queue: a backlog of old leads moved from another
    /// system should not flood agents with offers.
    Queue,
}

/// Where the routing rules sent leads that arrived without an owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Routed {
    /// Handed straight to an agent.
    pub to_agents: usize,
    /// Offered, waiting for an agent to accept.
    pub offered: usize,
    /// Sent to a pool.
    pub to_pools: usize,
    /// Left in the manual assignment queue (no rule matched, or the rule says so).
    pub to_queue: usize,
}

impl Routed {
    fn count(&mut self, owner: Owner) {
        match owner {
            Owner::Agent { .. } => self.to_agents += 1,
            Owner::Offer { .. } => self.offered += 1,
            Owner::Pool { .. } => self.to_pools += 1,
            Owner::Queue => self.to_queue += 1,
        }
    }

    /// How many leads were routed.
    pub fn total(&self) -> usize {
        self.to_agents + self.offered + self.to_pools + self.to_queue
    }
}

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

/// The organization's sources by id, named.
async fn source_names(
    tx: &mut leadpool_store::Tx,
    org: &Organization,
) -> Result<HashMap<SourceId, String>, AppError> {
    Ok(tx
        .sources(org.id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

fn split_multi(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn field_key(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Checks a file's header: names must be distinct and say how to reach the person.
fn parse_header(h: &csv::StringRecord) -> Result<Vec<String>, AppError> {
    let cols: Vec<String> = h.iter().map(field_key).collect();
    let mut seen = BTreeSet::new();
    for c in &cols {
        if c.is_empty() {
            return Err(AppError::invalid("line 1", "a column has no name"));
        }
        if !seen.insert(c.as_str()) {
            return Err(AppError::invalid(
                "line 1",
                format!("the column `{c}` appears twice"),
            ));
        }
    }
    if !cols.iter().any(|c| {
        matches!(
            c.as_str(),
            "name" | "first_name" | "last_name" | "email" | "emails" | "phone" | "phones"
        )
    }) {
        return Err(AppError::invalid(
            "line 1",
            "the header needs a name, first_name, email or phone column",
        ));
    }
    Ok(cols)
}

impl App {
    /// Reads and checks a CSV file of leads for `source` without writing anything.
    #[tracing::instrument(name = "prepare_import", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn prepare_import(
        &self,
        org: &Organization,
        source: &Source,
        input: impl Read,
    ) -> Result<ImportPlan, AppError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|e| AppError::invalid("line 1", format!("unreadable header: {e}")))?
            .clone();
        let cols = parse_header(&header)?;
        let mut tx = self.store().read().await?;
        let statuses: HashMap<String, StatusId> = tx
            .statuses(org.id)
            .await?
            .into_iter()
            .map(|s| (s.name.to_lowercase(), s.id))
            .collect();
        let agents: HashMap<String, (leadpool_domain::UserId, Option<TeamId>, bool)> = tx
            .users(org.id, &UserFilter::default())
            .await?
            .into_iter()
            .filter(|u| u.role.is_agent())
            .map(|u| (u.email.clone(), (u.id, u.teams.first().copied(), u.active)))
            .collect();
        // Each row's outcome in file order, with the external id to look up: all of them
        // at once after the file is read.
        let mut checked: Vec<(Option<String>, Result<PreparedLead, RowProblem>)> = Vec::new();
        let mut external_ids: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    checked.push((
                        None,
                        Err(RowProblem {
                            line,
                            problems: vec![FieldError::new("row", format!("unreadable: {e}"))],
                        }),
                    ));
                    continue;
                }
            };
            let line = record.position().map_or(0, csv::Position::line);
            let mut input = LeadInput::default();
            let mut problems = Vec::new();
            let (mut first, mut last, mut status, mut owner_email, mut created_at) =
                (None, None, None, None, None);
            for (col, cell) in cols.iter().zip(record.iter()) {
                if cell.is_empty() || EXPORT_ONLY.contains(&col.as_str()) {
                    continue;
                }
                match col.as_str() {
                    "name" => input.name = Some(cell.to_owned()),
                    "first_name" => first = Some(cell),
                    "last_name" => last = Some(cell),
                    "email" | "emails" => input.emails.extend(split_multi(cell)),
                    "phone" | "phones" => input.phones.extend(split_multi(cell)),
                    "tags" => input.tags = split_multi(cell),
                    "external_id" => input.external_id = Some(cell.to_owned()),
                    "status" => status = Some(cell),
                    "owner_email" => owner_email = Some(cell.to_lowercase()),
                    "created_at" => created_at = Some(cell),
                    other => {
                        let v = cell
                            .parse::<i64>()
                            .map(serde_json::Value::from)
                            .unwrap_or_else(|_| serde_json::Value::from(cell));
                        input.fields.insert(other.to_owned(), v);
                    }
                }
            }
            if input.name.is_none() && (first.is_some() || last.is_some()) {
                input.name = Some(
                    [first, last]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            let status_id = status.and_then(|s| match statuses.get(&s.to_lowercase()) {
                Some(id) => Some(*id),
                None => {
                    problems.push(FieldError::new(
                        "status",
                        format!("`{s}` is not a status of {}", org.slug),
                    ));
                    None
                }
            });
            let (owner, team) = match owner_email.as_deref() {
                None => (Owner::Queue, source.team_id),
                Some(e) => match agents.get(e) {
                    Some((id, team, true)) => (Owner::Agent { user_id: *id }, *team),
                    Some((_, _, false)) => {
                        problems.push(FieldError::new(
                            "owner_email",
                            format!("{e} is deactivated"),
                        ));
                        (Owner::Queue, None)
                    }
                    None => {
                        problems.push(FieldError::new(
                            "owner_email",
                            format!("{e} is not an agent of {}", org.slug),
                        ));
                        (Owner::Queue, None)
                    }
                },
            };
            let created = created_at.and_then(|c| match Timestamp::parse_rfc3339(c) {
                Some(t) if t <= self.now() => Some(t),
                Some(_) => {
                    problems.push(FieldError::new("created_at", "is in the future"));
                    None
                }
                None => {
                    problems.push(FieldError::new(
                        "created_at",
                        format!("`{c}` is not an RFC 3339 time like 2026-03-01T09:30:00Z"),
                    ));
                    None
                }
            });
            let draft = match LeadDraft::parse(input) {
                Ok(d) => Some(d),
                Err(Invalid(errs)) => {
                    problems.extend(errs);
                    None
                }
            };
            let mut lookup = None;
            if let Some(x) = draft.as_ref().and_then(|d| d.external_id.clone()) {
                if let Some(first_line) = external_ids.get(&x) {
                    problems.push(FieldError::new(
                        "external_id",
                        format!("`{x}` already appears on line {first_line}"),
                    ));
                } else {
                    external_ids.insert(x.clone(), line);
                    lookup = Some(x);
                }
            }
            let outcome = match draft {
                Some(draft) if problems.is_empty() => Ok(PreparedLead {
                    line,
                    source_id: source.id,
                    draft,
                    status: status_id,
                    owner,
                    team,
                    created_at: created,
                }),
                _ => Err(RowProblem { line, problems }),
            };
            checked.push((lookup, outcome));
        }
        let keys: Vec<(SourceId, &str)> = checked
            .iter()
            .filter_map(|(x, _)| x.as_deref().map(|x| (source.id, x)))
            .collect();
        let stored: HashSet<String> = tx
            .leads_by_external_ids(org.id, &keys)
            .await?
            .into_iter()
            .filter_map(|l| l.external_id)
            .collect();
        tx.commit().await?;
        let mut plan = ImportPlan {
            rows: Vec::new(),
            problems: Vec::new(),
            already_imported: Vec::new(),
        };
        for (x, outcome) in checked {
            // A row already stored is done, whatever else it says.
            if x.is_some_and(|x| stored.contains(&x)) {
                plan.already_imported.push(match &outcome {
                    Ok(row) => row.line,
                    Err(p) => p.line,
                });
                continue;
            }
            match outcome {
                Ok(row) => plan.rows.push(row),
                Err(p) => plan.problems.push(p),
            }
        }
        Ok(plan)
    }

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

    /// Writes every lead of the organization as CSV (the columns `prepare_import` reads,
    /// plus descriptive ones); returns how many. `progress` gets the running count.
    #[tracing::instrument(name = "export_leads", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn export_leads(
        &self,
        org: &Organization,
        out: impl Write,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, AppError> {
        let mut tx = self.store().read().await?;
        let sources = source_names(&mut tx, org).await?;
        let users: HashMap<_, String> = tx
            .users(org.id, &UserFilter::default())
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        let pools: HashMap<_, String> = tx
            .pools(org.id)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let mut all = Vec::new();
        let mut after: Option<After> = None;
        loop {
            let page = tx
                .leads(
                    org.id,
                    &Visibility::Organization,
                    &LeadFilter::default(),
                    LeadSort::CreatedAsc,
                    after.as_ref(),
                    1000,
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(After::from_lead(last, LeadSort::CreatedAsc));
            all.extend(page);
        }
        tx.commit().await?;
        let field_names: BTreeSet<String> = all
            .iter()
            .flat_map(|l| l.fields.as_map().keys().cloned())
            .filter(|k| !KNOWN.contains(&k.as_str()) && !EXPORT_ONLY.contains(&k.as_str()))
            .collect();
        let io = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec![
            "id",
            "name",
            "emails",
            "phones",
            "status",
            "source",
            "owner",
            "owner_email",
            "team_id",
            "tags",
            "external_id",
            "created_at",
            "updated_at",
        ];
        header.extend(field_names.iter().map(String::as_str));
        w.write_record(&header).map_err(io)?;
        for (i, l) in all.iter().enumerate() {
            let join = |v: Vec<&str>| v.join(";");
            let (owner, owner_email) = match l.owner {
                Owner::Agent { user_id } => (
                    "agent".to_owned(),
                    users.get(&user_id).cloned().unwrap_or_default(),
                ),
                Owner::Pool { pool_id } => (
                    format!("pool:{}", pools.get(&pool_id).cloned().unwrap_or_default()),
                    String::new(),
                ),
                Owner::Queue => ("queue".to_owned(), String::new()),
                Owner::Offer { offer_id } => (format!("offer:{offer_id}"), String::new()),
            };
            let mut rec = vec![
                l.id.to_string(),
                l.name
                    .as_ref()
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
                join(l.emails.iter().map(|e| e.as_str()).collect()),
                join(l.phones.iter().map(|p| p.as_str()).collect()),
                l.status.name.clone(),
                sources.get(&l.source_id).cloned().unwrap_or_default(),
                owner,
                owner_email,
                l.team_id.map(|t| t.to_string()).unwrap_or_default(),
                join(l.tags.iter().map(|t| t.as_str()).collect()),
                l.external_id.clone().unwrap_or_default(),
                l.created_at.to_string(),
                l.updated_at.to_string(),
            ];
            rec.extend(
                field_names
                    .iter()
                    .map(|k| l.fields.text(k).unwrap_or_default()),
            );
            w.write_record(&rec).map_err(io)?;
            progress(u64::try_from(i).unwrap_or(0) + 1);
        }
        w.flush()
            .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
        Ok(u64::try_from(all.len()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_without_any_contact_column_is_refused() {
        let h = csv::StringRecord::from(vec!["budget", "area"]);
        assert!(parse_header(&h).is_err());
        let h = csv::StringRecord::from(vec!["Name", "E-mail", "name"]);
        assert_eq!(
            parse_header(&h).err().map(|e| e.to_string()),
            Some("line 1: the column `name` appears twice".into())
        );
    }

    #[test]
    fn multi_value_cells_split_on_semicolons() {
        assert_eq!(
            split_multi(" a@x.com ; ;b@x.com"),
            vec!["a@x.com", "b@x.com"]
        );
    }
}
