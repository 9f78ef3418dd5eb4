//! Lead lists: the filters, sort orders and pages of a list, the text search (SQLite's
//! trigram table or PostgreSQL's pg_trgm index) and the visibility every read applies.

use leadpool_domain::{
    Lead, LeadId, OrgId, PoolId, SourceId, StatusId, Timestamp, UserId, Visibility,
};

use super::{COLUMNS, CountRow, Row};
use crate::dialect::{id_in_json, ids_as_json, index_hint, searches_trigram_table};
use crate::{Backend, Sql, StoreError, Tx};

/// Which leads to list. Every part is optional; all given parts must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadFilter {
    /// Only leads held by this agent.
    pub owner: Option<UserId>,
    /// Only leads in a pool (`Some(true)`), or only leads in none (`Some(false)`).
    pub in_pool: Option<bool>,
    /// Only leads in this pool.
    pub pool: Option<PoolId>,
    /// Only leads with one of these statuses.
    pub statuses: Vec<StatusId>,
    /// Only leads from one of these sources.
    pub sources: Vec<SourceId>,
    /// Only leads carrying every one of these tags.
    pub tags: Vec<String>,
    /// Only leads created at or after this instant.
    pub created_from: Option<Timestamp>,
    /// Only leads created before this instant.
    pub created_to: Option<Timestamp>,
    /// Free text found in the name, an email or a phone number.
    pub search: Option<String>,
}

/// The order of a lead list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LeadSort {
    /// Newest first (the default).
    #[default]
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
    /// By name, A to Z.
    NameAsc,
}

impl LeadSort {
    fn column(self) -> &'static str {
        match self {
            Self::CreatedDesc | Self::CreatedAsc => "l.created_at",
            Self::UpdatedDesc => "l.updated_at",
            Self::NameAsc => "l.name",
        }
    }

    fn descending(self) -> bool {
        matches!(self, Self::CreatedDesc | Self::UpdatedDesc)
    }

    fn direction(self) -> &'static str {
        if self.descending() { "DESC" } else { "ASC" }
    }
}

/// Where the previous page ended: the last row's sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// After a row whose integer sort key (a time) was this.
    Int(i64, LeadId),
    /// After a row whose text sort key (a name) was this.
    Text(String, LeadId),
}

impl After {
    /// The position just after `lead` in `sort` order.
    pub fn from_lead(lead: &Lead, sort: LeadSort) -> Self {
        match sort {
            LeadSort::CreatedDesc | LeadSort::CreatedAsc => {
                Self::Int(lead.created_at.as_millis(), lead.id)
            }
            LeadSort::UpdatedDesc => Self::Int(lead.updated_at.as_millis(), lead.id),
            LeadSort::NameAsc => Self::Text(
                lead.name
                    .as_ref()
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
                lead.id,
            ),
        }
    }
}

/// Appends the condition that a row comes after `after` in `sort` order.
fn push_after(q: &mut Sql, sort: LeadSort, after: &After) {
    let cmp = if sort.descending() { "<" } else { ">" };
    push_position(q, sort, cmp, after);
}

/// Appends `AND (sort key, id) {cmp} (position)`.
fn push_position(q: &mut Sql, sort: LeadSort, cmp: &str, at: &After) {
    q.push(&format!(" AND ({}, l.id) {cmp} (", sort.column()));
    match at {
        After::Int(v, id) => q.push_bind(*v).push(", ").push_bind(*id),
        After::Text(v, id) => q.push_bind(v.as_str()).push(", ").push_bind(*id),
    };
    q.push(")");
}

