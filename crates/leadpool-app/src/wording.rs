//! What each answer code says to people: one sentence per refusal of a claim, move or
//! assignment and per refusal of an offer answer, used alike by the JSON API, the Move
//! menu, the Queue page and the Offers page, so the same outcome never reads two ways.

use leadpool_domain::UserId;
use leadpool_domain::pool::Call;
use leadpool_domain::routing::OfferRefusal;

use crate::distribute::CallKept;
use crate::pool::ClaimResult;

/// Who asked for a bulk move, which decides how a refusal addresses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker<'a> {
    /// An agent claiming leads for themselves.
    Claimer(UserId),
    /// Staff assigning leads to the agent of this name.
    Assigner(&'a str),
    /// Staff moving leads into a pool.
    Mover,
}

/// Why a lead was refused, for people, and whether its row stays selectable: asking again
/// may work (a cap may be overridden or worked down, a cooldown ends) or the lead is the
/// asker's own; `None` for a lead that went through.
pub fn claim_refusal(result: &ClaimResult, asker: Asker<'_>) -> Option<(String, bool)> {
    let refusal = match (result, asker) {
        (
            ClaimResult::Claimed { .. } | ClaimResult::Moved { .. } | ClaimResult::Unchanged { .. },
            _,
        ) => {
            return None;
        }
        // Still theirs to work: the row keeps its checkbox for the moves that do apply.
        (ClaimResult::AlreadyClaimed { by, .. }, Asker::Claimer(me)) if *by == me => {
            ("You already hold this lead".to_owned(), true)
        }
        (ClaimResult::AlreadyClaimed { by_name, .. }, _) => {
            (format!("Already claimed by {by_name}"), false)
        }
        (ClaimResult::OverCap { max }, Asker::Claimer(_)) => (
            format!("You are at your cap of {max} new leads; work or give back some first"),
            true,
        ),
        (ClaimResult::OverCap { max }, Asker::Assigner(agent)) => (
            format!(
                "{agent} is at their cap of {max} new leads; choose “Go over their cap” (override_cap) to assign anyway"
            ),
            true,
        ),
        (ClaimResult::OverCap { max }, Asker::Mover) => {
            (format!("Over the cap of {max} new leads"), true)
        }
        (ClaimResult::NotVisible, _) => (
            "No such lead, or you can no longer see it".to_owned(),
            false,
        ),
        (ClaimResult::NotInPool, Asker::Claimer(_)) => ("No longer in the pool".to_owned(), false),
        (ClaimResult::NotInPool, _) => (
            "It is being offered to agents and cannot be moved now".to_owned(),
            false,
        ),
        (ClaimResult::NotInQueue, _) => (
            "No longer in the manual queue; someone moved it first".to_owned(),
            false,
        ),
        (ClaimResult::CoolingDown { until }, Asker::Claimer(_)) => (
            format!(
                "You gave this lead back; you may claim it again from {}",
                until.to_minute_utc()
            ),
            true,
        ),
        (ClaimResult::CoolingDown { until }, _) => (
            format!(
                "The agent gave this lead back; not theirs again until {}",
                until.to_minute_utc()
            ),
            true,
        ),
    };
    Some(refusal)
}

/// Why a reported call left the owner as it was, for people; a refusal of the claim path
/// reads as the same refusal of a claim does (addressed to `asker`).
pub fn call_kept(kept: &CallKept, asker: Asker<'_>) -> String {
    match kept {
        CallKept::AlreadyTheirs => "The agent on the call already holds this lead".to_owned(),
        CallKept::NotGiven(call) => {
            let on = match call {
                Call::Outbound => "calling a lead",
                Call::Inbound => "answering a lead's call",
                Call::Transfer { .. } => "receiving a transferred call",
            };
            format!("The organization does not give leads to agents for {on}")
        }
        // A call finds a lead outside any pool only while it is offered to other agents.
        CallKept::Refused(result) if matches!(**result, ClaimResult::NotInPool) => {
            "It is being offered to other agents; only they may take it".to_owned()
        }
        CallKept::Refused(result) => claim_refusal(result, asker)
            .map(|r| r.0)
            .unwrap_or_else(|| "The owner did not change".to_owned()),
        CallKept::NotAnAgent => "Only active agents are given leads by their calls".to_owned(),
    }
}

