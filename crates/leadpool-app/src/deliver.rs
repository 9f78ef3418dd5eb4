//! The delivery worker: any instance takes due deliveries under a lease, posts each signed
//! event to its webhook endpoint or emails it to its addressee, and records the answer with
//! what follows (delivered, retry later, dead), as the domain's [`RetryPolicy`] decides. A
//! taker that dies mid-attempt loses its lease and the delivery falls due again, so every
//! event is delivered at least once. No transaction is held while a request is in flight.

use std::sync::Arc;
use std::time::{Duration, Instant};

use leadpool_domain::delivery::{
    EndpointHealth, EventType, Next, RetryPolicy, next_digest, webhook_accepted,
};
use leadpool_domain::{PoolId, Role, Timestamp, Visibility};
use leadpool_store::deliveries::{AttemptRecord, ClaimedDelivery, Target};
use leadpool_store::offers::NewEvent;
use leadpool_store::users::UserFilter;
use leadpool_store::{StoreError, Tx};
use serde_json::json;
use tokio::sync::watch;

use crate::directory::zone_named;
use crate::mail::Mailer;
use crate::mail::compose::{Facts, LeadFacts, compose};
use crate::webhooks::signature;
use crate::{App, AppError};

/// How often an idle worker looks for due deliveries: another instance may write them
/// without waking this one, and so does a commit on this one (events are written by many use
/// cases). A second is the longest a CRM waits for an event.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// The most of a receiver's answer kept in the log when it refuses a delivery.
const ERROR_BODY_BYTES: usize = 300;

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Answered 2xx.
    pub delivered: usize,
    /// Failed; tried again later.
    pub retrying: usize,
    /// Failed for the last time.
    pub dead: usize,
    /// Taken over by another instance (or resent by an admin) meanwhile: answer not kept.
    pub lost: usize,
}

/// Called after each attempt's answer is recorded (tests and benchmarks watch with it).
pub type Observer = Arc<dyn Fn(&ClaimedDelivery, &AttemptRecord) + Send + Sync>;

/// Sends due deliveries for one instance.
#[derive(Clone)]
pub struct Deliverer {
    app: App,
    owner: String,
    policy: RetryPolicy,
    lease: Duration,
    timeout: Duration,
    batch: u32,
    http: reqwest::Client,
    mailer: Option<Mailer>,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("owner", &self.owner)
            .field("policy", &self.policy)
            .field("lease", &self.lease)
            .field("timeout", &self.timeout)
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl Deliverer {
    /// A worker that takes deliveries under the name `owner` (unique per running instance),
    /// with the default policy, a 15 s request timeout and a 60 s lease (four times it).
    pub fn new(app: App, owner: impl Into<String>) -> Result<Self, AppError> {
        let timeout = Duration::from_secs(15);
        Ok(Self {
            app,
            owner: owner.into(),
            policy: RetryPolicy::default(),
            lease: Duration::from_secs(60),
            timeout,
            batch: 32,
            http: client(timeout)?,
            mailer: None,
            observer: None,
        })
    }

    /// Also sends the email deliveries, through `mailer`; without one they are left to an
    /// instance that has one.
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// How many attempts a delivery gets.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How long a receiver may take to answer; the lease becomes four times as long, so a
    /// slow answer is recorded before another instance takes the delivery over, and a
    /// dead instance's deliveries wait no longer than that.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, AppError> {
        self.timeout = timeout;
        self.lease = timeout * 4;
        self.http = client(timeout)?;
        Ok(self)
    }

