//! Distribution: what routing a lead means and the entry point that routes new leads. The
//! kinds of routing (a new lead through the rules, a reassignment group, the next step after
//! an offer ran out), a decision ready to write, and the inputs and answers of the offer,
//! call, queue and dry-run use cases (see `offers`). The work itself is in two halves:
//! - `prepare`: deciding where leads go, reading (and locking) what the decisions need;
//! - `apply`: writing decisions (the moves, offers, positions and agents' events) and
//!   ending offers.
//!
//! A decision is made and written in one transaction: the members' rows are locked (on
//! PostgreSQL) before their caps are counted, and the rule's round-robin position is locked
//! before it moves, so concurrent intakes through one rule take turns. Every answer to an
//! offer locks the lead first, so an accept racing the window's end, or fifty accepts racing
//! each other, have exactly one outcome.

mod apply;
mod prepare;

use std::collections::HashMap;

use leadpool_domain::contact::ContactOutcome;
use leadpool_domain::pool::{Call, Caps};
use leadpool_domain::routing::{Decision, History, OfferRefusal, Plan, Router};
use leadpool_domain::{Actor, Lead, LeadId, OrgId, SourceId, Timestamp, UserId};
use leadpool_store::Tx;
use leadpool_store::leads::{QueueFilter, QueuePlace, QueueSort, Tally};
use leadpool_store::offers::StoredOffer;
use leadpool_store::routing::Reassignment;

use crate::pool::ClaimResult;
use crate::routing_settings::DraftRule;
use crate::setup::Setup;
use crate::{App, AppError};

/// What routes a lead.
#[derive(Clone, Copy)]
pub(crate) enum Via<'a> {
    /// The organization's rules (a new lead from the source of this name).
    Rules {
        /// The source's name, for the reasons rules did not match.
        source: &'a str,
    },
    /// A reassignment group, triggered by hand.
    Reassignment(&'a Reassignment),
    /// The plan of an offer that ended without a taker.
    After(&'a StoredOffer),
}

/// A decision ready to write, with what made it.
#[derive(Debug)]
pub(crate) struct Prepared {
    router: Option<(Router, String, Plan)>,
    pub(crate) decision: Decision,
}

/// A lead to route and what routes it.
pub(crate) struct ToRoute<'a> {
    /// The lead, as read.
    pub(crate) lead: &'a Lead,
    /// What routes it.
    pub(crate) via: Via<'a>,
    /// The offers already made for it.
    pub(crate) history: History,
}

/// How an agent answers an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Takes it.
    Accept,
    /// Turns it down.
    Decline,
    /// Called the lead (with the PIN dialled in with, if any); counts as accepting.
    Call {
        /// The PIN.
        pin: Option<String>,
    },
}

/// What came of an answer to an offer.
#[derive(Debug, Clone, PartialEq)]
pub enum OfferAnswer {
    /// Done; the lead as it now is.
    Done {
        /// The lead.
        lead: Box<Lead>,
    },
    /// Refused, and why (naming who took it when someone did).
    Refused {
        /// Why.
        refusal: OfferRefusal,
        /// The name of who took it, for `AlreadyTaken`.
        by_name: Option<String>,
    },
}

/// A call reported by a phone system.
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    /// The agent on the call.
    pub agent_id: Option<UserId>,
    /// The lead called.
    pub lead_id: Option<LeadId>,
    /// `outbound` (the default), `inbound` or `transfer`.
    pub direction: Option<String>,
    /// For a transfer: the agent who passed the call on.
    pub from_agent_id: Option<UserId>,
    /// The offer's PIN, when the agent dialled in with one.
    pub pin: Option<String>,
    /// What was said, for the timeline (up to 1,000 characters); absent: the call's
    /// direction and who was on it.
    pub note: Option<String>,
    /// How the call went, if the reporter says.
    pub outcome: Option<ContactOutcome>,
}

/// Why a reported call left the lead's owner as it was.
#[derive(Debug, Clone, PartialEq)]
pub enum CallKept {
    /// The agent on the call already holds the lead.
    AlreadyTheirs,
    /// The organization does not give leads to the agent on calls of this kind.
    NotGiven(Call),
    /// The claim rules refused the agent on the call (someone holds it, a cap, a cooldown…).
    Refused(Box<ClaimResult>),
    /// The user on the call is not an active agent, and only active agents take leads.
    NotAnAgent,
}

impl CallKept {
    /// The stable wire name.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::AlreadyTheirs => "already_owner",
            Self::NotGiven(_) => "calls_do_not_assign",
            Self::Refused(r) => r.code(),
            Self::NotAnAgent => "not_an_active_agent",
        }
    }
}

