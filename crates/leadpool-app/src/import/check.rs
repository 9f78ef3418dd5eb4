//! Reading a CSV file of leads and checking it: the header, every row's fields, statuses
//! and owners, and external ids already stored or repeated in the file. The file is read a
//! chunk of rows at a time, by `prepare_import` (which writes nothing) and again by `write`,
//! inside its transaction, with the same checks.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;

use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::{FieldError, Invalid, Owner, SourceId, StatusId, TeamId, Timestamp, UserId};
use leadpool_store::Tx;
use leadpool_store::orgs::Organization;
use leadpool_store::sources::Source;
use leadpool_store::users::UserFilter;

use crate::{App, AppError};

use super::{CHUNK, EXPORT_ONLY, ImportPlan, PreparedLead, RowProblem, RowProblems};

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

/// One row of a file, checked.
pub(super) enum Checked {
    /// Ready to store.
    Ready(PreparedLead),
    /// Refused for its problems.
    Refused(RowProblem),
    /// Its external id is already stored for the source: done, whatever else it says.
    Stored { line: u64, external_id: String },
}

/// A CSV file of leads being read and checked a chunk of rows at a time.
pub(super) struct CheckedFile<R> {
    records: csv::StringRecordsIntoIter<R>,
    cols: Vec<String>,
    org_slug: String,
    source: Source,
    now: Timestamp,
    statuses: HashMap<String, StatusId>,
    agents: HashMap<String, (UserId, Option<TeamId>, bool)>,
    /// Each external id of the file and the line it first appears on. The only thing that
    /// grows with the file: a few tens of bytes per distinct external id.
    first_lines: HashMap<String, u64>,
    fingerprint: DefaultHasher,
}

impl<R: Read> CheckedFile<R> {
    /// Reads the header and what rows are checked against (statuses, agents) through `tx`.
    pub(super) async fn open(
        tx: &mut Tx,
        org: &Organization,
        source: &Source,
        input: R,
        now: Timestamp,
    ) -> Result<Self, AppError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|e| AppError::invalid("line 1", format!("unreadable header: {e}")))?
            .clone();
        let cols = parse_header(&header)?;
        let mut fingerprint = DefaultHasher::new();
        cols.hash(&mut fingerprint);
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
        Ok(Self {
            records: reader.into_records(),
            cols,
            org_slug: org.slug.clone(),
            source: source.clone(),
            now,
            statuses,
            agents,
            first_lines: HashMap::new(),
            fingerprint,
        })
    }

    /// Checks the next [`CHUNK`] rows (`None` at the end of the file), looking their
    /// external ids up through `tx` all at once.
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
            .filter_map(|(x, _)| x.as_deref().map(|x| (self.source.id, x)))
            .collect();
        let stored: HashSet<String> = tx
            .leads_by_external_ids(self.source.org, &keys)
            .await?
            .into_iter()
            .filter_map(|l| l.external_id)
            .collect();
        Ok(Some(
            rows.into_iter()
                .map(|(x, outcome)| match x {
                    Some(external_id) if stored.contains(&external_id) => Checked::Stored {
                        line: match &outcome {
                            Ok(row) => row.line,
                            Err(p) => p.line,
                        },
                        external_id,
                    },
                    _ => match outcome {
                        Ok(row) => Checked::Ready(row),
                        Err(p) => Checked::Refused(p),
                    },
                })
                .collect(),
        ))
    }

    /// What the rows read so far held: equal for two readings of the same file.
    pub(super) fn fingerprint(&self) -> u64 {
        self.fingerprint.finish()
    }

    /// Checks one row; returns it with its external id to look up, if it is the first row
    /// with that id.
    fn check(
        &mut self,
        record: Result<csv::StringRecord, csv::Error>,
    ) -> (Option<String>, Result<PreparedLead, RowProblem>) {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
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
        let line = record.position().map_or(0, csv::Position::line);
        let mut input = LeadInput::default();
        let mut problems = Vec::new();
        let (mut first, mut last, mut status, mut owner_email, mut created_at) =
            (None, None, None, None, None);
        for (col, cell) in self.cols.iter().zip(record.iter()) {
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
        let status_id = status.and_then(|s| match self.statuses.get(&s.to_lowercase()) {
            Some(id) => Some(*id),
            None => {
                problems.push(FieldError::new(
                    "status",
                    format!("`{s}` is not a status of {}", self.org_slug),
                ));
                None
            }
        });
        let (owner, team) = match owner_email.as_deref() {
            None => (Owner::Queue, self.source.team_id),
            Some(e) => match self.agents.get(e) {
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
                        format!("{e} is not an agent of {}", self.org_slug),
                    ));
                    (Owner::Queue, None)
                }
            },
        };
        let created = created_at.and_then(|c| match Timestamp::parse_rfc3339(c) {
            Some(t) if t <= self.now => Some(t),
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
            if let Some(first_line) = self.first_lines.get(&x) {
                problems.push(FieldError::new(
                    "external_id",
                    format!("`{x}` already appears on line {first_line}"),
                ));
            } else {
                self.first_lines.insert(x.clone(), line);
                lookup = Some(x);
            }
        }
        let outcome = match draft {
            Some(draft) if problems.is_empty() => Ok(PreparedLead {
                line,
                source_id: self.source.id,
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
    /// counts, the first problems and the external ids, never the rows: `commit_import`
    /// reads the file again.
    #[tracing::instrument(name = "prepare_import", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn prepare_import(
        &self,
        org: &Organization,
        source: &Source,
        input: impl Read,
    ) -> Result<ImportPlan, AppError> {
        let mut tx = self.store().read().await?;
        let mut file = CheckedFile::open(&mut tx, org, source, input, self.now()).await?;
        let mut plan = ImportPlan {
            rows: 0,
            problems: RowProblems::default(),
            already_imported: 0,
            source: source.clone(),
            stored: HashSet::new(),
            fingerprint: 0,
        };
        while let Some(chunk) = file.next_chunk(&mut tx).await? {
            for row in chunk {
                match row {
                    Checked::Ready(_) => plan.rows += 1,
                    Checked::Refused(p) => plan.problems.push(p),
                    Checked::Stored { external_id, .. } => {
                        plan.already_imported += 1;
                        plan.stored.insert(external_id);
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