    /// How long a taken delivery stays this instance's before another may take it over.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How many deliveries one pass takes and sends at once.
    pub fn with_batch(mut self, batch: u32) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Calls `observer` after each attempt is recorded.
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Takes up to one batch of due deliveries.
    pub async fn claim(&self) -> Result<Vec<ClaimedDelivery>, AppError> {
        let now = self.app.now();
        let lease_until =
            now.plus_millis(i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX));
        let mut tx = self.app.store().write().await?;
        let claimed = tx
            .claim_due_deliveries(
                &self.owner,
                now,
                lease_until,
                self.batch,
                self.mailer.is_some(),
            )
            .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Sends every delivery due now, batch after batch, until none is left; the deliveries
    /// of a batch are sent concurrently.
    #[tracing::instrument(name = "send_due_deliveries", skip_all, fields(owner = %self.owner), err(level = "debug"))]
    pub async fn run_due(&self) -> Result<DeliveryReport, AppError> {
        if self.mailer.is_some() {
            self.write_digests().await?;
        }
        let mut report = DeliveryReport::default();
        loop {
            let claimed = self.claim().await?;
            let full = claimed.len() >= self.batch as usize;
            let mut sends = tokio::task::JoinSet::new();
            for d in claimed {
                let this = self.clone();
                sends.spawn(async move { this.deliver(&d).await });
            }
            while let Some(done) = sends.join_next().await {
                let next =
                    done.map_err(|e| AppError::Internal(format!("a delivery task: {e}")))??;
                match next {
                    Some(Next::Delivered) => report.delivered += 1,
                    Some(Next::RetryAt(_)) => report.retrying += 1,
                    Some(Next::Dead) => report.dead += 1,
                    None => report.lost += 1,
                }
            }
            if !full {
                return Ok(report);
            }
        }
    }

    /// Writes the daily digests due now as events to their people (email sends them like
    /// any letter), in the transaction that moves each one's next to tomorrow morning: each
    /// digest is written once, whichever instance takes it.
    pub async fn write_digests(&self) -> Result<usize, AppError> {
        let now = self.app.now();
        // Asked each second: a read, so the SQLite write lock is taken only when one is due.
        let mut tx = self.app.store().read().await?;
        let next = tx.next_digest_due().await?;
        tx.commit().await?;
        if next.is_none_or(|due| due > now) {
            return Ok(0);
        }
        let mut written = 0;
        loop {
            let mut tx = self.app.store().write().await?;
            let due = tx.take_due_digests(now, self.batch).await?;
            for d in &due {
                let zone = zone_named(d.time_zone.as_deref());
                tx.plan_digest(d.user, next_digest(now, &zone)).await?;
                let facts = digest_facts(&mut tx, d.org, d.user, now).await?;
                let event = NewEvent {
                    user: d.user,
                    lead: None,
                    kind: EventType::DailyDigest,
                    payload: facts,
                };
                tx.push_events(d.org, &[event], now).await?;
            }
            tx.commit().await?;
            written += due.len();
            if due.len() < self.batch as usize {
                return Ok(written);
            }
        }
    }

    /// Attempts one taken delivery and records the answer; `None` when the delivery was no
    /// longer this worker's by then.
    pub async fn deliver(&self, d: &ClaimedDelivery) -> Result<Option<Next>, AppError> {
        let (record, delivered) = match &d.target {
            Target::Webhook { url, secret, .. } => self.post(d, url, secret).await?,
            Target::Email {
                to,
                name,
                time_zone,
            } => {
                self.email(d, to, name, &zone_named(time_zone.as_deref()))
                    .await?
            }
        };
        let next = self.policy.after_attempt(d.attempt, delivered, record.at);
        let mut tx = self.app.store().write().await?;
        let kept = tx.finish_delivery(d, &self.owner, &record, next).await?;
        if kept {
            update_health(&mut tx, d, next, self.app.now()).await?;
        }
        tx.commit().await?;
        let outcome = match (kept, next) {
            (false, _) => "lost",
            (true, Next::Delivered) => "delivered",
            (true, Next::RetryAt(_)) => "retrying",
            (true, Next::Dead) => "dead",
        };
        let channel = d.target.channel().as_str();
        metrics::counter!("leadpool_delivery_attempts_total", "channel" => channel, "outcome" => outcome)
            .increment(1);
        if let Some(observe) = &self.observer {
            observe(d, &record);
        }
        Ok(kept.then_some(next))
    }

    /// Posts the event, signed, and notes the answer and whether it took the event. The
    /// response time is measured on the monotonic clock: it is a duration on this machine,
    /// not an instant of the app's.
    async fn post(
        &self,
        d: &ClaimedDelivery,
        url: &str,
        secret: &str,
    ) -> Result<(AttemptRecord, bool), AppError> {
        let at = self.app.now();
        let body = json!({
            "type": d.event.kind,
            "timestamp": d.event.at,
            "data": {
                "organization_id": d.org,
                "lead_id": d.event.lead_id,
                "user_id": d.user,
                "payload": d.event.payload,
            },
        })
        .to_string();
        let id = message_id(d);
        let timestamp = at.as_millis().div_euclid(1000);
        let signed = signature::sign(secret, &id, timestamp, &body)?;
        let started = Instant::now();
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(body)
            .send()
            .await;
        let record = match sent {
            Ok(mut res) => {
                let status = res.status();
                let error = if status.is_success() {
                    None
                } else {
                    Some(refusal(status, &mut res).await)
                };
                AttemptRecord {
                    at,
                    status: Some(status.as_u16()),
                    response_ms: Some(elapsed(started)),
                    error,
                }
            }
            Err(e) => AttemptRecord {
                at,
                status: None,
                response_ms: None,
                error: Some(transport_error(&e)),
            },
        };
        let accepted = webhook_accepted(record.status);
        Ok((record, accepted))
    }

