//! The Routing section's groups, rules and reassignment groups: how each reads in words,
//! how its form shows it, and how a posted form becomes the app's input. Every check of a
//! setting (references, a plan's consistency, who may use what) stays the app's; this module
//! only reads fields and says what the app said.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::distribute::DryRunInput;
use leadpool_app::models::{Group, Reassignment, RuleSettings, Source, User};
use leadpool_app::routing_settings::{DraftRule, GroupInput, ReassignmentInput};
use leadpool_app::{App, AppError, Member};
use leadpool_domain::routing::{
    Conditions, Fallback, FieldCondition, FieldTest, GroupEntry, MemberRef, Plan, Rule, Strategy,
};
use leadpool_domain::{GroupId, PoolId, ReassignmentId, RuleId, SourceId, TeamId, UserId};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::routing::{TryView, dry_run, show_routing, show_tried_rule};
use super::{DurationView, Unread, count, duration, path_id, picked, said, words};
use crate::AppState;
use crate::ui::error::UiError;
use crate::ui::flash::Said;
use crate::ui::offers::NoFields;
use crate::ui::session::{Posted, Signed};
use crate::ui::view::Choice;

/// The names a routing setting refers to, read once per page.
#[derive(Debug)]
pub struct Names {
    /// Active people, by name.
    pub users: Vec<User>,
    /// Teams by id and name.
    pub teams: Vec<(TeamId, String)>,
    /// Pools by id and name.
    pub pools: Vec<(PoolId, String)>,
    /// Calendars by id and name.
    pub calendars: Vec<(i64, String)>,
    /// Agent groups.
    pub groups: Vec<Group>,
    /// Lead sources.
    pub sources: Vec<Source>,
}

impl Names {
    /// Reads them for `m`.
    pub async fn load(app: &App, m: &Member) -> Result<Self, AppError> {
        let mut users = app.list_users(m, None, None).await?;
        users.retain(|u| u.active);
        Ok(Self {
            users,
            teams: app
                .list_teams(m)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect(),
            pools: app
                .list_pools(m)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
            calendars: app
                .list_calendars(m)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect(),
            groups: app.list_groups(m).await?,
            sources: app.list_sources(m).await?,
        })
    }

    fn user(&self, id: UserId) -> String {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| "someone no longer active".to_owned(), |u| u.name.clone())
    }

    /// A team's name.
    pub fn team(&self, id: TeamId) -> String {
        named(&self.teams, id, "a removed team")
    }

    fn pool(&self, id: PoolId) -> String {
        format!("the pool “{}”", named(&self.pools, id, "removed"))
    }

    fn group(&self, id: Option<GroupId>) -> String {
        id.and_then(|id| self.groups.iter().find(|g| g.id == id))
            .map_or_else(|| "no group".to_owned(), |g| format!("“{}”", g.name))
    }

    fn source(&self, id: SourceId) -> String {
        self.sources
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| "a removed source".to_owned(), |s| s.name.clone())
    }

    fn people(&self, chosen: Option<UserId>) -> impl Iterator<Item = Choice> + '_ {
        self.users
            .iter()
            .map(move |u| Choice::new(u.id, &u.name, Some(u.id) == chosen))
    }
}

fn named<K: PartialEq>(list: &[(K, String)], id: K, missing: &str) -> String {
    list.iter()
        .find(|(k, _)| *k == id)
        .map_or_else(|| missing.to_owned(), |(_, n)| n.clone())
}

/// One person's line in a group's form.
#[derive(Debug)]
pub struct Weighted {
    /// Their id.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Leads per round ("" when not in the group).
    pub weight: String,
}

/// A group as its row and form show it.
#[derive(Debug)]
pub struct GroupView {
    /// Its id (0 for the add form).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its members in words.
    pub members: String,
    /// Every active person with their weight in it.
    pub people: Vec<Weighted>,
    /// Its tag entries as typed: `tag` or `tag:weight`, comma separated.
    pub tags: String,
}

