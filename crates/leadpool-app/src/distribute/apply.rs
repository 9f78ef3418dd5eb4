//! Writing decisions: each lead's `routed` transition, the offers with their PINs and
//! windows, the round-robin positions and the agents' events; and the ends of offers (a
//! window running out, an offer closed and withdrawn from everyone still holding it).

use leadpool_domain::delivery::EventType;
use leadpool_domain::routing::{self, AttemptOutcome, History, Outcome, Router};
use leadpool_domain::timer::TimerFacts;
use leadpool_domain::{Actor, Lead, Owner, Timestamp, UserId};
use leadpool_store::Tx;
use leadpool_store::offers::{NewEvent, NewOffer, OfferState, StoredOffer};
use serde_json::json;

use crate::transitions::Step;
use crate::{App, AppError};

use super::{Prepared, Via};

fn new_pin() -> Result<String, AppError> {
    let mut buf = [0u8; 4];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(format!("{:06}", u32::from_le_bytes(buf) % 1_000_000))
}
impl App {
    /// Writes a prepared decision (see [`App::apply_all`]). Returns the lead and whether a
    /// timer was set.
    pub(crate) async fn apply(
        &self,
        tx: &mut Tx,
        before: &Lead,
        p: &Prepared,
        actor: Actor,
        now: Timestamp,
    ) -> Result<(Lead, bool), AppError> {
        let (mut leads, timer_set) = self.apply_all(tx, &[(before, p)], actor, now).await?;
        let lead = leads
            .pop()
            .ok_or_else(|| AppError::Internal("no lead written".into()))?;
        Ok((lead, timer_set))
    }

