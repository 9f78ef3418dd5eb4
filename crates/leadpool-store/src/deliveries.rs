//! Deliveries of outbox events: one row per (event, endpoint), written in the transaction
//! that writes the event; taken by any instance under a lease; answered once per attempt,
//! fenced by the taker's name and attempt number, so a taker whose lease ran out cannot
//! overwrite the answer of the instance that took the delivery over.

use leadpool_domain::delivery::{DeliveryState, Next};
use leadpool_domain::{DeliveryId, LeadId, OrgId, Timestamp, UserId, WebhookId};

use crate::bulk::CHUNK;
use crate::dialect::skip_locked;
use crate::offers::AgentEvent;
use crate::users::count;
use crate::{Sql, StoreError, Tx, from_json};

/// The channel of webhook deliveries (the only one so far; email would be another).
const WEBHOOK: &str = "webhook";

/// Deliveries whose endpoint is on: an endpoint turned off keeps its pending deliveries
/// until it is turned on again.
const ENDPOINT_ON: &str =
    "EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled)";

/// A delivery an instance has taken and must now attempt.
#[derive(Clone, PartialEq)]
pub struct ClaimedDelivery {
    /// Its id.
    pub id: DeliveryId,
    /// Its organization.
    pub org: OrgId,
    /// The endpoint.
    pub endpoint: WebhookId,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
    /// Where to post.
    pub url: String,
    /// The endpoint's signing secret.
    pub secret: String,
    /// The agent whose outbox holds the event.
    pub user: UserId,
    /// The event.
    pub event: AgentEvent,
}

impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("ClaimedDelivery")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("attempt", &self.attempt)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A delivery as its log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The endpoint.
    pub endpoint: WebhookId,
    /// The event's outbox id.
    pub event_id: i64,
    /// The event's type.
    pub event_type: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// When it is next attempted (pending deliveries only).
    pub next_attempt_at: Option<Timestamp>,
    /// When it was last attempted.
    pub last_attempt_at: Option<Timestamp>,
    /// The receiver's last status code.
    pub last_status: Option<u16>,
    /// How long the receiver took to answer last time, in milliseconds.
    pub last_response_ms: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was created (with its event).
    pub created_at: Timestamp,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// When the request was sent.
    pub at: Timestamp,
    /// The receiver's status code; `None` when it did not answer.
    pub status: Option<u16>,
    /// How long it took to answer, in milliseconds.
    pub response_ms: Option<i64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    org_id: i64,
    endpoint_id: i64,
    attempts: i64,
    url: String,
    secret: String,
    event_id: i64,
    user_id: i64,
    lead_id: Option<i64>,
    kind: String,
    payload: String,
    created_at: i64,
}

