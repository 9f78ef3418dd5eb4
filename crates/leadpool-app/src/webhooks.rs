//! Webhooks for CRMs (issue 17): organization admins manage endpoints (URL, event types,
//! on or off), read each endpoint's delivery log and resend a delivery. Deliveries are
//! written with their events (see `leadpool_store::deliveries`) and sent by the
//! [`crate::deliver::Deliverer`], signed as Standard Webhooks ([`signature`]).

pub mod signature;

use leadpool_domain::delivery::{DeliveryState, EndpointHealth, EventFilter, WebhookUrl};
use leadpool_domain::validate::Errors;
use leadpool_domain::{DeliveryId, Permission, WebhookId};
use leadpool_store::deliveries::{Delivery, LogQuery};
use leadpool_store::webhooks::{NewWebhook, Webhook};

use crate::{App, AppError, Member};

/// What admins may do with webhooks, as the refusal names it.
const WEBHOOKS: Permission<'static> = Permission::OrgSetting("webhooks");
/// Reading every delivery of the organization (webhooks and email) and retrying them.
pub const DELIVERIES: Permission<'static> = Permission::OrgSetting("deliveries");

/// The longest description kept.
const MAX_DESCRIPTION: usize = 500;
/// The most log entries one page holds.
const MAX_LOG_PAGE: u32 = 200;

/// An endpoint's fields as given; `None` keeps (or, on creation, defaults) a field.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    /// Where events are posted.
    pub url: Option<String>,
    /// What it is for.
    pub description: Option<String>,
    /// Event types it receives; empty: every type.
    pub event_types: Option<Vec<String>>,
    /// Whether events are delivered to it.
    pub enabled: Option<bool>,
}

/// Which part of a delivery log to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogPage {
    /// Only deliveries in this state.
    pub state: Option<DeliveryState>,
    /// Only those in trouble: dead, or pending after a failed attempt.
    pub failed: bool,
    /// Only deliveries older than this one.
    pub before: Option<DeliveryId>,
    /// At most this many: 1 to [`MAX_LOG_PAGE`], 50 when `None`.
    pub limit: Option<u32>,
}

/// A page of an endpoint's delivery log.
#[derive(Debug, Clone)]
pub struct DeliveryLog {
    /// The deliveries, newest first.
    pub items: Vec<Delivery>,
    /// Where the next (older) page starts; `None` on the last.
    pub next_before: Option<DeliveryId>,
}

/// The checked fields of a [`WebhookInput`].
struct Checked {
    url: Option<WebhookUrl>,
    description: Option<String>,
    filter: Option<EventFilter>,
}

fn check(input: &WebhookInput) -> Result<Checked, AppError> {
    let mut errors = Errors::default();
    let url = input
        .url
        .as_deref()
        .and_then(|u| errors.take("url", WebhookUrl::parse(u)));
    let description = input.description.as_deref().map(str::trim);
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        errors.push(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        );
    }
    let filter = input
        .event_types
        .as_deref()
        .and_then(|t| errors.take("event_types", EventFilter::parse(t)));
    Ok(errors.finish(|| Checked {
        url,
        description: description.map(str::to_owned),
        filter,
    })?)
}

