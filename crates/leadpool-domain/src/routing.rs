//! Distribution (seeds 001, 002 and 004): rules that match new leads, groups of agents, the
//! strategies that pick among them, offers with response windows, and the trace that
//! explains every decision. Pure: the app supplies the members as they are now, the
//! round-robin position and the clock, and stores what comes back.

mod decide;
mod members;
mod offer;
mod rules;

pub use decide::{
    Attempt, AttemptOutcome, Decision, Excluded, Exclusion, History, Named, Outcome, RouteInput,
    Trace, decide, no_rule,
};
pub use members::{Candidate, Cursor, GroupEntry, MemberRef, resolve_members};
pub use offer::{Acceptance, Offer, OfferRefusal, accept, after_decline, cancel, decline, expire};
pub use rules::{
    Conditions, Fallback, FieldCondition, FieldTest, MAX_PASSES, MAX_WINDOW, Plan, Router, Rule,
    SkippedRule, Strategy, match_rule,
};

#[cfg(test)]
mod tests;
