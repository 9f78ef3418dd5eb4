//! Lead lists: the filters, sort orders and pages of a list, the text search (SQLite's
//! trigram table or PostgreSQL's pg_trgm index) and the visibility every read applies.

use leadpool_domain::{
    Lead, LeadId, OrgId, PoolId, SourceId, StatusId, Timestamp, UserId, Visibility,
};

use super::{IdRow, Row, SELECT};
use crate::dialect::searches_trigram_table;
use crate::{Backend, Sql, StoreError, Tx, to_json};

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

/// On SQLite a term with fewer candidates than this in the trigram table is looked up there
/// first and only its candidates are read, by id; a term with more is checked on each row
/// the list walks in its order, which fills a page after about `page × leads ÷ matches`
/// rows. Reading a lead by id costs about what checking five or six walked rows does, so
/// the two ways cost the same, a few milliseconds, near here for an organization of a
/// million leads. The table holds every organization's leads: the list's own conditions
/// drop the others' candidates.
const FEW_MATCHES: usize = 3_000;

/// How a lead list applies its search term.
struct Search {
    /// `search_text LIKE` this decides, on both backends. PostgreSQL's planner serves it
    /// from the pg_trgm index when the term is selective, and rechecks.
    pattern: String,
    /// Only these leads can match (a JSON array of ids from SQLite's trigram table), when
    /// they are few.
    candidates: Option<String>,
}

/// The filter's search term as the search text stores it, if it has one.
fn search_term(filter: &LeadFilter) -> Option<String> {
    filter
        .search
        .as_deref()
        .map(normalize_search)
        .filter(|s| !s.is_empty())
}

/// The lookup of a term's matches in SQLite's trigram table, stopping at [`FEW_MATCHES`],
/// and the term. `None` on PostgreSQL, with no term, or with a term shorter than three
/// characters: the index holds runs of three, so a shorter term has none to look up (FTS5
/// would match nothing) and is checked with LIKE; it matches so many leads that a page
/// fills soon anyway.
fn trigram_lookup(backend: Backend, filter: &LeadFilter) -> Option<(Sql, String)> {
    let term = search_term(filter)?;
    if !searches_trigram_table(backend) || term.chars().count() < 3 {
        return None;
    }
    let lookup = Sql::new("SELECT rowid AS id FROM leads_fts WHERE leads_fts MATCH $1 LIMIT $2")
        .bind(fts_trigrams(&term))
        .bind(i64::try_from(FEW_MATCHES).unwrap_or(i64::MAX));
    Some((lookup, term))
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
pub(super) fn push_visibility(q: &mut Sql, v: &Visibility, in_pool: Option<bool>) {
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
        let search = self.search(filter).await?;
        let q = self.leads_sql(org, visibility, filter, search.as_ref(), sort, after, limit);
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The database's plans for the first page [`Tx::leads`] would read with these
    /// arguments, one line per step, the search's own lookup first when it has one: shows
    /// which indexes a list uses (benchmarks print it).
    pub async fn explain_leads(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
        sort: LeadSort,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let mut plan = match trigram_lookup(self.backend(), filter) {
            Some((lookup, _)) => self.explain(&lookup).await?,
            None => Vec::new(),
        };
        let search = self.search(filter).await?;
        let q = self.leads_sql(org, visibility, filter, search.as_ref(), sort, None, limit);
        plan.extend(self.explain(&q).await?);
        Ok(plan)
    }

    /// How a list applies the filter's search term, looking its matches up first where
    /// that pays.
    async fn search(&mut self, filter: &LeadFilter) -> Result<Option<Search>, StoreError> {
        if let Some((lookup, term)) = trigram_lookup(self.backend(), filter) {
            let ids: Vec<i64> = self
                .fetch_all::<IdRow>(&lookup)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect();
            return Ok(Some(Search {
                pattern: like_pattern(&term),
                candidates: (ids.len() < FEW_MATCHES).then(|| to_json(&ids)),
            }));
        }
        Ok(search_term(filter).map(|t| Search {
            pattern: like_pattern(&t),
            candidates: None,
        }))
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the arguments of a list, plus how it searches"
    )]
    fn leads_sql(
        &self,
        org: OrgId,
        visibility: &Visibility,
        filter: &LeadFilter,
        search: Option<&Search>,
        sort: LeadSort,
        after: Option<&After>,
        limit: u32,
    ) -> Sql {
        let mut q = Sql::new(SELECT);
        // A search's few matches are read by id. Without statistics SQLite takes any
        // organization index to be cheaper than that and would walk one instead; `+` keeps
        // it off them all (each begins with org_id).
        let org_column = if search.is_some_and(|s| s.candidates.is_some()) {
            "+l.org_id"
        } else {
            "l.org_id"
        };
        q.push(&format!(" WHERE {org_column} = ")).push_bind(org);
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
        if let Some(s) = search {
            q.plan_with_values();
            if let Some(ids) = &s.candidates {
                q.push(" AND l.id IN (SELECT value FROM json_each(")
                    .push_bind(ids.as_str())
                    .push("))");
            }
            q.push(" AND l.search_text LIKE ")
                .push_bind(s.pattern.as_str())
                .push(" ESCAPE '\\'");
        }
        let (col, cmp, dir) = (
            sort.column(),
            if sort.descending() { "<" } else { ">" },
            if sort.descending() { "DESC" } else { "ASC" },
        );
        if let Some(after) = after {
            q.push(&format!(" AND ({col}, l.id) {cmp} ("));
            match after {
                After::Int(v, id) => q.push_bind(*v).push(", ").push_bind(*id),
                After::Text(v, id) => q.push_bind(v.as_str()).push(", ").push_bind(*id),
            };
            q.push(")");
        }
        q.push(&format!(" ORDER BY {col} {dir}, l.id {dir} LIMIT "))
            .push_bind(i64::from(limit));
        q
    }

    /// Leads in the manual assignment queue that `visibility` lets the asker see, oldest
    /// first, after the lead `after`.
    pub async fn queue_leads(
        &mut self,
        org: OrgId,
        visibility: &Visibility,
        after: Option<LeadId>,
        limit: u32,
    ) -> Result<Vec<Lead>, StoreError> {
        let mut q = Sql::new(&format!(
            "{SELECT} WHERE l.org_id = $1 AND l.owner_kind = 'queue'"
        ))
        .bind(org);
        push_visibility(&mut q, visibility, None);
        if let Some(a) = after {
            q.push(" AND l.id > ").push_bind(a);
        }
        q.push(" ORDER BY l.id LIMIT ").push_bind(i64::from(limit));
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
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
