//! The people's side of distribution: agents answering offers (or calling the lead),
//! pausing themselves and reading their events; admins cancelling offers, triggering
//! reassignment groups, working the manual queue, trying rules out and reading why a lead
//! went where it went.

use std::collections::HashMap;
use std::sync::Arc;

use crate::models::Tally;
use leadpool_domain::Permission;
use leadpool_domain::contact::{Contact, ContactInput, ContactKind};
use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::pool::{Call, Caps};
use leadpool_domain::routing::{self, Acceptance, AttemptOutcome, History, Trace};
use leadpool_domain::{
    Actor, EventKind, LeadId, OfferId, Owner, ReassignmentId, Timestamp, UserId, Visibility,
};
use leadpool_store::offers::{AgentEvent, OfferState, StoredOffer};
use leadpool_store::users::User;
use leadpool_store::{StoreError, Tx};
use serde_json::Value;

use crate::distribute::{
    AgentLoad, Answer, CallInput, CallKept, CallOutcome, DryRunInput, OfferAnswer, OpenOffer,
    QueueQuery, QueuedLead, ToRoute, Via,
};
use crate::load::{Compared, caps_of, read_loads, taker};
use crate::pool::{ClaimAnswer, ClaimResult, reason_text};
use crate::routing_settings::available_to;
use crate::transitions::Step;
use crate::{App, AppError, Member};

/// Who may work the manual assignment queue and see what agents hold while doing it.
pub const QUEUE: Permission<'static> = Permission::Staff("work the manual assignment queue");

/// Most queue leads or events one page returns.
pub const MAX_PAGE: u32 = 500;

/// The decision a dry run would make.
#[derive(Debug, Clone, PartialEq)]
pub struct DryRun {
    /// Where the lead would go.
    pub outcome: routing::Outcome,
    /// Why.
    pub trace: Trace,
}

/// The last routing decision of a lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// When it was made.
    pub at: Timestamp,
    /// In one line.
    pub summary: Option<String>,
    /// Everything it considered.
    pub trace: Value,
}

