//! What each column of an import file sets: a lead's field, a custom field, or nothing.
//! A header is matched, case and punctuation aside, against a caller's mapping first
//! (`--map "Stage=status"`), then against [`DEFAULTS`], the headers other CRMs' exports
//! use; any other column becomes a custom field named after its header. The columns used
//! for nothing are named in the plan and the report, so no column is dropped unseen.

use std::collections::BTreeSet;
use std::fmt;

use crate::AppError;

/// A field of a lead that a column can set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The whole name.
    Name,
    /// The first name (joined with the last name when there is no name column).
    FirstName,
    /// The last name.
    LastName,
    /// Email addresses, several separated by `;`.
    Emails,
    /// Phone numbers, several separated by `;`.
    Phones,
    /// Tags, several separated by `;`.
    Tags,
    /// A status name of the organization.
    Status,
    /// The source's own id of the lead.
    ExternalId,
    /// The email of the agent who holds the lead.
    OwnerEmail,
    /// When the lead came in: an RFC 3339 time.
    CreatedAt,
    /// A source name of the organization, instead of the import's source.
    Source,
    /// A custom field of this name.
    Field(String),
    /// Nothing: the column is read past.
    Skip,
}

/// The targets by the names a mapping uses, besides `fields.NAME`.
const NAMED: &[(&str, Target)] = &[
    ("name", Target::Name),
    ("first_name", Target::FirstName),
    ("last_name", Target::LastName),
    ("email", Target::Emails),
    ("emails", Target::Emails),
    ("phone", Target::Phones),
    ("phones", Target::Phones),
    ("tags", Target::Tags),
    ("status", Target::Status),
    ("external_id", Target::ExternalId),
    ("owner_email", Target::OwnerEmail),
    ("created_at", Target::CreatedAt),
    ("source", Target::Source),
    ("skip", Target::Skip),
];

/// Headers other CRMs' exports use, by their [`key`], and what they set. Besides these, a
/// header that is a target's own name sets that target (`emails`, `owner_email`). `id`,
/// `owner`, `team_id` and `updated_at` are columns `leadpool export` writes to describe a
/// lead; an import reads past them.
pub const DEFAULTS: &[(&str, Target)] = &[
    ("full_name", Target::Name),
    ("contact_name", Target::Name),
    ("lead_name", Target::Name),
    ("firstname", Target::FirstName),
    ("given_name", Target::FirstName),
    ("lastname", Target::LastName),
    ("surname", Target::LastName),
    ("family_name", Target::LastName),
    ("email_address", Target::Emails),
    ("e_mail", Target::Emails),
    ("primary_email", Target::Emails),
    ("phone_number", Target::Phones),
    ("mobile", Target::Phones),
    ("mobile_phone", Target::Phones),
    ("cell", Target::Phones),
    ("cell_phone", Target::Phones),
    ("telephone", Target::Phones),
    ("tag", Target::Tags),
    ("labels", Target::Tags),
    ("stage", Target::Status),
    ("lead_status", Target::Status),
    ("lead_stage", Target::Status),
    ("lead_id", Target::ExternalId),
    ("assigned_to", Target::OwnerEmail),
    ("assigned_to_email", Target::OwnerEmail),
    ("agent_email", Target::OwnerEmail),
    ("created", Target::CreatedAt),
    ("created_on", Target::CreatedAt),
    ("created_date", Target::CreatedAt),
    ("date_created", Target::CreatedAt),
    ("lead_source", Target::Source),
    ("id", Target::Skip),
    ("owner", Target::Skip),
    ("team_id", Target::Skip),
    ("updated_at", Target::Skip),
];