impl App {
    /// Adds an endpoint; returns it with its signing secret, shown this once.
    #[tracing::instrument(name = "create_webhook", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_webhook(
        &self,
        m: &Member,
        input: &WebhookInput,
    ) -> Result<(Webhook, String), AppError> {
        m.require(WEBHOOKS)?;
        let c = check(input)?;
        let Some(url) = c.url else {
            return Err(AppError::invalid("url", "is required"));
        };
        let secret = signature::new_secret()?;
        let mut tx = self.store().write().await?;
        let w = tx
            .insert_webhook(
                m.viewer.org,
                NewWebhook {
                    url: url.as_str(),
                    description: c.description.as_deref().unwrap_or_default(),
                    filter: &c.filter.unwrap_or_default(),
                    enabled: input.enabled.unwrap_or(true),
                    secret: &secret,
                },
                self.now(),
            )
            .await?;
        tx.commit().await?;
        Ok((w, secret))
    }

    /// Every endpoint of the organization.
    #[tracing::instrument(name = "list_webhooks", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_webhooks(&self, m: &Member) -> Result<Vec<Webhook>, AppError> {
        m.require(WEBHOOKS)?;
        let mut tx = self.store().read().await?;
        let all = tx.webhooks(m.viewer.org).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// One endpoint.
    #[tracing::instrument(name = "get_webhook", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_webhook(&self, m: &Member, id: WebhookId) -> Result<Webhook, AppError> {
        m.require(WEBHOOKS)?;
        let mut tx = self.store().read().await?;
        let w = tx
            .webhook(m.viewer.org, id, false)
            .await
            .map_err(AppError::from_store("webhook"))?;
        tx.commit().await?;
        Ok(w)
    }

    /// Changes the fields given. Turning an endpoint on clears why the engine turned it off
    /// and its failure count, so it gets a fresh start.
    #[tracing::instrument(name = "update_webhook", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_webhook(
        &self,
        m: &Member,
        id: WebhookId,
        input: &WebhookInput,
    ) -> Result<Webhook, AppError> {
        m.require(WEBHOOKS)?;
        let c = check(input)?;
        let mut tx = self.store().write().await?;
        let mut w = tx
            .webhook(m.viewer.org, id, true)
            .await
            .map_err(AppError::from_store("webhook"))?;
        if let Some(url) = c.url {
            w.url = url.as_str().to_owned();
        }
        if let Some(d) = c.description {
            w.description = d;
        }
        if let Some(f) = c.filter {
            w.filter = f;
        }
        if let Some(on) = input.enabled {
            if on && !w.enabled {
                w.disabled_reason = None;
                w.disabled_at = None;
                w.health = EndpointHealth::default();
            }
            w.enabled = on;
        }
        let w = tx.update_webhook(&w, self.now()).await?;
        tx.commit().await?;
        Ok(w)
    }

    /// Removes an endpoint and its delivery log; undelivered events are not sent to it.
    #[tracing::instrument(name = "delete_webhook", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn delete_webhook(&self, m: &Member, id: WebhookId) -> Result<(), AppError> {
        m.require(WEBHOOKS)?;
        let mut tx = self.store().write().await?;
        tx.delete_webhook(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("webhook"))?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces an endpoint's signing secret; returns the new one, shown this once. The old
    /// secret stops signing at once, retries included.
    #[tracing::instrument(name = "rotate_webhook_secret", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn rotate_webhook_secret(
        &self,
        m: &Member,
        id: WebhookId,
    ) -> Result<(Webhook, String), AppError> {
        m.require(WEBHOOKS)?;
        let secret = signature::new_secret()?;
        let mut tx = self.store().write().await?;
        let mut w = tx
            .webhook(m.viewer.org, id, true)
            .await
            .map_err(AppError::from_store("webhook"))?;
        w.secret.clone_from(&secret);
        let w = tx.update_webhook(&w, self.now()).await?;
        tx.commit().await?;
        Ok((w, secret))
    }

    /// An endpoint's deliveries, newest first.
    #[tracing::instrument(name = "webhook_deliveries", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn webhook_deliveries(
        &self,
        m: &Member,
        id: WebhookId,
        page: LogPage,
    ) -> Result<DeliveryLog, AppError> {
        m.require(WEBHOOKS)?;
        let mut tx = self.store().read().await?;
        tx.webhook(m.viewer.org, id, false)
            .await
            .map_err(AppError::from_store("webhook"))?;
        let log = read_log(&mut tx, m, Some(id), page).await?;
        tx.commit().await?;
        Ok(log)
    }

    /// The organization's deliveries of every channel (webhooks and email), newest first.
    #[tracing::instrument(name = "deliveries", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn deliveries(&self, m: &Member, page: LogPage) -> Result<DeliveryLog, AppError> {
        m.require(DELIVERIES)?;
        let mut tx = self.store().read().await?;
        let log = read_log(&mut tx, m, None, page).await?;
        tx.commit().await?;
        Ok(log)
    }

    /// Sends a delivery again now, with a fresh round of attempts: a dead one, a delivered
    /// one the receiver lost, or a pending one not to wait for its next retry. Refused while
    /// its endpoint is off, since nothing would be sent.
    #[tracing::instrument(name = "resend_delivery", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn resend_delivery(&self, m: &Member, id: DeliveryId) -> Result<Delivery, AppError> {
        m.require(DELIVERIES)?;
        let mut tx = self.store().write().await?;
        let d = tx
            .delivery(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("delivery"))?;
        match d.endpoint {
            Some(endpoint) => {
                let endpoint = tx.webhook(m.viewer.org, endpoint, false).await?;
                if !endpoint.enabled {
                    return Err(AppError::Conflict {
                        code: "webhook_disabled",
                        message: format!(
                            "the webhook endpoint {} is turned off; turn it on to resend",
                            endpoint.url.as_str()
                        ),
                    });
                }
            }
            None if !self.sends_email() => {
                return Err(AppError::Conflict {
                    code: "email_off",
                    message: "this server does not send email (no SMTP server is configured), so the letter cannot be sent again".to_owned(),
                });
            }
            None => {}
        }
        let d = tx.resend_delivery(m.viewer.org, id, self.now()).await?;
        tx.commit().await?;
        Ok(d)
    }
}

/// A page of the log of one endpoint, or of the whole organization.
async fn read_log(
    tx: &mut leadpool_store::Tx,
    m: &Member,
    endpoint: Option<WebhookId>,
    page: LogPage,
) -> Result<DeliveryLog, AppError> {
    let limit = crate::page::page_limit(page.limit, 50, MAX_LOG_PAGE)?;
    let query = LogQuery {
        endpoint,
        state: page.state,
        failed: page.failed,
        before: page.before,
        limit,
    };
    let items = tx.deliveries(m.viewer.org, &query).await?;
    let next_before = items
        .last()
        .filter(|_| items.len() >= limit as usize)
        .map(|d| d.id);
    Ok(DeliveryLog { items, next_before })
}
