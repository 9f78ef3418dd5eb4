//! Deliveries of outbox events: one row per (event, webhook endpoint) and one per emailed
//! event, written in the transaction that writes the event; taken by any instance under a
//! lease; answered once per attempt, fenced by the taker's name and attempt number, so a
//! taker whose lease ran out cannot overwrite the answer of the instance that took the
//! delivery over.

use leadpool_domain::delivery::{Channel, DeliveryState, EventType, MailChoices, Next};
use leadpool_domain::{DeliveryId, LeadId, OrgId, Timestamp, UserId, WebhookId};

use crate::bulk::CHUNK;
use crate::dialect::skip_locked;
use crate::offers::AgentEvent;
use crate::users::count;
use crate::{Sql, StoreError, Tx, from_json};

/// Deliveries that may be sent now, besides being due: a webhook's endpoint is on (one
/// turned off keeps its pending deliveries until it is turned on again), and email only when
/// the worker has a mailer (`$n` binds whether it has). One text for the claim and for the
/// next due time, so a worker never waits for a delivery it would not take.
fn sendable(n: usize) -> String {
    format!(
        "((d.channel = 'webhook' AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled)) \
         OR (d.channel = 'email' AND ${n}))"
    )
}

/// Where a taken delivery goes.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// Posted, signed, to an organization's endpoint.
    Webhook {
        /// The endpoint.
        endpoint: WebhookId,
        /// Where to post.
        url: String,
        /// The endpoint's signing secret.
        secret: String,
    },
    /// Emailed to the person whose outbox holds the event.
    Email {
        /// Their address.
        to: String,
        /// Their name.
        name: String,
        /// The time zone they chose (IANA name), for the times the letter gives.
        time_zone: Option<String>,
    },
}

impl Target {
    /// The channel it leaves by.
    pub const fn channel(&self) -> Channel {
        match self {
            Self::Webhook { .. } => Channel::Webhook,
            Self::Email { .. } => Channel::Email,
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        match self {
            Self::Webhook { endpoint, url, .. } => f
                .debug_struct("Webhook")
                .field("endpoint", endpoint)
                .field("url", url)
                .finish_non_exhaustive(),
            Self::Email { to, .. } => f
                .debug_struct("Email")
                .field("to", to)
                .finish_non_exhaustive(),
        }
    }
}

/// A delivery an instance has taken and must now attempt.
#[derive(Clone, PartialEq)]
pub struct ClaimedDelivery {
    /// Its id.
    pub id: DeliveryId,
    /// Its organization.
    pub org: OrgId,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
    /// Where it goes.
    pub target: Target,
    /// The person whose outbox holds the event.
    pub user: UserId,
    /// The event.
    pub event: AgentEvent,
}

impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The event's payload (a PIN, a lead's name) stays out of logs, as the secret does.
        f.debug_struct("ClaimedDelivery")
            .field("id", &self.id)
            .field("attempt", &self.attempt)
            .field("target", &self.target)
            .field("event", &self.event.id)
            .finish_non_exhaustive()
    }
}

/// A delivery as its log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// How it leaves.
    pub channel: Channel,
    /// The endpoint (webhook deliveries).
    pub endpoint: Option<WebhookId>,
    /// Where it goes: the endpoint's URL or the addressee's email address.
    pub to: String,
    /// The event's outbox id.
    pub event_id: i64,
    /// The event's type.
    pub event_type: String,
    /// The lead the event is about.
    pub lead_id: Option<LeadId>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// When it is next attempted (pending deliveries only).
    pub next_attempt_at: Option<Timestamp>,
    /// When it was last attempted.
    pub last_attempt_at: Option<Timestamp>,
    /// The receiver's last status code (HTTP, or the SMTP reply code).
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
    /// When the attempt started.
    pub at: Timestamp,
    /// The receiver's status code (HTTP, or the SMTP reply code); `None` when it did not
    /// answer.
    pub status: Option<u16>,
    /// How long it took to answer, in milliseconds.
    pub response_ms: Option<i64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Which deliveries a log page lists, newest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogQuery {
    /// Only this endpoint's (else the organization's, of every channel).
    pub endpoint: Option<WebhookId>,
    /// Only deliveries in this state.
    pub state: Option<DeliveryState>,
    /// Only those in trouble: dead, or pending after a failed attempt.
    pub failed: bool,
    /// Only those older than this one.
    pub before: Option<DeliveryId>,
    /// At most this many.
    pub limit: u32,
}

