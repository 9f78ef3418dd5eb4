//! Leads and their timelines. A lead row and the timeline entry explaining its change are
//! always written by the same call, inside the caller's transaction.

use leadpool_domain::lead::{NewLead, StatusRef, Transition};
use leadpool_domain::validate::PersonName;
use leadpool_domain::{
    Actor, EventKind, Lead, LeadId, OrgId, Owner, PoolId, SourceId, StatusCategory, StatusId,
    TeamId, TimelineEntry, Timestamp, UserId, Visibility,
};

use crate::dialect::searches_trigram_table;
use crate::{Arg, Backend, Sql, StoreError, Tx, from_json, to_json};

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: i64,
    org_id: i64,
    source_id: i64,
    external_id: Option<String>,
    name: String,
    emails: String,
    phones: String,
    tags: String,
    fields: String,
    status_id: i64,
    status_name: String,
    status_category: String,
    owner_kind: String,
    owner_user_id: Option<i64>,
    owner_pool_id: Option<i64>,
    owner_offer_id: Option<i64>,
    from_pool_id: Option<i64>,
    team_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl TryFrom<Row> for Lead {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let owner = Owner::from_columns(
            &r.owner_kind,
            r.owner_user_id,
            r.owner_pool_id,
            r.owner_offer_id,
        )
        .map_err(|e| StoreError::Corrupt(format!("lead {}: {e}", r.id)))?;
        let category = StatusCategory::parse(&r.status_category).ok_or_else(|| {
            StoreError::Corrupt(format!("statuses.category `{}`", r.status_category))
        })?;
        let name = if r.name.is_empty() {
            None
        } else {
            Some(
                PersonName::parse(&r.name)
                    .map_err(|e| StoreError::Corrupt(format!("lead {} name: {e}", r.id)))?,
            )
        };
        Ok(Self {
            id: LeadId::new(r.id),
            org: OrgId::new(r.org_id),
            source_id: SourceId::new(r.source_id),
            external_id: r.external_id,
            name,
            emails: from_json("leads.emails", &r.emails)?,
            phones: from_json("leads.phones", &r.phones)?,
            tags: from_json("leads.tags", &r.tags)?,
            fields: from_json("leads.fields", &r.fields)?,
            status: StatusRef {
                id: StatusId::new(r.status_id),
                name: r.status_name,
                category,
            },
            owner,
            from_pool: r.from_pool_id.map(PoolId::new),
            team_id: r.team_id.map(TeamId::new),
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
            version: r.version,
        })
    }
}

pub(crate) const SELECT: &str = "SELECT l.id, l.org_id, l.source_id, l.external_id, l.name, l.emails, l.phones, l.tags, l.fields, \
     l.status_id, s.name AS status_name, s.category AS status_category, l.owner_kind, l.owner_user_id, l.owner_pool_id, \
     l.owner_offer_id, l.from_pool_id, l.team_id, l.created_at, l.updated_at, l.version \
     FROM leads l JOIN statuses s ON s.id = l.status_id";

/// One stored timeline entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimelineRecord {
    /// Its id; entries of a lead are ordered by it.
    pub id: i64,
    /// The lead.
    pub lead_id: LeadId,
    /// The entry.
    #[serde(flatten)]
    pub entry: TimelineEntry,
}

#[derive(sqlx::FromRow)]
struct TimelineRow {
    id: i64,
    lead_id: i64,
    at: i64,
    actor_kind: String,
    actor_id: Option<i64>,
    kind: String,
    reason: Option<String>,
    changes: String,
}