impl GroupView {
    /// `g` for its row and form.
    pub fn of(g: &Group, names: &Names) -> Self {
        let weight_of = |id: UserId| {
            g.entries.iter().find_map(|e| match &e.member {
                MemberRef::User { user_id } if *user_id == id => Some(e.weight.to_string()),
                _ => None,
            })
        };
        let tags = g
            .entries
            .iter()
            .filter_map(|e| match &e.member {
                MemberRef::Tag { tag } if e.weight == 1 => Some(tag.clone()),
                MemberRef::Tag { tag } => Some(format!("{tag}:{}", e.weight)),
                MemberRef::User { .. } => None,
            })
            .collect::<Vec<_>>()
            .join(", ");
        let members = g
            .entries
            .iter()
            .map(|e| {
                let who = match &e.member {
                    MemberRef::User { user_id } => names.user(*user_id),
                    MemberRef::Tag { tag } => format!("everyone tagged “{tag}”"),
                };
                if e.weight == 1 {
                    who
                } else {
                    format!("{who} ×{}", e.weight)
                }
            })
            .collect::<Vec<_>>();
        Self {
            id: g.id.get(),
            name: g.name.clone(),
            members: if members.is_empty() {
                "nobody yet".to_owned()
            } else {
                members.join(", ")
            },
            people: names
                .users
                .iter()
                .map(|u| Weighted {
                    id: u.id.get(),
                    name: u.name.clone(),
                    weight: weight_of(u.id).unwrap_or_default(),
                })
                .collect(),
            tags,
        }
    }

    /// The add form.
    pub fn blank(names: &Names) -> Self {
        Self::of(
            &Group {
                id: GroupId::new(0),
                name: String::new(),
                entries: Vec::new(),
            },
            names,
        )
    }
}

/// A plan's fields as a form shows them.
#[derive(Debug)]
pub struct PlanView {
    /// How members are picked.
    pub strategies: Vec<Choice>,
    /// The group to pick from ("" first: none).
    pub groups: Vec<Choice>,
    /// The agent for "straight to an agent".
    pub agents: Vec<Choice>,
    /// The pool for "into a pool".
    pub pools: Vec<Choice>,
    /// The response window (empty: assign at once).
    pub window: DurationView,
    /// The calendar whose hours count ("" first: the default).
    pub calendars: Vec<Choice>,
    /// Offer outside open hours too.
    pub ignore_hours: bool,
    /// Rounds through the group.
    pub passes: String,
    /// Where a lead nobody takes goes.
    pub fallbacks: Vec<Choice>,
}

impl PlanView {
    /// `plan`'s fields; a reassignment group's fallback is always an agent.
    fn of(plan: &Plan, names: &Names, agent_fallback_only: bool) -> Self {
        let strategy = plan.strategy.name();
        let strategies = [
            ("round_robin", "Round robin: one at a time, in turn"),
            ("broadcast", "Broadcast: all at once, first to accept wins"),
            ("load_balanced", "Load balanced: whoever holds the fewest"),
            ("direct_agent", "Straight to one agent"),
            ("direct_pool", "Straight into a pool"),
        ]
        .into_iter()
        .map(|(v, l)| Choice::new(v, l, v == strategy))
        .collect();
        let (agent, pool) = match plan.strategy {
            Strategy::DirectAgent { user_id } => (Some(user_id), None),
            Strategy::DirectPool { pool_id } => (None, Some(pool_id)),
            _ => (None, None),
        };
        let fallback = fallback_value(plan.fallback);
        let mut fallbacks = Vec::new();
        if !agent_fallback_only {
            fallbacks.push(Choice::new(
                "queue",
                "The assignment queue",
                fallback == "queue",
            ));
            fallbacks.extend(names.pools.iter().map(|(id, n)| {
                let v = format!("pool:{id}");
                let checked = v == fallback;
                Choice::new(v, format!("Pool: {n}"), checked)
            }));
        }
        fallbacks.extend(names.users.iter().map(|u| {
            let v = format!("agent:{}", u.id);
            let checked = v == fallback;
            Choice::new(v, format!("Agent: {}", u.name), checked)
        }));
        Self {
            strategies,
            groups: std::iter::once(Choice::new("", "None", plan.group_id.is_none()))
                .chain(
                    names
                        .groups
                        .iter()
                        .map(|g| Choice::new(g.id, &g.name, Some(g.id) == plan.group_id)),
                )
                .collect(),
            agents: std::iter::once(Choice::new("", "None", agent.is_none()))
                .chain(names.people(agent))
                .collect(),
            pools: std::iter::once(Choice::new("", "None", pool.is_none()))
                .chain(
                    names
                        .pools
                        .iter()
                        .map(|(id, n)| Choice::new(id, n, Some(*id) == pool)),
                )
                .collect(),
            window: DurationView::of(plan.window()),
            calendars: std::iter::once(Choice::new(
                "",
                "The organization's default",
                plan.calendar_id.is_none(),
            ))
            .chain(
                names
                    .calendars
                    .iter()
                    .map(|(id, n)| Choice::new(id, n, Some(*id) == plan.calendar_id)),
            )
            .collect(),
            ignore_hours: plan.ignore_hours,
            passes: plan.passes.to_string(),
            fallbacks,
        }
    }
}

