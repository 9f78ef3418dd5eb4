//! Timelines: reading the append-only history of a lead. Entries are written with the
//! change they explain (`Tx::insert_timeline_entries`).

use leadpool_domain::{Actor, EventKind, LeadId, OrgId, TimelineEntry, Timestamp};

use crate::{Sql, StoreError, Tx, from_json};

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

impl Tx {
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
}
