//! The pools and their settings as admins set them: listing, creating and changing pools,
//! the organization's caps and rejection pool, and its list of rejection reasons.

use std::time::Duration;

use leadpool_domain::Permission;
use leadpool_domain::pool::{self as rules, Caps};
use leadpool_domain::{OrgId, PoolId};
use leadpool_store::claims::{OrgPoolSettings, RejectReason};
use leadpool_store::pools::{Pool, PoolSettings};
use leadpool_store::{StoreError, Tx};

use crate::{App, AppError, Member};

use super::{PoolChanges, PoolInput};

/// Longest reserve time or cooldown a pool may set.
const MAX_POOL_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

fn pool_settings(input: PoolInput) -> Result<PoolSettings, AppError> {
    let mut errors = leadpool_domain::validate::Errors::default();
    let name = errors
        .take("name", leadpool_domain::validate::label(&input.name, 100))
        .unwrap_or_default();
    if let Some(r) = input.reserve
        && (r.is_zero() || r > MAX_POOL_DURATION)
    {
        errors.push("reserve_seconds", "must be between 1 second and 365 days");
    }
    let cooldown = input
        .reject_cooldown
        .unwrap_or(rules::DEFAULT_REJECT_COOLDOWN);
    if cooldown > MAX_POOL_DURATION {
        errors.push("reject_cooldown_seconds", "must be at most 365 days");
    }
    Ok(errors.finish(|| PoolSettings {
        name,
        team_id: input.team_id,
        blind: input.blind,
        reserve: input.reserve,
        calendar_id: input.calendar_id,
        reject_cooldown: cooldown,
    })?)
}

impl App {
    /// The pools the member may see (admins: every pool of the organization).
    #[tracing::instrument(name = "list_pools", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_pools(&self, m: &Member) -> Result<Vec<Pool>, AppError> {
        let mut tx = self.store().read().await?;
        let pools = tx.pools(m.viewer.org).await?;
        tx.commit().await?;
        Ok(pools
            .into_iter()
            .filter(|p| m.viewer.administers_organization() || m.viewer.pools.contains(&p.id))
            .collect())
    }

    /// Creates a pool (organization admins).
    #[tracing::instrument(name = "create_pool", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_pool(&self, m: &Member, input: PoolInput) -> Result<Pool, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let settings = pool_settings(input)?;
        let mut tx = self.store().write().await?;
        self.check_pool_links(&mut tx, m.viewer.org, &settings)
            .await?;
        let pool = tx
            .insert_pool(m.viewer.org, &settings, false, self.now())
            .await?;
        tx.commit().await?;
        self.forget_members();
        Ok(pool)
    }

    /// Changes the pool settings given, keeping the others (organization admins). A new
    /// reserve time applies to claims from now on.
    #[tracing::instrument(name = "update_pool", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_pool(
        &self,
        m: &Member,
        id: PoolId,
        changes: PoolChanges,
    ) -> Result<Pool, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let mut tx = self.store().write().await?;
        let pool = tx
            .pool(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("pool"))?;
        let settings = pool_settings(changes.applied_to(&pool))?;
        self.check_pool_links(&mut tx, m.viewer.org, &settings)
            .await?;
        let pool = tx
            .update_pool(m.viewer.org, id, &settings)
            .await
            .map_err(AppError::from_store("pool"))?;
        tx.commit().await?;
        self.forget_members();
        Ok(pool)
    }

    async fn check_pool_links(
        &self,
        tx: &mut Tx,
        org: OrgId,
        s: &PoolSettings,
    ) -> Result<(), AppError> {
        if let Some(t) = s.team_id {
            tx.team(org, t).await.map_err(|e| match e {
                StoreError::NotFound => {
                    AppError::invalid("team_id", format!("no team {t} in this organization"))
                }
                e => e.into(),
            })?;
        }
        if let Some(c) = s.calendar_id {
            tx.calendar(org, c).await.map_err(|e| match e {
                StoreError::NotFound => AppError::invalid(
                    "calendar_id",
                    format!("no calendar {c} in this organization"),
                ),
                e => e.into(),
            })?;
        }
        Ok(())
    }

    /// The organization's caps and rejection pool (any member).
    #[tracing::instrument(name = "pool_settings", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn pool_settings(&self, m: &Member) -> Result<OrgPoolSettings, AppError> {
        let mut tx = self.store().read().await?;
        let s = tx.org_pool_settings(m.viewer.org).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Changes the organization's caps and rejection pool (organization admins).
    #[tracing::instrument(name = "set_pool_settings", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_pool_settings(
        &self,
        m: &Member,
        settings: OrgPoolSettings,
    ) -> Result<OrgPoolSettings, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        if let Some((field, why)) = Caps::problem(settings.caps.max_new, settings.caps.min_new) {
            return Err(AppError::invalid(field, why));
        }
        let mut tx = self.store().write().await?;
        if let Some(p) = settings.reject_pool {
            tx.pool(m.viewer.org, p).await.map_err(|e| match e {
                StoreError::NotFound => AppError::invalid(
                    "reject_pool_id",
                    format!("no pool {p} in this organization"),
                ),
                e => e.into(),
            })?;
        }
        tx.set_org_pool_settings(m.viewer.org, &settings).await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// The organization's rejection reasons (any member).
    #[tracing::instrument(name = "reject_reasons", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn reject_reasons(&self, m: &Member) -> Result<Vec<RejectReason>, AppError> {
        let mut tx = self.store().read().await?;
        let r = tx.reject_reasons(m.viewer.org).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Adds a rejection reason (organization admins).
    #[tracing::instrument(name = "add_reject_reason", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn add_reject_reason(
        &self,
        m: &Member,
        label: &str,
    ) -> Result<RejectReason, AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let label = leadpool_domain::validate::label(label, 100)
            .map_err(|m| AppError::invalid("label", m))?;
        let label = label.as_str();
        let mut tx = self.store().write().await?;
        let r = tx
            .insert_reject_reason(m.viewer.org, label, self.now())
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Removes a rejection reason (organization admins); past rejections keep their words.
    #[tracing::instrument(name = "remove_reject_reason", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn remove_reject_reason(&self, m: &Member, id: i64) -> Result<(), AppError> {
        m.require(Permission::OrgSetting("pools and their settings"))?;
        let mut tx = self.store().write().await?;
        tx.delete_reject_reason(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("rejection reason"))?;
        tx.commit().await?;
        Ok(())
    }
}
