//! Routing rules: which new leads a rule takes (source, fields, tags) and what it does with
//! them (a [`Plan`]). Rules are tried in priority order and the first match wins.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{GroupId, PoolId, ReassignmentId, RuleId, SourceId, UserId};
use crate::lead::Lead;
use crate::validate::{Errors, Invalid};

/// The longest response window a rule may give.
pub const MAX_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);
/// The most passes through a group a rule may make.
pub const MAX_PASSES: u32 = 10;

/// A test on one custom field of a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FieldTest {
    /// The value equals this one (text compared without regard to case).
    Equals {
        /// The value.
        value: Value,
    },
    /// The value is one of these.
    OneOf {
        /// The values.
        values: Vec<Value>,
    },
    /// The value is a number (or numeric text) within these bounds, both inclusive.
    Range {
        /// The lower bound.
        #[serde(default)]
        min: Option<f64>,
        /// The upper bound.
        #[serde(default)]
        max: Option<f64>,
    },
    /// The value's text contains this (without regard to case).
    Contains {
        /// The text.
        text: String,
    },
}

/// A condition on one custom field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldCondition {
    /// The field's name.
    pub field: String,
    /// The test.
    #[serde(flatten)]
    pub test: FieldTest,
}

/// What a lead must have for a rule to take it. Empty parts match every lead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// The lead came from one of these sources.
    #[serde(default)]
    pub sources: Vec<SourceId>,
    /// Every one of these field conditions holds.
    #[serde(default)]
    pub fields: Vec<FieldCondition>,
    /// The lead has every one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string(),
    }
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl FieldTest {
    fn holds(&self, v: &Value) -> bool {
        match self {
            Self::Equals { value } => text_of(v) == text_of(value),
            Self::OneOf { values } => values.iter().any(|x| text_of(v) == text_of(x)),
            Self::Range { min, max } => number_of(v)
                .is_some_and(|n| min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)),
            Self::Contains { text } => text_of(v).contains(&text.to_lowercase()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Equals { value } => format!("equal to {value}"),
            Self::OneOf { values } => format!(
                "one of {}",
                values
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Range { min, max } => match (min, max) {
                (Some(a), Some(b)) => format!("between {a} and {b}"),
                (Some(a), None) => format!("at least {a}"),
                (None, Some(b)) => format!("at most {b}"),
                (None, None) => "a number".to_owned(),
            },
            Self::Contains { text } => format!("containing {text:?}"),
        }
    }
}

impl Conditions {
    /// Why `lead` (from the source named `source`) does not meet these conditions; `None`
    /// when it does.
    pub fn mismatch(&self, lead: &Lead, source: &str) -> Option<String> {
        if !self.sources.is_empty() && !self.sources.contains(&lead.source_id) {
            return Some(format!("source \"{source}\" is not one of the rule's"));
        }
        for c in &self.fields {
            match lead.fields.as_map().get(&c.field) {
                None => return Some(format!("field `{}` is not set", c.field)),
                Some(v) if !c.test.holds(v) => {
                    return Some(format!(
                        "field `{}` is {v}, not {}",
                        c.field,
                        c.test.describe()
                    ));
                }
                Some(_) => {}
            }
        }
        self.tags
            .iter()
            .find(|t| {
                !lead
                    .tags
                    .iter()
                    .any(|lt| lt.as_str().eq_ignore_ascii_case(t))
            })
            .map(|t| format!("no tag `{t}`"))
    }
}

/// How a rule or reassignment group picks among its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Strategy {
    /// The next member in line, one at a time.
    RoundRobin,
    /// Every eligible member at once; the first to accept wins.
    Broadcast,
    /// The member with the fewest open leads for their weight.
    LoadBalanced,
    /// Straight to one agent.
    DirectAgent {
        /// The agent.
        user_id: UserId,
    },
    /// Straight into one pool.
    DirectPool {
        /// The pool.
        pool_id: PoolId,
    },
}

impl Strategy {
    /// The wire name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::RoundRobin => "round_robin",
            Self::Broadcast => "broadcast",
            Self::LoadBalanced => "load_balanced",
            Self::DirectAgent { .. } => "direct_agent",
            Self::DirectPool { .. } => "direct_pool",
        }
    }

    const fn uses_group(self) -> bool {
        matches!(
            self,
            Self::RoundRobin | Self::Broadcast | Self::LoadBalanced
        )
    }
}