impl Target {
    /// Parses a mapping's target: a name of [`NAMED`] or `fields.NAME`.
    fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some(name) = t.strip_prefix("fields.") {
            let name = key(name);
            if name.is_empty() {
                return Err(format!("`{t}` names no custom field"));
            }
            return Ok(Self::Field(name));
        }
        NAMED
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map(|(_, target)| target.clone())
            .ok_or_else(|| {
                format!(
                    "`{t}` is not a field; map a column to one of {}, fields.NAME (a custom \
                     field) or skip",
                    NAMED
                        .iter()
                        .filter(|(_, t)| *t != Self::Skip)
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// Whether several columns may set it (their values add up).
    fn takes_many(&self) -> bool {
        matches!(self, Self::Emails | Self::Phones | Self::Tags | Self::Skip)
    }

    /// Whether it says how to reach the person, which every file needs one column for.
    fn reaches(&self) -> bool {
        matches!(
            self,
            Self::Name | Self::FirstName | Self::LastName | Self::Emails | Self::Phones
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field(name) => write!(f, "fields.{name}"),
            other => {
                let name = NAMED
                    .iter()
                    .rev()
                    .find(|(_, t)| t == other)
                    .map_or("skip", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

/// A header or a mapping's column name as it is compared: trimmed, lower-cased, every
/// character but ASCII letters and digits made `_` (`E-mail` is `e_mail`). It is also a
/// custom field's name.
pub(super) fn key(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// What a header sets without a mapping: `fields.NAME` a custom field, a target's own name
/// that target, a header of [`DEFAULTS`] what it says, any other a custom field named
/// after it.
fn known(header: &str) -> Target {
    const PREFIX: &str = "fields.";
    let trimmed = header.trim();
    if let Some(name) = trimmed.get(PREFIX.len()..)
        && !name.is_empty()
        && trimmed[..PREFIX.len()].eq_ignore_ascii_case(PREFIX)
    {
        return Target::Field(key(name));
    }
    let k = key(header);
    NAMED
        .iter()
        .chain(DEFAULTS)
        .find(|(n, _)| *n == k)
        .map_or(Target::Field(k), |(_, t)| t.clone())
}

/// The header `leadpool export` gives a custom field: its name, or `fields.NAME` when an
/// import would read the name as something else (a custom field `stage` is not a status).
pub(super) fn field_header(name: &str) -> String {
    match known(name) {
        Target::Field(n) if n == name => n,
        _ => format!("fields.{name}"),
    }
}

/// A caller's mapping from a file's columns to targets, e.g. `Created=created_at,
/// Stage=status, Budget=fields.budget, Notes=skip`; it wins over [`DEFAULTS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap(Vec<(String, Target)>);

impl ColumnMap {
    /// Parses `COLUMN=TARGET` pairs separated by commas; each of `specs` is one such list
    /// (a command line may repeat its option).
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Self, AppError> {
        let mut out: Vec<(String, Target)> = Vec::new();
        for pair in specs
            .iter()
            .flat_map(|s| s.as_ref().split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let bad = |m: String| AppError::invalid("map", m);
            let (column, target) = pair.split_once('=').ok_or_else(|| {
                bad(format!(
                    "`{pair}` is not COLUMN=FIELD, as in \"Created=created_at,Stage=status\""
                ))
            })?;
            let column = column.trim();
            if key(column).is_empty() {
                return Err(bad(format!("`{pair}` names no column")));
            }
            if out.iter().any(|(c, _)| key(c) == key(column)) {
                return Err(bad(format!("the column `{column}` is mapped twice")));
            }
            let target = Target::parse(target).map_err(|m| bad(format!("{column}: {m}")))?;
            out.push((column.to_owned(), target));
        }
        Ok(Self(out))
    }

    /// Whether it maps nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One column of a file and what it sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its header, as the file writes it.
    pub header: String,
    /// What it sets.
    pub target: Target,
}

/// Every column of a file, in file order, with what it sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns(pub Vec<Column>);

impl Columns {
    /// Decides what each column of `header` sets, `map` first, then [`DEFAULTS`], then a
    /// custom field. Refuses a header with an unnamed or repeated column, two columns
    /// setting one single-valued field, no column saying how to reach the person, or a
    /// mapping naming a column the file does not have.
    pub(super) fn resolve(header: &csv::StringRecord, map: &ColumnMap) -> Result<Self, AppError> {
        let refuse = |m: String| AppError::invalid("line 1", m);
        let mut seen = BTreeSet::new();
        let mut cols = Vec::with_capacity(header.len());
        for h in header {
            let k = key(h);
            if k.is_empty() {
                return Err(refuse("a column has no name".into()));
            }
            if !seen.insert(k.clone()) {
                return Err(refuse(format!("the column `{h}` appears twice")));
            }
            let target = map
                .0
                .iter()
                .find(|(c, _)| key(c) == k)
                .map_or_else(|| known(h), |(_, t)| t.clone());
            cols.push(Column {
                header: h.to_owned(),
                target,
            });
        }
        if let Some((missing, _)) = map.0.iter().find(|(c, _)| !seen.contains(&key(c))) {
            return Err(AppError::invalid(
                "map",
                format!(
                    "the file has no column `{missing}`; its columns are: {}",
                    header.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        for (i, a) in cols.iter().enumerate() {
            if let Some(b) = cols[i + 1..]
                .iter()
                .find(|b| b.target == a.target && !a.target.takes_many())
            {
                return Err(refuse(format!(
                    "the columns `{}` and `{}` both set {}; map one of them elsewhere, e.g. \
                     --map \"{}=skip\"",
                    a.header, b.header, a.target, b.header
                )));
            }
        }
        if !cols.iter().any(|c| c.target.reaches()) {
            return Err(refuse(
                "the header needs a name, first_name, email or phone column".into(),
            ));
        }
        Ok(Self(cols))
    }

    /// The columns used for nothing, by header.
    pub fn unused(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|c| c.target == Target::Skip)
            .map(|c| c.header.as_str())
    }

    /// The columns that became custom fields: each header and the field's name.
    pub fn custom_fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().filter_map(|c| match &c.target {
            Target::Field(name) => Some((c.header.as_str(), name.as_str())),
            _ => None,
        })
    }

    /// The columns that set a lead's field under another header (`Stage` sets status).
    pub fn renamed(&self) -> impl Iterator<Item = &Column> {
        self.0.iter().filter(|c| match &c.target {
            Target::Skip | Target::Field(_) => false,
            t => !NAMED
                .iter()
                .any(|(n, named)| *n == key(&c.header) && named == t),
        })
    }

    /// Whether a column sets this target.
    pub(super) fn has(&self, target: &Target) -> bool {
        self.0.iter().any(|c| c.target == *target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(header: &[&str], map: &[&str]) -> Result<Columns, String> {
        let map = ColumnMap::parse(map).map_err(|e| e.to_string())?;
        Columns::resolve(&csv::StringRecord::from(header.to_vec()), &map).map_err(|e| e.to_string())
    }

    fn targets(c: &Columns) -> Vec<String> {
        c.0.iter().map(|c| c.target.to_string()).collect()
    }

    #[test]
    fn other_crms_headers_are_known_without_a_mapping() {
        let c = resolve(
            &[
                "First Name",
                "Last Name",
                "Email Address",
                "Mobile",
                "Stage",
                "Date Created",
                "Lead Source",
                "Assigned To",
                "Budget ($)",
                "id",
            ],
            &[],
        )
        .expect("a known header");
        assert_eq!(
            targets(&c),
            [
                "first_name",
                "last_name",
                "emails",
                "phones",
                "status",
                "created_at",
                "source",
                "owner_email",
                "fields.budget____",
                "skip"
            ]
        );
        assert_eq!(c.unused().collect::<Vec<_>>(), ["id"]);
        assert_eq!(
            c.custom_fields().collect::<Vec<_>>(),
            [("Budget ($)", "budget____")]
        );
    }

    #[test]
    fn a_mapping_wins_over_the_defaults_and_matches_headers_in_any_case() {
        let c = resolve(
            &["Name", "Stage", "Notes", "Region"],
            &["stage=skip, NOTES=fields.remarks", "region=tags"],
        )
        .expect("a mapped header");
        assert_eq!(targets(&c), ["name", "skip", "fields.remarks", "tags"]);
        assert_eq!(c.unused().collect::<Vec<_>>(), ["Stage"]);
    }

    #[test]
    fn a_mapping_of_a_missing_column_or_to_no_field_is_refused() {
        assert_eq!(
            resolve(&["Name", "Email"], &["Created=created_at"]).err(),
            Some("map: the file has no column `Created`; its columns are: Name, Email".into())
        );
        let e = resolve(&["Name", "Stage"], &["Stage=stat"])
            .err()
            .unwrap_or_default();
        assert!(
            e.starts_with("map: Stage: `stat` is not a field; map a column to one of name,"),
            "{e}"
        );
        assert!(resolve(&["Name"], &["Name"]).is_err());
        assert!(resolve(&["Name"], &["Name=name,name=skip"]).is_err());
    }

    #[test]
    fn a_custom_field_named_like_a_known_header_is_exported_so_that_it_reads_back() {
        assert_eq!(field_header("budget"), "budget");
        assert_eq!(field_header("stage"), "fields.stage");
        let c = resolve(&["name", "fields.stage", "budget"], &[]).expect("an exported header");
        assert_eq!(targets(&c), ["name", "fields.stage", "fields.budget"]);
    }

    #[test]
    fn a_header_is_refused_for_repeats_clashes_and_no_way_to_reach_the_person() {
        assert_eq!(
            resolve(&["Name", "E-mail", "name"], &[]).err(),
            Some("line 1: the column `name` appears twice".into())
        );
        assert!(resolve(&["budget", "area"], &[]).is_err());
        let e = resolve(&["Name", "Stage", "Status"], &[])
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("the columns `Stage` and `Status` both set status"),
            "{e}"
        );
        assert!(resolve(&["Email", "E-mail"], &[]).is_ok(), "emails add up");
    }
}
