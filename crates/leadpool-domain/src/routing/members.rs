//! Who a group is made of when a lead is routed (individuals and everyone with a tag, with
//! weights), how distribution sees each agent, and the round-robin position that survives
//! group edits.

use serde::{Deserialize, Serialize};

use crate::ids::{TeamId, UserId};
use crate::pool::{Caps, Load};

/// One entry of a group: an individual, or every agent with a tag (resolved when a lead is
/// routed, so a newly tagged agent is included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MemberRef {
    /// One agent.
    User {
        /// The agent.
        user_id: UserId,
    },
    /// Every agent with this tag.
    Tag {
        /// The tag.
        tag: String,
    },
}

/// A group entry with its weight (leads per round).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    /// Who.
    #[serde(flatten)]
    pub member: MemberRef,
    /// Leads per round (at least 1).
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// An agent as distribution sees them when it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The agent.
    pub user: UserId,
    /// Their name, for the trace.
    pub name: String,
    /// Their tags.
    pub tags: Vec<String>,
    /// The team a lead joins when they take it.
    pub team: Option<TeamId>,
    /// Whether their role takes leads at all.
    pub is_agent: bool,
    /// Whether they are active.
    pub active: bool,
    /// Whether they paused themselves.
    pub paused: bool,
    /// Their effective caps.
    pub caps: Caps,
    /// What they hold now.
    pub load: Load,
}

/// The members of a group in line order with their weights: entries in order, a tag's agents
/// by id; someone named twice keeps their first place.
pub fn resolve_members(entries: &[GroupEntry], agents: &[Candidate]) -> Vec<(UserId, u32)> {
    let mut out: Vec<(UserId, u32)> = Vec::new();
    let mut add = |u: UserId, w: u32| {
        if !out.iter().any(|(x, _)| *x == u) {
            out.push((u, w.max(1)));
        }
    };
    for e in entries {
        match &e.member {
            MemberRef::User { user_id } => add(*user_id, e.weight),
            MemberRef::Tag { tag } => {
                let mut tagged: Vec<UserId> = agents
                    .iter()
                    .filter(|a| a.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)))
                    .map(|a| a.user)
                    .collect();
                tagged.sort_unstable();
                for u in tagged {
                    add(u, e.weight);
                }
            }
        }
    }
    out
}

/// Where the round robin stands for one rule or reassignment group. It survives group
/// edits: a new member joins the current round, a removed one leaves it, and the line goes
/// on after the last agent served (seed 004).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The last agent picked.
    pub last: Option<UserId>,
    /// Their place in line then (where the line resumes if they have left the group).
    pub last_index: usize,
    /// Leads each agent got in the current round.
    pub served: Vec<(UserId, u32)>,
    /// Rounds completed.
    pub round: u64,
}

impl Cursor {
    fn served(&self, u: UserId) -> u32 {
        self.served
            .iter()
            .find(|(x, _)| *x == u)
            .map_or(0, |(_, n)| *n)
    }

    /// The next member in line with leads left this round among those `eligible`, starting
    /// a new round when nobody eligible has any left; the cursor moves past them.
    pub fn pick(
        &mut self,
        members: &[(UserId, u32)],
        eligible: impl Fn(UserId) -> bool,
    ) -> Option<UserId> {
        let n = members.len();
        if n == 0 {
            return None;
        }
        let start = match self
            .last
            .and_then(|l| members.iter().position(|(u, _)| *u == l))
        {
            Some(i) => i + 1,
            None => self.last_index,
        };
        let find = |c: &Self| {
            (0..n).map(|k| (start + k) % n).find(|&i| {
                members
                    .get(i)
                    .is_some_and(|&(u, w)| eligible(u) && c.served(u) < w)
            })
        };
        let i = match find(self) {
            Some(i) => i,
            None => {
                let fresh = Self {
                    served: Vec::new(),
                    ..self.clone()
                };
                let i = find(&fresh)?;
                self.served.clear();
                self.round += 1;
                i
            }
        };
        let (u, _) = *members.get(i)?;
        match self.served.iter_mut().find(|(x, _)| *x == u) {
            Some((_, s)) => *s += 1,
            None => self.served.push((u, 1)),
        }
        self.last = Some(u);
        self.last_index = i;
        Some(u)
    }
}