fn fallback_value(f: Fallback) -> String {
    match f {
        Fallback::Queue => "queue".to_owned(),
        Fallback::Pool { pool_id } => format!("pool:{pool_id}"),
        Fallback::Agent { user_id } => format!("agent:{user_id}"),
    }
}

/// A plan in one sentence: who gets the lead, how long they have, in which hours, and
/// where it goes when nobody takes it.
pub fn plan_words(plan: &Plan, names: &Names) -> String {
    let group = names.group(plan.group_id);
    let mut out = match plan.strategy {
        Strategy::RoundRobin => format!("Round robin through {group}"),
        Strategy::Broadcast => format!("Offered to all of {group} at once"),
        Strategy::LoadBalanced => format!("To whoever in {group} holds the fewest"),
        Strategy::DirectAgent { user_id } => format!("Straight to {}", names.user(user_id)),
        Strategy::DirectPool { pool_id } => format!("Into {}", names.pool(pool_id)),
    };
    if !matches!(plan.strategy, Strategy::DirectPool { .. }) {
        match plan.window() {
            Some(w) => out.push_str(&format!("; {} to accept", words(Some(w)))),
            None => out.push_str("; assigned at once"),
        }
    }
    if plan.passes > 1 {
        out.push_str(&format!("; {} rounds", plan.passes));
    }
    if plan.uses_hours() {
        let calendar = plan.calendar_id.map_or_else(
            || "the organization's default calendar".to_owned(),
            |id| format!("“{}”", named(&names.calendars, id, "a removed calendar")),
        );
        out.push_str(&format!("; hours of {calendar}"));
    }
    if plan.ignore_hours {
        out.push_str(", offered outside them too");
    }
    let fallback = match plan.fallback {
        Fallback::Queue => "the assignment queue".to_owned(),
        Fallback::Pool { pool_id } => names.pool(pool_id),
        Fallback::Agent { user_id } => names.user(user_id),
    };
    out.push_str(&format!("; if nobody takes it: {fallback}."));
    out
}

/// Which leads a rule takes, in words.
pub fn conditions_words(c: &Conditions, names: &Names) -> String {
    let mut parts = Vec::new();
    if !c.sources.is_empty() {
        let from: Vec<String> = c.sources.iter().map(|s| names.source(*s)).collect();
        parts.push(format!("from {}", from.join(" or ")));
    }
    if !c.tags.is_empty() {
        parts.push(format!("tagged {}", c.tags.join(" and ")));
    }
    parts.extend(c.fields.iter().map(field_line));
    if parts.is_empty() {
        "Every lead".to_owned()
    } else {
        let text = parts.join("; ");
        let mut chars = text.chars();
        chars.next().map_or_else(String::new, |f| {
            f.to_uppercase().chain(chars).collect::<String>()
        })
    }
}

/// A rule's form fields.
#[derive(Debug)]
pub struct RuleFormView {
    /// Its id (0 for the add form).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Whether it takes leads.
    pub enabled: bool,
    /// Sources to limit it to (none checked: any).
    pub sources: Vec<Choice>,
    /// Tags a lead must all have, comma separated.
    pub tags: String,
    /// Field conditions, one a line.
    pub fields: String,
    /// What it does.
    pub plan: PlanView,
    /// A sample lead to try the rule on before saving it, and what trying it showed.
    pub trial: TryView,
    /// Shown open: it was just tried.
    pub open: bool,
}

impl RuleFormView {
    /// Where its "Try this rule" button posts: in the rule's place, or as a new rule.
    pub fn try_url(&self) -> String {
        match self.id {
            0 => "/settings/rules/try".to_owned(),
            id => format!("/settings/rules/{id}/try"),
        }
    }
}

