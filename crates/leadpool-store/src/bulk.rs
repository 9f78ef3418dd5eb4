//! Many lead changes at once: the same rows and timeline entries the one-lead paths write,
//! a few statements for a whole batch instead of several per lead. The timer scheduler fires
//! claimed batches through it.

use leadpool_domain::lead::Transition;
use leadpool_domain::timeline::TimelineEntry;
use leadpool_domain::timer::TimerKind;
use leadpool_domain::{Lead, LeadId, OrgId, Timestamp};

use crate::dialect::for_update_of;
use crate::leads::{Row, SELECT, changeable};
use crate::{Sql, StoreError, Tx, to_json};

/// Rows per statement: within both backends' limits on bound parameters.
pub(crate) const CHUNK: usize = 400;

#[derive(sqlx::FromRow)]
struct Taken {
    id: i64,
    lead_version: i64,
}

#[derive(sqlx::FromRow)]
struct Updated {
    id: i64,
}

impl Tx {
    /// Runs a multi-row `INSERT … RETURNING id` of `rows` rows and returns the ids in the
    /// order of its VALUES. RETURNING promises no order, but both backends number the rows
    /// of one INSERT in the order of its VALUES (SQLite's next rowid, PostgreSQL's
    /// sequence), so the ids in ascending order are the rows in the order given.
    pub(crate) async fn inserted_ids(
        &mut self,
        q: &Sql,
        rows: usize,
        what: &str,
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids: Vec<i64> = self
            .fetch_all::<Inserted>(q)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        if ids.len() != rows {
            return Err(StoreError::Corrupt(format!(
                "{rows} {what} inserted, {} ids returned",
                ids.len()
            )));
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Leads of the organization with these ids, locked until the transaction ends when the
    /// backend locks rows (in id order, so two batches never wait on each other in a cycle).
    pub async fn leads_by_ids(
        &mut self,
        org: OrgId,
        ids: &[LeadId],
        lock: bool,
    ) -> Result<Vec<Lead>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        for chunk in sorted.chunks(CHUNK) {
            let mut q = Sql::new(SELECT);
            // The unary plus keeps SQLite from answering through an (org_id, …) index, which
            // walks every lead of the organization, instead of looking each id up.
            q.push(" WHERE +l.org_id = ")
                .push_bind(org)
                .push(" AND l.id IN ")
                .push_list(chunk.iter().copied())
                .push(" ORDER BY l.id");
            if lock {
                q.push(&for_update_of(self.backend(), "l"));
            }
            for r in self.fetch_all::<Row>(&q).await? {
                out.push(r.try_into()?);
            }
        }
        Ok(out)
    }

    /// Removes claimed timers this owner still holds, returning each one's id and the lead
    /// version it is for now; timers whose lease was lost are left out.
    pub async fn take_claimed_timers(
        &mut self,
        ids: &[i64],
        owner: &str,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut q = Sql::new("DELETE FROM timers WHERE lease_owner = ");
            q.push_bind(owner)
                .push(" AND id IN ")
                .push_list(chunk.iter().copied())
                .push(" RETURNING id, lead_version");
            out.extend(
                self.fetch_all::<Taken>(&q)
                    .await?
                    .into_iter()
                    .map(|t| (t.id, t.lead_version)),
            );
        }
        Ok(out)
    }

