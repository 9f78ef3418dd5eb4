//! The manual assignment queue: its leads in the order they entered it (`leads.queued_at`,
//! walked by `leads_queue_idx`), each with the reason of the move that put it there
//! (`leads.queue_reason`, as its timeline says too), filtered and counted in SQL.

use leadpool_domain::{Lead, LeadId, OrgId, SourceId, Timestamp, Visibility};

use super::{COLUMNS, CountRow, Row, push_visibility};
use crate::dialect::index_hint;
use crate::{Sql, StoreError, Tx};

/// Which queued leads to read or count. Every part is optional; all given parts must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only leads from one of these sources.
    pub sources: Vec<SourceId>,
    /// Only leads that entered the queue with exactly this reason.
    pub reason: Option<String>,
    /// Only leads that entered the queue at or before this instant (waiting at least so long).
    pub queued_by: Option<Timestamp>,
}

/// The order of the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// The longest waiting first (the default).
    #[default]
    OldestFirst,
    /// The latest to enter first.
    NewestFirst,
}

impl QueueSort {
    fn direction(self) -> &'static str {
        match self {
            Self::OldestFirst => "ASC",
            Self::NewestFirst => "DESC",
        }
    }
}

/// A place in the queue: when a lead entered it, and the lead (ties go by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePlace {
    /// When the lead entered the queue.
    pub since: Timestamp,
    /// The lead.
    pub lead: LeadId,
}

impl QueuePlace {
    /// The place as a page cursor: `<since in ms>.<lead id>`.
    pub fn cursor(self) -> String {
        format!("{}.{}", self.since.as_millis(), self.lead)
    }

    /// Reads a [`QueuePlace::cursor`]; `None` when it is not one.
    pub fn parse_cursor(raw: &str) -> Option<Self> {
        let (since, lead) = raw.trim().split_once('.')?;
        Some(Self {
            since: Timestamp::from_millis(since.parse().ok()?),
            lead: LeadId::new(lead.parse().ok()?),
        })
    }
}

/// A queued lead with the entry that put it there.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedRecord {
    /// The lead.
    pub lead: Lead,
    /// Why it entered the queue, as that entry says.
    pub reason: Option<String>,
    /// When it entered the queue.
    pub since: Timestamp,
}

/// Where a count shown on a page stops: beyond it, a page says "more than".
pub const COUNT_UP_TO: i64 = 10_000;

/// A count that stops at [`COUNT_UP_TO`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// This many.
    Exactly(u64),
    /// More than this many.
    MoreThan(u64),
}

impl Tally {
    /// The tally of a count that read `n` rows, at most one past the cap.
    pub(crate) fn of(n: u64) -> Self {
        let cap = COUNT_UP_TO.unsigned_abs();
        if n > cap {
            Self::MoreThan(cap)
        } else {
            Self::Exactly(n)
        }
    }
}

/// How many of the latest queued leads the reason filter's choices come from.
const REASONS_FROM: i64 = 5_000;

#[derive(sqlx::FromRow)]
struct ReasonRow {
    reason: String,
}

/// The queued leads of `org` within `visibility` that match `filter`, after `select` from
/// `leads l`.
fn matching(org: OrgId, visibility: &Visibility, filter: &QueueFilter, select: &str) -> Sql {
    let mut q = Sql::new(&format!(
        "{select} WHERE l.org_id = $1 AND l.owner_kind = 'queue'"
    ))
    .bind(org);
    // A queued lead is in no pool: only the teams of a viewer's sight can hold it, so the
    // count reads the team from its index instead of every lead's pool from the table.
    push_visibility(&mut q, visibility, Some(false));
    if !filter.sources.is_empty() {
        q.push(" AND l.source_id IN ")
            .push_list(filter.sources.iter().copied());
    }
    if let Some(r) = &filter.reason {
        q.push(" AND l.queue_reason = ").push_bind(r.as_str());
    }
    if let Some(by) = filter.queued_by {
        q.push(" AND l.queued_at <= ").push_bind(by);
    }
    q
}