/// A rule as its row shows it.
#[derive(Debug)]
pub struct RuleView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Whether it takes leads.
    pub enabled: bool,
    /// First in priority (cannot move up).
    pub first: bool,
    /// Last (cannot move down).
    pub last: bool,
    /// Which leads, in words.
    pub conditions: String,
    /// What it does, in words.
    pub plan: String,
    /// Its form.
    pub form: RuleFormView,
}

impl RuleView {
    /// `r` for its row and form.
    pub fn of(r: &Rule, first: bool, last: bool, names: &Names) -> Self {
        Self {
            id: r.id.get(),
            name: r.name.clone(),
            enabled: r.enabled,
            first,
            last,
            conditions: conditions_words(&r.conditions, names),
            plan: plan_words(&r.plan, names),
            form: RuleFormView {
                id: r.id.get(),
                name: r.name.clone(),
                enabled: r.enabled,
                sources: names
                    .sources
                    .iter()
                    .map(|s| Choice::new(s.id, &s.name, r.conditions.sources.contains(&s.id)))
                    .collect(),
                tags: r.conditions.tags.join(", "),
                fields: r
                    .conditions
                    .fields
                    .iter()
                    .map(field_line)
                    .collect::<Vec<_>>()
                    .join("\n"),
                plan: PlanView::of(&r.plan, names, false),
                trial: TryView::of(names, None),
                open: false,
            },
        }
    }

    /// The add form: round robin with five minutes to accept, as most teams start.
    pub fn blank(names: &Names) -> Self {
        let rule = Rule {
            id: RuleId::new(0),
            name: String::new(),
            enabled: true,
            conditions: Conditions::default(),
            plan: Plan {
                strategy: Strategy::RoundRobin,
                group_id: None,
                window_secs: Some(300),
                calendar_id: None,
                ignore_hours: false,
                passes: 1,
                fallback: Fallback::Queue,
            },
        };
        Self::of(&rule, true, true, names)
    }
}

/// A reassignment group as its row and form show it.
#[derive(Debug)]
pub struct ReassignView {
    /// Its id (0 for the add form).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it does, in words.
    pub plan_words: String,
    /// Who may use it, in words.
    pub available_to: String,
    /// The teams to choose from.
    pub teams: Vec<Choice>,
    /// What it does.
    pub plan: PlanView,
}

impl ReassignView {
    /// `g` for its row and form.
    pub fn of(g: &Reassignment, names: &Names) -> Self {
        let available: Vec<String> = g.teams.iter().map(|t| names.team(*t)).collect();
        Self {
            id: g.id.get(),
            name: g.name.clone(),
            plan_words: plan_words(&g.plan, names),
            available_to: if available.is_empty() {
                "Everyone in the organization".to_owned()
            } else {
                format!("Team {}", available.join(", team "))
            },
            teams: names
                .teams
                .iter()
                .map(|(id, n)| Choice::new(id, n, g.teams.contains(id)))
                .collect(),
            plan: PlanView::of(&g.plan, names, true),
        }
    }

    /// The add form.
    pub fn blank(names: &Names) -> Self {
        let g = Reassignment {
            id: ReassignmentId::new(0),
            name: String::new(),
            plan: Plan {
                strategy: Strategy::RoundRobin,
                group_id: None,
                window_secs: Some(300),
                calendar_id: None,
                ignore_hours: false,
                passes: 1,
                fallback: Fallback::Queue,
            },
            teams: Vec::new(),
        };
        Self::of(&g, names)
    }
}

/// A field condition as one line of the form: `budget = 500`, `city is one of Austin,
/// Dallas`, `budget between 100 and 900`, `budget at least 100`, `budget at most 900`,
/// `notes contains cash`.
pub fn field_line(c: &FieldCondition) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let test = match &c.test {
        FieldTest::Equals { value } => format!("= {}", text(value)),
        FieldTest::OneOf { values } => format!(
            "is one of {}",
            values.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
        FieldTest::Range {
            min: Some(a),
            max: Some(b),
        } => format!("between {a} and {b}"),
        FieldTest::Range { min: Some(a), .. } => format!("at least {a}"),
        FieldTest::Range { max: Some(b), .. } => format!("at most {b}"),
        FieldTest::Range { .. } => "is a number".to_owned(),
        FieldTest::Contains { text } => format!("contains {text}"),
    };
    format!("{} {test}", c.field)
}

