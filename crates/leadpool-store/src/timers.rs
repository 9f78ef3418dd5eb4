//! Durable timers: rows created, moved and cancelled in the same transaction as the lead
//! change that causes them, claimed by any instance under a lease, and deleted in the same
//! transaction as their effect, so each fires exactly once.

use leadpool_domain::timer::TimerKind;
use leadpool_domain::{LeadId, OrgId, Timestamp};

use crate::dialect::{for_update, locks_rows, skip_locked};
use crate::{Sql, StoreError, Tx};

/// A timer an instance has claimed and must now fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTimer {
    /// Its id.
    pub id: i64,
    /// The lead's organization.
    pub org: OrgId,
    /// The lead.
    pub lead_id: LeadId,
    /// What it is for.
    pub kind: TimerKind,
    /// When it was due.
    pub due_at: Timestamp,
    /// The lead version it was set for.
    pub lead_version: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    lead_id: i64,
    kind: String,
    due_at: i64,
    lead_version: i64,
}

impl TryFrom<Row> for ClaimedTimer {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let kind = TimerKind::parse(&r.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("timer {} kind `{}`", r.id, r.kind)))?;
        Ok(Self {
            id: r.id,
            org: OrgId::new(r.org_id),
            lead_id: LeadId::new(r.lead_id),
            kind,
            due_at: Timestamp::from_millis(r.due_at),
            lead_version: r.lead_version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MinDue {
    due: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Version {
    lead_version: i64,
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

impl Tx {
    /// Cancels these leads' pending timers, each of its kind, a statement per 500.
    pub async fn cancel_timers(
        &mut self,
        timers: &[(LeadId, TimerKind)],
    ) -> Result<(), StoreError> {
        for chunk in timers.chunks(500) {
            let mut q = Sql::new("DELETE FROM timers WHERE ");
            for (i, (lead, kind)) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { " OR (" })
                    .push("lead_id = ")
                    .push_bind(*lead)
                    .push(" AND kind = ")
                    .push_bind(kind.as_str())
                    .push(")");
            }
            self.execute(&q).await?;
        }
        Ok(())
    }

    /// Leases up to `limit` timers due at `now` (or whose lease has run out) to `owner`
    /// until `lease_until`, earliest first. On PostgreSQL, rows another instance is claiming
    /// at this moment are skipped rather than waited for.
    pub async fn claim_due_timers(
        &mut self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ClaimedTimer>, StoreError> {
        let q = Sql::new(&format!(
            "UPDATE timers SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM timers WHERE due_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
             ORDER BY due_at LIMIT $4{}) \
             RETURNING id, org_id, lead_id, kind, due_at, lead_version",
            skip_locked(self.backend())
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit));
        let mut claimed: Vec<ClaimedTimer> = self
            .fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<_, _>>()?;
        claimed.sort_by_key(|t| (t.due_at, t.id));
        Ok(claimed)
    }

    /// Removes a claimed timer as part of firing it, returning the lead version it is for
    /// now; `None` when the lease was lost (another instance took it over after it ran out)
    /// or the timer was cancelled, in which case the caller must do nothing.
    pub async fn take_claimed_timer(
        &mut self,
        id: i64,
        owner: &str,
    ) -> Result<Option<i64>, StoreError> {
        let q = Sql::new(
            "DELETE FROM timers WHERE id = $1 AND lease_owner = $2 RETURNING lead_version",
        )
        .bind(id)
        .bind(owner);
        Ok(self
            .fetch_optional::<Version>(&q)
            .await?
            .map(|v| v.lead_version))
    }

    /// Locks a lead row until the transaction ends (PostgreSQL), so firing and editing take
    /// locks in the same order; SQLite's single writer needs no lock.
    pub async fn lock_lead(&mut self, org: OrgId, lead: LeadId) -> Result<(), StoreError> {
        if !locks_rows(self.backend()) {
            return Ok(());
        }
        let q = Sql::new(&format!(
            "SELECT COUNT(*) AS n FROM (SELECT id FROM leads WHERE org_id = $1 AND id = $2{}) locked",
            for_update(self.backend())
        ))
        .bind(org)
        .bind(lead);
        match self.fetch_one::<Count>(&q).await?.n {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// When the next timer nobody holds falls due, if any.
    pub async fn next_timer_due(
        &mut self,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let q = Sql::new(
            "SELECT MIN(due_at) AS due FROM timers WHERE lease_until IS NULL OR lease_until < $1",
        )
        .bind(now);
        Ok(self
            .fetch_one::<MinDue>(&q)
            .await?
            .due
            .map(Timestamp::from_millis))
    }

    /// Whether a lead has a pending timer of this kind.
    pub async fn has_timer(&mut self, lead: LeadId, kind: TimerKind) -> Result<bool, StoreError> {
        let q = Sql::new("SELECT COUNT(*) AS n FROM timers WHERE lead_id = $1 AND kind = $2")
            .bind(lead)
            .bind(kind.as_str());
        Ok(self.fetch_one::<Count>(&q).await?.n > 0)
    }

    /// When a lead's pending timer of this kind is due, if it has one.
    pub async fn timer_due(
        &mut self,
        lead: LeadId,
        kind: TimerKind,
    ) -> Result<Option<Timestamp>, StoreError> {
        let q = Sql::new("SELECT MIN(due_at) AS due FROM timers WHERE lead_id = $1 AND kind = $2")
            .bind(lead)
            .bind(kind.as_str());
        Ok(self
            .fetch_one::<MinDue>(&q)
            .await?
            .due
            .map(Timestamp::from_millis))
    }

    /// How many timers are pending.
    pub async fn count_timers(&mut self) -> Result<i64, StoreError> {
        Ok(self
            .fetch_one::<Count>(&Sql::new("SELECT COUNT(*) AS n FROM timers"))
            .await?
            .n)
    }
}
