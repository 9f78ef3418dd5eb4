//! The agent's Offers page: the leads offered to them now (the rule or reassignment group,
//! the time left, the PIN to claim by calling, whether everyone was offered it at once),
//! Accept and Decline answered in the offer's own row (a lost race names the winner), and
//! the Pause/Resume switch that takes them out of distribution and back.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leadpool_app::distribute::{Answer, OfferAnswer, OpenOffer};
use leadpool_app::wording::offer_refusal;
use leadpool_app::{AppError, Member};
use leadpool_domain::routing::OfferRefusal;
use leadpool_domain::{OfferId, Timestamp};
use serde::Deserialize;

use super::error::UiError;
use super::session::{Posted, Signed};
use super::view::{Chrome, Outcome, Zone};
use super::{Wants, render, render_page};
use crate::AppState;

/// One offer as a row of the page.
#[derive(Debug)]
pub struct OfferRow {
    /// The offer's id.
    pub id: i64,
    /// The lead's id.
    pub lead_id: i64,
    /// The lead's name.
    pub lead: String,
    /// The rule or reassignment group that made the offer.
    pub router: String,
    /// When the response window closes.
    pub deadline: String,
    /// How long is left, in words.
    pub left: String,
    /// The deadline in epoch milliseconds, for the page's countdown.
    pub deadline_ms: i64,
    /// The PIN to dial in with to claim the lead by calling.
    pub pin: String,
    /// Offered to every member at once (first to accept wins).
    pub broadcast: bool,
    /// The lead is the viewer's now, so its name links to it.
    pub yours: bool,
    /// Accept and Decline are shown.
    pub answerable: bool,
    /// What the last answer did, if this row shows one.
    pub outcome: Option<Outcome>,
}

impl OfferRow {
    fn new(o: &OpenOffer, now: Timestamp, zone: &Zone) -> Self {
        Self {
            id: o.offer.offer.id.get(),
            lead_id: o.lead.id.get(),
            lead: o.lead.display_name(),
            router: o.offer.router_name.clone(),
            deadline: zone.when(o.offer.offer.deadline),
            left: time_left(o.offer.offer.deadline, now),
            deadline_ms: o.offer.offer.deadline.as_millis(),
            pin: o.offer.offer.pin.clone(),
            broadcast: o.offer.offer.broadcast,
            yours: false,
            answerable: true,
            outcome: None,
        }
    }
}

/// The time until `deadline`, as an agent glances at it: `12 min left`, `2 h 5 min left`.
fn time_left(deadline: Timestamp, now: Timestamp) -> String {
    let ms = deadline.as_millis() - now.as_millis();
    if ms <= 0 {
        return "the window has closed".to_owned();
    }
    // Rounded up: "0 min left" while a window is still open would read as closed.
    let minutes = (ms + 59_999) / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min left"),
        (h, 0) => format!("{h} h left"),
        (h, m) => format!("{h} h {m} min left"),
    }
}

/// Offers go to agents only; anyone else is told where their work is.
fn require_agent(m: &Member) -> Result<(), UiError> {
    if m.user.role.is_agent() {
        Ok(())
    } else {
        Err(UiError::new(
            StatusCode::FORBIDDEN,
            "Offers are for agents",
            "Only agents are offered leads. Admins and ISAs hand out leads from the assignment queue.",
        ))
    }
}

#[derive(Template)]
#[template(path = "offers.html")]
struct OffersPage {
    chrome: Chrome,
    paused: bool,
    pause_reason: Option<String>,
    rows: Vec<OfferRow>,
}

/// `GET /offers`: the signed-in agent's open offers, oldest first, and their pause switch.
pub async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    let m = &signed.member;
    require_agent(m)?;
    let now = s.app.now();
    let zone = Zone::of(m);
    let rows = s
        .app
        .my_offers(m)
        .await?
        .iter()
        .map(|o| OfferRow::new(o, now, &zone))
        .collect();
    let page = OffersPage {
        chrome: Chrome::signed_in("Offers", m, &signed.csrf),
        paused: m.user.paused,
        pause_reason: m.user.pause_reason.clone(),
        rows,
    };
    render(StatusCode::OK, &page)
}

/// `GET /offers/count`: how many offers the signed-in agent may answer now, as
/// `{"open": n}`, for the count beside Offers in the navigation.
pub async fn count(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    let m = &signed.member;
    require_agent(m)?;
    let open = s.app.my_offers(m).await?.len();
    Ok(axum::Json(serde_json::json!({ "open": open })).into_response())
}

/// A form whose only field is the CSRF token, which [`Posted`] checks.
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// What became of one answer: the row redrawn when its offer was still shown to the agent
/// (an offer already gone rewrites only the row's result).
#[derive(Debug)]
struct Answered {
    id: i64,
    row: Option<OfferRow>,
    outcome: Outcome,
}

