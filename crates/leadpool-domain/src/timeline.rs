//! Timeline entries: the append-only history that alone explains where a lead is and why
//! (PRODUCT.md invariant 5). Every transition in `lead` returns one.

use serde::{Deserialize, Serialize};

use crate::ids::{SourceId, UserId};
use crate::time::Timestamp;

/// Who caused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in user or an API token's user.
    User {
        /// The user.
        user_id: UserId,
    },
    /// A lead source posting to the intake endpoint.
    Source {
        /// The source.
        source_id: SourceId,
    },
    /// The system itself (timers, demo data, the command line).
    System,
}

impl Actor {
    /// The stored kind.
    pub const fn kind(self) -> &'static str {
        match self {
            Self::User { .. } => "user",
            Self::Source { .. } => "source",
            Self::System => "system",
        }
    }

    /// The stored reference (user or source id).
    pub const fn reference(self) -> Option<i64> {
        match self {
            Self::User { user_id } => Some(user_id.get()),
            Self::Source { source_id } => Some(source_id.get()),
            Self::System => None,
        }
    }

    /// Reads a stored actor back.
    pub fn from_columns(kind: &str, reference: Option<i64>) -> Option<Self> {
        match (kind, reference) {
            ("user", Some(id)) => Some(Self::User {
                user_id: UserId::new(id),
            }),
            ("source", Some(id)) => Some(Self::Source {
                source_id: SourceId::new(id),
            }),
            ("system", None) => Some(Self::System),
            _ => None,
        }
    }
}

/// What happened to a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The lead came in (intake, API, import or demo data).
    Created,
    /// Contact details, tags or custom fields changed.
    Updated,
    /// The status changed.
    StatusChanged,
    /// The owner changed.
    OwnerChanged,
    /// An agent took the lead from a pool.
    Claimed,
    /// The agent gave the lead back to a pool, with a reason.
    Rejected,
    /// The claimer's reserve time ran out and the lead went back to its pool.
    ReserveExpired,
    /// Someone called, emailed, texted or met the lead.
    ContactLogged,
    /// Someone wrote a note on the lead.
    NoteAdded,
    /// A task was added to the lead.
    TaskAdded,
    /// A task on the lead was done.
    TaskCompleted,
    /// A task on the lead went to another assignee.
    TaskReassigned,
    /// A task on the lead was deleted.
    TaskDeleted,
    /// Distribution decided where the lead goes; the changes hold the decision's trace.
    Routed,
    /// An offered agent took the lead.
    OfferAccepted,
    /// An offered agent turned the lead down.
    OfferDeclined,
    /// Nobody took the lead within the response window.
    OfferExpired,
    /// An admin stopped an offer.
    OfferCancelled,
}

impl EventKind {
    const ALL: [Self; 18] = [
        Self::Created,
        Self::Updated,
        Self::StatusChanged,
        Self::OwnerChanged,
        Self::Claimed,
        Self::Rejected,
        Self::ReserveExpired,
        Self::ContactLogged,
        Self::NoteAdded,
        Self::TaskAdded,
        Self::TaskCompleted,
        Self::TaskReassigned,
        Self::TaskDeleted,
        Self::Routed,
        Self::OfferAccepted,
        Self::OfferDeclined,
        Self::OfferExpired,
        Self::OfferCancelled,
    ];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::StatusChanged => "status_changed",
            Self::OwnerChanged => "owner_changed",
            Self::Claimed => "claimed",
            Self::Rejected => "rejected",
            Self::ReserveExpired => "reserve_expired",
            Self::ContactLogged => "contact_logged",
            Self::NoteAdded => "note_added",
            Self::TaskAdded => "task_added",
            Self::TaskCompleted => "task_completed",
            Self::TaskReassigned => "task_reassigned",
            Self::TaskDeleted => "task_deleted",
            Self::Routed => "routed",
            Self::OfferAccepted => "offer_accepted",
            Self::OfferDeclined => "offer_declined",
            Self::OfferExpired => "offer_expired",
            Self::OfferCancelled => "offer_cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One line of a lead's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it.
    pub actor: Actor,
    /// What kind of change.
    pub kind: EventKind,
    /// Why, in the actor's or the system's words.
    pub reason: Option<String>,
    /// What changed: `{"field": {"from": .., "to": ..}, ..}`, or the initial values.
    pub changes: serde_json::Value,
}