    /// Writes transitions of distinct leads, each from the lead as it was read and only if
    /// that lead's version is still the stored one, with their timeline entries; returns the
    /// leads written.
    ///
    /// Only columns some lead in a chunk changes are set: every other index on `leads` (a
    /// claim leaves name and status alone) is then not rewritten.
    pub async fn update_leads(
        &mut self,
        org: OrgId,
        changes: &[(&Lead, &Transition)],
    ) -> Result<Vec<LeadId>, StoreError> {
        let mut written = Vec::with_capacity(changes.len());
        for chunk in changes.chunks(CHUNK) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(before, t)| (before.version, t.lead.id, changeable(&t.lead)))
                .collect();
            let befores: Vec<_> = chunk.iter().map(|(before, _)| changeable(before)).collect();
            let set: Vec<usize> = (0..befores[0].len())
                .filter(|&c| rows.iter().zip(&befores).any(|(r, b)| r.2[c].1 != b[c].1))
                .collect();
            let names: Vec<&str> = set.iter().map(|&c| rows[0].2[c].0).collect();
            let mut q = Sql::new(&format!(
                "WITH v(id, from_version, {}) AS (VALUES ",
                names.join(", ")
            ));
            for (i, (from, id, values)) in rows.into_iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" });
                q.push_bind(id).push(", ").push_bind(from);
                for (column, (_, value)) in values.into_iter().enumerate() {
                    if set.contains(&column) {
                        q.push(", ").push_bind(value);
                    }
                }
                q.push(")");
            }
            let assign: Vec<String> = names.iter().map(|c| format!("{c} = v.{c}")).collect();
            q.push(&format!(
                ") UPDATE leads SET {} FROM v WHERE leads.id = v.id AND leads.version = v.from_version \
                 AND leads.id IN (SELECT id FROM v) AND leads.org_id = ",
                assign.join(", ")
            ));
            // `leads.id IN (SELECT id FROM v)` lets SQLite look rows up by id; without it its
            // UPDATE … FROM plan scans the whole leads table once per statement.
            q.push_bind(org).push(" RETURNING leads.id");
            let ids: Vec<LeadId> = self
                .fetch_all::<Updated>(&q)
                .await?
                .into_iter()
                .map(|u| LeadId::new(u.id))
                .collect();
            let done: Vec<&Transition> = chunk
                .iter()
                .map(|(_, t)| *t)
                .filter(|t| ids.contains(&t.lead.id))
                .collect();
            for t in done
                .iter()
                .filter(|t| t.entry.changes.get("tags").is_some())
            {
                self.execute(&Sql::new("DELETE FROM lead_tags WHERE lead_id = $1").bind(t.lead.id))
                    .await?;
                self.insert_lead_tags(&[&t.lead]).await?;
            }
            let entries: Vec<(LeadId, &TimelineEntry)> =
                done.iter().map(|t| (t.lead.id, &t.entry)).collect();
            self.insert_timeline_entries(org, &entries).await?;
            written.extend(ids);
        }
        Ok(written)
    }

    /// Appends entries to leads' timelines.
    pub(crate) async fn insert_timeline_entries(
        &mut self,
        org: OrgId,
        entries: &[(LeadId, &TimelineEntry)],
    ) -> Result<(), StoreError> {
        for chunk in entries.chunks(CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO timeline (org_id, lead_id, at, actor_kind, actor_id, kind, reason, changes) VALUES ",
            );
            for (i, (lead, e)) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" });
                q.push_bind(org)
                    .push(", ")
                    .push_bind(*lead)
                    .push(", ")
                    .push_bind(e.at)
                    .push(", ")
                    .push_bind(e.actor.kind())
                    .push(", ");
                q.push_bind(e.actor.reference())
                    .push(", ")
                    .push_bind(e.kind.as_str())
                    .push(", ")
                    .push_bind(e.reason.clone())
                    .push(", ");
                q.push_bind(to_json(&e.changes)).push(")");
            }
            self.execute(&q).await?;
        }
        Ok(())
    }

    /// Sets many leads' timers at once, each to fire at its due time for its lead version,
    /// replacing any pending one of its kind (and any lease on it).
    pub async fn set_timers(
        &mut self,
        org: OrgId,
        timers: &[(LeadId, TimerKind, Timestamp, i64)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        for chunk in timers.chunks(CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO timers (org_id, lead_id, kind, due_at, lead_version, created_at) VALUES ",
            );
            for (i, (lead, kind, due, version)) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" });
                q.push_bind(org)
                    .push(", ")
                    .push_bind(*lead)
                    .push(", ")
                    .push_bind(kind.as_str())
                    .push(", ");
                q.push_bind(*due)
                    .push(", ")
                    .push_bind(*version)
                    .push(", ")
                    .push_bind(now)
                    .push(")");
            }
            q.push(
                " ON CONFLICT (lead_id, kind) DO UPDATE SET due_at = excluded.due_at, lead_version = excluded.lead_version, \
                 lease_owner = NULL, lease_until = NULL, attempts = 0",
            );
            self.execute(&q).await?;
        }
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct Inserted {
    id: i64,
}
