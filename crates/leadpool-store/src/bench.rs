//! Bulk seeding for `leadpool bench`: a million rows in seconds, which the one-lead-at-a-time
//! product paths would take minutes to write. Never used by the product itself.

use leadpool_domain::timer::TimerKind;
use leadpool_domain::{OrgId, SourceId, StatusId, Timestamp};

use crate::{Sql, StoreError, Tx};

#[derive(sqlx::FromRow)]
struct MinId {
    id: Option<i64>,
}

impl Tx {
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
            "INSERT INTO leads (org_id, source_id, name, status_id, owner_kind, created_at, updated_at, version, search_text) \
             WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < $1) \
             SELECT $2, $3, 'Bench ' || i, $4, 'queue', $5, $5, 1, 'bench ' || i FROM seq",
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
