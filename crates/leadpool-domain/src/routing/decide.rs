//! Picking who gets a lead: who of the members is eligible and why the others are not, the
//! strategies, the fallback, and the trace that explains the decision on the timeline.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::members::{Candidate, Cursor};
use super::rules::{Fallback, Plan, Router, SkippedRule, Strategy};
use crate::calendar::Calendar;
use crate::ids::{PoolId, TeamId, UserId};
use crate::lead::Lead;
use crate::time::Timestamp;

/// Why a member may not get the lead now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Exclusion {
    /// Their account is turned off.
    Inactive,
    /// Their role does not take leads.
    NotAnAgent,
    /// They paused themselves.
    Paused,
    /// They hold as many new leads as their cap allows.
    OverCap {
        /// The cap.
        max: u32,
    },
    /// The calendar is closed now.
    OutsideHours,
    /// They turned this lead down earlier.
    Declined,
    /// They were offered this lead as often as the rule goes round.
    AlreadyOffered {
        /// How often.
        times: u32,
    },
    /// They no longer exist in this organization.
    Unknown,
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inactive => f.write_str("inactive"),
            Self::NotAnAgent => f.write_str("not an agent"),
            Self::Paused => f.write_str("paused"),
            Self::OverCap { max } => write!(f, "over cap ({max} new leads)"),
            Self::OutsideHours => f.write_str("outside hours"),
            Self::Declined => f.write_str("declined earlier"),
            Self::AlreadyOffered { times } => write!(f, "already offered {times}x"),
            Self::Unknown => f.write_str("no longer a user"),
        }
    }
}

/// How one offer to one agent ended, for the lead being routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Still open.
    Offered,
    /// They turned it down.
    Declined,
    /// The window passed.
    Expired,
}

/// One offer to one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The agent.
    pub user_id: UserId,
    /// How it ended.
    pub outcome: AttemptOutcome,
}

/// What distribution remembers about one lead while routing it: every offer made so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The offers, oldest first.
    pub attempts: Vec<Attempt>,
}

impl History {
    fn times_offered(&self, u: UserId) -> u32 {
        let n = self.attempts.iter().filter(|a| a.user_id == u).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn declined(&self, u: UserId) -> bool {
        self.attempts
            .iter()
            .any(|a| a.user_id == u && a.outcome == AttemptOutcome::Declined)
    }

    /// Marks the still-open attempts of these agents as ended with `outcome`.
    pub fn close(&mut self, users: &[UserId], outcome: AttemptOutcome) {
        for a in &mut self.attempts {
            if a.outcome == AttemptOutcome::Offered && users.contains(&a.user_id) {
                a.outcome = outcome;
            }
        }
    }
}

/// An agent named in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// The agent.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
}

/// A member who could not get the lead, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// The agent.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// Why.
    pub why: Exclusion,
}

/// Where a decision sends the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// To an agent at once.
    Agent {
        /// The agent.
        user_id: UserId,
        /// The team the lead joins.
        team_id: Option<TeamId>,
    },
    /// Offered to these agents until the deadline.
    Offer {
        /// Who may accept.
        to: Vec<UserId>,
        /// When the window closes.
        deadline: Timestamp,
        /// Whether every member was offered it at once.
        broadcast: bool,
    },
    /// Into a pool.
    Pool {
        /// The pool.
        pool_id: PoolId,
    },
    /// Into the manual assignment queue.
    Queue,
}

/// Everything a routing decision considered, written on the timeline and returned by the
/// API: enough to tell why the lead went where it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// What routed it; `None` when no rule matched.
    pub router: Option<Router>,
    /// The rule's or reassignment group's name.
    pub router_name: Option<String>,
    /// Rules tried before, and why they did not match.
    pub skipped_rules: Vec<SkippedRule>,
    /// The strategy used.
    pub strategy: Option<String>,
    /// Members who could get it.
    pub eligible: Vec<Named>,
    /// Members who could not, and why.
    pub excluded: Vec<Excluded>,
    /// How a tie between equally loaded members was broken.
    pub tie_break: Option<String>,
    /// Who was served first for being under their minimum of new leads (seed 003).
    #[serde(default)]
    pub minimum: Option<String>,
    /// Where the round robin stood after this decision.
    pub pointer: Option<String>,
    /// When the response window closes.
    pub deadline: Option<Timestamp>,
    /// Why the fallback was used.
    pub fallback: Option<String>,
    /// Where the lead went, in words.
    pub outcome: String,
}