/// Escapes `%`, `_` and `\` so user text is matched literally by `LIKE … ESCAPE '\'`.
fn like_pattern(term: &str) -> String {
    let mut p = String::with_capacity(term.len() + 2);
    p.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// An FTS5 query for the leads holding every trigram of a cover of `term` (of at least three
/// characters): its runs of three from the start, one after another, and the last three.
/// Every lead the term is a substring of matches; LIKE then drops the few others. The
/// trigrams of a run that overlap add nothing but cost, and a phrase query would need the
/// positions of every trigram, which the table does not keep (`detail=none`, a third of
/// the size). Each trigram is an FTS5 string: characters as they are, `"` doubled.
fn fts_trigrams(term: &str) -> String {
    let chars: Vec<char> = term.chars().collect();
    let last = chars.len().saturating_sub(3);
    let mut starts: Vec<usize> = (0..=last).step_by(3).collect();
    if starts.last() != Some(&last) {
        starts.push(last);
    }
    starts
        .iter()
        .map(|&i| {
            let t: String = chars[i..(i + 3).min(chars.len())].iter().collect();
            format!("\"{}\"", t.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A list whose most selective condition holds for at most this many leads reads them all
/// by id, checks the other conditions on each and sorts what is left; a list where every
/// condition holds for more walks an index in its order, checking each row, which fills a
/// page after about `page × leads ÷ matches` rows, so at most `page × leads ÷ FEW`. Reading
/// a lead by id costs about what checking a walked row does, so the worst of either way is
/// a few milliseconds for an organization of a million leads (`leadpool bench lists`).
const FEW: usize = 5_000;

/// How many rows a walk reads before it looks for its matches another way: a few
/// milliseconds' worth, and enough that a condition holding for one lead in 200 fills a
/// page within it.
const WALK: usize = 10_000;

/// A condition holding for at most this many leads takes part in intersecting the
/// conditions of a list whose walk found its matches rare: reading this many ids from an
/// index costs about what walking [`WALK`] rows does.
const SPARSE: usize = 50_000;

#[derive(sqlx::FromRow)]
struct IntKey {
    k: i64,
    id: i64,
}

#[derive(sqlx::FromRow)]
struct FoundIds {
    n: i64,
    ids: String,
}

#[derive(sqlx::FromRow)]
struct MaxKey {
    k: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TextKey {
    k: String,
    id: i64,
}

/// How a list reaches its rows: decided per list from what its conditions match, because
/// no single plan serves both a pool of ten leads and one of two hundred thousand.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Access {
    /// Read these leads (a JSON array of ids, at most [`FEW`]) by id.
    Candidates(String),
    /// Walk this index, which is in the list's order.
    Walk(&'static str),
}

/// The list's search term as a `LIKE` pattern, if it has one.
fn search_pattern(filter: &LeadFilter) -> Option<String> {
    search_term(filter).map(|t| like_pattern(&t))
}

/// The filter's search term as the search text stores it, if it has one.
fn search_term(filter: &LeadFilter) -> Option<String> {
    filter
        .search
        .as_deref()
        .map(normalize_search)
        .filter(|s| !s.is_empty())
}

/// A lookup of the leads one indexed condition of a list holds for.
struct Probe {
    /// Returns their ids in a column `id`, stopping one past the cap it was made with.
    sql: Sql,
    /// The same condition checked for one lead, `c.id`, with one lookup in an index: for
    /// a condition holding for too many leads to read them all, checked on those another
    /// condition found.
    seek: Option<Sql>,
}

/// Lookups of the leads each indexed condition of a list holds for, each stopping after
/// `cap + 1`, the likeliest to be few first. The first that finds at most [`FEW`] gives the
/// list its candidates. A condition another organization shares (a tag, a search term)
/// counts its leads too: that only makes the list walk when it could have read by id.
fn probes(
    backend: Backend,
    org: OrgId,
    v: &Visibility,
    filter: &LeadFilter,
    cap: usize,
) -> Vec<Probe> {
    let cap = i64::try_from(cap + 1).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    let leads_where = |cond: &str| leads_where(org, cond);
    let limited = |mut q: Sql| {
        q.push(" LIMIT ").push_bind(cap);
        Probe { sql: q, seek: None }
    };
    // A column with an index on (org_id, column) holds a lead's value in the index entry
    // that ends with its id.
    let seek_in = |index: &str, column: &str, values: Vec<i64>| {
        let mut q = Sql::new(&format!(
            "EXISTS (SELECT 1 FROM leads l{} WHERE l.org_id = ",
            index_hint(backend, Some(index))
        ));
        q.push_bind(org)
            .push(&format!(" AND l.{column} IN "))
            .push_list(values)
            .push(" AND l.id = c.id)");
        Some(q)
    };
    // First: with the list's tags, statuses and sources folded in, a search is the
    // condition likeliest to hold for few leads.
    if let Some(q) = search_lookup(backend, org, filter) {
        out.push(limited(q));
    }
    for t in &filter.tags {
        out.push(Probe {
            seek: Some(
                Sql::new(
                    "EXISTS (SELECT 1 FROM lead_tags lt WHERE lt.lead_id = c.id AND lt.tag = $1)",
                )
                .bind(t.as_str()),
            ),
            ..limited(
                Sql::new("SELECT lt.lead_id AS id FROM lead_tags lt WHERE lt.tag = $1")
                    .bind(t.as_str()),
            )
        });
    }
    if let Some(p) = filter.pool {
        let mut q = leads_where("l.owner_pool_id = ");
        q.push_bind(p);
        out.push(limited(q));
    }
    if let Some(u) = single_owner(v, filter) {
        let mut q = leads_where("l.owner_user_id = ");
        q.push_bind(u);
        out.push(limited(q));
    }
    match (v, filter.in_pool) {
        (Visibility::Own { pools, .. } | Visibility::Teams { pools, .. }, Some(true)) => {
            let mut q = leads_where("l.owner_pool_id IN ");
            q.push_list(pools.iter().copied());
            out.push(limited(q));
        }
        (Visibility::Organization, Some(true)) => {
            out.push(limited(leads_where("l.owner_kind = 'pool'")));
        }
        (Visibility::Teams { teams, .. }, Some(false)) => {
            let mut q = leads_where("l.team_id IN ");
            q.push_list(teams.iter().copied());
            out.push(limited(q));
        }
        _ => {}
    }
    if filter.created_from.is_some() || filter.created_to.is_some() {
        // With the owner or pool that starts the walk's index: a range of old leads outside
        // the pools is then found empty at once when the old leads are all in one.
        let mut q = leads_where("l.created_at >= ");
        q.push_bind(filter.created_from.map_or(i64::MIN, Timestamp::as_millis))
            .push(" AND l.created_at < ")
            .push_bind(filter.created_to.map_or(i64::MAX, Timestamp::as_millis));
        push_walk_prefix(
            &mut q,
            walk_index(v, filter, LeadSort::CreatedDesc),
            v,
            filter,
        );
        out.push(limited(q));
    }
    if !filter.statuses.is_empty() {
        let mut q = leads_where("l.status_id IN ");
        q.push_list(filter.statuses.iter().copied());
        out.push(Probe {
            seek: seek_in(
                "leads_status_idx",
                "status_id",
                filter.statuses.iter().map(|s| s.get()).collect(),
            ),
            ..limited(q)
        });
    }
    if !filter.sources.is_empty() {
        let mut q = leads_where("l.source_id IN ");
        q.push_list(filter.sources.iter().copied());
        out.push(Probe {
            seek: seek_in(
                "leads_source_idx",
                "source_id",
                filter.sources.iter().map(|s| s.get()).collect(),
            ),
            ..limited(q)
        });
    }
    out
}

/// The ids of the organization's leads for which `cond` (text ending where a value is
/// bound next, or complete) holds.
fn leads_where(org: OrgId, cond: &str) -> Sql {
    let mut q = Sql::new("SELECT l.id FROM leads l WHERE l.org_id = ");
    q.push_bind(org).push(" AND ").push(cond);
    q
}

/// The lookup of the leads the list's search term finds that also hold its tags, statuses
/// and sources, all from the search index (migration 0026); `None` without a term the
/// index can look up.
fn search_lookup(backend: Backend, org: OrgId, filter: &LeadFilter) -> Option<Sql> {
    let term = search_term(filter)?;
    if !searches_trigram_table(backend) {
        let mut q = leads_where(org, "l.search_text LIKE ");
        q.push_bind(like_pattern(&term)).push(" ESCAPE '\\'");
        for (kind, values) in facet_groups(filter) {
            q.push(" AND l.facets && ARRAY[");
            for (i, v) in values.into_iter().enumerate() {
                q.push(if i == 0 {
                    "search_facet("
                } else {
                    ", search_facet("
                })
                .push_bind(kind)
                .push(", ")
                .push_bind(v)
                .push(")");
            }
            q.push("]");
        }
        q.plan_with_values();
        return Some(q);
    }
    // The index holds runs of three: a shorter term has none to look up.
    if term.chars().count() < 3 {
        return None;
    }
    let mut q = Sql::new("SELECT rowid AS id FROM leads_fts WHERE leads_fts MATCH ($1")
        .bind(fts_trigrams(&term));
    for (kind, values) in facet_groups(filter) {
        // A facet no lead has yet has no token: leaving it out only widens what the leads
        // are read from.
        q.push(
            " || coalesce((SELECT ' AND (' || group_concat('\"' || token || '\"', ' OR ') \
             || ')' FROM search_facet_tokens WHERE kind = ",
        )
        .push_bind(kind)
        .push(" AND value IN ")
        .push_list(values)
        .push("), '')");
    }
    q.push(")");
    Some(q)
}

/// The list's tags, statuses and sources as the search index's facets (migration 0026):
/// groups of a kind and its values, where a lead matches a group if it has one of the
/// values and the list if it matches every group.
fn facet_groups(filter: &LeadFilter) -> Vec<(&'static str, Vec<String>)> {
    let ids = |kind, ids: Vec<i64>| {
        (!ids.is_empty()).then(|| (kind, ids.iter().map(i64::to_string).collect()))
    };
    filter
        .tags
        .iter()
        .map(|t| ("tag", vec![t.clone()]))
        .chain(ids(
            "status",
            filter.statuses.iter().map(|s| s.get()).collect(),
        ))
        .chain(ids(
            "source",
            filter.sources.iter().map(|s| s.get()).collect(),
        ))
        .collect()
}

/// The one agent whose leads a list shows, if it shows one agent's.
fn single_owner(v: &Visibility, filter: &LeadFilter) -> Option<UserId> {
    filter.owner.or(match (v, filter.in_pool) {
        (Visibility::Own { user, .. }, Some(false)) => Some(*user),
        _ => None,
    })
}

/// Appends the conditions `index` (one [`walk_index`] picks) starts with or is partial on,
/// so a lookup sharing them reads that index alone.
fn push_walk_prefix(q: &mut Sql, index: &str, v: &Visibility, filter: &LeadFilter) {
    match index {
        "leads_owner_user_idx" | "leads_owner_user_updated_idx" | "leads_owner_user_name_idx" => {
            if let Some(u) = single_owner(v, filter) {
                q.push(" AND l.owner_user_id = ").push_bind(u);
            }
        }
        "leads_owner_pool_idx" => {
            if let Some(p) = filter.pool {
                q.push(" AND l.owner_pool_id = ").push_bind(p);
            }
        }
        "leads_pool_created_idx" | "leads_pool_updated_idx" => {
            q.push(" AND l.owner_kind = 'pool'");
        }
        "leads_unpooled_created_idx" | "leads_unpooled_updated_idx" => {
            q.push(" AND l.owner_kind <> 'pool'");
        }
        _ => {}
    }
}

/// The index a list walks when no condition is selective: one in the list's order that
/// starts, where it can, with the condition that holds for the fewest leads, so a page of
/// matches that are all older than the rest is found where they are.
fn walk_index(v: &Visibility, filter: &LeadFilter, sort: LeadSort) -> &'static str {
    let one_owner = single_owner(v, filter).is_some();
    let (in_pool, unpooled) = (filter.in_pool == Some(true), filter.in_pool == Some(false));
    match sort {
        LeadSort::CreatedDesc | LeadSort::CreatedAsc if one_owner => "leads_owner_user_idx",
        LeadSort::CreatedDesc | LeadSort::CreatedAsc if filter.pool.is_some() => {
            "leads_owner_pool_idx"
        }
        LeadSort::CreatedDesc | LeadSort::CreatedAsc if in_pool => "leads_pool_created_idx",
        LeadSort::CreatedDesc | LeadSort::CreatedAsc if unpooled => "leads_unpooled_created_idx",
        LeadSort::CreatedDesc | LeadSort::CreatedAsc => "leads_created_idx",
        LeadSort::UpdatedDesc if one_owner => "leads_owner_user_updated_idx",
        LeadSort::UpdatedDesc if in_pool => "leads_pool_updated_idx",
        LeadSort::UpdatedDesc if unpooled => "leads_unpooled_updated_idx",
        LeadSort::UpdatedDesc => "leads_updated_idx",
        LeadSort::NameAsc if one_owner => "leads_owner_user_name_idx",
        LeadSort::NameAsc => "leads_name_idx",
    }
}

/// A search term as the search text stores it: lower case, and a phone number as bare digits.
fn normalize_search(term: &str) -> String {
    let t = term.trim().to_lowercase();
    let phone_like = t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if phone_like {
        t.chars().filter(char::is_ascii_digit).collect()
    } else {
        t
    }
}

/// Limits a query to what `v` lets its viewer see. `in_pool` narrows it further, so a pool
/// list reads only the pools' index range and an own list only the owner's.
pub(crate) fn push_visibility(q: &mut Sql, v: &Visibility, in_pool: Option<bool>) {
    let pools = |q: &mut Sql, pools: &[PoolId]| {
        q.push("l.owner_pool_id IN ")
            .push_list(pools.iter().copied());
    };
    match (v, in_pool) {
        (Visibility::Organization, _) => {}
        (Visibility::Teams { pools: ps, .. } | Visibility::Own { pools: ps, .. }, Some(true)) => {
            q.push(" AND ");
            pools(q, ps);
        }
        (Visibility::Teams { teams, .. }, Some(false)) => {
            q.push(" AND l.team_id IN ")
                .push_list(teams.iter().copied());
        }
        (Visibility::Own { user, .. }, Some(false)) => {
            q.push(" AND l.owner_user_id = ").push_bind(*user);
        }
        (Visibility::Teams { teams, pools: ps }, None) => {
            q.push(" AND (l.team_id IN ")
                .push_list(teams.iter().copied())
                .push(" OR ");
            pools(q, ps);
            q.push(")");
        }
        (Visibility::Own { user, pools: ps }, None) => {
            q.push(" AND (l.owner_user_id = ")
                .push_bind(*user)
                .push(" OR ");
            pools(q, ps);
            q.push(")");
        }
    }
}

/// The week a lead was created in, as `leads_created_week_idx` (migration 0027) is keyed:
/// written exactly as that index is, or the index does not serve the lookup.
const CREATED_WEEK: &str = "l.created_at / 604800000";

/// The week of `t`, computed as [`CREATED_WEEK`] computes it in the database (both truncate
/// towards zero).
fn week_of(t: i64) -> i64 {
    t / 604_800_000
}

/// For a list by last change of leads created within a range: the latest change among the
/// leads of that range. Read from `leads_created_week_idx` one week at a time: each week
/// wholly inside the range answers with its first entry; a week the range cuts is walked
/// until an entry inside the range comes.
fn latest_change_sql(
    backend: Backend,
    org: OrgId,
    filter: &LeadFilter,
    sort: LeadSort,
) -> Option<Sql> {
    if sort != LeadSort::UpdatedDesc
        || (filter.created_from.is_none() && filter.created_to.is_none())
    {
        return None;
    }
    let from = filter.created_from.map_or(i64::MIN, Timestamp::as_millis);
    let to = filter.created_to.map_or(i64::MAX, Timestamp::as_millis);
    let (first, last) = (week_of(from), week_of(to.saturating_sub(1)));
    let hint = index_hint(backend, Some("leads_created_week_idx"));
    // Only the weeks that hold a lead are visited: each next one is found by the index.
    let mut q = Sql::new(&format!(
        "WITH RECURSIVE weeks(w) AS (SELECT MIN({CREATED_WEEK}) FROM leads l{hint} WHERE l.org_id = "
    ));
    q.push_bind(org)
        .push(&format!(" AND {CREATED_WEEK} >= "))
        .push_bind(first)
        .push(&format!(" AND {CREATED_WEEK} <= "))
        .push_bind(last)
        .push(&format!(
            " UNION ALL SELECT (SELECT MIN({CREATED_WEEK}) FROM leads l{hint} WHERE l.org_id = "
        ))
        .push_bind(org)
        .push(&format!(
            " AND {CREATED_WEEK} > weeks.w AND {CREATED_WEEK} <= "
        ))
        .push_bind(last)
        .push(&format!(
            ") FROM weeks WHERE weeks.w IS NOT NULL) \
             SELECT MAX(m) AS k FROM (SELECT (SELECT MAX(l.updated_at) FROM leads l{hint} \
             WHERE l.org_id = "
        ))
        .push_bind(org)
        .push(&format!(
            " AND {CREATED_WEEK} = weeks.w AND l.created_at >= "
        ))
        .push_bind(from)
        .push(" AND l.created_at < ")
        .push_bind(to)
        .push(") AS m FROM weeks) latest");
    Some(q)
}

/// The lookup of where a walk of `index` in `sort` order after `after` is [`WALK`] rows
/// on. Every index a walk takes ends with the list's order and the lead's id (SQLite keeps
/// the id in each index by itself), so this reads the index alone: PostgreSQL, walking an
/// agent's leads newest first in an index without the id, read each of the 10,000 rows
/// from the table to sort them by it (21-51 ms).
fn walk_bound_sql(
    backend: Backend,
    org: OrgId,
    visibility: &Visibility,
    filter: &LeadFilter,
    sort: LeadSort,
    index: &'static str,
    after: Option<&After>,
) -> Sql {
    let (col, dir) = (sort.column(), sort.direction());
    let mut q = Sql::new(&format!(
        "SELECT {col} AS k, l.id FROM leads l{} WHERE l.org_id = ",
        index_hint(backend, Some(index))
    ));
    q.push_bind(org);
    push_walk_prefix(&mut q, index, visibility, filter);
    if let Some(after) = after {
        push_after(&mut q, sort, after);
    }
    q.push(&format!(
        " ORDER BY {col} {dir}, l.id {dir} LIMIT 1 OFFSET "
    ))
    .push_bind(i64::try_from(WALK - 1).unwrap_or(i64::MAX));
    q
}

/// Where a walk that found its matches rare in its first stretch, up to `bound`, goes
/// on from. By creation it starts at the range's edge, if that is further: PostgreSQL,
/// given both that edge and the bound, started its scan at the bound and read 790,000
/// newer entries (86 ms) to reach a range of old leads.
fn walk_on_from(filter: &LeadFilter, sort: LeadSort, bound: After) -> After {
    // Just past the rows outside the range, in the walk's direction: a position with the
    // least id holds for every row with a key beyond it.
    let edge = |t: Timestamp| After::Int(t.as_millis(), LeadId::new(i64::MIN));
    let start = match sort {
        LeadSort::CreatedDesc => filter.created_to.map(edge),
        LeadSort::CreatedAsc => filter.created_from.map(edge),
        LeadSort::UpdatedDesc | LeadSort::NameAsc => None,
    };
    match start {
        Some(start) if is_further(sort, &start, &bound) => start,
        _ => bound,
    }
}

/// Whether `a` is further along a walk in `sort` order than `b`. Names are compared by the
/// database's collation, which Rust does not know: a name position is never further.
fn is_further(sort: LeadSort, a: &After, b: &After) -> bool {
    match (a, b) {
        (After::Int(a, a_id), After::Int(b, b_id)) => {
            if sort.descending() {
                (a, a_id) < (b, b_id)
            } else {
                (a, a_id) > (b, b_id)
            }
        }
        _ => false,
    }
}

impl Tx {
    /// A page of leads visible under `visibility`, matching `filter`, in `sort` order,
    /// starting after `after`.
    pub async fn leads(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
        sort: LeadSort,
        after: Option<&After>,
        limit: u32,
    ) -> Result<Vec<Lead>, StoreError> {
        let access = self.access(org, visibility, filter, sort).await?;
        let Access::Walk(index) = access else {
            return self
                .read_leads(org, visibility, filter, &access, sort, after, None, limit)
                .await;
        };
        // A list by last change of leads created within a range starts at the latest change
        // among them: otherwise a range of old leads, last changed long ago, is found only
        // after walking every newer change.
        let start = match latest_change_sql(self.backend(), org, filter, sort) {
            Some(q) => match self.fetch_one::<MaxKey>(&q).await?.k {
                Some(latest) => Some(After::Int(latest, LeadId::new(i64::MAX))),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let after = match (start.as_ref(), after) {
            (Some(start), Some(after)) if !is_further(sort, start, after) => Some(after),
            (Some(start), _) => Some(start),
            (None, after) => after,
        };
        // A walk whose matches are rare, or all at its far end, would read the whole
        // organization: it reads at most WALK rows, and only if those hold no full page
        // does it look for the rest among the leads its conditions hold for together.
        let bound_at = walk_bound_sql(self.backend(), org, visibility, filter, sort, index, after);
        let Some(bound) = self.walk_bound(&bound_at, sort).await? else {
            return self
                .read_leads(org, visibility, filter, &access, sort, after, None, limit)
                .await;
        };
        let mut page = self
            .read_leads(
                org,
                visibility,
                filter,
                &access,
                sort,
                after,
                Some(&bound),
                limit,
            )
            .await?;
        if page.len() < limit as usize {
            let (rest, from) = match self.intersection(org, visibility, filter).await? {
                Some(ids) => (Access::Candidates(ids), bound),
                None => (access, walk_on_from(filter, sort, bound)),
            };
            let wanted = limit - u32::try_from(page.len()).unwrap_or(limit);
            page.extend(
                self.read_leads(
                    org,
                    visibility,
                    filter,
                    &rest,
                    sort,
                    Some(&from),
                    None,
                    wanted,
                )
                .await?,
            );
        }
        Ok(page)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the arguments of a list, plus how it reads and where it stops"
    )]
    async fn read_leads(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
        access: &Access,
        sort: LeadSort,
        after: Option<&After>,
        until: Option<&After>,
        limit: u32,
    ) -> Result<Vec<Lead>, StoreError> {
        if *access == Access::Candidates("[]".into()) {
            return Ok(Vec::new());
        }
        let q = self.leads_sql(org, visibility, filter, access, sort, (after, until), limit);
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Where a walk in `sort` order is [`WALK`] rows on, if it goes that far, as `q` (one
    /// [`walk_bound_sql`] wrote) finds it.
    async fn walk_bound(&mut self, q: &Sql, sort: LeadSort) -> Result<Option<After>, StoreError> {
        Ok(match sort {
            LeadSort::NameAsc => self
                .fetch_optional::<TextKey>(q)
                .await?
                .map(|r| After::Text(r.k, LeadId::new(r.id))),
            _ => self
                .fetch_optional::<IntKey>(q)
                .await?
                .map(|r| After::Int(r.k, LeadId::new(r.id))),
        })
    }

    /// How many ids a lookup of them (one of [`probes`], an intersection) finds, and the ids
    /// as a JSON array, both gathered in the database: a row sent here costs about a
    /// microsecond, many times what reading it does, and a probe that finds too many reads
    /// [`FEW`]` + 1` of them.
    async fn found_ids(&mut self, lookup: &Sql) -> Result<(usize, String), StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT COUNT(*) AS n, {} AS ids FROM (",
            ids_as_json(self.backend())
        ));
        q.push_sql(lookup).push(") p");
        let found = self.fetch_one::<FoundIds>(&q).await?;
        Ok((usize::try_from(found.n).unwrap_or(usize::MAX), found.ids))
    }

    /// How many ids one of [`probes`] finds, up to `cap`, counted in the database: for a
    /// condition that holds for tens of thousands of leads, sending their ids here costs
    /// many times what reading them does.
    async fn probe_size(&mut self, probe: &Probe, cap: usize) -> Result<usize, StoreError> {
        let mut q = Sql::new("SELECT COUNT(*) AS n FROM (SELECT p.id FROM (");
        q.push_sql(&probe.sql)
            .push(") p LIMIT ")
            .push_bind(i64::try_from(cap).unwrap_or(i64::MAX))
            .push(") probe");
        let n = self.fetch_one::<CountRow>(&q).await?.n;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Keeps PostgreSQL's plans for probes off a full scan of the table (`on`), or gives
    /// the planner back its choice. A probe stops at its cap, and the planner costs that
    /// LIMIT as if the matches were spread evenly: for a viewer's pools, whose leads sit
    /// together (a backlog imported at once), it scanned 240,000 of 300,000 rows to find
    /// 5,001, 140-185 ms per pool view at a million leads; the pool index finds them at once.
    async fn probes_on_indexes(&mut self, on: bool) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            let set = if on {
                "SET LOCAL enable_seqscan = off"
            } else {
                "SET LOCAL enable_seqscan TO DEFAULT"
            };
            self.execute(&Sql::new(set)).await?;
        }
        Ok(())
    }

    /// The leads every indexed condition of a list holds for, as a JSON array of ids, or
    /// `None` if each holds for more than [`SPARSE`] leads.
    async fn intersection(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
    ) -> Result<Option<String>, StoreError> {
        self.probes_on_indexes(true).await?;
        let ids = match self.intersection_sql(org, visibility, filter).await? {
            Some(q) => Some(self.found_ids(&q).await?.1),
            None => None,
        };
        self.probes_on_indexes(false).await?;
        Ok(ids)
    }

    /// The statement [`Tx::intersection`] reads, made in the database: the ids of the
    /// condition holding for the fewest leads are checked against the others, each with one
    /// index lookup per id where the condition has one (tags, status, source) and otherwise
    /// against its ids if it holds for at most [`SPARSE`], so only what is left is sent.
    /// (Conditions left out are checked when the leads are read.) Counts each condition's
    /// leads to choose; run with [`Tx::probes_on_indexes`].
    async fn intersection_sql(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
    ) -> Result<Option<Sql>, StoreError> {
        // A condition with a lookup per id takes part whatever its count, which then only
        // says whether it is the fewest: counted last, each stops one past the fewest yet.
        let mut probes = probes(self.backend(), org, visibility, filter, SPARSE);
        probes.sort_by_key(|p| p.seek.is_some());
        let mut sized = Vec::new();
        let mut fewest = SPARSE;
        for probe in probes {
            let cap = if probe.seek.is_some() { fewest } else { SPARSE } + 1;
            let n = self.probe_size(&probe, cap).await?;
            fewest = fewest.min(n);
            sized.push((n, probe));
        }
        sized.sort_by_key(|(n, _)| *n);
        let mut sized = sized.into_iter();
        let mut q = Sql::new("SELECT c.id FROM (");
        match sized.next() {
            Some((n, fewest)) if n <= SPARSE => {
                q.push_sql(&fewest.sql).push(") c WHERE c.id IS NOT NULL");
            }
            _ => return Ok(None),
        }
        for (n, other) in sized {
            match other.seek {
                Some(seek) => {
                    q.push(" AND ").push_sql(&seek);
                }
                None if n <= SPARSE => {
                    q.push(" AND c.id IN (").push_sql(&other.sql).push(")");
                }
                None => {}
            }
        }
        Ok(Some(q))
    }

    /// The database's plans for the first page [`Tx::leads`] would read with these
    /// arguments, one line per step: each lookup it makes to choose how to read, then a line
    /// naming its choice, then the list's own plan, then, for a walk, where its first stretch
    /// ends, where it starts if not at the beginning and how it would go on if it found its
    /// matches rare. Shows which indexes a list uses (tests and benchmarks print it).
    pub async fn explain_leads(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
        sort: LeadSort,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let mut plan = Vec::new();
        self.probes_on_indexes(true).await?;
        for probe in probes(self.backend(), org, visibility, filter, FEW) {
            plan.extend(self.explain(&probe.sql).await?);
        }
        self.probes_on_indexes(false).await?;
        let access = self.access(org, visibility, filter, sort).await?;
        plan.push(match &access {
            Access::Candidates(ids) => format!(
                "-- read {} candidates by id",
                ids.matches(',').count() + usize::from(ids != "[]")
            ),
            Access::Walk(index) => format!("-- walk {index}"),
        });
        let q = self.leads_sql(org, visibility, filter, &access, sort, (None, None), limit);
        plan.extend(self.explain(&q).await?);
        let Access::Walk(index) = access else {
            return Ok(plan);
        };
        plan.push("-- the walk's first stretch ends at".to_owned());
        let q = walk_bound_sql(self.backend(), org, visibility, filter, sort, index, None);
        plan.extend(self.explain(&q).await?);
        if let Some(q) = latest_change_sql(self.backend(), org, filter, sort) {
            plan.push("-- the walk starts at the latest change among the range's leads".to_owned());
            plan.extend(self.explain(&q).await?);
        }
        // Planned as it runs: with the probes' setting.
        self.probes_on_indexes(true).await?;
        let rare = match self.intersection_sql(org, visibility, filter).await? {
            Some(q) => Some(self.explain(&q).await?),
            None => None,
        };
        self.probes_on_indexes(false).await?;
        match rare {
            Some(rare) => {
                plan.push("-- if the walk finds its matches rare: intersect".to_owned());
                plan.extend(rare);
            }
            None => plan.push("-- if the walk finds its matches rare: walk on".to_owned()),
        }
        Ok(plan)
    }

    /// How a list reaches its rows: the candidates of its first condition that holds for
    /// few leads, or else a walk of the index in its order.
    async fn access(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
        sort: LeadSort,
    ) -> Result<Access, StoreError> {
        self.probes_on_indexes(true).await?;
        let mut access = Access::Walk(walk_index(visibility, filter, sort));
        for probe in probes(self.backend(), org, visibility, filter, FEW) {
            let (n, ids) = self.found_ids(&probe.sql).await?;
            if n <= FEW {
                access = Access::Candidates(ids);
                break;
            }
        }
        self.probes_on_indexes(false).await?;
        Ok(access)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the arguments of a list, plus how it reads"
    )]
    fn leads_sql(
        &self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
        access: &Access,
        sort: LeadSort,
        (after, until): (Option<&After>, Option<&After>),
        limit: u32,
    ) -> Sql {
        let backend = self.backend();
        let mut q = Sql::new(&format!(
            "{COLUMNS} FROM leads l{} JOIN statuses s ON s.id = l.status_id",
            index_hint(
                backend,
                match access {
                    Access::Walk(index) => Some(index),
                    Access::Candidates(_) => None,
                }
            )
        ));
        match access {
            // `+` keeps PostgreSQL off every (org_id, …) index too: the ids are the way in.
            Access::Candidates(ids) => {
                q.push(" WHERE +l.org_id = ")
                    .push_bind(org)
                    .push(" AND l.id");
                let (open, close) = id_in_json(backend);
                q.push(open).push_bind(ids.as_str()).push(close);
            }
            Access::Walk(_) => {
                q.push(" WHERE l.org_id = ").push_bind(org);
            }
        }
        push_visibility(&mut q, visibility, filter.in_pool);
        if let Some(u) = filter.owner {
            q.push(" AND l.owner_user_id = ").push_bind(u);
        }
        match filter.in_pool {
            Some(true) => q.push(" AND l.owner_kind = 'pool'"),
            Some(false) => q.push(" AND l.owner_kind <> 'pool'"),
            None => &mut q,
        };
        if let Some(p) = filter.pool {
            q.push(" AND l.owner_pool_id = ").push_bind(p);
        }
        if !filter.statuses.is_empty() {
            q.push(" AND l.status_id IN ")
                .push_list(filter.statuses.iter().copied());
        }
        if !filter.sources.is_empty() {
            q.push(" AND l.source_id IN ")
                .push_list(filter.sources.iter().copied());
        }
        for t in &filter.tags {
            q.push(" AND EXISTS (SELECT 1 FROM lead_tags lt WHERE lt.lead_id = l.id AND lt.tag = ")
                .push_bind(t.as_str())
                .push(")");
        }
        if let Some(from) = filter.created_from {
            q.push(" AND l.created_at >= ").push_bind(from);
        }
        if let Some(to) = filter.created_to {
            q.push(" AND l.created_at < ").push_bind(to);
        }
        if let Some(pattern) = search_pattern(filter) {
            q.plan_with_values();
            q.push(" AND l.search_text LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\'");
        }
        if let Some(after) = after {
            push_after(&mut q, sort, after);
        }
        // A walk's first stretch: rows up to its bound, included.
        if let Some(until) = until {
            push_position(
                &mut q,
                sort,
                if sort.descending() { ">=" } else { "<=" },
                until,
            );
        }
        q.push(&format!(
            " ORDER BY {col} {dir}, l.id {dir} LIMIT ",
            col = sort.column(),
            dir = sort.direction()
        ))
        .push_bind(i64::from(limit));
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn fts_queries_cover_a_term_with_quoted_trigrams() {
        assert_eq!(fts_trigrams("ana"), r#""ana""#);
        assert_eq!(fts_trigrams("silva"), r#""sil" AND "lva""#);
        assert_eq!(fts_trigrams("gabriel"), r#""gab" AND "rie" AND "iel""#);
        assert_eq!(fts_trigrams("zoë ång"), r#""zoë" AND " ån" AND "ång""#);
        assert_eq!(
            fts_trigrams(r#"say "hi" OR *"#),
            r#""say" AND " ""h" AND "i"" " AND "OR " AND "R *""#
        );
    }

    #[test]
    fn phone_searches_are_reduced_to_digits() {
        assert_eq!(normalize_search(" (555) 010-2030 "), "5550102030");
        assert_eq!(normalize_search("Ana 2"), "ana 2");
    }
}