impl App {
    /// The signed-in agent answers an offer made to them.
    #[tracing::instrument(name = "answer_offer", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn answer_offer(
        &self,
        m: &Member,
        offer: OfferId,
        answer: Answer,
    ) -> Result<OfferAnswer, AppError> {
        self.answer_as(&m.user, offer, answer).await
    }

    async fn answer_as(
        &self,
        agent: &User,
        offer_id: OfferId,
        answer: Answer,
    ) -> Result<OfferAnswer, AppError> {
        let org = agent.org;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let stored = tx
            .offer(org, offer_id)
            .await
            .map_err(AppError::from_store("offer"))?;
        if !stored.offer.to.contains(&agent.id)
            && !stored
                .offer
                .history
                .attempts
                .iter()
                .any(|a| a.user_id == agent.id)
        {
            return Err(AppError::NotFound { what: "offer" });
        }
        // The lead first: every answer and the window's end take it in the same order. The
        // offer is read again under that lock, as a decline just before may have narrowed it.
        tx.lock_lead(org, stored.offer.lead_id).await?;
        let stored = tx.offer(org, offer_id).await?;
        let lead = tx
            .lead(org, stored.offer.lead_id, &Visibility::Organization)
            .await?;
        let how = match &answer {
            Answer::Decline => None,
            Answer::Accept => Some(Acceptance::Accept),
            Answer::Call { pin } => Some(Acceptance::Call { pin: pin.clone() }),
        };
        let Some(how) = how else {
            return self.decline_in(tx, &stored, &lead, agent.id, now).await;
        };
        tx.lock_users(org, &[agent.id]).await?;
        let org_caps = tx.org_pool_settings(org).await?.caps;
        let load = read_loads(
            &mut tx,
            org,
            &[(agent.id, caps_of(agent, org_caps))],
            Compared::Cap,
        )
        .await?;
        let taker = taker(
            agent,
            org_caps,
            load.get(&agent.id).copied().unwrap_or_default(),
        );
        let t = match routing::accept(&lead, &stored.offer, &taker, &how, now) {
            Ok(t) => t,
            Err(refusal) => {
                let by_name = match refusal {
                    routing::OfferRefusal::AlreadyTaken { by } => {
                        tx.user_names(org, &[by]).await?.remove(&by)
                    }
                    _ => None,
                };
                tx.rollback().await?;
                return Ok(OfferAnswer::Refused { refusal, by_name });
            }
        };
        self.write_locked(&mut tx, org, &[Step::plain(&lead, &t)], now)
            .await?;
        tx.set_last_routed(org, &[agent.id], now).await?;
        let mut history = stored.offer.history.clone();
        let others: Vec<UserId> = stored
            .offer
            .to
            .iter()
            .copied()
            .filter(|u| *u != agent.id)
            .collect();
        history.close(&others, AttemptOutcome::Expired);
        self.end_offer(
            &mut tx,
            &stored,
            OfferState::Accepted,
            Some((agent.id, agent.name.as_str())),
            &history,
            "taken",
            now,
        )
        .await?;
        tx.commit().await?;
        metrics::counter!("leadpool_offers_accepted_total").increment(1);
        Ok(OfferAnswer::Done {
            lead: Box::new(t.lead),
        })
    }

    async fn decline_in(
        &self,
        mut tx: Tx,
        stored: &StoredOffer,
        lead: &leadpool_domain::Lead,
        agent: UserId,
        now: Timestamp,
    ) -> Result<OfferAnswer, AppError> {
        let t = match routing::decline(lead, &stored.offer, agent, now) {
            Ok(t) => t,
            Err(refusal) => {
                tx.rollback().await?;
                return Ok(OfferAnswer::Refused {
                    refusal,
                    by_name: None,
                });
            }
        };
        self.write_locked(&mut tx, stored.org, &[Step::plain(lead, &t)], now)
            .await?;
        let mut history = stored.offer.history.clone();
        history.close(&[agent], AttemptOutcome::Declined);
        let mut timer_set = false;
        let lead = match routing::after_decline(&stored.offer, &history) {
            Some(open) => {
                tx.narrow_offer(stored.org, stored.offer.id, &open, &history)
                    .await?;
                t.lead
            }
            None => {
                self.end_offer(
                    &mut tx,
                    stored,
                    OfferState::MovedOn,
                    None,
                    &history,
                    "declined",
                    now,
                )
                .await?;
                let p = self
                    .prepare(&mut tx, &t.lead, Via::After(stored), history, true, now)
                    .await?;
                let (lead, set) = self.apply(&mut tx, &t.lead, &p, Actor::System, now).await?;
                timer_set = set;
                lead
            }
        };
        tx.commit().await?;
        self.timers_changed(timer_set);
        Ok(OfferAnswer::Done {
            lead: Box::new(lead),
        })
    }

    /// A phone system reports a call (`POST /calls`). A call by an offered agent takes the
    /// offer (a broadcast needs the offer's PIN). Any other call makes the agent on it the
    /// owner through the claim path when the organization's ownership by call gives leads
    /// on calls of its kind (seed 002), logging it as a contact in the same transaction;
    /// else it is logged as a contact when the reporter may work the lead. The outcome says
    /// whether the owner changed and why not. Agents report their own calls; admins and
    /// ISAs any agent's in their scope.
    #[tracing::instrument(name = "record_call", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn record_call(&self, m: &Member, input: CallInput) -> Result<CallOutcome, AppError> {
        let lead_id = input
            .lead_id
            .ok_or_else(|| AppError::invalid("lead_id", "the lead called is required"))?;
        let direction = input.direction.as_deref().unwrap_or("outbound");
        let call = match (direction, input.from_agent_id) {
            ("outbound", _) => Call::Outbound,
            ("inbound", _) => Call::Inbound,
            ("transfer", Some(from)) => Call::Transfer { from },
            ("transfer", None) => {
                return Err(AppError::invalid(
                    "from_agent_id",
                    "a transfer names the agent who passed the call on",
                ));
            }
            _ => {
                return Err(AppError::invalid(
                    "direction",
                    "`outbound`, `inbound` or `transfer`",
                ));
            }
        };
        // Checked before anything is written: the claim and the contact both carry it.
        let said = reason_text("note", input.note)?;
        let outcome = input.outcome;
        let agent_id = input.agent_id.unwrap_or(m.user.id);
        if agent_id != m.user.id {
            m.require(Permission::Staff("report other agents' calls"))?;
        }
        // One read for the agent, the lead, whether they were offered it and what the
        // organization says calls do.
        let mut tx = self.store().read().await?;
        let agent = if agent_id == m.user.id {
            m.user.clone()
        } else {
            tx.user(m.viewer.org, agent_id)
                .await
                .map_err(AppError::absent("agent_id", "user"))?
        };
        if let Call::Transfer { from } = call {
            tx.user(m.viewer.org, from)
                .await
                .map_err(AppError::absent("from_agent_id", "user"))?;
        }
        let lead = tx
            .lead(m.viewer.org, lead_id, &Visibility::Organization)
            .await
            .map_err(AppError::from_store("lead"))?;
        let offered = match lead.owner {
            Owner::Offer { offer_id } => tx
                .offer(m.viewer.org, offer_id)
                .await?
                .offer
                .to
                .contains(&agent.id)
                .then_some(offer_id),
            // A PIN answers an offer: once someone else has taken the lead, the caller is
            // told who won, as a losing accept is, instead of being treated as a cold call.
            _ if input.pin.is_some() => tx
                .last_offer_of(m.viewer.org, lead_id)
                .await?
                .filter(|o| o.offer.to.contains(&agent.id))
                .map(|o| o.offer.id),
            _ => None,
        };
        let ownership = tx.org_pool_settings(m.viewer.org).await?.calls;
        tx.commit().await?;
        if agent_id != m.user.id && !m.viewer.scope.covers(agent.teams.first().copied()) {
            return Err(AppError::Forbidden(format!(
                "{} is outside your scope",
                agent.name
            )));
        }
        if let Some(offer_id) = offered {
            return Ok(
                match self
                    .answer_as(&agent, offer_id, Answer::Call { pin: input.pin })
                    .await?
                {
                    OfferAnswer::Done { lead } => CallOutcome::Claimed { lead },
                    OfferAnswer::Refused { refusal, by_name } => {
                        CallOutcome::Refused { refusal, by_name }
                    }
                },
            );
        }
        let reported = ContactInput {
            kind: ContactKind::Call,
            outcome,
            note: Some(said.unwrap_or_else(|| format!("{direction} call by {}", agent.name))),
        };
        let contact = Contact::parse(reported.clone())?;
        let kept = if lead.owner == (Owner::Agent { user_id: agent.id }) {
            CallKept::AlreadyTheirs
        } else if !ownership.gives(call) {
            CallKept::NotGiven(call)
        } else {
            let on_call = if agent.id == m.user.id {
                m.clone()
            } else {
                self.member(agent).await?
            };
            match self.claim_by_call(&on_call, lead_id, call, contact).await {
                Ok(ClaimAnswer {
                    result: ClaimResult::Claimed { lead },
                    ..
                }) => {
                    return Ok(CallOutcome::Claimed {
                        lead: Box::new(lead),
                    });
                }
                Ok(refused) => CallKept::Refused(Box::new(refused.result)),
                // The claim path's one refusal of a whole request: the user on the call is
                // not an active agent. Their call is still worth its place on the timeline.
                Err(AppError::Forbidden(_)) => CallKept::NotAnAgent,
                Err(e) => return Err(e),
            }
        };
        match self.log_contact(m, lead_id, reported).await {
            Ok(lead) => Ok(CallOutcome::Logged {
                lead: Box::new(lead),
                kept,
            }),
            // A lead the reporter may not work keeps no record of a call that changed nothing.
            Err(AppError::Forbidden(_) | AppError::NotFound { .. }) => {
                Ok(CallOutcome::NotTaken { kept })
            }
            Err(e) => Err(e),
        }
    }

    /// An admin stops a lead's offer; the lead goes to the manual assignment queue.
    #[tracing::instrument(name = "cancel_offer", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn cancel_offer(
        &self,
        m: &Member,
        lead_id: LeadId,
    ) -> Result<leadpool_domain::Lead, AppError> {
        m.require(Permission::Admin("cancel an offer"))?;
        let now = self.now();
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        tx.lock_lead(org, lead_id)
            .await
            .map_err(AppError::from_store("lead"))?;
        let lead = tx
            .lead(org, lead_id, &m.viewer.lead_visibility())
            .await
            .map_err(AppError::from_store("lead"))?;
        let Owner::Offer { offer_id } = lead.owner else {
            return Err(AppError::Conflict {
                code: "not_offered",
                message: format!("lead {lead_id} is not being offered"),
            });
        };
        let stored = tx.offer(org, offer_id).await?;
        let actor = Actor::User { user_id: m.user.id };
        let Some(t) = routing::cancel(&lead, &stored.offer, actor, now) else {
            return Err(AppError::Internal(format!(
                "lead {lead_id} left its offer while locked"
            )));
        };
        self.write_locked(&mut tx, org, &[Step::plain(&lead, &t)], now)
            .await?;
        let mut history = stored.offer.history.clone();
        history.close(&stored.offer.to, AttemptOutcome::Expired);
        self.end_offer(
            &mut tx,
            &stored,
            OfferState::Cancelled,
            None,
            &history,
            "cancelled",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t.lead)
    }

    /// An admin or ISA sends a lead already in the system through a reassignment group
    /// (seed 004). While it is offered, no other reassignment is possible; an agent taking it
    /// or the default assignee getting it ends that, on the timeline.
    #[tracing::instrument(name = "trigger_reassignment", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn trigger_reassignment(
        &self,
        m: &Member,
        lead_id: LeadId,
        id: ReassignmentId,
    ) -> Result<(leadpool_domain::Lead, Trace), AppError> {
        m.require(Permission::Staff("trigger a reassignment group"))?;
        let now = self.now();
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        // One not available to the caller is, to them, one that does not exist.
        let rg = tx
            .reassignment(org, id)
            .await
            .and_then(|rg| {
                if available_to(m, &rg.teams) {
                    Ok(rg)
                } else {
                    Err(StoreError::NotFound)
                }
            })
            .map_err(AppError::absent(
                "reassignment_group_id",
                "reassignment group",
            ))?;
        tx.lock_lead(org, lead_id)
            .await
            .map_err(AppError::from_store("lead"))?;
        let lead = tx
            .lead(org, lead_id, &m.viewer.lead_visibility())
            .await
            .map_err(AppError::from_store("lead"))?;
        if matches!(lead.owner, Owner::Offer { .. }) {
            return Err(AppError::Conflict {
                code: "reassignment_in_progress",
                message: format!(
                    "lead {lead_id} is being offered (re-assign in progress); wait for it to be taken or cancel the offer"
                ),
            });
        }
        let p = self
            .prepare(
                &mut tx,
                &lead,
                Via::Reassignment(&rg),
                History::default(),
                true,
                now,
            )
            .await?;
        let (lead, timer_set) = self
            .apply(&mut tx, &lead, &p, Actor::User { user_id: m.user.id }, now)
            .await?;
        tx.commit().await?;
        self.timers_changed(timer_set);
        Ok((lead, p.decision.trace))
    }

    /// The last routing decision of a lead the member may see, with its whole trace.
    #[tracing::instrument(name = "routing_explanation", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn routing_explanation(
        &self,
        m: &Member,
        lead_id: LeadId,
    ) -> Result<Option<Explanation>, AppError> {
        let lead = self.get_lead(m, lead_id).await?;
        let mut tx = self.store().read().await?;
        let entry = tx
            .latest_entries(m.viewer.org, &[lead.id], &[EventKind::Routed])
            .await?
            .remove(&lead.id);
        tx.commit().await?;
        Ok(entry.map(|r| Explanation {
            at: r.entry.at,
            summary: r.entry.reason,
            trace: r.entry.changes.get("trace").cloned().unwrap_or(Value::Null),
        }))
    }

    /// What the rules would do with a lead (stored, or made up of a source, fields and
    /// tags), without changing anything: no lead, offer, position or event is written.
    #[tracing::instrument(name = "dry_run", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn dry_run(&self, m: &Member, input: DryRunInput) -> Result<DryRun, AppError> {
        m.require(Permission::Staff("try routing rules"))?;
        let now = self.now();
        let org = m.viewer.org;
        let lead = match (input.lead_id, input.source_id) {
            (Some(id), _) => self.get_lead(m, id).await?,
            (None, Some(source_id)) => {
                let mut tx = self.store().read().await?;
                tx.source(org, source_id).await.map_err(|_| {
                    AppError::invalid(
                        "source_id",
                        format!("no source {source_id} in this organization"),
                    )
                })?;
                let status = tx.default_status(org).await?;
                tx.commit().await?;
                let draft = LeadDraft::parse(LeadInput {
                    name: Some("dry run".into()),
                    tags: input.tags,
                    fields: input.fields,
                    ..LeadInput::default()
                })?;
                draft
                    .create(
                        org,
                        source_id,
                        status.to_ref(),
                        Owner::Queue,
                        None,
                        Actor::System,
                        None,
                        now,
                    )
                    .lead
            }
            (None, None) => {
                return Err(AppError::invalid(
                    "lead_id",
                    "give a lead_id, or a source_id with fields and tags",
                ));
            }
        };
        let mut tx = self.store().read().await?;
        let source = tx.source(org, lead.source_id).await?;
        let mut setup = self.setup(&mut tx, org).await?;
        if let Some(draft) = input.rule {
            let rules = draft.in_place(&mut tx, m, &setup.rules).await?;
            setup = Arc::new(setup.with_rules(rules));
        }
        let item = ToRoute {
            lead: &lead,
            via: Via::Rules {
                source: &source.name,
            },
            history: History::default(),
        };
        let p = self
            .prepare_all(&mut tx, org, &setup, &[item], false, now)
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal("no decision for the lead".into()))?;
        tx.commit().await?;
        Ok(DryRun {
            outcome: p.decision.outcome,
            trace: p.decision.trace,
        })
    }

    /// A page of the manual assignment queue in the member's scope, in the order leads
    /// entered it, each lead with why and since when it waits.
    #[tracing::instrument(name = "queue", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn queue(&self, m: &Member, q: &QueueQuery) -> Result<Vec<QueuedLead>, AppError> {
        m.require(QUEUE)?;
        let limit = crate::page::page_limit(q.limit, 50, MAX_PAGE)?;
        let filter = q.filter(self.now());
        let mut tx = self.store().read().await?;
        let queued = tx
            .queue_leads(
                m.viewer.org,
                &m.viewer.lead_visibility(),
                &filter,
                q.sort,
                q.after,
                limit,
            )
            .await?;
        tx.commit().await?;
        Ok(queued
            .into_iter()
            .map(|r| QueuedLead {
                reason: r.reason,
                since: r.since,
                lead: r.lead,
            })
            .collect())
    }

    /// How many leads wait in the manual queue in the member's scope and match `q`'s filter,
    /// counted up to [`leadpool_store::leads::COUNT_UP_TO`].
    #[tracing::instrument(name = "queue_size", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn queue_size(&self, m: &Member, q: &QueueQuery) -> Result<Tally, AppError> {
        m.require(QUEUE)?;
        let filter = q.filter(self.now());
        let mut tx = self.store().read().await?;
        let n = tx
            .queue_size(m.viewer.org, &m.viewer.lead_visibility(), &filter)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The reasons the leads in the manual queue in the member's scope entered it with.
    #[tracing::instrument(name = "queue_reasons", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn queue_reasons(&self, m: &Member) -> Result<Vec<String>, AppError> {
        m.require(QUEUE)?;
        let mut tx = self.store().read().await?;
        let reasons = tx
            .queue_reasons(m.viewer.org, &m.viewer.lead_visibility())
            .await?;
        tx.commit().await?;
        Ok(reasons)
    }

    /// What each of these agents of the member's organization holds now against their caps,
    /// counted as a cap check counts it, for whoever hands out leads from the queue; their
    /// open leads as a page counts them (up to a cap, then "more than").
    #[tracing::instrument(name = "agent_loads", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn agent_loads(
        &self,
        m: &Member,
        agents: &[&User],
    ) -> Result<HashMap<UserId, AgentLoad>, AppError> {
        m.require(QUEUE)?;
        let org = m.viewer.org;
        let mut tx = self.store().read().await?;
        let org_caps = tx.org_pool_settings(org).await?.caps;
        let capped: Vec<(UserId, Caps)> = agents
            .iter()
            .filter(|u| u.org == org)
            .map(|u| (u.id, caps_of(u, org_caps)))
            .collect();
        let loads = read_loads(&mut tx, org, &capped, Compared::Cap).await?;
        let ids: Vec<UserId> = capped.iter().map(|(id, _)| *id).collect();
        let open = tx.open_lead_tallies(org, &ids).await?;
        tx.commit().await?;
        Ok(capped
            .into_iter()
            .map(|(id, caps)| {
                let shown = AgentLoad {
                    caps,
                    open_new: loads.get(&id).map_or(0, |l| l.open_new),
                    open_leads: open.get(&id).copied().unwrap_or(Tally::Exactly(0)),
                };
                (id, shown)
            })
            .collect())
    }

    /// One offer, for staff who may see its lead or an agent it was made to: who it is with,
    /// until when, what made it (a reassignment group's offer is a "re-assign in progress").
    #[tracing::instrument(name = "offer", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn offer(&self, m: &Member, id: OfferId) -> Result<StoredOffer, AppError> {
        let mut tx = self.store().read().await?;
        let stored = tx
            .offer(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("offer"))?;
        tx.commit().await?;
        let offered = stored
            .offer
            .history
            .attempts
            .iter()
            .any(|a| a.user_id == m.user.id);
        // Staff see the offers of leads they may see; to anyone else an offer made to
        // another is not found, as the lead it offers is.
        let in_sight = offered
            || (m.may(Permission::Staff("read offers made to others"))
                && self.get_lead(m, stored.offer.lead_id).await.is_ok());
        if in_sight {
            Ok(stored)
        } else {
            Err(AppError::NotFound { what: "offer" })
        }
    }

    /// The offers the signed-in agent may answer now, with their leads.
    #[tracing::instrument(name = "my_offers", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn my_offers(&self, m: &Member) -> Result<Vec<OpenOffer>, AppError> {
        let mut tx = self.store().read().await?;
        let offers = tx.open_offers_for(m.viewer.org, m.user.id).await?;
        let ids: Vec<LeadId> = offers.iter().map(|o| o.offer.lead_id).collect();
        let leads = tx.leads_by_ids(m.viewer.org, &ids, false).await?;
        tx.commit().await?;
        Ok(offers
            .into_iter()
            .filter_map(|offer| {
                let lead = leads
                    .iter()
                    .find(|l| {
                        l.id == offer.offer.lead_id
                            && l.owner
                                == (Owner::Offer {
                                    offer_id: offer.offer.id,
                                })
                    })?
                    .clone();
                Some(OpenOffer { offer, lead })
            })
            .collect())
    }

    /// Pauses or resumes an agent: themselves, or (admins) any agent in scope. A paused agent
    /// keeps their place in line but is passed over; the reason, when given, is shown to
    /// whoever assigns leads, and resuming clears it.
    #[tracing::instrument(name = "set_paused", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_paused(
        &self,
        m: &Member,
        user: Option<UserId>,
        paused: bool,
        reason: Option<String>,
    ) -> Result<User, AppError> {
        let reason = if paused {
            crate::pool::reason_text("reason", reason)?
        } else {
            None
        };
        let id = user.unwrap_or(m.user.id);
        let mut tx = self.store().write().await?;
        let mut u = tx
            .user(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("user"))?;
        if id != m.user.id {
            m.require(Permission::PlaceUser {
                what: "pause other users",
                role: u.role,
                scope: u.scope_team_id,
                teams: &u.teams,
            })?;
        }
        u.paused = paused;
        u.pause_reason = reason;
        tx.update_user(&u).await?;
        tx.commit().await?;
        self.forget_members();
        Ok(u)
    }

    /// The signed-in user's events after `after`, oldest first.
    #[tracing::instrument(name = "events", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn events(
        &self,
        m: &Member,
        after: i64,
        limit: Option<u32>,
    ) -> Result<Vec<AgentEvent>, AppError> {
        let limit = crate::page::page_limit(limit, 100, MAX_PAGE)?;
        let mut tx = self.store().read().await?;
        let events = tx.events(m.viewer.org, m.user.id, after, limit).await?;
        tx.commit().await?;
        Ok(events)
    }
}