impl TryFrom<TimelineRow> for TimelineRecord {
    type Error = StoreError;
    fn try_from(r: TimelineRow) -> Result<Self, StoreError> {
        let actor = Actor::from_columns(&r.actor_kind, r.actor_id).ok_or_else(|| {
            StoreError::Corrupt(format!("timeline {} actor `{}`", r.id, r.actor_kind))
        })?;
        let kind = EventKind::parse(&r.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("timeline {} kind `{}`", r.id, r.kind)))?;
        Ok(Self {
            id: r.id,
            lead_id: LeadId::new(r.lead_id),
            entry: TimelineEntry {
                at: Timestamp::from_millis(r.at),
                actor,
                kind,
                reason: r.reason,
                changes: from_json("timeline.changes", &r.changes)?,
            },
        })
    }
}

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
fn push_visibility(q: &mut Sql, v: &Visibility, in_pool: Option<bool>) {
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

/// The columns a transition may change, in the order [`push_changeable`] binds them.
pub(crate) const CHANGEABLE: &str = "name, emails, phones, tags, fields, search_text, status_id, owner_kind, owner_user_id, \
     owner_pool_id, owner_offer_id, from_pool_id, team_id, updated_at, version";

/// A lead's [`CHANGEABLE`] columns, named, with the values it binds to them, in that order.
pub(crate) fn changeable(l: &Lead) -> [(&'static str, Arg); 15] {
    let o = l.owner.to_columns();
    [
        (
            "name",
            l.name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default()
                .into(),
        ),
        ("emails", to_json(&l.emails).into()),
        ("phones", to_json(&l.phones).into()),
        ("tags", to_json(&l.tags).into()),
        ("fields", to_json(&l.fields).into()),
        ("search_text", l.search_text().into()),
        ("status_id", l.status.id.into()),
        ("owner_kind", o.kind.into()),
        ("owner_user_id", o.user_id.into()),
        ("owner_pool_id", o.pool_id.into()),
        ("owner_offer_id", o.offer_id.into()),
        ("from_pool_id", l.from_pool.into()),
        ("team_id", l.team_id.into()),
        ("updated_at", l.updated_at.into()),
        ("version", l.version.into()),
    ]
}

/// Binds a lead's [`CHANGEABLE`] columns as a comma-separated list of placeholders: the one
/// place that maps a lead onto those columns, for inserts, updates and batch updates alike.
pub(crate) fn push_changeable(q: &mut Sql, l: &Lead) {
    for (i, (_, value)) in changeable(l).into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push_bind(value);
    }
}

/// The values of a lead's row, in the column order of [`INSERT_LEAD`].
fn push_new_lead(q: &mut Sql, l: &Lead) {
    q.push("(")
        .push_bind(l.org)
        .push(", ")
        .push_bind(l.source_id)
        .push(", ")
        .push_bind(l.external_id.clone())
        .push(", ")
        .push_bind(l.created_at)
        .push(", ");
    push_changeable(q, l);
    q.push(")");
}

const INSERT_LEAD: &str = "INSERT INTO leads (org_id, source_id, external_id, created_at, ";

impl Tx {
    /// Only the INSERT of a lead's row: no tags, no timeline. For benchmarks' raw rate; never
    /// use it to store a lead (it would have no timeline entry).
    pub async fn bench_bare_lead_insert(&mut self, new: &NewLead) -> Result<(), StoreError> {
        let mut q = Sql::new(&format!("{INSERT_LEAD}{CHANGEABLE}) VALUES "));
        push_new_lead(&mut q, &new.lead);
        q.push(" RETURNING id");
        self.fetch_one::<IdRow>(&q).await.map(drop)
    }

    /// Stores a new lead with its tags and its `created` entry; returns it with its id.
    pub async fn insert_lead(&mut self, new: &NewLead) -> Result<Lead, StoreError> {
        self.insert_leads(std::slice::from_ref(new))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("an inserted lead came back without an id".into()))
    }

    /// Stores new leads with their tags and `created` entries, a few statements for all of
    /// them; returns them with their ids, in the order given.
    pub async fn insert_leads(&mut self, new: &[NewLead]) -> Result<Vec<Lead>, StoreError> {
        let mut out = Vec::with_capacity(new.len());
        for chunk in new.chunks(crate::bulk::CHUNK) {
            let mut q = Sql::new(&format!("{INSERT_LEAD}{CHANGEABLE}) VALUES "));
            for (i, n) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                push_new_lead(&mut q, &n.lead);
            }
            q.push(" RETURNING id");
            let ids = self.inserted_ids(&q, chunk.len(), "leads").await?;
            let leads: Vec<Lead> = chunk
                .iter()
                .zip(ids)
                .map(|(n, id)| {
                    let mut lead = n.lead.clone();
                    lead.id = LeadId::new(id);
                    lead
                })
                .collect();
            self.insert_lead_tags(&leads.iter().collect::<Vec<_>>())
                .await?;
            let entries: Vec<(LeadId, &TimelineEntry)> = leads
                .iter()
                .zip(chunk)
                .map(|(l, n)| (l.id, &n.entry))
                .collect();
            self.insert_timeline_entries(chunk[0].lead.org, &entries)
                .await?;
            out.extend(leads);
        }
        Ok(out)
    }

    /// Adds these leads' tags to the tag index.
    pub(crate) async fn insert_lead_tags(&mut self, leads: &[&Lead]) -> Result<(), StoreError> {
        let pairs: Vec<(LeadId, &str)> = leads
            .iter()
            .flat_map(|l| l.tags.iter().map(|t| (l.id, t.as_str())))
            .collect();
        for chunk in pairs.chunks(crate::bulk::CHUNK) {
            let mut q = Sql::new("INSERT INTO lead_tags (lead_id, tag) VALUES ");
            for (i, (lead, tag)) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .push_bind(*lead)
                    .push(", ")
                    .push_bind(*tag)
                    .push(")");
            }
            self.execute(&q).await?;
        }
        Ok(())
    }

    /// Writes a transition if the lead is still at the version it was read at, with its
    /// timeline entry. `Ok(false)` when someone else changed it first (nothing written).
    pub async fn update_lead(
        &mut self,
        from_version: i64,
        t: &Transition,
    ) -> Result<bool, StoreError> {
        let l = &t.lead;
        let mut q = Sql::new(&format!("UPDATE leads SET ({CHANGEABLE}) = ("));
        push_changeable(&mut q, l);
        q.push(") WHERE org_id = ")
            .push_bind(l.org)
            .push(" AND id = ")
            .push_bind(l.id)
            .push(" AND version = ")
            .push_bind(from_version);
        if self.execute(&q).await? == 0 {
            return Ok(false);
        }
        // The tag index only changes when the tags do (the entry names every changed field).
        if t.entry.changes.get("tags").is_some() {
            self.execute(&Sql::new("DELETE FROM lead_tags WHERE lead_id = $1").bind(l.id))
                .await?;
            self.insert_lead_tags(&[l]).await?;
        }
        self.insert_timeline_entries(l.org, &[(l.id, &t.entry)])
            .await?;
        Ok(true)
    }

    /// The lead with this id in this organization, if `visibility` lets the asker see it.
    pub async fn lead(
        &mut self,
        org: OrgId,
        id: LeadId,
        visibility: &Visibility,
    ) -> Result<Lead, StoreError> {
        let mut q = Sql::new(&format!("{SELECT} WHERE l.org_id = $1 AND l.id = $2"))
            .bind(org)
            .bind(id);
        push_visibility(&mut q, visibility, None);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The lead a source already sent with this external id.
    pub async fn lead_by_external_id(
        &mut self,
        org: OrgId,
        source: SourceId,
        external_id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        let q = Sql::new(&format!(
            "{SELECT} WHERE l.org_id = $1 AND l.source_id = $2 AND l.external_id = $3"
        ))
        .bind(org)
        .bind(source)
        .bind(external_id);
        self.fetch_optional::<Row>(&q)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    /// The leads that these sources already sent under these external ids.
    pub async fn leads_by_external_ids(
        &mut self,
        org: OrgId,
        keys: &[(SourceId, &str)],
    ) -> Result<Vec<Lead>, StoreError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(crate::bulk::CHUNK) {
            let mut sources: Vec<SourceId> = chunk.iter().map(|(s, _)| *s).collect();
            sources.sort_unstable();
            sources.dedup();
            // Both lists together walk the (source_id, external_id) key; the pairs that only
            // cross-match are dropped below. The unary plus keeps SQLite off the org index.
            let mut q = Sql::new(SELECT);
            q.push(" WHERE +l.org_id = ")
                .push_bind(org)
                .push(" AND l.source_id IN ")
                .push_list(sources)
                .push(" AND l.external_id IN ")
                .push_list(chunk.iter().map(|(_, x)| *x));
            for r in self.fetch_all::<Row>(&q).await? {
                let lead: Lead = r.try_into()?;
                if chunk
                    .iter()
                    .any(|(s, x)| *s == lead.source_id && lead.external_id.as_deref() == Some(*x))
                {
                    out.push(lead);
                }
            }
        }
        Ok(out)
    }

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

    /// The whole timeline of a lead, oldest first.
    pub async fn timeline(
        &mut self,
        org: OrgId,
        lead: LeadId,
    ) -> Result<Vec<TimelineRecord>, StoreError> {
        let q = Sql::new(
            "SELECT id, lead_id, at, actor_kind, actor_id, kind, reason, changes FROM timeline WHERE org_id = $1 AND lead_id = $2 ORDER BY id",
        )
        .bind(org)
        .bind(lead);
        self.fetch_all::<TimelineRow>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The latest entry of one of these kinds for each of these leads.
    pub async fn latest_entries(
        &mut self,
        org: OrgId,
        leads: &[LeadId],
        kinds: &[EventKind],
    ) -> Result<std::collections::HashMap<LeadId, TimelineRecord>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for chunk in leads.chunks(500) {
            let mut q = Sql::new(
                "SELECT id, lead_id, at, actor_kind, actor_id, kind, reason, changes FROM timeline WHERE id IN \
                 (SELECT MAX(id) FROM timeline WHERE org_id = ",
            );
            q.push_bind(org)
                .push(" AND lead_id IN ")
                .push_list(chunk.iter().copied())
                .push(" AND kind IN ")
                .push_list(kinds.iter().map(|k| k.as_str()))
                .push(" GROUP BY lead_id)");
            for r in self.fetch_all::<TimelineRow>(&q).await? {
                let rec = TimelineRecord::try_from(r)?;
                out.insert(rec.lead_id, rec);
            }
        }
        Ok(out)
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

    /// How many leads the organization has.
    pub async fn count_leads(&mut self, org: OrgId) -> Result<i64, StoreError> {
        let r: CountRow = self
            .fetch_one(&Sql::new("SELECT COUNT(*) AS n FROM leads WHERE org_id = $1").bind(org))
            .await?;
        Ok(r.n)
    }
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    n: i64,
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