/// Reads the lines [`field_line`] writes, one condition a line; blank lines are skipped.
pub fn field_conditions(raw: &str) -> Result<Vec<FieldCondition>, Unread> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let bad = || {
                format!(
                    "Field conditions: “{line}” is not one of: field = value, field is one of \
                     a, b; field between 1 and 9; field at least 1; field at most 9; field \
                     contains text."
                )
            };
            let (field, rest) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
            let rest = rest.trim();
            let number = |s: &str| s.trim().parse::<f64>().map_err(|_| bad());
            let test = if let Some(v) = rest.strip_prefix('=') {
                FieldTest::Equals {
                    value: Value::String(v.trim().to_owned()),
                }
            } else if let Some(v) = rest.strip_prefix("is one of ") {
                FieldTest::OneOf {
                    values: v
                        .split(',')
                        .map(|x| Value::String(x.trim().to_owned()))
                        .collect(),
                }
            } else if let Some(v) = rest.strip_prefix("between ") {
                let (a, b) = v.split_once(" and ").ok_or_else(bad)?;
                FieldTest::Range {
                    min: Some(number(a)?),
                    max: Some(number(b)?),
                }
            } else if let Some(v) = rest.strip_prefix("at least ") {
                FieldTest::Range {
                    min: Some(number(v)?),
                    max: None,
                }
            } else if let Some(v) = rest.strip_prefix("at most ") {
                FieldTest::Range {
                    min: None,
                    max: Some(number(v)?),
                }
            } else if rest == "is a number" {
                FieldTest::Range {
                    min: None,
                    max: None,
                }
            } else if let Some(v) = rest.strip_prefix("contains ") {
                FieldTest::Contains {
                    text: v.trim().to_owned(),
                }
            } else {
                return Err(bad());
            };
            Ok(FieldCondition {
                field: field.to_owned(),
                test,
            })
        })
        .collect()
}

/// A sample lead's fields typed as `name = value` lines.
pub fn sample_fields(raw: &str) -> Result<Map<String, Value>, Unread> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("Fields: write “{line}” as name = value."))?;
            Ok((k.trim().to_owned(), Value::String(v.trim().to_owned())))
        })
        .collect()
}

/// Tags typed comma separated.
pub fn tag_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The plan, rule and reassignment group forms as posted (each uses its own fields).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlanForm {
    name: String,
    enabled: String,
    sources: Vec<String>,
    tags: String,
    fields: String,
    teams: Vec<String>,
    strategy: String,
    group: String,
    agent: String,
    pool: String,
    window_amount: String,
    window_unit: String,
    calendar: String,
    ignore_hours: String,
    passes: String,
    fallback: String,
    try_source: String,
    try_tags: String,
    try_fields: String,
}

impl PlanForm {
    fn plan(&self) -> Result<Plan, Unread> {
        let agent = picked("Agent", &self.agent, UserId::new)?;
        let pool = picked("Pool", &self.pool, PoolId::new)?;
        let strategy = match (self.strategy.as_str(), agent, pool) {
            ("round_robin", ..) => Strategy::RoundRobin,
            ("broadcast", ..) => Strategy::Broadcast,
            ("load_balanced", ..) => Strategy::LoadBalanced,
            ("direct_agent", Some(user_id), _) => Strategy::DirectAgent { user_id },
            ("direct_agent", None, _) => {
                return Err("Agent: pick who gets every lead straight away.".to_owned());
            }
            ("direct_pool", _, Some(pool_id)) => Strategy::DirectPool { pool_id },
            ("direct_pool", _, None) => {
                return Err("Pool: pick the pool every lead goes into.".to_owned());
            }
            _ => return Err("Strategy: pick one from the list.".to_owned()),
        };
        let uses_group = matches!(
            strategy,
            Strategy::RoundRobin | Strategy::Broadcast | Strategy::LoadBalanced
        );
        let window = duration("Time to accept", &self.window_amount, &self.window_unit)?;
        Ok(Plan {
            strategy,
            // A group picked before switching to a direct strategy is not one it uses.
            group_id: picked("Group", &self.group, GroupId::new)?.filter(|_| uses_group),
            window_secs: window.as_ref().map(Duration::as_secs),
            calendar_id: picked("Calendar", &self.calendar, |c| c)?,
            ignore_hours: self.ignore_hours == "yes",
            passes: count("Rounds", &self.passes)?.unwrap_or(1),
            fallback: fallback(&self.fallback)?,
        })
    }