impl Trace {
    fn new(router: Option<Router>, name: Option<String>, skipped: Vec<SkippedRule>) -> Self {
        Self {
            router,
            router_name: name,
            skipped_rules: skipped,
            strategy: None,
            eligible: Vec::new(),
            excluded: Vec::new(),
            tie_break: None,
            minimum: None,
            pointer: None,
            deadline: None,
            fallback: None,
            outcome: String::new(),
        }
    }

    /// One readable line: what routed it, where it went, and why when it fell back.
    pub fn summary(&self) -> String {
        let by = match (&self.router, &self.router_name) {
            (Some(Router::Rule { .. }), Some(n)) => format!("rule \"{n}\""),
            (Some(Router::Reassignment { .. }), Some(n)) => format!("reassignment group \"{n}\""),
            _ => "no rule matched".to_owned(),
        };
        let mut s = format!("{by}: {}", self.outcome);
        if let Some(m) = &self.minimum {
            s.push_str("; ");
            s.push_str(m);
        }
        if let Some(f) = &self.fallback {
            s.push_str(" (");
            s.push_str(f);
            s.push(')');
        }
        s
    }
}

/// A decision and what it changes besides the lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Where the lead goes.
    pub outcome: Outcome,
    /// Why.
    pub trace: Trace,
    /// The round robin's new position, when it moved.
    pub cursor: Option<Cursor>,
    /// The offers made, added to the lead's history.
    pub history: History,
}

/// The decision when no rule matches: the manual queue.
pub fn no_rule(skipped: Vec<SkippedRule>) -> Decision {
    let mut trace = Trace::new(None, None, skipped);
    trace.outcome = "sent to the manual assignment queue".to_owned();
    Decision {
        outcome: Outcome::Queue,
        trace,
        cursor: None,
        history: History::default(),
    }
}

/// Everything a routing decision depends on.
#[derive(Debug, Clone)]
pub struct RouteInput<'a> {
    /// The lead.
    pub lead: &'a Lead,
    /// What routes it.
    pub router: Router,
    /// Its name.
    pub router_name: &'a str,
    /// Rules passed over before it.
    pub skipped: Vec<SkippedRule>,
    /// What to do.
    pub plan: &'a Plan,
    /// The group's members in line order with weights (see [`resolve_members`]).
    pub members: &'a [(UserId, u32)],
    /// Every member and the fallback or direct agent, as they are now.
    pub candidates: &'a [Candidate],
    /// The round robin's position.
    pub cursor: Cursor,
    /// Offers already made for this lead.
    pub history: History,
    /// The calendar whose hours count; `None`: always open.
    pub calendar: Option<&'a Calendar>,
    /// Pool names and pool existence are the caller's; this is the instant of the decision.
    pub now: Timestamp,
}

impl RouteInput<'_> {
    fn candidate(&self, u: UserId) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.user == u)
    }

    fn name(&self, u: UserId) -> String {
        self.candidate(u)
            .map_or_else(|| format!("user {u}"), |c| c.name.clone())
    }

    /// Why `u` may not get the lead now, or `None` when they may.
    fn exclusion(&self, u: UserId, hours_open: bool) -> Option<Exclusion> {
        let Some(c) = self.candidate(u) else {
            return Some(Exclusion::Unknown);
        };
        if !c.active {
            Some(Exclusion::Inactive)
        } else if !c.is_agent {
            Some(Exclusion::NotAnAgent)
        } else if c.paused {
            Some(Exclusion::Paused)
        } else if let Some(max) = c.caps.exceeded_by(&c.load, self.lead) {
            Some(Exclusion::OverCap { max })
        } else if !hours_open {
            Some(Exclusion::OutsideHours)
        } else if self.history.declined(u) {
            Some(Exclusion::Declined)
        } else {
            let times = self.history.times_offered(u);
            (times >= self.plan.passes).then_some(Exclusion::AlreadyOffered { times })
        }
    }
}

/// Load order for load balancing: the fewest open leads for their weight, then the longest
/// since their last lead, then line order (those under their minimum were put first by
/// [`under_minimum_first`]).
fn load_order(a: (&Candidate, u32, usize), b: (&Candidate, u32, usize)) -> Ordering {
    (u64::from(a.0.load.open_leads) * u64::from(b.1))
        .cmp(&(u64::from(b.0.load.open_leads) * u64::from(a.1)))
        .then_with(|| match (a.0.load.last_lead_at, b.0.load.last_lead_at) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(&y),
        })
        .then_with(|| a.2.cmp(&b.2))
}

