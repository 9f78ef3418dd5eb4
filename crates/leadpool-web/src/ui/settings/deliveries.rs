//! Settings → Deliveries: what the engine sent out of the outbox, webhooks and email, for
//! organization admins. It lists the deliveries in trouble first (dead, or failing and
//! retrying) with the receiver's answer, and retries one on request; `all` lists every
//! recent delivery. Whether this server sends email is said at the top.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::Member;
use leadpool_app::models::Delivery;
use leadpool_app::webhooks::{DELIVERIES, LogPage};
use leadpool_domain::DeliveryId;
use leadpool_domain::delivery::{Channel, DeliveryState};
use serde::Deserialize;

use super::{SectionPage, path_id, require, show};
use crate::AppState;
use crate::ui::error::UiError;
use crate::ui::flash::{Flash, Said};
use crate::ui::offers::NoFields;
use crate::ui::render_status;
use crate::ui::session::{Posted, Signed};
use crate::ui::view::{Chrome, Zone};

/// How many deliveries the page lists.
const PAGE: u32 = 100;

/// Whether `m` may open this section.
pub fn may_open(m: &Member) -> bool {
    m.may(DELIVERIES)
}

/// A delivery as its row shows it.
#[derive(Debug)]
pub struct DeliveryView {
    /// Its id.
    pub id: i64,
    /// "Webhook" or "Email".
    pub channel: &'static str,
    /// The endpoint's URL or the addressee's address.
    pub to: String,
    /// The event's type.
    pub event: String,
    /// The lead it is about.
    pub lead_id: Option<i64>,
    /// Where it stands, in words.
    pub state: String,
    /// Whether it is dead.
    pub dead: bool,
    /// Attempts made.
    pub attempts: u32,
    /// When it was last tried, with the answer's code and time.
    pub last: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

impl DeliveryView {
    fn of(d: Delivery, zone: &Zone) -> Self {
        let state = match (d.state, d.next_attempt_at) {
            (DeliveryState::Delivered, _) => "Delivered".to_owned(),
            (DeliveryState::Dead, _) => "Dead: out of attempts".to_owned(),
            (DeliveryState::Pending, Some(next)) if d.attempts > 0 => {
                format!("Retrying at {}", zone.when(next))
            }
            (DeliveryState::Pending, _) => "Waiting to be sent".to_owned(),
        };
        let last = match (d.last_attempt_at, d.last_status, d.last_response_ms) {
            (None, ..) => "never tried".to_owned(),
            (Some(at), Some(code), Some(ms)) => {
                format!("{}: answered {code} in {ms} ms", zone.when(at))
            }
            (Some(at), Some(code), None) => format!("{}: answered {code}", zone.when(at)),
            (Some(at), None, _) => format!("{}: no answer", zone.when(at)),
        };
        Self {
            id: d.id.get(),
            channel: match d.channel {
                Channel::Webhook => "Webhook",
                Channel::Email => "Email",
            },
            to: d.to,
            event: d.event_type.replace('_', " "),
            lead_id: d.lead_id.map(|l| l.get()),
            dead: d.state == DeliveryState::Dead,
            state,
            attempts: d.attempts,
            last,
            error: d.last_error,
        }
    }
}

/// The section.
#[derive(Template)]
#[template(path = "settings_deliveries.html", blocks = ["settings"])]
pub struct DeliveriesPage {
    chrome: Chrome,
    flash: Option<Flash>,
    email_on: bool,
    all: bool,
    items: Vec<DeliveryView>,
}

/// Which deliveries the page shows.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Shown {
    /// `yes`: every recent delivery, not only those in trouble.
    all: String,
}

impl DeliveriesPage {
    async fn build(
        s: &AppState,
        signed: &Signed,
        flash: Option<Flash>,
        all: bool,
    ) -> Result<Self, UiError> {
        let m = &signed.member;
        require(m, DELIVERIES)?;
        let log = s
            .app
            .deliveries(
                m,
                LogPage {
                    failed: !all,
                    limit: Some(PAGE),
                    ..LogPage::default()
                },
            )
            .await?;
        Ok(Self {
            chrome: Chrome::signed_in("Deliveries", m, &signed.csrf),
            flash,
            email_on: s.app.sends_email(),
            all,
            items: log
                .items
                .into_iter()
                .map(|d| DeliveryView::of(d, &Zone::of(m)))
                .collect(),
        })
    }
}

impl SectionPage for DeliveriesPage {
    async fn load(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError> {
        Self::build(s, signed, flash, false).await
    }

    fn render(&self, status: StatusCode) -> Result<Response, UiError> {
        render_status(status, self, &self.as_settings())
    }
}

/// `GET /settings/deliveries`: the deliveries in trouble (`?all=yes`: every recent one).
pub async fn page(
    State(s): State<AppState>,
    Query(shown): Query<Shown>,
    signed: Signed,
) -> Result<Response, UiError> {
    if shown.all == "yes" {
        let page = DeliveriesPage::build(&s, &signed, None, true).await?;
        return SectionPage::render(&page, StatusCode::OK);
    }
    show::<DeliveriesPage>(&s, &signed, None).await
}

/// `POST /settings/deliveries/{id}/retry`: sends a delivery again now.
pub async fn retry(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, DeliveryId::new);
    let said = Said::of(s.app.resend_delivery(&signed.member, id).await.map(|d| {
        let what = d.channel.as_str();
        format!(
            "The {} {what} to {} is being sent again now, with a fresh round of attempts.",
            d.event_type.replace('_', " "),
            d.to
        )
    }))?;
    show::<DeliveriesPage>(&s, &signed, Some(said)).await
}