/// The index a count of the queue reads: the one its most selective filter starts, and
/// otherwise the sources' and teams' one, which answers those filters from the index alone.
fn counted_by(filter: &QueueFilter) -> &'static str {
    match (&filter.reason, filter.queued_by) {
        (Some(_), _) => "leads_queue_reasons_idx",
        (None, Some(_)) => "leads_queue_idx",
        (None, None) => "leads_queue_sources_idx",
    }
}

impl Tx {
    /// Leads in the manual assignment queue that `visibility` lets the asker see and
    /// `filter` matches, in `sort` order of when they entered it, after `after`.
    pub async fn queue_leads(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &QueueFilter,
        sort: QueueSort,
        after: Option<QueuePlace>,
        limit: u32,
    ) -> Result<Vec<QueuedRecord>, StoreError> {
        let select = format!("{COLUMNS} FROM leads l JOIN statuses s ON s.id = l.status_id");
        let mut q = matching(org, visibility, filter, &select);
        if let Some(a) = after {
            let cmp = match sort {
                QueueSort::OldestFirst => ">",
                QueueSort::NewestFirst => "<",
            };
            q.push(&format!(" AND (l.queued_at, l.id) {cmp} ("))
                .push_bind(a.since)
                .push(", ")
                .push_bind(a.lead)
                .push(")");
        }
        q.push(&format!(
            " ORDER BY l.queued_at {dir}, l.id {dir} LIMIT ",
            dir = sort.direction()
        ))
        .push_bind(i64::from(limit));
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(|r| {
                let lead: Lead = r.try_into()?;
                Ok(QueuedRecord {
                    since: lead.queued_at.unwrap_or(lead.created_at),
                    reason: lead.queue_reason.clone(),
                    lead,
                })
            })
            .collect()
    }

    /// How many leads wait in the manual queue within `visibility` and match `filter`, up
    /// to [`COUNT_UP_TO`]: the queue page's count. Counting stops there because a backlog
    /// of a million leads takes a whole index's read to count, on every page view, to print
    /// a number nobody works through; a few thousand are read in a millisecond or two.
    pub async fn queue_size(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &QueueFilter,
    ) -> Result<Tally, StoreError> {
        let mut q = matching(
            org,
            visibility,
            filter,
            &format!(
                "SELECT COUNT(*) AS n FROM (SELECT l.id FROM leads l{}",
                index_hint(self.backend(), Some(counted_by(filter)))
            ),
        );
        q.push(" LIMIT ")
            .push_bind(COUNT_UP_TO + 1)
            .push(") counted");
        let n = self.fetch_one::<CountRow>(&q).await?.n;
        let n =
            u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a queue of {n} leads")))?;
        Ok(Tally::of(n))
    }

    /// The reasons the leads waiting in the queue within `visibility` entered it with, A to
    /// Z: the choices of the queue's reason filter. Only the latest [`REASONS_FROM`] leads
    /// to enter are read: a page load should not read a backlog of a million leads for a
    /// dropdown (an older lead's reason that none of them shares can still be asked for by
    /// URL).
    pub async fn queue_reasons(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
    ) -> Result<Vec<String>, StoreError> {
        let mut q = matching(
            org,
            visibility,
            &QueueFilter::default(),
            "SELECT DISTINCT reason FROM (SELECT l.queue_reason AS reason FROM leads l",
        );
        q.push(" ORDER BY l.queued_at DESC, l.id DESC LIMIT ")
            .push_bind(REASONS_FROM)
            .push(") latest WHERE reason IS NOT NULL ORDER BY reason LIMIT 100");
        Ok(self
            .fetch_all::<ReasonRow>(&q)
            .await?
            .into_iter()
            .map(|r| r.reason)
            .collect())
    }
}