/// What a reported call did.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// The agent on the call owns the lead now: they took the offer, or the call took the
    /// lead as the organization's ownership by call says (and was logged as a contact).
    Claimed {
        /// The lead.
        lead: Box<Lead>,
    },
    /// The owner stayed as it was; the call was logged as a contact.
    Logged {
        /// The lead.
        lead: Box<Lead>,
        /// Why the owner stayed.
        kept: CallKept,
    },
    /// Nothing was written: the owner stays, and whoever reported the call may not work
    /// the lead, so no contact is logged on it.
    NotTaken {
        /// Why the owner stayed.
        kept: CallKept,
    },
    /// It could not take the offered lead.
    Refused {
        /// Why.
        refusal: OfferRefusal,
        /// Who took it, if someone did.
        by_name: Option<String>,
    },
}

/// A lead to try the rules on without changing anything.
#[derive(Debug, Clone, Default)]
pub struct DryRunInput {
    /// A stored lead (its fields, tags and source).
    pub lead_id: Option<LeadId>,
    /// Or a source…
    pub source_id: Option<SourceId>,
    /// …with these custom fields…
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// …and tags.
    pub tags: Vec<String>,
    /// A rule not saved yet, tried as if it were.
    pub rule: Option<DraftRule>,
}

/// A lead in the manual queue and why it is there.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedLead {
    /// The lead.
    pub lead: Lead,
    /// Why it is in the queue (the entry that put it there).
    pub reason: Option<String>,
    /// Since when: the queue's order.
    pub since: Timestamp,
}

impl QueuedLead {
    /// Its place in the queue, for the page after it.
    pub fn place(&self) -> QueuePlace {
        QueuePlace {
            since: self.since,
            lead: self.lead.id,
        }
    }
}

/// Which page of the manual queue to read: filters, order and where the last page ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    /// Only leads from one of these sources.
    pub sources: Vec<SourceId>,
    /// Only leads that entered the queue with this reason.
    pub reason: Option<String>,
    /// Only leads waiting at least this many milliseconds.
    pub waiting_over_ms: Option<i64>,
    /// The order.
    pub sort: QueueSort,
    /// Where the previous page ended.
    pub after: Option<QueuePlace>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
}

impl QueueQuery {
    /// The store's filter for this query at `now`.
    pub(crate) fn filter(&self, now: Timestamp) -> QueueFilter {
        QueueFilter {
            sources: self.sources.clone(),
            reason: self.reason.clone(),
            queued_by: self.waiting_over_ms.map(|ms| now.plus_millis(-ms)),
        }
    }
}

/// What an agent holds now against their caps: what the queue's agent picker shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentLoad {
    /// Their caps: their own where set, else the organization's.
    pub caps: Caps,
    /// Open leads in the "new" category: what the maximum counts.
    pub open_new: u32,
    /// Leads they hold that are not closed, counted up to a cap.
    pub open_leads: Tally,
}

impl AgentLoad {
    /// Whether one more new lead would go over their maximum.
    pub fn at_cap(&self) -> bool {
        self.caps.max_new.is_some_and(|max| self.open_new >= max)
    }
}

/// An open offer with its lead, as the offered agent sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenOffer {
    /// The offer.
    pub offer: StoredOffer,
    /// The lead.
    pub lead: Lead,
}

/// The stable wire name of a refusal.
pub const fn refusal_code(r: OfferRefusal) -> &'static str {
    match r {
        OfferRefusal::AlreadyTaken { .. } => "already_taken",
        OfferRefusal::Ended => "offer_ended",
        OfferRefusal::NotOffered => "not_offered",
        OfferRefusal::Expired { .. } => "offer_expired",
        OfferRefusal::WrongPin => "wrong_pin",
        OfferRefusal::OverCap { .. } => "over_cap",
    }
}

impl App {
    /// Routes new leads, each with its source's name, through the organization's rules in
    /// the caller's transaction, in the order given, each seeing where the ones before it
    /// went. Returns the leads as routed, by id, and whether a timer was set.
    pub(crate) async fn route_new_leads(
        &self,
        tx: &mut Tx,
        org: OrgId,
        setup: &Setup,
        leads: &[(&Lead, &str)],
        now: Timestamp,
    ) -> Result<(HashMap<LeadId, Lead>, bool), AppError> {
        let to_route: Vec<ToRoute> = leads
            .iter()
            .map(|(lead, source)| ToRoute {
                lead,
                via: Via::Rules { source },
                history: History::default(),
            })
            .collect();
        let prepared = self
            .prepare_all(tx, org, setup, &to_route, true, now)
            .await?;
        let decided: Vec<(&Lead, &Prepared)> =
            to_route.iter().map(|t| t.lead).zip(&prepared).collect();
        let (routed, set) = self.apply_all(tx, &decided, Actor::System, now).await?;
        Ok((routed.into_iter().map(|l| (l.id, l)).collect(), set))
    }
}