/// What a refused answer to an offer tells the agent (naming who took the lead when someone
/// did, as they spell their name).
pub fn offer_refusal(r: OfferRefusal, by_name: Option<&str>) -> String {
    match r {
        OfferRefusal::AlreadyTaken { by } => format!(
            "{} took this lead first",
            by_name.map_or_else(|| format!("User {by}"), str::to_owned)
        ),
        OfferRefusal::Ended => "This offer is over: the lead has moved on".to_owned(),
        OfferRefusal::NotOffered => "This lead was not offered to you".to_owned(),
        OfferRefusal::Expired { deadline } => {
            format!("The response window closed at {}", deadline.to_minute_utc())
        }
        OfferRefusal::WrongPin => {
            "A broadcast is claimed by calling with the offer's PIN".to_owned()
        }
        OfferRefusal::OverCap { max } => format!("You hold {max} new leads, your cap"),
    }
}

#[cfg(test)]
mod tests {
    use leadpool_domain::Timestamp;

    use super::*;

    const ME: UserId = UserId::new(7);

    fn every_refusal() -> Vec<ClaimResult> {
        vec![
            ClaimResult::AlreadyClaimed {
                by: UserId::new(8),
                by_name: "Ana Silva".into(),
            },
            ClaimResult::OverCap { max: 3 },
            ClaimResult::NotVisible,
            ClaimResult::NotInPool,
            ClaimResult::NotInQueue,
            ClaimResult::CoolingDown {
                until: Timestamp::from_millis(0),
            },
        ]
    }

    #[test]
    fn every_refusal_has_a_sentence_for_every_asker() {
        for r in every_refusal() {
            for asker in [Asker::Claimer(ME), Asker::Assigner("Bo"), Asker::Mover] {
                let (text, _) = claim_refusal(&r, asker).unwrap_or_default();
                assert!(
                    text.chars().next().is_some_and(char::is_uppercase),
                    "{r:?} for {asker:?} reads “{text}”"
                );
            }
        }
    }

    #[test]
    fn a_lost_race_names_the_winner_and_a_won_one_names_nobody() {
        let lost = &every_refusal()[0];
        assert_eq!(
            claim_refusal(lost, Asker::Claimer(ME))
                .map(|r| r.0)
                .as_deref(),
            Some("Already claimed by Ana Silva")
        );
        let mine = ClaimResult::AlreadyClaimed {
            by: ME,
            by_name: "Me".into(),
        };
        assert_eq!(
            claim_refusal(&mine, Asker::Claimer(ME))
                .map(|r| r.0)
                .as_deref(),
            Some("You already hold this lead")
        );
        assert_eq!(
            offer_refusal(
                OfferRefusal::AlreadyTaken { by: UserId::new(8) },
                Some("ana")
            ),
            "ana took this lead first"
        );
    }

    #[test]
    fn a_call_that_changed_no_owner_says_why_as_a_claim_would() {
        let lost = CallKept::Refused(Box::new(every_refusal()[0].clone()));
        assert_eq!(
            call_kept(&lost, Asker::Claimer(ME)),
            "Already claimed by Ana Silva"
        );
        let off = CallKept::NotGiven(Call::Inbound);
        assert_eq!(
            call_kept(&off, Asker::Claimer(ME)),
            "The organization does not give leads to agents for answering a lead's call"
        );
    }

    #[test]
    fn only_a_cap_or_a_cooldown_is_worth_asking_again() {
        for r in every_refusal() {
            let retry = claim_refusal(&r, Asker::Claimer(ME)).is_some_and(|r| r.1);
            let expected = matches!(
                r,
                ClaimResult::OverCap { .. } | ClaimResult::CoolingDown { .. }
            );
            assert_eq!(retry, expected, "{r:?}");
        }
    }
}
