//! CSV import and export, and bulk loading of prepared leads (import and demo data): the
//! file's columns, a checked lead and the plan and report of an import. The work is split by
//! what it does with a file:
//! - `lines`: the real line number of each record (LF, CRLF, quoted line breaks);
//! - `columns`: what each column sets, from a caller's mapping and the known headers;
//! - `duplicates`: rows that repeat an earlier row or a stored lead, skipped or merged;
//! - `check`: reading a CSV file and checking every row, writing nothing;
//! - `write`: storing a checked file or prepared leads, and routing the unowned ones;
//! - `export`: writing the organization's leads as CSV.
//!
//! An import reads its file twice and never holds it: `prepare_import` checks every row
//! and keeps only counts, the first problems and duplicates, the external ids already
//! stored and the emails and phones seen (to find repeats); `commit_import` reads the file
//! again from the start, checks each row again and writes the good ones a chunk at a time,
//! all in ONE transaction. A file with a bad row is refused with its bad rows listed by
//! line, or, with `skip_invalid`, its good rows are imported and each skipped row is
//! reported. Nothing is ever half-imported: a crash or a refusal mid-file rolls the one
//! transaction back, so no reader ever sees part of a file.

mod check;
mod columns;
mod duplicates;
mod export;
mod lines;
mod write;

use std::collections::{HashMap, HashSet};

use leadpool_domain::lead::LeadDraft;
use leadpool_domain::{FieldError, Owner, SourceId, StatusId, TeamId, Timestamp};
use leadpool_store::orgs::Organization;
use leadpool_store::sources::Source;

use crate::AppError;

pub use columns::{Column, ColumnMap, Columns, DEFAULTS, Target};
pub use duplicates::{Duplicate, Duplicates, Repeats};

/// Rows an import reads, checks and writes at a time: what bounds its memory.
const CHUNK: usize = 500;

/// How an import reads its file: what its columns set and what becomes of rows that
/// repeat a lead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Columns mapped to fields, before the known headers.
    pub columns: ColumnMap,
    /// What becomes of a row repeating an earlier row or a stored lead.
    pub duplicates: Duplicates,
}

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

/// Rows of one kind (refused, duplicate): the first [`Listed::KEPT`] in file order, and
/// how many in all, so a file of a million such rows costs no more memory than one of a
/// thousand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    /// The first rows, in file order.
    pub first: Vec<T>,
    /// How many rows there were, listed or not.
    pub count: usize,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self {
            first: Vec::new(),
            count: 0,
        }
    }
}

impl<T> Listed<T> {
    /// How many rows are listed; the rest are only counted.
    pub const KEPT: usize = 1000;

    fn push(&mut self, row: T) {
        if self.first.len() < Self::KEPT {
            self.first.push(row);
        }
        self.count += 1;
    }

    /// Whether there was no such row.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// How many rows are counted but not listed.
    pub fn unlisted(&self) -> usize {
        self.count - self.first.len()
    }
}

/// Refused rows.
pub type RowProblems = Listed<RowProblem>;

/// A checked file: what its rows come to, without the rows (`commit_import` reads the
/// file again).
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// How many rows are ready to store as new leads.
    pub rows: usize,
    /// Rows with problems.
    pub problems: RowProblems,
    /// Rows that repeat an earlier row or a stored lead: never a second lead.
    pub duplicates: Listed<Duplicate>,
    /// How many rows have an external id already stored for their source (nothing to do).
    pub already_imported: usize,
    /// What each column of the file sets.
    pub columns: Columns,
    /// The source the file is for.
    source: Source,
    /// How the file was read; the write reads it alike.
    options: ImportOptions,
    /// The (source, external id) of those rows: one stored after the check is a conflict,
    /// not a row to skip. Memory grows with them only, a few tens of bytes each.
    stored: HashSet<(SourceId, String)>,
    /// What the checked file held, so a file changed before the second reading is refused.
    fingerprint: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Leads stored.
    pub imported: usize,
    /// Where the routing rules sent the stored leads that came without an owner.
    pub routed: Routed,
    /// Rows skipped for problems (only with `skip_invalid`).
    pub skipped: RowProblems,
    /// Rows that repeat an earlier row or a stored lead: left out, or merged into that lead
    /// as the import's [`Duplicates`] said.
    pub duplicates: Listed<Duplicate>,
    /// How many leads the merged rows changed (none when duplicates are skipped).
    pub merged_into: usize,
    /// Rows already imported before.
    pub already_imported: usize,
    /// What each column of the file set.
    pub columns: Columns,
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
