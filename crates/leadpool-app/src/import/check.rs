//! Reading a CSV file of leads and checking it whole: the header, every row's fields,
//! statuses and owners, and external ids already stored or repeated in the file. Nothing is
//! written; the plan it returns is what `write` stores.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;

use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::{FieldError, Invalid, Owner, SourceId, StatusId, TeamId, Timestamp};
use leadpool_store::orgs::Organization;
use leadpool_store::sources::Source;
use leadpool_store::users::UserFilter;

use crate::{App, AppError};

use super::{EXPORT_ONLY, ImportPlan, PreparedLead, RowProblem};

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