    fn rule(&self) -> Result<RuleSettings, Unread> {
        let sources = self
            .sources
            .iter()
            .map(|s| picked("Sources", s, SourceId::new))
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;
        Ok(RuleSettings {
            name: self.name.clone(),
            enabled: self.enabled == "yes",
            conditions: Conditions {
                sources,
                fields: field_conditions(&self.fields)?,
                tags: tag_list(&self.tags),
            },
            plan: self.plan()?,
        })
    }

    fn reassignment(&self) -> Result<ReassignmentInput, Unread> {
        let teams = self
            .teams
            .iter()
            .map(|t| picked("Available to", t, TeamId::new))
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;
        Ok(ReassignmentInput {
            name: self.name.clone(),
            plan: self.plan()?,
            teams,
        })
    }
}

fn fallback(raw: &str) -> Result<Fallback, Unread> {
    let bad = || "If nobody takes it: pick one from the list.".to_owned();
    match raw.split_once(':') {
        None if raw == "queue" => Ok(Fallback::Queue),
        Some(("pool", id)) => Ok(Fallback::Pool {
            pool_id: PoolId::new(id.parse().map_err(|_| bad())?),
        }),
        Some(("agent", id)) => Ok(Fallback::Agent {
            user_id: UserId::new(id.parse().map_err(|_| bad())?),
        }),
        _ => Err(bad()),
    }
}

/// `POST /settings/rules`: adds a rule after the last one.
pub async fn create_rule(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<PlanForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.rule(), |input| async move {
        app.create_rule(m, input).await.map(|r| {
            format!(
                "Rule “{}” added last; move it up if it should come before others.",
                r.name
            )
        })
    })
    .await?;
    show_routing(&s, &signed, said).await
}

/// `POST /settings/rules/{id}`: changes a rule, keeping its place.
pub async fn update_rule(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<PlanForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, RuleId::new);
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.rule(), |input| async move {
        app.update_rule(m, id, input).await.map(|r| {
            format!(
                "Rule “{}” saved; it applies to leads arriving from now on.",
                r.name
            )
        })
    })
    .await?;
    show_routing(&s, &signed, said).await
}

/// `POST /settings/rules/try`: where a sample lead would go were the add form's rule saved
/// as it stands; nothing is saved.
pub async fn try_new_rule(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<PlanForm>,
) -> Result<Response, UiError> {
    try_rule(&s, &signed, None, form).await
}

/// `POST /settings/rules/{id}/try`: where a sample lead would go were a rule's form saved
/// as it stands, in the rule's place; nothing is saved.
pub async fn try_changed_rule(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<PlanForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, RuleId::new);
    try_rule(&s, &signed, Some(id), form).await
}

/// Tries the rule of `form` on its sample lead, and shows the page with that form open,
/// as typed, beside the decision.
async fn try_rule(
    s: &AppState,
    signed: &Signed,
    replaces: Option<RuleId>,
    form: PlanForm,
) -> Result<Response, UiError> {
    let mut trial = TryView {
        tags: form.try_tags.clone(),
        fields: form.try_fields.clone(),
        ..TryView::default()
    };
    let read = form.rule().and_then(|mut settings| {
        if settings.name.trim().is_empty() {
            "New rule".clone_into(&mut settings.name);
        }
        let source = picked("A lead from", &form.try_source, SourceId::new)?
            .ok_or_else(|| "A lead from: pick a source.".to_owned())?;
        trial.source = Some(source);
        Ok(DryRunInput {
            lead_id: None,
            source_id: Some(source),
            fields: sample_fields(&form.try_fields)?,
            tags: tag_list(&form.try_tags),
            rule: Some(DraftRule { replaces, settings }),
        })
    });
    let (said, draft) = match read {
        Err(text) => (Said::refused(StatusCode::UNPROCESSABLE_ENTITY, text), None),
        Ok(input) => {
            let draft = input.rule.clone().map(DraftRule::rule);
            let when = "if it arrived now, with this rule saved";
            let said = dry_run(s, &signed.member, input, when, &mut trial).await?;
            (said, draft)
        }
    };
    show_tried_rule(s, signed, said, replaces, draft, trial).await
}