    /// Emails the event to its addressee and notes the server's answer and whether it took
    /// the letter. The letter is composed now, from the lead as it is.
    async fn email(
        &self,
        d: &ClaimedDelivery,
        to: &str,
        name: &str,
        zone: &jiff::tz::TimeZone,
    ) -> Result<(AttemptRecord, bool), AppError> {
        let at = self.app.now();
        let unsent = |error: &str| AttemptRecord {
            at,
            status: None,
            response_ms: None,
            error: Some(error.to_owned()),
        };
        let Some(mailer) = &self.mailer else {
            return Ok((unsent("this instance does not send email"), false));
        };
        let Some(event_type) = EventType::parse(&d.event.kind) else {
            return Ok((unsent("this event type is never emailed"), false));
        };
        let (lead, pool) = self.letter_facts(d).await?;
        let facts = Facts {
            recipient: name,
            event_type,
            payload: &d.event.payload,
            lead,
            pool,
            public_url: mailer.public_url(),
            zone,
        };
        let Some(letter) = compose(&facts) else {
            return Ok((unsent("this event type is never emailed"), false));
        };
        let started = Instant::now();
        let sent = mailer
            .send(to, name, &letter, &format!("<{}@leadpool>", message_id(d)))
            .await;
        let record = AttemptRecord {
            at,
            status: sent.code,
            response_ms: sent.code.map(|_| elapsed(started)),
            error: sent.error,
        };
        Ok((record, sent.accepted))
    }