/// Decides where a lead goes under a plan. Never picks an ineligible member; when nobody is
/// eligible the lead goes to the fallback at once, and the trace says why.
pub fn decide(input: &RouteInput<'_>) -> Decision {
    let plan = input.plan;
    let mut trace = Trace::new(
        Some(input.router),
        Some(input.router_name.to_owned()),
        input.skipped.clone(),
    );
    trace.strategy = Some(plan.strategy.name().to_owned());
    let mut history = input.history.clone();
    let hours_open = plan.ignore_hours
        || input
            .calendar
            .is_none_or(|c| crate::calendar::to_jiff(input.now).is_ok_and(|now| c.is_open(now)));
    let deadline = match plan.window() {
        None => None,
        Some(w) => match crate::pool::reserve_due(input.calendar, input.now, w) {
            // Agents read deadlines to the second; rounding up never shortens a window.
            Ok(d) => Some(match d.as_millis().rem_euclid(1000) {
                0 => d,
                r => d.plus_millis(1000 - r),
            }),
            Err(e) => return fall_back(input, trace, history, format!("the calendar: {e}")),
        },
    };

    let mut direct_team = None;
    let candidates: Vec<(UserId, u32)> = match plan.strategy {
        Strategy::DirectPool { pool_id } => {
            trace.outcome = format!("sent to pool {pool_id}");
            return Decision {
                outcome: Outcome::Pool { pool_id },
                trace,
                cursor: None,
                history,
            };
        }
        Strategy::DirectAgent { user_id } => {
            direct_team = input.candidate(user_id).map(|c| c.team);
            vec![(user_id, 1)]
        }
        _ => input.members.to_vec(),
    };
    let mut eligible = Vec::new();
    for &(u, w) in &candidates {
        match input.exclusion(u, hours_open) {
            Some(why) => trace.excluded.push(Excluded {
                user_id: u,
                name: input.name(u),
                why,
            }),
            None => {
                trace.eligible.push(Named {
                    user_id: u,
                    name: input.name(u),
                });
                eligible.push((u, w));
            }
        }
    }
    if eligible.is_empty() {
        let why = if candidates.is_empty() {
            "the group has no members".to_owned()
        } else {
            "nobody is eligible".to_owned()
        };
        return fall_back(input, trace, history, why);
    }

    if !matches!(plan.strategy, Strategy::DirectAgent { .. }) {
        let (first, why) = under_minimum_first(input, eligible);
        eligible = first;
        trace.minimum = why;
    }
    let mut cursor = None;
    let picked: Vec<UserId> = match plan.strategy {
        Strategy::Broadcast => eligible.iter().map(|(u, _)| *u).collect(),
        Strategy::RoundRobin => {
            let mut c = input.cursor.clone();
            let pick = c.pick(input.members, |u| eligible.iter().any(|(e, _)| *e == u));
            trace.pointer = pick.map(|u| {
                format!(
                    "after {} in round {} (place {} of {})",
                    input.name(u),
                    c.round + 1,
                    c.last_index + 1,
                    input.members.len()
                )
            });
            cursor = Some(c);
            pick.into_iter().collect()
        }
        Strategy::LoadBalanced => {
            let mut ranked: Vec<(&Candidate, u32, usize)> = eligible
                .iter()
                .enumerate()
                .filter_map(|(i, (u, w))| input.candidate(*u).map(|c| (c, *w, i)))
                .collect();
            ranked.sort_by(|a, b| load_order(*a, *b));
            if let [first, second, ..] = ranked.as_slice() {
                trace.tie_break = Some(tie_break(*first, *second));
            }
            ranked.first().map(|(c, _, _)| c.user).into_iter().collect()
        }
        Strategy::DirectAgent { user_id } => vec![user_id],
        Strategy::DirectPool { .. } => Vec::new(),
    };
    let Some(&first) = picked.first() else {
        return fall_back(input, trace, history, "nobody is eligible".to_owned());
    };
    let outcome = match deadline {
        Some(deadline) => {
            trace.deadline = Some(deadline);
            let names: Vec<String> = picked.iter().map(|u| input.name(*u)).collect();
            trace.outcome = format!(
                "offered to {} until {}",
                names.join(", "),
                deadline.to_minute_utc()
            );
            for u in &picked {
                history.attempts.push(Attempt {
                    user_id: *u,
                    outcome: AttemptOutcome::Offered,
                });
            }
            Outcome::Offer {
                to: picked,
                deadline,
                broadcast: plan.strategy == Strategy::Broadcast,
            }
        }
        None => {
            trace.outcome = format!("assigned to {}", input.name(first));
            Outcome::Agent {
                user_id: first,
                team_id: input
                    .candidate(first)
                    .map_or(direct_team.flatten(), |c| c.team),
            }
        }
    };
    Decision {
        outcome,
        trace,
        cursor,
        history,
    }
}

