//! Bulk seeding for `leadpool bench`: a million rows in seconds, which the one-lead-at-a-time
//! product paths would take minutes to write. Never used by the product itself.

use leadpool_domain::lead::NewLead;
use leadpool_domain::timeline::TimelineEntry;
use leadpool_domain::timer::TimerKind;
use leadpool_domain::{LeadId, OrgId, PoolId, SourceId, StatusId, Timestamp, UserId};

use crate::leads::{CHANGEABLE, INSERT_LEAD, push_new_lead};
use crate::{Sql, StoreError, Tx, to_json};

#[derive(sqlx::FromRow)]
struct MinId {
    id: Option<i64>,
}

impl Tx {
    /// Only the INSERT of a lead's row: no tags, no timeline. For benchmarks' raw rate; never
    /// use it to store a lead (it would have no timeline entry).
    pub async fn bench_bare_lead_insert(&mut self, new: &NewLead) -> Result<(), StoreError> {
        let mut q = Sql::new(&format!("{INSERT_LEAD}{CHANGEABLE}) VALUES "));
        push_new_lead(&mut q, &new.lead);
        q.push(" RETURNING id");
        self.fetch_one::<IdRow>(&q).await.map(drop)
    }

    /// Inserts `n` queue leads in `status` (named `Bench <i>`, version 1) and, for each, a
    /// status-expiry timer set for version 1: the `k`-th new lead's timer falls due at
    /// `first_due + k * 1000 / per_second` milliseconds. Returns the first new lead's id.
    #[allow(
        clippy::too_many_arguments,
        reason = "each argument is one fact of the seeded rows"
    )]
    pub async fn bench_seed_expiring_leads(
        &mut self,
        org: OrgId,
        source: SourceId,
        status: StatusId,
        n: i64,
        first_due: Timestamp,
        per_second: i64,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let before: MinId = self
            .fetch_one(&Sql::new("SELECT MAX(id) AS id FROM leads"))
            .await?;
        let first_id = before.id.unwrap_or(0) + 1;
        let leads = Sql::new(
            "INSERT INTO leads (org_id, source_id, name, status_id, owner_kind, queued_at, created_at, updated_at, version, search_text) \
             WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < $1) \
             SELECT $2, $3, 'Bench ' || i, $4, 'queue', $5, $5, $5, 1, 'bench ' || i FROM seq",
        )
        .bind(n)
        .bind(org)
        .bind(source)
        .bind(status)
        .bind(now);
        self.execute(&leads).await?;
        let timers = Sql::new(
            "INSERT INTO timers (org_id, lead_id, kind, due_at, lead_version, created_at) \
             SELECT org_id, id, $1, $2 + ((id - $3) * 1000) / $4, 1, $5 FROM leads WHERE id >= $3 AND org_id = $6",
        )
        .bind(TimerKind::StatusExpiry.as_str())
        .bind(first_due)
        .bind(first_id)
        .bind(per_second.max(1))
        .bind(now)
        .bind(org);
        self.execute(&timers).await?;
        Ok(first_id)
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdRow {
    pub(crate) id: i64,
}

impl Tx {
    /// Inserts `n` leads named `Pool Bench <i>` with an email and a phone each; one lead in
    /// every `n / pooled` sits in `pool`, the rest in the manual queue.
    #[allow(
        clippy::too_many_arguments,
        reason = "each argument is one fact of the seeded rows"
    )]
    pub async fn bench_seed_pool_leads(
        &mut self,
        org: OrgId,
        source: SourceId,
        status: StatusId,
        pool: PoolId,
        n: i64,
        pooled: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let every = (n / pooled.max(1)).max(1);
        let q = Sql::new(
            "INSERT INTO leads (org_id, source_id, name, emails, phones, search_text, status_id, owner_kind, owner_pool_id, \
             from_pool_id, queued_at, created_at, updated_at, version) \
             WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < $1) \
             SELECT $2, $3, 'Pool Bench ' || i, '[\"lead' || i || '@example.com\"]', '[\"+1555' || (1000000 + i) || '\"]', \
             'pool bench ' || i || ' lead' || i || '@example.com 1555' || (1000000 + i), $4, \
             CASE WHEN i % $5 = 0 THEN 'pool' ELSE 'queue' END, CASE WHEN i % $5 = 0 THEN $6 END, \
             CASE WHEN i % $5 = 0 THEN $6 END, CASE WHEN i % $5 <> 0 THEN $7 + i END, $7 + i, $7 + i, 1 FROM seq",
        )
        .bind(n)
        .bind(org)
        .bind(source)
        .bind(status)
        .bind(every)
        .bind(pool)
        .bind(now);
        self.execute(&q).await.map(drop)
    }

    /// The ids of every lead in `pool`.
    pub async fn bench_pool_lead_ids(
        &mut self,
        org: OrgId,
        pool: PoolId,
    ) -> Result<Vec<LeadId>, StoreError> {
        let q =
            Sql::new("SELECT id FROM leads WHERE org_id = $1 AND owner_pool_id = $2 ORDER BY id")
                .bind(org)
                .bind(pool);
        Ok(self
            .fetch_all::<IdRow>(&q)
            .await?
            .into_iter()
            .map(|r| LeadId::new(r.id))
            .collect())
    }

    /// A claim's bare conditional UPDATE: hands a pool lead to `user` if it is still in a pool,
    /// with no timeline, cap or reserve. For benchmarks' raw rate only.
    pub async fn bench_bare_claim(
        &mut self,
        org: OrgId,
        lead: LeadId,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let q = Sql::new(
            "UPDATE leads SET owner_kind = 'agent', owner_user_id = $3, owner_pool_id = NULL, updated_at = $4, \
             version = version + 1 WHERE org_id = $1 AND id = $2 AND owner_kind = 'pool'",
        )
        .bind(org)
        .bind(lead)
        .bind(user)
        .bind(now);
        Ok(self.execute(&q).await? == 1)
    }

    /// The writes that firing `limit` due status-expiry timers makes, as plain set-based SQL
    /// with nothing read back: each timer's lead moves to `to_status` (a new version) and gets
    /// `entry` (as firing wrote it for another lead) on its timeline, and the timer is
    /// deleted. What the store itself costs for a firing, whatever code decides it; returns
    /// the timers removed.
    pub async fn bench_fire_set_based(
        &mut self,
        now: Timestamp,
        limit: u32,
        to_status: StatusId,
        entry: &TimelineEntry,
    ) -> Result<u64, StoreError> {
        let due = "SELECT id FROM timers WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2";
        let leads = Sql::new(&format!(
            "UPDATE leads SET status_id = $3, updated_at = $1, version = version + 1 \
             WHERE id IN (SELECT lead_id FROM timers WHERE id IN ({due}))"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .bind(to_status);
        self.execute(&leads).await?;
        let timeline = Sql::new(&format!(
            "INSERT INTO timeline (org_id, lead_id, at, actor_kind, actor_id, kind, reason, changes) \
             SELECT org_id, lead_id, $1, $3, $4, $5, $6, $7 FROM timers WHERE id IN ({due})"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .bind(entry.actor.kind())
        .bind(entry.actor.reference())
        .bind(entry.kind.as_str())
        .bind(entry.reason.clone())
        .bind(to_json(&entry.changes));
        self.execute(&timeline).await?;
        let timers = Sql::new(&format!("DELETE FROM timers WHERE id IN ({due})"))
            .bind(now)
            .bind(i64::from(limit));
        self.execute(&timers).await
    }
}
