//! An organization's webhook endpoints: where its events are posted, which types, and
//! whether the engine turned an endpoint off after repeated failure. The signing secret is
//! kept as written: signing needs it, a digest would not do.

use leadpool_domain::delivery::{EndpointHealth, EventFilter};
use leadpool_domain::{OrgId, Timestamp, WebhookId};

use crate::dialect::for_update;
use crate::{Sql, StoreError, Tx, from_json, to_json};

/// A webhook endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Its organization.
    pub org: OrgId,
    /// Where events are posted.
    pub url: String,
    /// What it is for, in the admin's words.
    pub description: String,
    /// The event types it receives.
    pub filter: EventFilter,
    /// Whether events are delivered to it.
    pub enabled: bool,
    /// The signing secret (`whsec_` + base64).
    pub secret: String,
    /// Why the engine turned it off, when it did.
    pub disabled_reason: Option<String>,
    /// When the engine turned it off.
    pub disabled_at: Option<Timestamp>,
    /// Dead deliveries since the last delivered one.
    pub health: EndpointHealth,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("org", &self.org)
            .field("url", &self.url)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    url: String,
    description: String,
    event_types: String,
    enabled: bool,
    secret: String,
    disabled_reason: Option<String>,
    disabled_at: Option<i64>,
    dead_streak: i64,
    dead_since: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str = "id, org_id, url, description, event_types, enabled, secret, disabled_reason, \
     disabled_at, dead_streak, dead_since, created_at, updated_at";

impl TryFrom<Row> for Webhook {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let names: Vec<String> = from_json("webhook_endpoints.event_types", &r.event_types)?;
        Ok(Self {
            id: WebhookId::new(r.id),
            org: OrgId::new(r.org_id),
            url: r.url,
            description: r.description,
            filter: EventFilter::parse(&names)
                .map_err(|e| StoreError::Corrupt(format!("webhook {} types: {e}", r.id)))?,
            enabled: r.enabled,
            secret: r.secret,
            disabled_reason: r.disabled_reason,
            disabled_at: r.disabled_at.map(Timestamp::from_millis),
            health: EndpointHealth {
                dead_streak: u32::try_from(r.dead_streak).unwrap_or(u32::MAX),
                dead_since: r.dead_since.map(Timestamp::from_millis),
            },
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        })
    }
}

fn types_json(filter: &EventFilter) -> String {
    to_json(
        &filter
            .types()
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>(),
    )
}

/// A new endpoint.
#[derive(Debug, Clone, Copy)]
pub struct NewWebhook<'a> {
    /// Where events are posted.
    pub url: &'a str,
    /// What it is for.
    pub description: &'a str,
    /// The types it receives.
    pub filter: &'a EventFilter,
    /// Whether it starts on.
    pub enabled: bool,
    /// Its signing secret.
    pub secret: &'a str,
}

impl Tx {
    /// Adds an endpoint.
    pub async fn insert_webhook(
        &mut self,
        org: OrgId,
        w: NewWebhook<'_>,
        now: Timestamp,
    ) -> Result<Webhook, StoreError> {
        let q = Sql::new(&format!(
            "INSERT INTO webhook_endpoints (org_id, url, description, event_types, enabled, secret, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
        ))
        .bind(org)
        .bind(w.url)
        .bind(w.description)
        .bind(types_json(w.filter))
        .bind(w.enabled)
        .bind(w.secret)
        .bind(now);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The endpoint with this id in this organization; `lock` holds its row until the
    /// transaction ends (PostgreSQL), for a read-then-write.
    pub async fn webhook(
        &mut self,
        org: OrgId,
        id: WebhookId,
        lock: bool,
    ) -> Result<Webhook, StoreError> {
        let lock = if lock { for_update(self.backend()) } else { "" };
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2{lock}"
        ))
        .bind(org)
        .bind(id);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// Every endpoint of the organization, by id.
    pub async fn webhooks(&mut self, org: OrgId) -> Result<Vec<Webhook>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org);
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Writes every changeable field of an endpoint (all but its id, organization and
    /// creation time), stamping `updated_at`.
    pub async fn update_webhook(
        &mut self,
        w: &Webhook,
        now: Timestamp,
    ) -> Result<Webhook, StoreError> {
        let q = Sql::new(&format!(
            "UPDATE webhook_endpoints SET url = $1, description = $2, event_types = $3, enabled = $4, \
             secret = $5, disabled_reason = $6, disabled_at = $7, dead_streak = $8, dead_since = $9, \
             updated_at = $10 WHERE org_id = $11 AND id = $12 RETURNING {COLUMNS}"
        ))
        .bind(w.url.as_str())
        .bind(w.description.as_str())
        .bind(types_json(&w.filter))
        .bind(w.enabled)
        .bind(w.secret.as_str())
        .bind(w.disabled_reason.as_deref())
        .bind(w.disabled_at.map(Timestamp::as_millis))
        .bind(i64::from(w.health.dead_streak))
        .bind(w.health.dead_since.map(Timestamp::as_millis))
        .bind(now)
        .bind(w.org)
        .bind(w.id);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// Removes an endpoint and its delivery log.
    pub async fn delete_webhook(&mut self, org: OrgId, id: WebhookId) -> Result<(), StoreError> {
        let q = Sql::new("DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }
}