#[derive(Template)]
#[template(path = "offer_answered.html", blocks = ["answer"])]
struct AnsweredPage {
    chrome: Chrome,
    summary: String,
    answer: Answered,
    /// Answer htmx: the row as a partial swap into the list, not a table of its own.
    fragment: bool,
}

/// `POST /offers/{id}/accept` and `POST /offers/{id}/decline`: the agent answers one offer.
pub async fn answer(
    State(s): State<AppState>,
    Path((id, verb)): Path<(String, String)>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    require_agent(m)?;
    let answer = match verb.as_str() {
        "accept" => Answer::Accept,
        "decline" => Answer::Decline,
        _ => {
            return Err(UiError::new(
                StatusCode::NOT_FOUND,
                "Not found",
                "An offer is answered with Accept or Decline.",
            ));
        }
    };
    // Not a number is no offer either: the same answer as an offer made to someone else.
    let offer_id = OfferId::new(id.parse().unwrap_or(-1));
    let now = s.app.now();
    // The row as the agent saw it, read before answering: afterwards the offer is no longer
    // theirs to list.
    let shown = s
        .app
        .my_offers(m)
        .await?
        .iter()
        .find(|o| o.offer.offer.id == offer_id)
        .map(|o| OfferRow::new(o, now, &Zone::of(m)));
    // An offer no longer listed for the agent (taken, over) is not named by its id: the
    // answer alone says what became of it.
    let name = shown.as_ref().map(|r| r.lead.clone());
    let said = |text: &str| {
        name.as_ref()
            .map_or_else(|| format!("{text}."), |n| format!("{n}: {text}."))
    };
    let (summary, outcome, lead) = match s.app.answer_offer(m, offer_id, answer.clone()).await {
        Ok(OfferAnswer::Done { lead }) => {
            let name = name.as_deref().unwrap_or("The lead");
            let (summary, text) = if answer == Answer::Accept {
                (
                    format!("{name} is yours now."),
                    "Accepted — it is in your leads now".to_owned(),
                )
            } else {
                (
                    format!("You declined {name}."),
                    "Declined — it moves on without you".to_owned(),
                )
            };
            let outcome = Outcome {
                done: true,
                text,
                leaves: true,
                selectable: false,
            };
            (summary, outcome, Some(lead))
        }
        Ok(OfferAnswer::Refused {
            refusal: r,
            by_name,
        }) => {
            let text = offer_refusal(r, by_name.as_deref());
            let outcome = Outcome {
                done: false,
                text: text.clone(),
                leaves: false,
                // Only a cap may pass (by working or giving back leads); the rest are final.
                selectable: matches!(r, OfferRefusal::OverCap { .. }),
            };
            (said(&text), outcome, None)
        }
        Err(AppError::NotFound { .. }) => {
            let text = "This offer was not made to you".to_owned();
            let outcome = Outcome {
                done: false,
                text: text.clone(),
                leaves: false,
                selectable: false,
            };
            (said(&text), outcome, None)
        }
        Err(e) => return Err(e.into()),
    };
    let row = shown.map(|mut row| {
        row.yours = lead
            .as_ref()
            .is_some_and(|l| l.owner.agent() == Some(m.user.id));
        row.answerable = outcome.selectable;
        row.outcome = Some(outcome.clone());
        row
    });
    let page = AnsweredPage {
        chrome: Chrome::signed_in("Offers", m, &signed.csrf),
        summary,
        answer: Answered {
            id: offer_id.get(),
            row,
            outcome,
        },
        fragment: Wants::current().fragment,
    };
    render_page(&page, &page.as_answer())
}

/// The pause switch as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PauseForm {
    /// `yes` to pause, anything else to resume.
    paused: String,
    /// Why, shown to whoever assigns leads (empty: no reason given).
    reason: String,
}

/// `POST /offers/pause`: the agent pauses (distribution passes them over, keeping their
/// place in line) or resumes; back to the Offers page.
pub async fn pause(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<PauseForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    require_agent(m)?;
    let reason = Some(form.reason).filter(|r| !r.trim().is_empty());
    s.app
        .set_paused(m, None, form.paused == "yes", reason)
        .await?;
    Ok(Redirect::to("/offers").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_reads_in_whole_minutes_rounded_up() {
        let now = Timestamp::from_millis(1_000_000);
        let left = |ms| time_left(now.plus_millis(ms), now);
        assert_eq!(left(1), "1 min left");
        assert_eq!(left(15 * 60_000), "15 min left");
        assert_eq!(left(2 * 3_600_000), "2 h left");
        assert_eq!(left(2 * 3_600_000 + 4 * 60_000 + 1), "2 h 5 min left");
        assert_eq!(left(0), "the window has closed");
    }
}