    /// Writes prepared decisions for distinct leads of one organization: each lead's `routed`
    /// transition, the offers and their windows, the round-robin positions and the agents'
    /// events, a few statements for all of them. Returns the leads and whether a timer was
    /// set; fails (writing nothing the caller keeps) if any lead changed since it was read.
    pub(crate) async fn apply_all(
        &self,
        tx: &mut Tx,
        items: &[(&Lead, &Prepared)],
        actor: Actor,
        now: Timestamp,
    ) -> Result<(Vec<Lead>, bool), AppError> {
        let Some(org) = items.first().map(|(l, _)| l.org) else {
            return Ok((Vec::new(), false));
        };
        // Each offered lead's PIN, in item order; the offers are stored together first, as
        // each lead's new owner names its offer.
        let pins: Vec<Option<String>> = items
            .iter()
            .map(|(_, p)| match (&p.decision.outcome, &p.router) {
                (Outcome::Offer { .. }, Some(_)) => new_pin().map(Some),
                _ => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        let new_offers: Vec<NewOffer> = items
            .iter()
            .zip(&pins)
            .filter_map(|((before, p), pin)| {
                let (
                    Outcome::Offer {
                        to,
                        deadline,
                        broadcast,
                    },
                    Some((router, name, plan)),
                    Some(pin),
                ) = (&p.decision.outcome, &p.router, pin)
                else {
                    return None;
                };
                Some(NewOffer {
                    lead: before.id,
                    router: *router,
                    router_name: name,
                    plan,
                    to,
                    deadline: *deadline,
                    pin,
                    broadcast: *broadcast,
                    history: &p.decision.history,
                })
            })
            .collect();
        let mut ids = tx.insert_offers(org, &new_offers, now).await?.into_iter();
        let mut transitions = Vec::with_capacity(items.len());
        let mut offers = Vec::with_capacity(items.len());
        for ((before, p), pin) in items.iter().zip(pins) {
            let d = &p.decision;
            let offer = match pin {
                Some(pin) => Some((
                    ids.next().ok_or_else(|| {
                        AppError::Internal("an offer stored without an id".into())
                    })?,
                    pin,
                )),
                None => None,
            };
            let owner = d
                .owner(offer.as_ref().map(|(id, _)| *id))
                .ok_or_else(|| AppError::Internal("an offer decided without a router".into()))?;
            transitions.push(d.transition(before, owner, actor, now));
            offers.push(offer);
        }
        let steps: Vec<Step> = items
            .iter()
            .zip(&transitions)
            .map(|((before, p), t)| Step {
                facts: TimerFacts {
                    offer_deadline: match p.decision.outcome {
                        Outcome::Offer { deadline, .. } => Some(deadline),
                        _ => None,
                    },
                    ..TimerFacts::default()
                },
                ..Step::plain(before, t)
            })
            .collect();
        let Some(timer_set) = self.write_steps(tx, org, &steps, now).await? else {
            let ids: Vec<String> = items.iter().map(|(l, _)| l.id.to_string()).collect();
            return Err(AppError::Conflict {
                code: "lead_changed",
                message: format!(
                    "one of leads {} changed meanwhile; try again",
                    ids.join(", ")
                ),
            });
        };
        let mut cursors: Vec<(Router, routing::Cursor)> = Vec::new();
        let mut routed_to = Vec::new();
        let mut events = Vec::new();
        for ((p, t), offer) in items.iter().map(|(_, p)| p).zip(&transitions).zip(&offers) {
            let d = &p.decision;
            if let (Some(c), Some((router, _, _))) = (&d.cursor, &p.router) {
                match cursors.iter_mut().find(|(r, _)| r == router) {
                    Some(last) => last.1 = c.clone(),
                    None => cursors.push((*router, c.clone())),
                }
            }
            let lead = &t.lead;
            match (&d.outcome, offer) {
                (Outcome::Offer { to, deadline, .. }, Some((offer_id, pin))) => {
                    let payload = json!({
                        "offer_id": offer_id, "deadline": deadline, "pin": pin,
                        "lead_name": lead.name.as_ref().map(|n| n.as_str()),
                    });
                    events.extend(to.iter().map(|u| NewEvent {
                        user: *u,
                        lead: Some(lead.id),
                        kind: EventType::OfferMade,
                        payload: payload.clone(),
                    }));
                }
                (Outcome::Agent { user_id, .. }, _) => {
                    routed_to.push(*user_id);
                    events.push(NewEvent {
                        user: *user_id,
                        lead: Some(lead.id),
                        kind: EventType::LeadAssigned,
                        payload: json!({ "reason": d.trace.summary() }),
                    });
                }
                _ => {}
            }
            metrics::counter!("leadpool_routed_total", "outcome" => outcome_name(&d.outcome))
                .increment(1);
        }
        tx.save_cursors(org, &cursors).await?;
        routed_to.sort_unstable();
        routed_to.dedup();
        tx.set_last_routed(org, &routed_to, now).await?;
        tx.push_events(org, &events, now).await?;
        Ok((transitions.into_iter().map(|t| t.lead).collect(), timer_set))
    }
    /// The offer window of `lead` ran out (the scheduler, in its transaction): the lead goes
    /// to the next member or the fallback. `false` when the lead is no longer on that offer.
    pub(crate) async fn fire_offer_window(
        &self,
        tx: &mut Tx,
        lead: &Lead,
        now: Timestamp,
    ) -> Result<bool, AppError> {
        let Owner::Offer { offer_id } = lead.owner else {
            return Ok(false);
        };
        let stored = tx.offer(lead.org, offer_id).await?;
        if stored.state != OfferState::Open {
            return Ok(false);
        }
        let Some(t) = routing::expire(lead, &stored.offer, now) else {
            return Ok(false);
        };
        self.write_locked(tx, lead.org, &[Step::plain(lead, &t)], now)
            .await?;
        let mut history = stored.offer.history.clone();
        history.close(&stored.offer.to, AttemptOutcome::Expired);
        self.end_offer(
            tx,
            &stored,
            OfferState::MovedOn,
            None,
            &history,
            "expired",
            now,
        )
        .await?;
        let p = self
            .prepare(tx, &t.lead, Via::After(&stored), history, true, now)
            .await?;
        self.apply(tx, &t.lead, &p, Actor::System, now).await?;
        Ok(true)
    }

    /// Closes an offer and tells everyone still holding it that it is withdrawn.
    #[allow(
        clippy::too_many_arguments,
        reason = "every argument is a distinct fact of how the offer ended"
    )]
    pub(crate) async fn end_offer(
        &self,
        tx: &mut Tx,
        o: &StoredOffer,
        state: OfferState,
        winner: Option<(UserId, &str)>,
        history: &History,
        why: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let lead_org = o.org;
        tx.close_offer(
            lead_org,
            o.offer.id,
            state,
            winner.map(|(u, _)| u),
            history,
            now,
        )
        .await?;
        let payload = json!({
            "offer_id": o.offer.id,
            "why": why,
            "winner_id": winner.map(|(u, _)| u),
            "winner_name": winner.map(|(_, n)| n),
        });
        let events: Vec<NewEvent> = o
            .offer
            .to
            .iter()
            .filter(|u| winner.is_none_or(|(w, _)| w != **u))
            .map(|u| NewEvent {
                user: *u,
                lead: Some(o.offer.lead_id),
                kind: EventType::OfferWithdrawn,
                payload: payload.clone(),
            })
            .collect();
        tx.push_events(lead_org, &events, now).await?;
        Ok(())
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Agent { .. } => "agent",
        Outcome::Offer { .. } => "offer",
        Outcome::Pool { .. } => "pool",
        Outcome::Queue => "queue",
    }
}
