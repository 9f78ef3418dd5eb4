//! Working a lead: contacts logged with their outcome, and notes (seeds 002 and 003). A
//! contact ends the holder's reserve time (see [`crate::pool::reserve_change`]); a note is
//! only a line on the timeline and ends nothing.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::lead::{Lead, Transition};
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind};
use crate::validate::{Errors, Invalid, NoteText};

/// A way an agent reached a lead; any of them ends the reserve time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A phone call.
    Call,
    /// An email.
    Email,
    /// A text message.
    Text,
    /// A meeting.
    Meeting,
}

impl ContactKind {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Email => "email",
            Self::Text => "text",
            Self::Meeting => "meeting",
        }
    }
}

/// How a contact went. Kept small on purpose: these are the outcomes a report can count
/// without an organization defining its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// The agent reached the person.
    Connected,
    /// The agent left a voicemail (calls only).
    LeftVoicemail,
    /// Nobody answered (calls only).
    NoAnswer,
    /// The line was busy (calls only).
    Busy,
    /// The number reached someone else (calls only).
    WrongNumber,
}

impl ContactOutcome {
    /// Every outcome.
    pub const ALL: [Self; 5] = [
        Self::Connected,
        Self::LeftVoicemail,
        Self::NoAnswer,
        Self::Busy,
        Self::WrongNumber,
    ];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::LeftVoicemail => "left_voicemail",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::WrongNumber => "wrong_number",
        }
    }

    /// Whether a contact of `kind` can end this way: only a call reaches a voicemail, a busy
    /// line, a wrong number or nobody; any contact can reach the person.
    pub const fn fits(self, kind: ContactKind) -> bool {
        matches!(self, Self::Connected) || matches!(kind, ContactKind::Call)
    }
}

/// A contact as a client reports it, before checking.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ContactInput {
    /// How the agent reached the lead.
    pub kind: ContactKind,
    /// How it went, if the agent says.
    pub outcome: Option<ContactOutcome>,
    /// What was said.
    pub note: Option<String>,
}

impl ContactInput {
    /// A contact of `kind` with only a note.
    pub fn noted(kind: ContactKind, note: Option<String>) -> Self {
        Self {
            kind,
            outcome: None,
            note,
        }
    }
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// How the agent reached the lead.
    pub kind: ContactKind,
    /// How it went.
    pub outcome: Option<ContactOutcome>,
    /// What was said.
    pub note: Option<NoteText>,
}

impl Contact {
    /// Checks a reported contact: its note, and that its outcome fits its kind.
    pub fn parse(input: ContactInput) -> Result<Self, Invalid> {
        let mut errors = Errors::default();
        let note = errors
            .take("note", NoteText::parse_optional(input.note.as_deref()))
            .flatten();
        if let Some(o) = input.outcome.filter(|o| !o.fits(input.kind)) {
            errors.push(
                "outcome",
                format!(
                    "`{}` is an outcome of calls only; a {} can only be `connected`",
                    o.as_str(),
                    input.kind.as_str()
                ),
            );
        }
        errors.finish(|| Self {
            kind: input.kind,
            outcome: input.outcome,
            note,
        })
    }
}

/// Records that `actor` contacted the lead; the entry's changes say how and how it went,
/// its reason is the note. The first contact while an agent holds the lead is its speed to
/// lead: the lead keeps when it was, and the entry says how long after the assignment.
pub fn log_contact(lead: &Lead, contact: &Contact, actor: Actor, now: Timestamp) -> Transition {
    let first = match (lead.owner.agent(), lead.assigned_at, lead.first_contact_at) {
        (Some(_), Some(assigned), None) => Some(assigned),
        _ => None,
    };
    let mut changes = json!({ "contact": contact.kind, "outcome": contact.outcome });
    if let Some(assigned) = first {
        changes["first_contact_after_ms"] = json!((now.as_millis() - assigned.as_millis()).max(0));
    }
    let mut t = lead.hand_over(
        lead.owner,
        lead.team_id,
        EventKind::ContactLogged,
        actor,
        contact.note.as_ref().map(|n| n.as_str().to_owned()),
        changes,
        now,
    );
    if first.is_some() {
        t.lead.first_contact_at = Some(now);
    }
    t
}

/// Writes a note on the lead's timeline: a line of history that changes nothing else, so it
/// keeps every timer (a note is not a contact).
pub fn add_note(lead: &Lead, note: &NoteText, actor: Actor, now: Timestamp) -> Transition {
    lead.hand_over(
        lead.owner,
        lead.team_id,
        EventKind::NoteAdded,
        actor,
        Some(note.as_str().to_owned()),
        json!({}),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_call_can_go_unanswered() {
        let parse = |kind, outcome| {
            Contact::parse(ContactInput {
                kind,
                outcome: Some(outcome),
                note: None,
            })
        };
        for o in ContactOutcome::ALL {
            assert!(parse(ContactKind::Call, o).is_ok(), "{o:?}");
            assert_eq!(
                parse(ContactKind::Email, o).is_ok(),
                o == ContactOutcome::Connected,
                "{o:?}"
            );
        }
        let e = parse(ContactKind::Text, ContactOutcome::NoAnswer)
            .err()
            .map(|e| e.0[0].field.clone());
        assert_eq!(e.as_deref(), Some("outcome"));
    }

    #[test]
    fn a_contact_names_every_problem_at_once() {
        let e = Contact::parse(ContactInput {
            kind: ContactKind::Meeting,
            outcome: Some(ContactOutcome::Busy),
            note: Some("bell\u{7}".into()),
        })
        .err()
        .map(|e| e.0.into_iter().map(|f| f.field).collect::<Vec<_>>());
        assert_eq!(e, Some(vec!["note".to_owned(), "outcome".to_owned()]));
    }

    #[test]
    fn wire_names_round_trip() {
        for o in ContactOutcome::ALL {
            let v = serde_json::to_value(o).unwrap_or_default();
            assert_eq!(v, o.as_str());
        }
    }
}