impl TryFrom<ClaimedRow> for ClaimedDelivery {
    type Error = StoreError;
    fn try_from(r: ClaimedRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: DeliveryId::new(r.id),
            org: OrgId::new(r.org_id),
            endpoint: WebhookId::new(r.endpoint_id),
            attempt: count("deliveries.attempts")(r.attempts)?,
            url: r.url,
            secret: r.secret,
            user: UserId::new(r.user_id),
            event: AgentEvent {
                id: r.event_id,
                lead_id: r.lead_id.map(LeadId::new),
                kind: r.kind,
                payload: from_json("outbox.payload", &r.payload)?,
                at: Timestamp::from_millis(r.created_at),
            },
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    endpoint_id: i64,
    event_id: i64,
    kind: String,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    last_attempt_at: Option<i64>,
    last_status: Option<i64>,
    last_response_ms: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, o.kind, d.state, d.attempts, d.next_attempt_at, \
     d.last_attempt_at, d.last_status, d.last_response_ms, d.last_error, d.created_at";

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        let state = DeliveryState::parse(&r.state)
            .ok_or_else(|| StoreError::Corrupt(format!("deliveries.state `{}`", r.state)))?;
        Ok(Self {
            id: DeliveryId::new(r.id),
            endpoint: WebhookId::new(r.endpoint_id),
            event_id: r.event_id,
            event_type: r.kind,
            state,
            attempts: count("deliveries.attempts")(r.attempts)?,
            next_attempt_at: (state == DeliveryState::Pending)
                .then(|| Timestamp::from_millis(r.next_attempt_at)),
            last_attempt_at: r.last_attempt_at.map(Timestamp::from_millis),
            last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
            last_response_ms: r.last_response_ms,
            last_error: r.last_error,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct MinDue {
    due: Option<i64>,
}

impl Tx {
    /// Creates the deliveries of newly written events (`(outbox id, type)`) to every enabled
    /// endpoint of the organization whose filter they pass, due at once.
    pub(crate) async fn fan_out(
        &mut self,
        org: OrgId,
        events: &[(i64, String)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let endpoints: Vec<_> = self
            .webhooks(org)
            .await?
            .into_iter()
            .filter(|w| w.enabled)
            .collect();
        let pairs: Vec<(WebhookId, i64)> = events
            .iter()
            .flat_map(|(event, kind)| {
                endpoints
                    .iter()
                    .filter(|w| w.filter.matches(kind))
                    .map(|w| (w.id, *event))
            })
            .collect();
        for chunk in pairs.chunks(CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO deliveries (org_id, channel, endpoint_id, event_id, next_attempt_at, created_at) VALUES ",
            );
            for (i, (endpoint, event)) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .push_bind(org)
                    .push(", ")
                    .push_bind(WEBHOOK)
                    .push(", ")
                    .push_bind(*endpoint)
                    .push(", ")
                    .push_bind(*event)
                    .push(", ")
                    .push_bind(now)
                    .push(", ")
                    .push_bind(now)
                    .push(")");
            }
            self.execute(&q).await?;
        }
        Ok(())
    }

    /// Takes up to `limit` deliveries due at `now` (see `leadpool_domain::delivery::is_due`)
    /// for `owner`, earliest first, counting an attempt for each and moving its next attempt
    /// to `lease_until`: if `owner` dies, the delivery falls due again then. On PostgreSQL,
    /// rows another instance is taking at this moment are skipped rather than waited for.
    pub async fn claim_due_deliveries(
        &mut self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let q = Sql::new(&format!(
            "UPDATE deliveries SET lease_owner = $1, next_attempt_at = $2, attempts = attempts + 1 WHERE id IN (\
             SELECT d.id FROM deliveries d WHERE d.state = 'pending' AND d.next_attempt_at <= $3 AND {ENDPOINT_ON} \
             ORDER BY d.next_attempt_at LIMIT $4{}) RETURNING id",
            skip_locked(self.backend())
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit));
        let ids: Vec<i64> = self
            .fetch_all::<IdRow>(&q)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(
            "SELECT d.id, d.org_id, d.endpoint_id, d.attempts, e.url, e.secret, o.id AS event_id, o.user_id, \
             o.lead_id, o.kind, o.payload, o.created_at FROM deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN outbox o ON o.id = d.event_id WHERE d.id IN ",
        );
        q.push_list(ids).push(" ORDER BY d.id");
        self.fetch_all::<ClaimedRow>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Records a taken delivery's attempt and what follows it (`next`, decided by the
    /// domain's retry policy). `false` when the delivery is no longer this taker's (its
    /// lease ran out and another instance took it, or an admin resent it): nothing is written.
    pub async fn finish_delivery(
        &mut self,
        d: &ClaimedDelivery,
        owner: &str,
        record: &AttemptRecord,
        next: Next,
    ) -> Result<bool, StoreError> {
        let (state, next_at) = match next {
            Next::Delivered => (DeliveryState::Delivered, record.at),
            Next::RetryAt(at) => (DeliveryState::Pending, at),
            Next::Dead => (DeliveryState::Dead, record.at),
        };
        let q = Sql::new(
            "UPDATE deliveries SET state = $1, next_attempt_at = $2, lease_owner = NULL, last_attempt_at = $3, \
             last_status = $4, last_response_ms = $5, last_error = $6 \
             WHERE id = $7 AND lease_owner = $8 AND attempts = $9",
        )
        .bind(state.as_str())
        .bind(next_at)
        .bind(record.at)
        .bind(record.status.map(i64::from))
        .bind(record.response_ms)
        .bind(record.error.as_deref())
        .bind(d.id)
        .bind(owner)
        .bind(i64::from(d.attempt));
        Ok(self.execute(&q).await? == 1)
    }

    /// When the next delivery nobody holds falls due, if any.
    pub async fn next_delivery_due(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT MIN(d.next_attempt_at) AS due FROM deliveries d WHERE d.state = 'pending' AND {ENDPOINT_ON}"
        ));
        Ok(self
            .fetch_one::<MinDue>(&q)
            .await?
            .due
            .map(Timestamp::from_millis))
    }

    /// An endpoint's deliveries, newest first: up to `limit` before the one with id
    /// `before`, in `state` when given.
    pub async fn deliveries(
        &mut self,
        org: OrgId,
        endpoint: WebhookId,
        state: Option<DeliveryState>,
        before: Option<DeliveryId>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.event_id WHERE d.org_id = "
        ));
        q.push_bind(org)
            .push(" AND d.endpoint_id = ")
            .push_bind(endpoint);
        if let Some(s) = state {
            q.push(" AND d.state = ").push_bind(s.as_str());
        }
        if let Some(b) = before {
            q.push(" AND d.id < ").push_bind(b);
        }
        q.push(" ORDER BY d.id DESC LIMIT ")
            .push_bind(i64::from(limit));
        self.fetch_all::<DeliveryRow>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// One delivery of the organization.
    pub async fn delivery(&mut self, org: OrgId, id: DeliveryId) -> Result<Delivery, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.event_id \
             WHERE d.org_id = $1 AND d.id = $2"
        ))
        .bind(org)
        .bind(id);
        self.fetch_one::<DeliveryRow>(&q).await?.try_into()
    }

    /// Makes a delivery pending and due at `now` with a fresh round of attempts; an attempt
    /// in flight loses its lease and its answer is not recorded.
    pub async fn resend_delivery(
        &mut self,
        org: OrgId,
        id: DeliveryId,
        now: Timestamp,
    ) -> Result<Delivery, StoreError> {
        let q = Sql::new(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_owner = NULL \
             WHERE org_id = $2 AND id = $3",
        )
        .bind(now)
        .bind(org)
        .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => self.delivery(org, id).await,
        }
    }
}