/// The eligible members every strategy that picks an agent chooses among: those under their
/// minimum of new leads when there are any (seed 003: distribution tops them up first), else
/// all; with the words the trace gives for it.
fn under_minimum_first(
    input: &RouteInput<'_>,
    eligible: Vec<(UserId, u32)>,
) -> (Vec<(UserId, u32)>, Option<String>) {
    let (under, rest): (Vec<_>, Vec<_>) = eligible.into_iter().partition(|(u, _)| {
        input
            .candidate(*u)
            .is_some_and(|c| c.caps.below_minimum(&c.load))
    });
    if under.is_empty() {
        return (rest, None);
    }
    let names: Vec<String> = under
        .iter()
        .filter_map(|(u, _)| {
            input.candidate(*u).map(|c| {
                format!(
                    "{} ({} of a minimum of {} new leads)",
                    c.name, c.load.open_new, c.caps.min_new
                )
            })
        })
        .collect();
    let why = format!(
        "served first for being under their minimum: {}",
        names.join(", ")
    );
    (under, Some(why))
}

fn tie_break(first: (&Candidate, u32, usize), second: (&Candidate, u32, usize)) -> String {
    let (a, b) = (first.0, second.0);
    let load = |c: &Candidate, w: u32| format!("{} open for weight {w}", c.load.open_leads);
    if u64::from(a.load.open_leads) * u64::from(second.1)
        != u64::from(b.load.open_leads) * u64::from(first.1)
    {
        format!(
            "{} has the lightest load ({}; next {}: {})",
            a.name,
            load(a, first.1),
            b.name,
            load(b, second.1)
        )
    } else if a.load.last_lead_at != b.load.last_lead_at {
        let when = |c: &Candidate| {
            c.load
                .last_lead_at
                .map_or_else(|| "never".to_owned(), |t| t.to_string())
        };
        format!(
            "tie on load with {}: {} waited longest since their last lead ({} vs {})",
            b.name,
            a.name,
            when(a),
            when(b)
        )
    } else {
        format!("tie with {}: {} comes first in line", b.name, a.name)
    }
}

/// Sends the lead to the plan's fallback. A default assignee who may not take it now (over
/// cap, paused, inactive) is passed over for the manual queue, with the reason.
fn fall_back(input: &RouteInput<'_>, mut trace: Trace, history: History, why: String) -> Decision {
    let outcome = match input.plan.fallback {
        Fallback::Agent { user_id } => match input.exclusion_ignoring_offers(user_id) {
            None => {
                trace.outcome = format!("assigned to the default assignee {}", input.name(user_id));
                Outcome::Agent {
                    user_id,
                    team_id: input.candidate(user_id).and_then(|c| c.team),
                }
            }
            Some(ex) => {
                trace.outcome = format!(
                    "sent to the manual assignment queue: the default assignee {} is {ex}",
                    input.name(user_id)
                );
                Outcome::Queue
            }
        },
        Fallback::Pool { pool_id } => {
            trace.outcome = format!("sent to pool {pool_id}");
            Outcome::Pool { pool_id }
        }
        Fallback::Queue => {
            trace.outcome = "sent to the manual assignment queue".to_owned();
            Outcome::Queue
        }
    };
    trace.fallback = Some(why);
    Decision {
        outcome,
        trace,
        cursor: None,
        history,
    }
}

impl RouteInput<'_> {
    /// The default assignee's exclusion: hours and earlier offers do not apply to them.
    fn exclusion_ignoring_offers(&self, u: UserId) -> Option<Exclusion> {
        match self.exclusion(u, true) {
            Some(Exclusion::Declined | Exclusion::AlreadyOffered { .. }) => None,
            other => other,
        }
    }
}
