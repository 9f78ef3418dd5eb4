//! Distribution on a lead: "Why here?" (the last routing decision: its summary, the rules
//! passed over, who could get the lead and who was left out and why), "Re-assign in
//! progress" while the lead is on offer, and the staff's actions on it: send it to a
//! reassignment group (admins and ISAs) and cancel its offer (admins). The panel is its own
//! page at `/leads/{id}/routing`; [`RoutingPanel`] and `routing_panel.html` are what a page
//! embeds to show it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leadpool_app::offers::Explanation;
use leadpool_app::{App, Member};
use leadpool_domain::routing::{Router, Trace};
use leadpool_domain::{Lead, LeadId, Owner, Permission, ReassignmentId};
use serde::Deserialize;

use super::directory::Directory;
use super::error::UiError;
use super::offers::NoFields;
use super::render;
use super::session::{Posted, Signed};
use super::view::{Choice, Chrome, Zone};
use crate::AppState;

/// The last routing decision in words.
#[derive(Debug)]
pub struct Why {
    /// When it was made.
    pub at: String,
    /// In one line.
    pub summary: String,
    /// The strategy used, in words.
    pub strategy: Option<String>,
    /// Rules passed over before the one that took the lead, with why.
    pub skipped: Vec<(String, String)>,
    /// Members who could get the lead.
    pub eligible: Vec<String>,
    /// Members left out, with why.
    pub excluded: Vec<(String, String)>,
    /// When the response window closes, while the offer is open.
    pub deadline: Option<String>,
    /// The offer this decision made is over (taken, declined by all, cancelled, expired).
    pub ended: bool,
    /// Why the fallback was used.
    pub fallback: Option<String>,
}

impl Why {
    fn new(e: Explanation, zone: &Zone) -> Self {
        // An entry whose trace this version cannot read still has its summary to show.
        match serde_json::from_value::<Trace>(e.trace) {
            Ok(t) => Self::of_trace(zone.when(e.at), e.summary, t, zone),
            Err(_) => Self {
                at: zone.when(e.at),
                summary: e.summary.unwrap_or_default(),
                strategy: None,
                skipped: Vec::new(),
                eligible: Vec::new(),
                excluded: Vec::new(),
                deadline: None,
                ended: false,
                fallback: None,
            },
        }
    }

    /// A decision's trace in words, made `at`, its times on `zone`'s clocks; `summary`
    /// overrides the trace's own.
    pub fn of_trace(at: String, summary: Option<String>, t: Trace, zone: &Zone) -> Self {
        Self {
            at,
            summary: summary.unwrap_or_else(|| t.summary()),
            strategy: t.strategy.map(|s| s.replace('_', " ")),
            skipped: t
                .skipped_rules
                .into_iter()
                .map(|r| (r.name, r.why))
                .collect(),
            eligible: t.eligible.into_iter().map(|n| n.name).collect(),
            excluded: t
                .excluded
                .into_iter()
                .map(|x| (x.name, x.why.to_string()))
                .collect(),
            deadline: t.deadline.map(|d| zone.when(d)),
            ended: false,
            fallback: t.fallback,
        }
    }
}

/// Distribution on one lead, as a page shows it to the viewer.
#[derive(Debug)]
pub struct RoutingPanel {
    /// The lead's id.
    pub lead_id: i64,
    /// The lead is on offer: it is locked until an agent takes it or the offer ends.
    pub on_offer: bool,
    /// The offer comes from a reassignment group ("Re-assign in progress").
    pub reassigning: bool,
    /// The rule or reassignment group making the offer, by name.
    pub offered_by: Option<String>,
    /// The last routing decision; `None` when the lead never went through routing.
    pub why: Option<Why>,
    /// The viewer may send the lead to a reassignment group (admins and ISAs).
    pub staff: bool,
    /// The reassignment groups the viewer may use.
    pub groups: Vec<Choice>,
    /// The viewer may cancel the offer (admins, while it is on offer).
    pub cancel: bool,
}

impl RoutingPanel {
    /// The panel of `lead` for `m`.
    pub async fn load(app: &App, m: &Member, lead: &Lead) -> Result<Self, UiError> {
        let offer = match lead.owner {
            // Someone who may see the lead but not its offer still sees that it is on offer.
            Owner::Offer { offer_id } => app.offer(m, offer_id).await.ok(),
            _ => None,
        };
        let on_offer = matches!(lead.owner, Owner::Offer { .. });
        let staff = m.may(Permission::Staff("send leads to a reassignment group"));
        let mut why = app
            .routing_explanation(m, lead.id)
            .await?
            .map(|e| Why::new(e, &Zone::of(m)));
        // A deadline of an offer that is over would read as if it still ran.
        if let Some(w) = why.as_mut().filter(|_| !on_offer) {
            w.ended = w.deadline.take().is_some();
        }
        let groups = if staff {
            app.list_reassignment_groups(m)
                .await?
                .into_iter()
                .map(|g| Choice::new(g.id, g.name, false))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            lead_id: lead.id.get(),
            on_offer,
            reassigning: offer
                .as_ref()
                .is_some_and(|o| matches!(o.offer.router, Router::Reassignment { .. })),
            offered_by: offer.map(|o| o.router_name),
            why,
            staff,
            groups,
            cancel: on_offer && m.may(Permission::Admin("cancel an offer")),
        })
    }
}

#[derive(Template)]
#[template(path = "lead_routing.html")]
struct RoutingPage {
    chrome: Chrome,
    name: String,
    owner: String,
    routing: RoutingPanel,
}

/// Reads a lead id from the path; not a number is no lead either (the same "not found" as a
/// lead the viewer may not see).
pub fn lead_id(raw: &str) -> LeadId {
    LeadId::new(raw.parse().unwrap_or(-1))
}

/// `GET /leads/{id}/routing`: why the lead is where it is, and what staff may do about it.
pub async fn page(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let lead = s.app.get_lead(m, lead_id(&id)).await?;
    let dir = Directory::load(&s.app, m).await?;
    let name = lead.display_name();
    let page = RoutingPage {
        chrome: Chrome::signed_in(format!("Why here? · {name}"), m, &signed.csrf),
        name,
        owner: dir.owner(lead.owner),
        routing: RoutingPanel::load(&s.app, m, &lead).await?,
    };
    render(StatusCode::OK, &page)
}

/// The reassignment form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReassignForm {
    /// The reassignment group's id.
    group: String,
}

/// `POST /leads/{id}/reassign`: an admin or ISA sends the lead through a reassignment group;
/// back to the lead's routing page, which shows where it went.
pub async fn reassign(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<ReassignForm>,
) -> Result<Response, UiError> {
    let group = form
        .group
        .trim()
        .parse()
        .map(ReassignmentId::new)
        .map_err(|_| UiError::bad_input("Pick a reassignment group from the list."))?;
    let lead = lead_id(&id);
    s.app
        .trigger_reassignment(&signed.member, lead, group)
        .await?;
    Ok(Redirect::to(&format!("/leads/{lead}")).into_response())
}

/// `POST /leads/{id}/cancel-offer`: an admin stops the lead's offer (it goes to the manual
/// assignment queue); back to the lead's routing page.
pub async fn cancel_offer(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let lead = lead_id(&id);
    s.app.cancel_offer(&signed.member, lead).await?;
    Ok(Redirect::to(&format!("/leads/{lead}")).into_response())
}