/// A move of a rule as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    direction: String,
}

/// `POST /settings/rules/{id}/move`: one place up or down in priority.
pub async fn move_rule(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<MoveForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, RuleId::new);
    let m = &signed.member;
    let mut order: Vec<Rule> = s.app.list_rules(m).await?;
    let Some(at) = order.iter().position(|r| r.id == id) else {
        return show_routing(&s, &signed, Said::lost("That rule was deleted meanwhile.")).await;
    };
    let to = match form.direction.as_str() {
        "up" => at.checked_sub(1),
        "down" => Some(at + 1).filter(|i| *i < order.len()),
        _ => None,
    };
    let said = match to {
        None => Said::lost("That rule cannot move further that way."),
        Some(to) => {
            order.swap(at, to);
            let ids: Vec<RuleId> = order.iter().map(|r| r.id).collect();
            Said::of(s.app.reorder_rules(m, &ids).await.map(|_| {
                format!(
                    "Rule “{}” is now number {} of {}.",
                    order[to].name,
                    to + 1,
                    order.len()
                )
            }))?
        }
    };
    show_routing(&s, &signed, said).await
}

/// `POST /settings/rules/{id}/toggle`: turns a rule on or off, keeping everything else.
pub async fn toggle_rule(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, RuleId::new);
    let m = &signed.member;
    let rule = s.app.list_rules(m).await?.into_iter().find(|r| r.id == id);
    let said = match rule {
        None => Said::lost("That rule was deleted meanwhile."),
        Some(r) => {
            let input = RuleSettings {
                name: r.name,
                enabled: !r.enabled,
                conditions: r.conditions,
                plan: r.plan,
            };
            Said::of(s.app.update_rule(m, id, input).await.map(|r| {
                if r.enabled {
                    format!("Rule “{}” is on: it takes leads again.", r.name)
                } else {
                    format!(
                        "Rule “{}” is off: leads pass it over for the next rule.",
                        r.name
                    )
                }
            }))?
        }
    };
    show_routing(&s, &signed, said).await
}

/// `POST /settings/rules/{id}/delete`: deletes a rule; leads it routed keep their owners.
pub async fn delete_rule(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, RuleId::new);
    let m = &signed.member;
    let rule = s.app.list_rules(m).await?.into_iter().find(|r| r.id == id);
    let said = match rule {
        None => Said::lost("That rule was already deleted."),
        Some(r) => Said::of(s.app.delete_rule(m, id).await.map(|()| {
            format!(
                "Rule “{}” deleted; leads it routed keep their owners.",
                r.name
            )
        }))?,
    };
    show_routing(&s, &signed, said).await
}

/// A group's form as posted: every active person's weight (empty: not in it), and tags.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GroupForm {
    name: String,
    uid: Vec<String>,
    weight: Vec<String>,
    tags: String,
}

impl GroupForm {
    fn input(&self) -> Result<GroupInput, Unread> {
        let mut entries = Vec::new();
        for (uid, weight) in self.uid.iter().zip(&self.weight) {
            let Some(weight) = count("Leads per round", weight)? else {
                continue;
            };
            let user_id = UserId::new(uid.parse().map_err(|_| "Members: reload the page.")?);
            entries.push(GroupEntry {
                member: MemberRef::User { user_id },
                weight,
            });
        }
        for t in tag_list(&self.tags) {
            let (tag, weight) = match t.rsplit_once(':') {
                Some((tag, w)) => (
                    tag.trim().to_owned(),
                    w.trim().parse().map_err(|_| {
                        format!("Tags: “{t}” should be a tag, or tag:leads per round.")
                    })?,
                ),
                None => (t, 1),
            };
            entries.push(GroupEntry {
                member: MemberRef::Tag { tag },
                weight,
            });
        }
        Ok(GroupInput {
            name: self.name.clone(),
            entries,
        })
    }
}

/// `POST /settings/groups`: adds an agent group.
pub async fn create_group(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<GroupForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.input(), |input| async move {
        app.create_group(m, input)
            .await
            .map(|g| format!("Group “{}” added; rules can now pick from it.", g.name))
    })
    .await?;
    show_routing(&s, &signed, said).await
}