/// Where a lead goes when nobody takes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fallback {
    /// A named agent (the default assignee).
    Agent {
        /// The agent.
        user_id: UserId,
    },
    /// A pool.
    Pool {
        /// The pool.
        pool_id: PoolId,
    },
    /// The manual assignment queue.
    #[default]
    Queue,
}

fn one() -> u32 {
    1
}

/// What a rule or reassignment group does with a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// How members are picked.
    pub strategy: Strategy,
    /// The members to pick from (round robin, broadcast and load balanced).
    #[serde(default)]
    pub group_id: Option<GroupId>,
    /// How long an offered agent has to accept, in open hours of the calendar; `None`
    /// assigns at once without an offer.
    #[serde(default)]
    pub window_secs: Option<u64>,
    /// The calendar whose hours count; `None`: the organization's default.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// Offer members even while the calendar is closed (the window then starts at the next
    /// opening, seed 001); by default nobody is eligible outside hours.
    #[serde(default)]
    pub ignore_hours: bool,
    /// How many times round the group before the fallback.
    #[serde(default = "one")]
    pub passes: u32,
    /// Where the lead goes when nobody takes it.
    #[serde(default)]
    pub fallback: Fallback,
}

impl Plan {
    /// Whether a calendar's hours matter to it: it respects them or counts a window in
    /// them; a plan that ignores hours and assigns at once reads no calendar.
    pub fn uses_hours(&self) -> bool {
        !self.ignore_hours || self.window_secs.is_some()
    }

    /// The response window.
    pub fn window(&self) -> Option<Duration> {
        self.window_secs.map(Duration::from_secs)
    }

    /// Checks the plan's own consistency (references are checked by the caller).
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        if self.strategy.uses_group() && self.group_id.is_none() {
            e.push(
                "group_id",
                format!("{} needs a group to pick from", self.strategy.name()),
            );
        }
        if !self.strategy.uses_group() && self.group_id.is_some() {
            e.push(
                "group_id",
                format!("{} does not use a group", self.strategy.name()),
            );
        }
        if self.strategy == Strategy::Broadcast && self.window_secs.is_none() {
            e.push(
                "window_secs",
                "broadcast needs a response window for members to accept in",
            );
        }
        if let Some(w) = self.window_secs
            && (w == 0 || w > MAX_WINDOW.as_secs())
        {
            e.push(
                "window_secs",
                format!("between 1 and {} seconds", MAX_WINDOW.as_secs()),
            );
        }
        if !(1..=MAX_PASSES).contains(&self.passes) {
            e.push("passes", format!("between 1 and {MAX_PASSES}"));
        }
        e.finish(|| ())
    }
}

/// A routing rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Its id.
    pub id: RuleId,
    /// Its name.
    pub name: String,
    /// Only enabled rules take leads.
    pub enabled: bool,
    /// Which leads it takes.
    pub conditions: Conditions,
    /// What it does with them.
    pub plan: Plan,
}

/// What routed a lead: a rule for new leads, a reassignment group for existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Router {
    /// A routing rule.
    Rule {
        /// The rule.
        rule_id: RuleId,
    },
    /// A reassignment group.
    Reassignment {
        /// The group.
        reassignment_id: ReassignmentId,
    },
}

impl Router {
    /// The key its round-robin position is kept under.
    pub fn cursor_key(self) -> String {
        match self {
            Self::Rule { rule_id } => format!("rule:{rule_id}"),
            Self::Reassignment { reassignment_id } => format!("reassignment:{reassignment_id}"),
        }
    }
}

/// A rule passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRule {
    /// The rule.
    pub rule_id: RuleId,
    /// Its name.
    pub name: String,
    /// Why it did not take the lead.
    pub why: String,
}

/// The first enabled rule (in the order given) whose conditions `lead` meets, and every rule
/// passed over before it with the reason; `source` is the name of the lead's source.
pub fn match_rule<'a>(
    rules: &'a [Rule],
    lead: &Lead,
    source: &str,
) -> (Option<&'a Rule>, Vec<SkippedRule>) {
    let mut skipped = Vec::new();
    for r in rules {
        let why = if r.enabled {
            r.conditions.mismatch(lead, source)
        } else {
            Some("disabled".to_owned())
        };
        match why {
            None => return (Some(r), skipped),
            Some(why) => skipped.push(SkippedRule {
                rule_id: r.id,
                name: r.name.clone(),
                why,
            }),
        }
    }
    (None, skipped)
}