    /// The lead a letter is about (if it still exists) and the pool a returned lead went to.
    async fn letter_facts(
        &self,
        d: &ClaimedDelivery,
    ) -> Result<(Option<LeadFacts>, Option<String>), AppError> {
        let mut tx = self.app.store().read().await?;
        let lead = match d.event.lead_id {
            Some(id) => match tx.lead(d.org, id, &Visibility::Organization).await {
                Ok(l) => Some(l),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let lead = match lead {
            Some(l) => Some(LeadFacts {
                id: l.id,
                name: l.display_name(),
                email: l.emails.first().map(|e| e.as_str().to_owned()),
                phone: l.phones.first().map(|p| p.as_str().to_owned()),
                source: tx.source(d.org, l.source_id).await?.name,
            }),
            None => None,
        };
        let pool = match d
            .event
            .payload
            .get("pool_id")
            .and_then(serde_json::Value::as_i64)
        {
            Some(id) => match tx.pool(d.org, PoolId::new(id)).await {
                Ok(p) => Some(p.name),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        tx.commit().await?;
        Ok((lead, pool))
    }

    /// Sends deliveries as they fall due until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        match &self.mailer {
            Some(m) => {
                tracing::info!(owner = %self.owner, mail = %m.describe(), "delivery worker started")
            }
            None => {
                tracing::info!(owner = %self.owner, "delivery worker started (webhooks only: email is off)")
            }
        }
        loop {
            let wait = match self.run_due().await {
                Ok(r) => {
                    if r != DeliveryReport::default() {
                        tracing::debug!(
                            delivered = r.delivered,
                            retrying = r.retrying,
                            dead = r.dead,
                            lost = r.lost,
                            "deliveries sent"
                        );
                    }
                    self.until_next_due().await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sending deliveries failed; retrying shortly");
                    MAX_IDLE
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        tracing::info!(owner = %self.owner, "delivery worker stopped");
    }

    async fn until_next_due(&self) -> Duration {
        let next = async {
            let mut tx = self.app.store().read().await?;
            let next = tx.next_delivery_due(self.mailer.is_some()).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(next)
        }
        .await;
        match next {
            Ok(Some(due)) => until(due, self.app.now()).min(MAX_IDLE),
            Ok(None) => MAX_IDLE,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the next due delivery");
                MAX_IDLE
            }
        }
    }
}

/// The `webhook-id` (and the start of an email's Message-ID): the event's, so that a
/// receiver with two endpoints, or getting a retry or a resend, can tell it already has
/// this event.
pub fn message_id(d: &ClaimedDelivery) -> String {
    format!("evt_{}", d.event.id)
}

/// What a person's digest says: the leads they hold (and how many are new), the offers
/// waiting for them, and their tasks overdue or due within a day.
async fn digest_facts(
    tx: &mut Tx,
    org: leadpool_domain::OrgId,
    user: leadpool_domain::UserId,
    now: Timestamp,
) -> Result<serde_json::Value, AppError> {
    let load = tx
        .loads(org, &[user])
        .await?
        .remove(&user)
        .unwrap_or_default();
    let offers = tx.open_offers_for(org, user).await?.len();
    let day = now.plus_millis(86_400_000);
    let tasks = tx
        .pending_tasks_of(org, user, &Visibility::Organization, (None, Some(day)), 500)
        .await?;
    let overdue = tasks.iter().filter(|t| t.due_at < now).count();
    Ok(json!({
        "open_leads": load.open_leads,
        "offers": offers,
        "tasks_overdue": overdue,
        "tasks_due_today": tasks.len() - overdue,
    }))
}

fn elapsed(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}

fn until(due: Timestamp, now: Timestamp) -> Duration {
    Duration::from_millis(
        u64::try_from(due.as_millis().saturating_sub(now.as_millis())).unwrap_or(0),
    )
}

fn client(timeout: Duration) -> Result<reqwest::Client, AppError> {
    crate::install_tls();
    reqwest::Client::builder()
        .timeout(timeout)
        // A receiver answers where it was registered; a redirect is its misconfiguration,
        // and following one would re-post a signed event somewhere nobody chose.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("leadpool-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(format!("building the webhook client: {e}")))
}

/// Turns a webhook endpoint off, in the delivery's transaction, when the domain says it has
/// failed long enough, and tells the organization's admins; a delivered event clears its
/// failure count.
async fn update_health(
    tx: &mut Tx,
    d: &ClaimedDelivery,
    next: Next,
    now: Timestamp,
) -> Result<(), AppError> {
    let Target::Webhook { endpoint, .. } = d.target else {
        return Ok(());
    };
    if matches!(next, Next::RetryAt(_)) {
        return Ok(());
    }
    let mut w = tx.webhook(d.org, endpoint, true).await?;
    let after = if next == Next::Delivered {
        EndpointHealth::default()
    } else {
        w.health.after_dead(now)
    };
    if after == w.health {
        return Ok(());
    }
    w.health = after;
    let Some(reason) = after.disable_reason(now).filter(|_| w.enabled) else {
        tx.update_webhook(&w, now).await?;
        return Ok(());
    };
    tracing::warn!(webhook = %w.id, url = %w.url, %reason, "webhook endpoint turned off");
    let payload = json!({ "webhook_id": w.id, "url": w.url.as_str(), "reason": reason });
    w.enabled = false;
    w.disabled_reason = Some(reason);
    w.disabled_at = Some(now);
    // Turned off first, so the admins' event is not queued for the endpoint it is about.
    tx.update_webhook(&w, now).await?;
    let admins: Vec<NewEvent> = tx
        .users(
            d.org,
            &UserFilter {
                role: Some(Role::Admin),
                active: Some(true),
                ..UserFilter::default()
            },
        )
        .await?
        .into_iter()
        .filter(|u| u.scope_team_id.is_none())
        .map(|u| NewEvent {
            user: u.id,
            lead: None,
            kind: EventType::WebhookDisabled,
            payload: payload.clone(),
        })
        .collect();
    tx.push_events(d.org, &admins, now).await?;
    Ok(())
}

/// What the log says of a non-2xx answer: the status and the start of the body.
async fn refusal(status: reqwest::StatusCode, res: &mut reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_BYTES {
        match res.chunk().await {
            Ok(Some(c)) => body.extend_from_slice(&c),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    if text.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {text}")
    }
}

/// What the log says when no answer came: timed out, refused, unreachable.
fn transport_error(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    // The source chain names the cause (connection refused, DNS); the top is only "error
    // sending request".
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        format!("{what}: {e}")
    } else {
        format!("{what}: {cause}")
    }
}