/// `POST /settings/groups/{id}`: changes a group's name and members.
pub async fn update_group(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<GroupForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, GroupId::new);
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.input(), |input| async move {
        app.update_group(m, id, input)
            .await
            .map(|g| format!("Group “{}” saved.", g.name))
    })
    .await?;
    show_routing(&s, &signed, said).await
}

/// `POST /settings/groups/{id}/delete`: deletes a group no rule uses.
pub async fn delete_group(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, GroupId::new);
    let m = &signed.member;
    let group = s.app.list_groups(m).await?.into_iter().find(|g| g.id == id);
    let said = match group {
        None => Said::lost("That group was already deleted."),
        Some(g) => Said::of(
            s.app
                .delete_group(m, id)
                .await
                .map(|()| format!("Group “{}” deleted.", g.name)),
        )?,
    };
    show_routing(&s, &signed, said).await
}

/// `POST /settings/reassignment-groups`: adds a reassignment group.
pub async fn create_reassignment(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<PlanForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.reassignment(), |input| async move {
        app.create_reassignment_group(m, input)
            .await
            .map(|g| format!("Reassignment group “{}” added.", g.name))
    })
    .await?;
    show_routing(&s, &signed, said).await
}

/// `POST /settings/reassignment-groups/{id}`: changes a reassignment group.
pub async fn update_reassignment(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<PlanForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, ReassignmentId::new);
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.reassignment(), |input| async move {
        app.update_reassignment_group(m, id, input)
            .await
            .map(|g| format!("Reassignment group “{}” saved.", g.name))
    })
    .await?;
    show_routing(&s, &signed, said).await
}

/// `POST /settings/reassignment-groups/{id}/delete`: deletes a reassignment group; leads
/// it is offering now keep their offer.
pub async fn delete_reassignment(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, ReassignmentId::new);
    let m = &signed.member;
    let group = s
        .app
        .list_reassignment_groups(m)
        .await?
        .into_iter()
        .find(|g| g.id == id);
    let said = match group {
        None => Said::lost("That reassignment group was already deleted."),
        Some(g) => Said::of(
            s.app
                .delete_reassignment_group(m, id)
                .await
                .map(|()| format!("Reassignment group “{}” deleted.", g.name)),
        )?,
    };
    show_routing(&s, &signed, said).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_conditions_read_back_what_the_form_shows() {
        let text = "budget between 100 and 900.5\ncity is one of Austin, Dallas\n\
                    zip = 78701\nnotes contains cash\nbeds at least 2\nbaths at most 3";
        let parsed = field_conditions(text).expect("reads");
        assert_eq!(parsed.len(), 6);
        let shown: Vec<String> = parsed.iter().map(field_line).collect();
        assert_eq!(shown.join("\n"), text);
        assert_eq!(
            parsed[1].test,
            FieldTest::OneOf {
                values: vec![Value::from("Austin"), Value::from("Dallas")]
            }
        );
        assert!(field_conditions("\n  \n").is_ok_and(|v| v.is_empty()));
    }

    #[test]
    fn a_field_condition_that_cannot_be_read_names_the_line() {
        for bad in [
            "budget",
            "budget > 5",
            "budget between 1",
            "beds at least two",
        ] {
            let err = field_conditions(bad).expect_err(bad);
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn fallbacks_read_their_kind_and_id() {
        assert_eq!(fallback("queue"), Ok(Fallback::Queue));
        assert_eq!(
            fallback("pool:3"),
            Ok(Fallback::Pool {
                pool_id: PoolId::new(3)
            })
        );
        assert_eq!(
            fallback("agent:7"),
            Ok(Fallback::Agent {
                user_id: UserId::new(7)
            })
        );
        for bad in ["", "pool:x", "team:1", "queue:1"] {
            assert!(fallback(bad).is_err(), "{bad}");
        }
        assert_eq!(fallback_value(Fallback::Queue), "queue");
    }

    #[test]
    fn sample_fields_and_tags_read_as_typed() {
        let f = sample_fields("budget = 500\n\ncity=Austin").expect("reads");
        assert_eq!(f.get("budget"), Some(&Value::from("500")));
        assert_eq!(f.get("city"), Some(&Value::from("Austin")));
        assert!(sample_fields("budget 500").is_err());
        assert_eq!(tag_list(" hot, ,spanish "), vec!["hot", "spanish"]);
    }
}
