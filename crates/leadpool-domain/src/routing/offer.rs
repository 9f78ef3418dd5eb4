//! Offers: a lead held by distribution while agents decide. Only offered agents may accept;
//! the first accept (or call with the offer's PIN) wins, a decline or the window's end moves
//! the lead on, and an admin may cancel. Each is a transition written only if the lead is
//! still at the version it was decided on, so one outcome wins any race.

use serde::Serialize;
use serde_json::json;

use super::decide::{AttemptOutcome, Decision, History, Outcome};
use super::rules::Router;
use crate::ids::{OfferId, UserId};
use crate::lead::{Lead, Transition};
use crate::owner::Owner;
use crate::pool::Taker;
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind};

/// An offer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    /// Its id.
    pub id: OfferId,
    /// The lead.
    pub lead_id: crate::ids::LeadId,
    /// What routed it.
    pub router: Router,
    /// Who may accept.
    pub to: Vec<UserId>,
    /// When the window closes.
    pub deadline: Timestamp,
    /// The code an agent dials in with to claim it by calling.
    pub pin: String,
    /// Whether every member was offered it at once.
    pub broadcast: bool,
    /// Every offer made for the lead so far.
    #[serde(skip)]
    pub history: History,
}

/// How an agent takes an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// They pressed accept.
    Accept,
    /// They called the lead, with the PIN they dialled in with if any.
    Call {
        /// The PIN.
        pin: Option<String>,
    },
}

/// Why an offer action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum OfferRefusal {
    /// Another offered agent took it first.
    AlreadyTaken {
        /// Who has it.
        by: UserId,
    },
    /// The offer is over: the lead moved on (next agent, fallback or cancel).
    Ended,
    /// The asker was not offered this lead.
    NotOffered,
    /// The window has closed.
    Expired {
        /// When it closed.
        deadline: Timestamp,
    },
    /// A broadcast is taken by calling only with the offer's PIN.
    WrongPin,
    /// The asker is at their cap.
    OverCap {
        /// The cap.
        max: u32,
    },
}

fn on_offer(lead: &Lead, offer: &Offer, asker: UserId) -> Result<(), OfferRefusal> {
    if lead.owner == (Owner::Offer { offer_id: offer.id }) {
        return if offer.to.contains(&asker) {
            Ok(())
        } else {
            Err(OfferRefusal::NotOffered)
        };
    }
    match lead.owner {
        Owner::Agent { user_id } if offer.to.contains(&asker) => {
            Err(OfferRefusal::AlreadyTaken { by: user_id })
        }
        _ if offer.to.contains(&asker) => Err(OfferRefusal::Ended),
        _ => Err(OfferRefusal::NotOffered),
    }
}

/// An offered agent takes the lead, by accepting or by calling it.
pub fn accept(
    lead: &Lead,
    offer: &Offer,
    taker: &Taker,
    how: &Acceptance,
    now: Timestamp,
) -> Result<Transition, OfferRefusal> {
    on_offer(lead, offer, taker.user)?;
    // At the deadline itself both an accept and the window's end are valid; the lead's lock
    // lets exactly one of them happen.
    if now > offer.deadline {
        return Err(OfferRefusal::Expired {
            deadline: offer.deadline,
        });
    }
    let reason = match how {
        Acceptance::Accept => "accepted the offer".to_owned(),
        Acceptance::Call { pin: Some(p) } if *p == offer.pin => {
            "called the lead with the offer's PIN".to_owned()
        }
        Acceptance::Call { pin: None } if !offer.broadcast => "called the lead".to_owned(),
        Acceptance::Call { .. } => return Err(OfferRefusal::WrongPin),
    };
    if let Some(max) = taker.over_cap(lead) {
        return Err(OfferRefusal::OverCap { max });
    }
    Ok(lead.hand_over(
        Owner::Agent {
            user_id: taker.user,
        },
        taker.team.or(lead.team_id),
        EventKind::OfferAccepted,
        Actor::User {
            user_id: taker.user,
        },
        Some(reason),
        json!({ "offer_id": offer.id }),
        now,
    ))
}

/// An offered agent turns the lead down. The entry only records it; where the lead goes next
/// is [`after_decline`]'s answer.
pub fn decline(
    lead: &Lead,
    offer: &Offer,
    agent: UserId,
    now: Timestamp,
) -> Result<Transition, OfferRefusal> {
    on_offer(lead, offer, agent)?;
    let mut t = lead.touch(
        Actor::User { user_id: agent },
        Some("declined the offer".to_owned()),
        now,
    );
    t.entry.kind = EventKind::OfferDeclined;
    t.entry.changes = json!({ "offer_id": offer.id });
    Ok(t)
}

/// After `agent` declined: the agents a broadcast stays open to, or `None` when the lead
/// must be routed again (round robin and load balanced, or a broadcast everyone declined).
pub fn after_decline(offer: &Offer, history: &History) -> Option<Vec<UserId>> {
    let open: Vec<UserId> = offer
        .to
        .iter()
        .copied()
        .filter(|u| {
            history
                .attempts
                .iter()
                .any(|a| a.user_id == *u && a.outcome == AttemptOutcome::Offered)
        })
        .collect();
    (offer.broadcast && !open.is_empty()).then_some(open)
}

/// The window closed with nobody taking the lead. `None` when the lead already moved on.
pub fn expire(lead: &Lead, offer: &Offer, now: Timestamp) -> Option<Transition> {
    if lead.owner != (Owner::Offer { offer_id: offer.id }) {
        return None;
    }
    let mut t = lead.touch(
        Actor::System,
        Some(format!(
            "nobody accepted within the response window (ended {})",
            offer.deadline.to_minute_utc()
        )),
        now,
    );
    t.entry.kind = EventKind::OfferExpired;
    t.entry.changes = json!({ "offer_id": offer.id, "offered_to": offer.to });
    Some(t)
}

/// An admin stops an offer; the lead goes to the manual assignment queue.
pub fn cancel(lead: &Lead, offer: &Offer, actor: Actor, now: Timestamp) -> Option<Transition> {
    if lead.owner != (Owner::Offer { offer_id: offer.id }) {
        return None;
    }
    Some(lead.hand_over(
        Owner::Queue,
        lead.team_id,
        EventKind::OfferCancelled,
        actor,
        Some("offer cancelled; sent to the manual assignment queue".to_owned()),
        json!({ "offer_id": offer.id }),
        now,
    ))
}

impl Decision {
    /// The owner this decision gives the lead; an offer needs the id stored for it.
    pub fn owner(&self, offer: Option<OfferId>) -> Option<Owner> {
        match &self.outcome {
            Outcome::Agent { user_id, .. } => Some(Owner::Agent { user_id: *user_id }),
            Outcome::Offer { .. } => offer.map(|offer_id| Owner::Offer { offer_id }),
            Outcome::Pool { pool_id } => Some(Owner::Pool { pool_id: *pool_id }),
            Outcome::Queue => Some(Owner::Queue),
        }
    }

    /// The lead's `routed` transition to `owner`, its trace in the entry's changes.
    pub fn transition(
        &self,
        lead: &Lead,
        owner: Owner,
        actor: Actor,
        now: Timestamp,
    ) -> Transition {
        let team = match &self.outcome {
            Outcome::Agent { team_id, .. } => team_id.or(lead.team_id),
            _ => lead.team_id,
        };
        lead.hand_over(
            owner,
            team,
            EventKind::Routed,
            actor,
            Some(self.trace.summary()),
            json!({ "trace": self.trace }),
            now,
        )
    }
}