/// A newly written outbox event: its id, type and addressee.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) user: UserId,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    org_id: i64,
    channel: String,
    endpoint_id: Option<i64>,
    attempts: i64,
    url: Option<String>,
    secret: Option<String>,
    email: String,
    name: String,
    time_zone: Option<String>,
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
        let target = match (channel(&r.channel)?, r.endpoint_id, r.url, r.secret) {
            (Channel::Webhook, Some(endpoint), Some(url), Some(secret)) => Target::Webhook {
                endpoint: WebhookId::new(endpoint),
                url,
                secret,
            },
            (Channel::Email, ..) => Target::Email {
                to: r.email,
                name: r.name,
                time_zone: r.time_zone,
            },
            (Channel::Webhook, ..) => {
                return Err(StoreError::Corrupt(format!(
                    "webhook delivery {} has no endpoint",
                    r.id
                )));
            }
        };
        Ok(Self {
            id: DeliveryId::new(r.id),
            org: OrgId::new(r.org_id),
            attempt: count("deliveries.attempts")(r.attempts)?,
            target,
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
    channel: String,
    endpoint_id: Option<i64>,
    recipient: String,
    event_id: i64,
    lead_id: Option<i64>,
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

const DELIVERY_COLUMNS: &str = "d.id, d.channel, d.endpoint_id, COALESCE(e.url, u.email) AS recipient, d.event_id, \
     o.lead_id, o.kind, d.state, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_response_ms, \
     d.last_error, d.created_at";

/// Deliveries with their event, their endpoint (webhooks) and their addressee.
const DELIVERY_FROM: &str = "deliveries d JOIN outbox o ON o.id = d.event_id \
     LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN users u ON u.id = o.user_id";

fn channel(s: &str) -> Result<Channel, StoreError> {
    Channel::parse(s).ok_or_else(|| StoreError::Corrupt(format!("deliveries.channel `{s}`")))
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        let state = DeliveryState::parse(&r.state)
            .ok_or_else(|| StoreError::Corrupt(format!("deliveries.state `{}`", r.state)))?;
        Ok(Self {
            id: DeliveryId::new(r.id),
            channel: channel(&r.channel)?,
            endpoint: r.endpoint_id.map(WebhookId::new),
            to: r.recipient,
            event_id: r.event_id,
            lead_id: r.lead_id.map(LeadId::new),
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
struct DigestRow {
    org_id: i64,
    user_id: i64,
    time_zone: Option<String>,
}

/// A daily digest due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDigest {
    /// The person's organization.
    pub org: OrgId,
    /// The person.
    pub user: UserId,
    /// The time zone they chose (IANA name), which says when their next digest is.
    pub time_zone: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ChoicesRow {
    id: i64,
    email_events: Option<String>,
}

/// A stored choice: NULL before the person chose, which means the default.
fn mail_choices(stored: Option<&str>) -> Result<MailChoices, StoreError> {
    match stored {
        None => Ok(MailChoices::default()),
        Some(text) => {
            let names: Vec<String> = from_json("users.email_events", text)?;
            MailChoices::parse(&names)
                .map_err(|e| StoreError::Corrupt(format!("users.email_events: {e}")))
        }
    }
}

#[derive(sqlx::FromRow)]
struct MinDue {
    due: Option<i64>,
}

impl Tx {
    /// Creates the deliveries of newly written events, due at once: to every enabled
    /// endpoint of the organization whose filter they pass and, when this instance sends
    /// email, to each active addressee who chose to be emailed about their type.
    pub(crate) async fn fan_out(
        &mut self,
        org: OrgId,
        events: &[Written],
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
        let mut rows: Vec<(Channel, Option<WebhookId>, i64)> = events
            .iter()
            .flat_map(|e| {
                endpoints
                    .iter()
                    .filter(|w| w.filter.matches(&e.kind))
                    .map(|w| (Channel::Webhook, Some(w.id), e.id))
            })
            .collect();
        if self.mails() {
            rows.extend(
                self.emailed(org, events)
                    .await?
                    .into_iter()
                    .map(|e| (Channel::Email, None, e)),
            );
        }
        for chunk in rows.chunks(CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO deliveries (org_id, channel, endpoint_id, event_id, next_attempt_at, created_at) VALUES ",
            );
            for (i, (channel, endpoint, event)) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .push_bind(org)
                    .push(", ")
                    .push_bind(channel.as_str())
                    .push(", ")
                    .push_bind(endpoint.map(WebhookId::get))
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

    /// The ids of the events among `events` their addressee is emailed about.
    async fn emailed(&mut self, org: OrgId, events: &[Written]) -> Result<Vec<i64>, StoreError> {
        let mailable =
            |e: &&Written| EventType::parse(&e.kind).is_some_and(|t| t.mail_choice().is_some());
        let mut users: Vec<UserId> = events.iter().filter(mailable).map(|e| e.user).collect();
        if users.is_empty() {
            return Ok(Vec::new());
        }
        users.sort_unstable();
        users.dedup();
        let mut q = Sql::new("SELECT id, email_events FROM users WHERE active AND org_id = ");
        q.push_bind(org).push(" AND id IN ").push_list(users);
        let mut choices = std::collections::HashMap::new();
        for r in self.fetch_all::<ChoicesRow>(&q).await? {
            choices.insert(UserId::new(r.id), mail_choices(r.email_events.as_deref())?);
        }
        Ok(events
            .iter()
            .filter(|e| {
                EventType::parse(&e.kind).is_some_and(|t| {
                    choices
                        .get(&e.user)
                        .is_some_and(|c: &MailChoices| c.wants(t))
                })
            })
            .map(|e| e.id)
            .collect())
    }

    /// What a person chose to be emailed about.
    pub async fn mail_choices(
        &mut self,
        org: OrgId,
        user: UserId,
    ) -> Result<MailChoices, StoreError> {
        let q = Sql::new("SELECT id, email_events FROM users WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(user);
        mail_choices(
            self.fetch_one::<ChoicesRow>(&q)
                .await?
                .email_events
                .as_deref(),
        )
    }

    /// Keeps what a person chose to be emailed about; a chosen daily digest is due at
    /// `first_digest` unless one is already planned, and an unchosen one is dropped.
    pub async fn set_mail_choices(
        &mut self,
        org: OrgId,
        user: UserId,
        choices: &MailChoices,
        first_digest: Timestamp,
    ) -> Result<(), StoreError> {
        let names: Vec<&str> = choices.types().iter().map(|t| t.as_str()).collect();
        let q = Sql::new("UPDATE users SET email_events = $1 WHERE org_id = $2 AND id = $3")
            .bind(crate::to_json(&names))
            .bind(org)
            .bind(user);
        if self.execute(&q).await? == 0 {
            return Err(StoreError::NotFound);
        }
        let q = if choices.wants(EventType::DailyDigest) {
            Sql::new(
                "INSERT INTO mail_digests (user_id, org_id, due_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(user)
            .bind(org)
            .bind(first_digest)
        } else {
            Sql::new("DELETE FROM mail_digests WHERE user_id = $1").bind(user)
        };
        self.execute(&q).await.map(drop)
    }

    /// When the next daily digest is due, if anyone asked for one.
    pub async fn next_digest_due(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let q = Sql::new("SELECT MIN(due_at) AS due FROM mail_digests");
        Ok(self
            .fetch_one::<MinDue>(&q)
            .await?
            .due
            .map(Timestamp::from_millis))
    }

    /// Takes up to `limit` daily digests due at `now`: the people (with their organization
    /// and time zone) whose digest is to be written now, each to be planned anew with
    /// [`Tx::plan_digest`] in the same transaction. On PostgreSQL, rows another instance is
    /// taking are skipped.
    pub async fn take_due_digests(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<DueDigest>, StoreError> {
        // The zone is read by a subquery so that only the digest rows are locked.
        let q = Sql::new(&format!(
            "SELECT d.org_id, d.user_id, (SELECT u.time_zone FROM users u WHERE u.id = d.user_id) AS time_zone \
             FROM mail_digests d WHERE d.due_at <= $1 ORDER BY d.due_at LIMIT $2{}",
            skip_locked(self.backend())
        ))
        .bind(now)
        .bind(i64::from(limit));
        Ok(self
            .fetch_all::<DigestRow>(&q)
            .await?
            .into_iter()
            .map(|r| DueDigest {
                org: OrgId::new(r.org_id),
                user: UserId::new(r.user_id),
                time_zone: r.time_zone,
            })
            .collect())
    }

    /// Plans `user`'s next daily digest for `at`, if they asked for one.
    pub async fn plan_digest(&mut self, user: UserId, at: Timestamp) -> Result<(), StoreError> {
        let q = Sql::new("UPDATE mail_digests SET due_at = $1 WHERE user_id = $2")
            .bind(at)
            .bind(user);
        self.execute(&q).await.map(drop)
    }

    /// Takes up to `limit` deliveries due at `now` (see `leadpool_domain::delivery::is_due`)
    /// for `owner`, earliest first, counting an attempt for each and moving its next attempt
    /// to `lease_until`: if `owner` dies, the delivery falls due again then. Email is taken
    /// only `with_email`. On PostgreSQL, rows another instance is taking at this moment are
    /// skipped rather than waited for.
    pub async fn claim_due_deliveries(
        &mut self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
        with_email: bool,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let q = Sql::new(&format!(
            "UPDATE deliveries SET lease_owner = $1, next_attempt_at = $2, attempts = attempts + 1 WHERE id IN (\
             SELECT d.id FROM deliveries d WHERE d.state = 'pending' AND d.next_attempt_at <= $3 AND {} \
             ORDER BY d.next_attempt_at LIMIT $4{}) RETURNING id",
            sendable(5),
            skip_locked(self.backend())
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .bind(with_email);
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
            "SELECT d.id, d.org_id, d.channel, d.endpoint_id, d.attempts, e.url, e.secret, u.email, u.name, u.time_zone, \
             o.id AS event_id, o.user_id, o.lead_id, o.kind, o.payload, o.created_at FROM deliveries d \
             LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN outbox o ON o.id = d.event_id \
             JOIN users u ON u.id = o.user_id WHERE d.id IN ",
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

    /// When the next delivery a worker would take falls due, if any (email only
    /// `with_email`).
    pub async fn next_delivery_due(
        &mut self,
        with_email: bool,
    ) -> Result<Option<Timestamp>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT MIN(d.next_attempt_at) AS due FROM deliveries d WHERE d.state = 'pending' AND {}",
            sendable(1)
        ))
        .bind(with_email);
        Ok(self
            .fetch_one::<MinDue>(&q)
            .await?
            .due
            .map(Timestamp::from_millis))
    }

    /// A page of the organization's delivery log (see [`LogQuery`]).
    pub async fn deliveries(
        &mut self,
        org: OrgId,
        query: &LogQuery,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.org_id = "
        ));
        q.push_bind(org);
        if let Some(endpoint) = query.endpoint {
            q.push(" AND d.endpoint_id = ").push_bind(endpoint);
        }
        if let Some(s) = query.state {
            q.push(" AND d.state = ").push_bind(s.as_str());
        }
        if query.failed {
            q.push(" AND (d.state = 'dead' OR (d.state = 'pending' AND d.last_error IS NOT NULL))");
        }
        if let Some(b) = query.before {
            q.push(" AND d.id < ").push_bind(b);
        }
        q.push(" ORDER BY d.id DESC LIMIT ")
            .push_bind(i64::from(query.limit));
        self.fetch_all::<DeliveryRow>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// One delivery of the organization.
    pub async fn delivery(&mut self, org: OrgId, id: DeliveryId) -> Result<Delivery, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.org_id = $1 AND d.id = $2"
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
