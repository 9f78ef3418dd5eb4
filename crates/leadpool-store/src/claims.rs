//! What claims, rejections and assignments read and write besides the lead: the
//! organization's caps and rejection pool, open-lead counts, rejection cooldowns and the
//! organization's list of rejection reasons.

use std::collections::HashMap;

use leadpool_domain::pool::{CallOwnership, Caps};
use leadpool_domain::{LeadId, OrgId, PoolId, Timestamp, UserId};

use crate::dialect::{for_update, locks_rows};
use crate::users::count;
use crate::{Sql, StoreError, Tx};

/// An organization's pool-wide settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgPoolSettings {
    /// Caps for users without their own.
    pub caps: Caps,
    /// Where rejected leads go; `None`: the default pool.
    pub reject_pool: Option<PoolId>,
    /// Which reported calls make the agent on them the owner.
    pub calls: CallOwnership,
}

/// One of the organization's reasons an agent picks when rejecting a lead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectReason {
    /// Its id.
    pub id: i64,
    /// What the agent reads and picks.
    pub label: String,
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    max_new_leads: Option<i64>,
    min_new_leads: i64,
    reject_pool_id: Option<i64>,
    call_owns_outbound: bool,
    call_owns_inbound: bool,
    call_owns_transfer: bool,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    owner_user_id: i64,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct CooldownRow {
    lead_id: i64,
    user_id: i64,
    until: i64,
}

#[derive(sqlx::FromRow)]
struct NameRow {
    id: i64,
    name: String,
}

#[derive(sqlx::FromRow)]
struct ReasonRow {
    id: i64,
    label: String,
}

#[derive(sqlx::FromRow)]
struct Locked {
    n: i64,
}

impl Tx {
    /// The organization's caps, rejection pool and ownership by call.
    pub async fn org_pool_settings(&mut self, org: OrgId) -> Result<OrgPoolSettings, StoreError> {
        let q = Sql::new(
            "SELECT max_new_leads, min_new_leads, reject_pool_id, call_owns_outbound, call_owns_inbound, \
             call_owns_transfer FROM organizations WHERE id = $1",
        )
        .bind(org);
        let r: SettingsRow = self.fetch_one(&q).await?;
        Ok(OrgPoolSettings {
            caps: Caps {
                max_new: r
                    .max_new_leads
                    .map(count("organizations.max_new_leads"))
                    .transpose()?,
                min_new: count("organizations.min_new_leads")(r.min_new_leads)?,
            },
            reject_pool: r.reject_pool_id.map(PoolId::new),
            calls: CallOwnership {
                outbound: r.call_owns_outbound,
                inbound: r.call_owns_inbound,
                transfer: r.call_owns_transfer,
            },
        })
    }

