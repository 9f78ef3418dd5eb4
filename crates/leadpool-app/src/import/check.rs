//! Reading a CSV file of leads and checking it: the header, every row's fields, sources,
//! statuses and owners, external ids already stored or repeated in the file, and rows
//! repeating an earlier row or a stored lead. The file is read a chunk of rows at a time,
//! by `prepare_import` (which writes nothing) and again by `write`, inside its
//! transaction, with the same checks.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;

use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::{
    FieldError, Invalid, LeadId, Owner, SourceId, StatusId, TeamId, Timestamp, UserId,
};
use leadpool_store::Tx;
use leadpool_store::orgs::Organization;
use leadpool_store::sources::Source;
use leadpool_store::users::UserFilter;

use crate::{App, AppError};

use super::columns::{Columns, Target};
use super::duplicates::{Duplicate, Repeats, Seen, contacts};
use super::lines::{Lines, reader};
use super::{CHUNK, ImportOptions, ImportPlan, Listed, PreparedLead, RowProblem};

/// The values of a cell that holds several: separated by `;` or by line breaks (a quoted
/// cell of one value per line, as some CRMs export tags).
fn split_multi(cell: &str) -> Vec<String> {
    cell.split([';', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One row of a file, checked.
pub(super) enum Checked {
    /// Ready to store as a new lead.
    Ready(PreparedLead),
    /// Good, but it repeats an earlier row or a stored lead.
    Duplicate(PreparedLead, Duplicate),
    /// Refused for its problems.
    Refused(RowProblem),
    /// Its external id is already stored for its source: done, whatever else it says.
    Stored {
        line: u64,
        source: SourceId,
        external_id: String,
    },
}

/// A CSV file of leads being read and checked a chunk of rows at a time.
pub(super) struct CheckedFile<R> {
    records: csv::StringRecordsIntoIter<Lines<R>>,
    columns: Columns,
    org_slug: String,
    source: Source,
    now: Timestamp,
    statuses: HashMap<String, StatusId>,
    agents: HashMap<String, (UserId, Option<TeamId>, bool)>,
    /// The organization's sources by lower-cased name, when a column names them.
    sources: HashMap<String, (SourceId, Option<TeamId>)>,
    /// Their names, for a row naming another.
    source_names: String,
    /// Each (source, external id) of the file and the line it first appears on: a few tens
    /// of bytes per distinct external id.
    first_lines: HashMap<(SourceId, String), u64>,
    /// The emails and phones of the good rows so far (see [`Seen`] for its cost).
    pub(super) seen: Seen,
    fingerprint: DefaultHasher,
}

impl<R: Read> CheckedFile<R> {
    /// Reads the header and what rows are checked against (statuses, agents, sources)
    /// through `tx`. Refuses a bad header or a mapping that does not fit it before any row
    /// is read.
    pub(super) async fn open(
        tx: &mut Tx,
        org: &Organization,
        source: &Source,
        options: &ImportOptions,
        input: R,
        now: Timestamp,
    ) -> Result<Self, AppError> {
        let mut reader = reader(input);
        let header = reader
            .headers()
            .map_err(|e| AppError::invalid("line 1", format!("unreadable header: {e}")))?
            .clone();
        let columns = Columns::resolve(&header, &options.columns)?;
        let mut fingerprint = DefaultHasher::new();
        header.iter().for_each(|h| h.hash(&mut fingerprint));
        let statuses = tx
            .statuses(org.id)
            .await?
            .into_iter()
            .map(|s| (s.name.to_lowercase(), s.id))
            .collect();
        let agents = tx
            .users(org.id, &UserFilter::default())
            .await?
            .into_iter()
            .filter(|u| u.role.is_agent())
            .map(|u| (u.email.clone(), (u.id, u.teams.first().copied(), u.active)))
            .collect();
        let (mut sources, mut names) = (HashMap::new(), Vec::new());
        if columns.has(&Target::Source) {
            for s in tx.sources(org.id).await? {
                sources.insert(s.name.to_lowercase(), (s.id, s.team_id));
                names.push(s.name);
            }
        }
        names.sort_unstable();
        Ok(Self {
            records: reader.into_records(),
            columns,
            org_slug: org.slug.clone(),
            source: source.clone(),
            now,
            statuses,
            agents,
            sources,
            source_names: names.join(", "),
            first_lines: HashMap::new(),
            seen: Seen::default(),
            fingerprint,
        })
    }

    /// What each column sets.
    pub(super) fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Checks the next [`CHUNK`] rows (`None` at the end of the file), looking their
    /// external ids, emails and phones up through `tx`, one query each for the chunk.
    pub(super) async fn next_chunk(
        &mut self,
        tx: &mut Tx,
    ) -> Result<Option<Vec<Checked>>, AppError> {
        let mut rows = Vec::with_capacity(CHUNK);
        while rows.len() < CHUNK {
            let Some(record) = self.records.next() else {
                break;
            };
            rows.push(self.check(record));
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let keys: Vec<(SourceId, &str)> = rows
            .iter()
            .filter_map(|(x, _)| x.as_ref().map(|(s, x)| (*s, x.as_str())))
            .collect();
        let stored: HashSet<(SourceId, String)> = tx
            .leads_by_external_ids(self.source.org, &keys)
            .await?
            .into_iter()
            .filter_map(|l| l.external_id.map(|x| (l.source_id, x)))
            .collect();
        let values: Vec<&str> = rows
            .iter()
            .filter_map(|(_, outcome)| outcome.as_ref().ok())
            .flat_map(|row| contacts(&row.draft))
            .collect();
        // The lowest id holding each value: the one an import points to and merges into.
        let mut holders: HashMap<String, LeadId> = HashMap::new();
        for (value, lead) in tx.leads_by_contacts(self.source.org, &values).await? {
            holders.entry(value).or_insert(lead);
        }
        let mut out = Vec::with_capacity(rows.len());
        for (x, outcome) in rows {
            out.push(match (x, outcome) {
                (Some((source, external_id)), outcome)
                    if stored.contains(&(source, external_id.clone())) =>
                {
                    Checked::Stored {
                        line: match &outcome {
                            Ok(row) => row.line,
                            Err(p) => p.line,
                        },
                        source,
                        external_id,
                    }
                }
                (_, Err(p)) => Checked::Refused(p),
                (_, Ok(row)) => self.repeats(row, &holders),
            });
        }
        Ok(Some(out))
    }

    /// A good row as new or as repeating an earlier row (first) or a stored lead; its
    /// emails and phones are seen from here on.
    fn repeats(&mut self, row: PreparedLead, holders: &HashMap<String, LeadId>) -> Checked {
        let values = contacts(&row.draft);
        let repeats = match self.seen.earliest(&values) {
            Some((line, by)) => Some((Repeats::Line(line), by)),
            None => values
                .iter()
                .filter_map(|v| holders.get(*v).map(|lead| (*lead, *v)))
                .min_by_key(|(lead, _)| *lead)
                .map(|(lead, by)| (Repeats::Lead(lead), by)),
        };
        self.seen.note(&values, row.line);
        match repeats {
            None => Checked::Ready(row),
            Some((repeats, by)) => {
                let duplicate = Duplicate {
                    line: row.line,
                    repeats,
                    by: by.to_owned(),
                };
                Checked::Duplicate(row, duplicate)
            }
        }
    }

    /// What the rows read so far held: equal for two readings of the same file.
    pub(super) fn fingerprint(&self) -> u64 {
        self.fingerprint.finish()
    }

    /// The real line of a record the csv reader says starts at `position`.
    fn line(&mut self, position: Option<&csv::Position>) -> u64 {
        let byte = position.map_or(0, csv::Position::byte);
        self.records.reader_mut().get_mut().line_at(byte)
    }

    /// Checks one row; returns it with its source and external id to look up, if it is the
    /// first row with them.
    fn check(
        &mut self,
        record: Result<csv::StringRecord, csv::Error>,
    ) -> (Option<(SourceId, String)>, Result<PreparedLead, RowProblem>) {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = self.line(e.position());
                let message = format!("unreadable: {e}");
                message.hash(&mut self.fingerprint);
                return (
                    None,
                    Err(RowProblem {
                        line,
                        problems: vec![FieldError::new("row", message)],
                    }),
                );
            }
        };
        record
            .iter()
            .for_each(|cell| cell.hash(&mut self.fingerprint));
        let line = self.line(record.position());
        let mut input = LeadInput::default();
        let mut problems = Vec::new();
        let (mut first, mut last) = (None, None);
        let (mut status, mut owner_email, mut created_at, mut source) = (None, None, None, None);
        for (col, cell) in self.columns.0.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let header = col.header.as_str();
            match &col.target {
                Target::Name => input.name = Some(cell.to_owned()),
                Target::FirstName => first = Some(cell),
                Target::LastName => last = Some(cell),
                Target::Emails => input.emails.extend(split_multi(cell)),
                Target::Phones => input.phones.extend(split_multi(cell)),
                Target::Tags => input.tags.extend(split_multi(cell)),
                Target::ExternalId => input.external_id = Some(cell.to_owned()),
                Target::Status => status = Some((header, cell)),
                Target::OwnerEmail => owner_email = Some((header, cell.to_lowercase())),
                Target::CreatedAt => created_at = Some((header, cell)),
                Target::Source => source = Some((header, cell)),
                Target::Field(name) => {
                    let v = cell
                        .parse::<i64>()
                        .map(serde_json::Value::from)
                        .unwrap_or_else(|_| serde_json::Value::from(cell));
                    input.fields.insert(name.clone(), v);
                }
                Target::Skip => {}
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
        let (source_id, source_team) = match source {
            None => (self.source.id, self.source.team_id),
            Some((header, name)) => match self.sources.get(&name.to_lowercase()) {
                Some(found) => *found,
                None => {
                    problems.push(FieldError::new(
                        header,
                        format!(
                            "`{name}` is not a source of {} (its sources: {})",
                            self.org_slug, self.source_names
                        ),
                    ));
                    (self.source.id, self.source.team_id)
                }
            },
        };
        let status_id = status.and_then(|(header, s)| match self.statuses.get(&s.to_lowercase()) {
            Some(id) => Some(*id),
            None => {
                problems.push(FieldError::new(
                    header,
                    format!("`{s}` is not a status of {}", self.org_slug),
                ));
                None
            }
        });
        let (owner, team) = match owner_email {
            None => (Owner::Queue, source_team),
            Some((header, e)) => match self.agents.get(&e) {
                Some((id, team, true)) => (Owner::Agent { user_id: *id }, *team),
                Some((_, _, false)) => {
                    problems.push(FieldError::new(header, format!("{e} is deactivated")));
                    (Owner::Queue, None)
                }
                None => {
                    problems.push(FieldError::new(
                        header,
                        format!("{e} is not an agent of {}", self.org_slug),
                    ));
                    (Owner::Queue, None)
                }
            },
        };
        let created = created_at.and_then(|(header, c)| match Timestamp::parse_rfc3339(c) {
            Some(t) if t <= self.now => Some(t),
            Some(_) => {
                problems.push(FieldError::new(header, format!("`{c}` is in the future")));
                None
            }
            None => {
                problems.push(FieldError::new(
                    header,
                    format!("`{c}` is not a date and time like 2026-03-01T09:30:00Z (RFC 3339)"),
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
            let key = (source_id, x);
            if let Some(first_line) = self.first_lines.get(&key) {
                problems.push(FieldError::new(
                    "external_id",
                    format!("`{}` already appears on line {first_line}", key.1),
                ));
            } else {
                self.first_lines.insert(key.clone(), line);
                lookup = Some(key);
            }
        }
        let outcome = match draft {
            Some(draft) if problems.is_empty() => Ok(PreparedLead {
                line,
                source_id,
                draft,
                status: status_id,
                owner,
                team,
                created_at: created,
            }),
            _ => Err(RowProblem { line, problems }),
        };
        (lookup, outcome)
    }
}

impl App {
    /// Reads and checks a CSV file of leads for `source` without writing anything, keeping
    /// counts, the first problems and duplicates, the external ids and the emails and phones
    /// seen, never the rows: `commit_import` reads the file again. `options` says what the
    /// columns set (refused before any row is read if it does not fit the header) and what
    /// becomes of rows repeating a lead.
    #[tracing::instrument(name = "prepare_import", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn prepare_import(
        &self,
        org: &Organization,
        source: &Source,
        options: &ImportOptions,
        input: impl Read,
    ) -> Result<ImportPlan, AppError> {
        let mut tx = self.store().read().await?;
        let mut file = CheckedFile::open(&mut tx, org, source, options, input, self.now()).await?;
        let mut plan = ImportPlan {
            rows: 0,
            problems: Listed::default(),
            duplicates: Listed::default(),
            already_imported: 0,
            columns: file.columns().clone(),
            source: source.clone(),
            options: options.clone(),
            stored: HashSet::new(),
            fingerprint: 0,
        };
        while let Some(chunk) = file.next_chunk(&mut tx).await? {
            for row in chunk {
                match row {
                    Checked::Ready(_) => plan.rows += 1,
                    Checked::Duplicate(_, d) => plan.duplicates.push(d),
                    Checked::Refused(p) => plan.problems.push(p),
                    Checked::Stored {
                        source,
                        external_id,
                        ..
                    } => {
                        plan.already_imported += 1;
                        plan.stored.insert((source, external_id));
                    }
                }
            }
        }
        tx.commit().await?;
        plan.fingerprint = file.fingerprint();
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_value_cells_split_on_semicolons_and_line_breaks() {
        assert_eq!(
            split_multi(" a@x.com ; ;b@x.com"),
            vec!["a@x.com", "b@x.com"]
        );
        assert_eq!(
            split_multi("buyer\r\nvip\nhot"),
            vec!["buyer", "vip", "hot"]
        );
    }
}
