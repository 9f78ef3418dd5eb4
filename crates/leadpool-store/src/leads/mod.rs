//! Leads: their rows, how a lead maps onto them, and the writes. A lead row and the
//! timeline entry explaining its change are always written by the same call, inside the
//! caller's transaction. Lists and search live in `list`, timelines in `timeline`.

mod list;
mod queue;
mod timeline;

use leadpool_domain::lead::{NewLead, StatusRef, Transition};
use leadpool_domain::validate::PersonName;
use leadpool_domain::{
    Lead, LeadId, OrgId, Owner, PoolId, SourceId, StatusCategory, StatusId, TeamId, TimelineEntry,
    Timestamp, Visibility,
};

pub use list::{After, LeadFilter, LeadSort};
pub use queue::{COUNT_UP_TO, QueueFilter, QueuePlace, QueueSort, QueuedRecord, Tally};
pub use timeline::TimelineRecord;

pub(crate) use list::push_visibility;

use crate::{Arg, Sql, StoreError, Tx, from_json, to_json};

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
    status_shark_tank: bool,
    owner_kind: String,
    owner_user_id: Option<i64>,
    owner_pool_id: Option<i64>,
    owner_offer_id: Option<i64>,
    from_pool_id: Option<i64>,
    team_id: Option<i64>,
    assigned_at: Option<i64>,
    first_contact_at: Option<i64>,
    queued_at: Option<i64>,
    queue_reason: Option<String>,
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
                shark_tank: r.status_shark_tank,
            },
            owner,
            from_pool: r.from_pool_id.map(PoolId::new),
            team_id: r.team_id.map(TeamId::new),
            assigned_at: r.assigned_at.map(Timestamp::from_millis),
            first_contact_at: r.first_contact_at.map(Timestamp::from_millis),
            queued_at: r.queued_at.map(Timestamp::from_millis),
            queue_reason: r.queue_reason,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
            version: r.version,
        })
    }
}

/// The SELECT list of a lead row, read from `leads l` joined with its status `s`.
macro_rules! lead_columns {
    () => {
        "SELECT l.id, l.org_id, l.source_id, l.external_id, l.name, l.emails, l.phones, l.tags, l.fields, \
         l.status_id, s.name AS status_name, s.category AS status_category, s.shark_tank AS status_shark_tank, l.owner_kind, l.owner_user_id, l.owner_pool_id, \
         l.owner_offer_id, l.from_pool_id, l.team_id, l.assigned_at, l.first_contact_at, l.queued_at, l.queue_reason, l.created_at, l.updated_at, l.version"
    };
}

/// The SELECT list of a lead row; the query names `leads l` and `statuses s` itself.
pub(crate) const COLUMNS: &str = lead_columns!();

/// A lead row: [`COLUMNS`] from `leads l` and its status `s`.
pub(crate) const SELECT: &str = concat!(
    lead_columns!(),
    " FROM leads l JOIN statuses s ON s.id = l.status_id"
);

/// The columns a transition may change, in the order [`push_changeable`] binds them.
pub(crate) const CHANGEABLE: &str = "name, emails, phones, tags, fields, search_text, status_id, owner_kind, owner_user_id, \
     owner_pool_id, owner_offer_id, from_pool_id, team_id, assigned_at, first_contact_at, queued_at, queue_reason, updated_at, version";

/// A lead's [`CHANGEABLE`] columns, named, with the values it binds to them, in that order.
pub(crate) fn changeable(l: &Lead) -> [(&'static str, Arg); 19] {
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
        ("assigned_at", l.assigned_at.into()),
        ("first_contact_at", l.first_contact_at.into()),
        ("queued_at", l.queued_at.into()),
        ("queue_reason", l.queue_reason.clone().into()),
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
pub(crate) fn push_new_lead(q: &mut Sql, l: &Lead) {
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

/// The start of a lead row's INSERT, before its [`CHANGEABLE`] columns.
pub(crate) const INSERT_LEAD: &str =
    "INSERT INTO leads (org_id, source_id, external_id, created_at, ";

impl Tx {
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

    /// The leads of the organization holding any of these emails or phones (as the domain
    /// normalizes them): each value found with a lead holding it, from the index the
    /// `lead_contacts` triggers keep.
    pub async fn leads_by_contacts(
        &mut self,
        org: OrgId,
        values: &[&str],
    ) -> Result<Vec<(String, LeadId)>, StoreError> {
        let mut out = Vec::new();
        for chunk in values.chunks(crate::bulk::CHUNK) {
            let mut q = Sql::new("SELECT value, lead_id FROM lead_contacts WHERE org_id = ");
            q.push_bind(org)
                .push(" AND value IN ")
                .push_list(chunk.iter().copied())
                .push(" ORDER BY lead_id");
            out.extend(
                self.fetch_all::<ContactRow>(&q)
                    .await?
                    .into_iter()
                    .map(|r| (r.value, LeadId::new(r.lead_id))),
            );
        }
        Ok(out)
    }

    /// The leads in a status: each one's id, version and creation time.
    pub async fn leads_in_status(
        &mut self,
        org: OrgId,
        status: StatusId,
    ) -> Result<Vec<(LeadId, i64, Timestamp)>, StoreError> {
        let q = Sql::new(
            "SELECT id, version, created_at FROM leads WHERE org_id = $1 AND status_id = $2 ORDER BY id",
        )
        .bind(org)
        .bind(status);
        Ok(self
            .fetch_all::<InStatusRow>(&q)
            .await?
            .into_iter()
            .map(|r| {
                (
                    LeadId::new(r.id),
                    r.version,
                    Timestamp::from_millis(r.created_at),
                )
            })
            .collect())
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
struct ContactRow {
    value: String,
    lead_id: i64,
}

#[derive(sqlx::FromRow)]
struct InStatusRow {
    id: i64,
    version: i64,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CountRow {
    pub(crate) n: i64,
}