    /// Changes the organization's caps, rejection pool and ownership by call.
    pub async fn set_org_pool_settings(
        &mut self,
        org: OrgId,
        s: &OrgPoolSettings,
    ) -> Result<(), StoreError> {
        let q = Sql::new(
            "UPDATE organizations SET max_new_leads = $2, min_new_leads = $3, reject_pool_id = $4, \
             call_owns_outbound = $5, call_owns_inbound = $6, call_owns_transfer = $7 WHERE id = $1",
        )
        .bind(org)
        .bind(s.caps.max_new.map(i64::from))
        .bind(i64::from(s.caps.min_new))
        .bind(s.reject_pool)
        .bind(s.calls.outbound)
        .bind(s.calls.inbound)
        .bind(s.calls.transfer);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Locks these users' rows until the transaction ends, in id order, so that two
    /// transactions counting the same agent's leads against their cap run one after the
    /// other (SQLite's single writer already does). `NotFound` if one is not in `org`.
    pub async fn lock_users(&mut self, org: OrgId, users: &[UserId]) -> Result<(), StoreError> {
        if !locks_rows(self.backend()) || users.is_empty() {
            return Ok(());
        }
        let mut ids = users.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut q = Sql::new("SELECT COUNT(*) AS n FROM (SELECT id FROM users WHERE org_id = ");
        q.push_bind(org)
            .push(" AND id IN ")
            .push_list(ids.iter().copied())
            .push(" ORDER BY id")
            .push(for_update(self.backend()))
            .push(") locked");
        let locked: Locked = self.fetch_one(&q).await?;
        if usize::try_from(locked.n).ok() == Some(ids.len()) {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// How many open leads in the "new" category each of these agents holds.
    pub async fn open_new_counts(
        &mut self,
        org: OrgId,
        users: &[UserId],
    ) -> Result<HashMap<UserId, u32>, StoreError> {
        let mut out: HashMap<UserId, u32> = users.iter().map(|u| (*u, 0)).collect();
        if users.is_empty() {
            return Ok(out);
        }
        let mut q = Sql::new(
            "SELECT l.owner_user_id, COUNT(*) AS n FROM leads l JOIN statuses s ON s.id = l.status_id \
             WHERE l.org_id = ",
        );
        q.push_bind(org)
            .push(" AND l.owner_user_id IN ")
            .push_list(users.iter().copied())
            .push(" AND s.category = 'new' GROUP BY l.owner_user_id");
        for r in self.fetch_all::<CountRow>(&q).await? {
            out.insert(UserId::new(r.owner_user_id), count("open new leads")(r.n)?);
        }
        Ok(out)
    }

    /// Until when each rejecter may not claim each of these leads back, for rejections whose
    /// cooldown has not passed at `now`.
    pub async fn cooldowns(
        &mut self,
        leads: &[LeadId],
        now: Timestamp,
    ) -> Result<HashMap<(LeadId, UserId), Timestamp>, StoreError> {
        let mut out = HashMap::new();
        for chunk in leads.chunks(500) {
            let mut q = Sql::new("SELECT lead_id, user_id, until FROM rejections WHERE until > ");
            q.push_bind(now)
                .push(" AND lead_id IN ")
                .push_list(chunk.iter().copied());
            for r in self.fetch_all::<CooldownRow>(&q).await? {
                out.insert(
                    (LeadId::new(r.lead_id), UserId::new(r.user_id)),
                    Timestamp::from_millis(r.until),
                );
            }
        }
        Ok(out)
    }

    /// The names of these users of the organization.
    pub async fn user_names(
        &mut self,
        org: OrgId,
        users: &[UserId],
    ) -> Result<HashMap<UserId, String>, StoreError> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let mut q = Sql::new("SELECT id, name FROM users WHERE org_id = ");
        q.push_bind(org)
            .push(" AND id IN ")
            .push_list(users.iter().copied());
        Ok(self
            .fetch_all::<NameRow>(&q)
            .await?
            .into_iter()
            .map(|r| (UserId::new(r.id), r.name))
            .collect())
    }

    /// Records that `user` rejected `lead` and may not claim it back before `until`.
    pub async fn set_cooldown(
        &mut self,
        lead: LeadId,
        user: UserId,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        let q = Sql::new(
            "INSERT INTO rejections (lead_id, user_id, until) VALUES ($1, $2, $3) \
             ON CONFLICT (lead_id, user_id) DO UPDATE SET until = excluded.until",
        )
        .bind(lead)
        .bind(user)
        .bind(until);
        self.execute(&q).await.map(drop)
    }

    /// The organization's rejection reasons, in the order they were added.
    pub async fn reject_reasons(&mut self, org: OrgId) -> Result<Vec<RejectReason>, StoreError> {
        let q = Sql::new("SELECT id, label FROM reject_reasons WHERE org_id = $1 ORDER BY id")
            .bind(org);
        Ok(self
            .fetch_all::<ReasonRow>(&q)
            .await?
            .into_iter()
            .map(|r| RejectReason {
                id: r.id,
                label: r.label,
            })
            .collect())
    }

    /// Adds a rejection reason; a label already listed is `Conflict { reject_reasons_label_key }`.
    pub async fn insert_reject_reason(
        &mut self,
        org: OrgId,
        label: &str,
        now: Timestamp,
    ) -> Result<RejectReason, StoreError> {
        let q = Sql::new(
            "INSERT INTO reject_reasons (org_id, label, created_at) VALUES ($1, $2, $3) RETURNING id, label",
        )
        .bind(org)
        .bind(label)
        .bind(now);
        let r: ReasonRow = self.fetch_one(&q).await?;
        Ok(RejectReason {
            id: r.id,
            label: r.label,
        })
    }

    /// Removes a rejection reason (timeline entries keep the words they were written with).
    pub async fn delete_reject_reason(&mut self, org: OrgId, id: i64) -> Result<(), StoreError> {
        let q = Sql::new("DELETE FROM reject_reasons WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }
}
