//! The demo organization's contents, generated from a seed: teams, users, statuses,
//! sources, 2,000 realistic leads, and distribution: agent groups (one by tag), routing
//! rules (one turned off), a reassignment group, and the leads that arrive through the
//! rules once they are in place, so offers and the manual queue have content at once.
//!
//! Pure and deterministic: no I/O, no clock, no database. The same `seed` and `now_ms`
//! always give the same [`DemoPlan`]; storing it is the caller's job. Lead emails use the
//! reserved `example.*` domains and phones the fictional 555-01xx block, so nothing here
//! can reach a real person.

use fastrand::Rng;
use leadpool_domain::routing::Strategy;
use serde_json::{Map, Value};

use catalog::{AGENTS, CAPPED, SOURCES, STATUSES};
use distribution::distribution;
use leads::{Taken, leads};

mod catalog;
mod distribution;
mod leads;
#[cfg(test)]
mod tests;

/// The password every demo user shares; printed when the demo is created.
pub const DEMO_PASSWORD: &str = "demo-password";

/// How many leads the demo holds.
pub const LEAD_COUNT: usize = 2_000;

/// How far back lead creation times reach, in days.
pub const HISTORY_DAYS: i64 = 120;

const DAY_MS: i64 = 86_400_000;
const USER_DOMAIN: &str = "demo.leadpool.test";
const TOP_TEAM: &str = "Summit Realty";
const NORTH: &str = "North Office";
const SOUTH: &str = "South Office";

/// Everything the demo organization holds, ready to be stored in this order.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPlan {
    /// The organization itself.
    pub org: DemoOrg,
    /// Teams, parents before children.
    pub teams: Vec<DemoTeam>,
    /// Admin, ISA and agents.
    pub users: Vec<DemoUser>,
    /// The organization's statuses, in pipeline order; exactly one is the default.
    pub statuses: Vec<DemoStatus>,
    /// Lead sources.
    pub sources: Vec<DemoSource>,
    /// The name of the default pool.
    pub pool_name: String,
    /// Leads, oldest first.
    pub leads: Vec<DemoLead>,
    /// Groups, rules, the reassignment group and the leads that arrive through them.
    pub distribution: DemoDistribution,
}

/// The demo organization's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOrg {
    /// URL-safe identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// A team; the hierarchy is given by parent names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTeam {
    /// Display name, unique in the organization.
    pub name: String,
    /// The parent team's name; `None` for the top team.
    pub parent: Option<String>,
}

/// A user who can log in with [`DEMO_PASSWORD`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// Login email, lower-case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `admin`, `isa`, `agent` or `all_leads_agent`.
    pub role: &'static str,
    /// The team the user belongs to (and whose subtree scopes an admin or ISA).
    pub team: Option<String>,
    /// Whether the user may log in and receive leads.
    pub active: bool,
    /// Agent tags used by groups: `buyers`, `listings`, `spanish`.
    pub tags: Vec<String>,
    /// Their own cap on open new leads; `None`: the organization's.
    pub max_new_leads: Option<u32>,
}

/// A lead status and the category it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStatus {
    /// Display name, unique in the organization.
    pub name: String,
    /// `new`, `contacted`, `working` or `closed`.
    pub category: &'static str,
    /// Whether new leads get this status.
    pub is_default: bool,
}

/// A lead source and its share of incoming leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSource {
    /// Display name, unique in the organization.
    pub name: String,
    /// Relative share of leads from this source.
    pub weight: u32,
}

/// Who owns a demo lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOwner {
    /// An active agent, by email.
    Agent(String),
    /// The default pool.
    Pool,
    /// The manual assignment queue.
    Queue,
}

/// One lead.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLead {
    /// Full name.
    pub name: String,
    /// Email addresses, lower-case, unique across the demo.
    pub emails: Vec<String>,
    /// Phone numbers as `+1` and ten digits, unique across the demo.
    pub phones: Vec<String>,
    /// A source name from [`DemoPlan::sources`].
    pub source: String,
    /// A status name from [`DemoPlan::statuses`].
    pub status: String,
    /// Lead tags, sorted.
    pub tags: Vec<String>,
    /// Custom fields: `budget`, `area`, `timeframe`, `bedrooms` (each may be absent).
    pub fields: Map<String, Value>,
    /// When the lead came in, in epoch milliseconds.
    pub created_at_ms: i64,
    /// The office the lead belongs to (the owning agent's team, else either office).
    pub team: Option<String>,
    /// Who owns it.
    pub owner: DemoOwner,
    /// The source's own id for the lead, unique per source.
    pub external_id: Option<String>,
}

/// How the demo distributes new leads, stored after the users and sources.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDistribution {
    /// Agent groups rules pick from.
    pub groups: Vec<DemoGroup>,
    /// Routing rules, in priority order.
    pub rules: Vec<DemoRule>,
    /// The reassignment group staff send leads already in the system through.
    pub reassignment: DemoReassignment,
    /// Leads that arrive through the intake once the rules are in place, in order.
    pub arrivals: Vec<DemoArrival>,
}

/// A group of agents, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoGroup {
    /// Display name, unique in the organization.
    pub name: String,
    /// Its entries.
    pub members: Vec<DemoMember>,
}

/// One entry of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoMember {
    /// An agent, by email.
    Agent(String),
    /// Every agent with this tag.
    Tag(String),
}

/// Where a lead goes when nobody takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoFallback {
    /// The default pool.
    DefaultPool,
    /// The manual assignment queue.
    Queue,
    /// An agent (the default assignee), by email.
    Agent(String),
}

/// What a rule or the reassignment group does with a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRoute {
    /// How members are picked (never a direct strategy: those name ids).
    pub strategy: Strategy,
    /// The group's name.
    pub group: String,
    /// The response window, in seconds.
    pub window_secs: u64,
    /// Where the lead goes when nobody takes it.
    pub fallback: DemoFallback,
}

/// A routing rule taking the leads of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRule {
    /// Display name, unique in the organization.
    pub name: String,
    /// Whether it takes leads.
    pub enabled: bool,
    /// The source whose leads it takes.
    pub source: String,
    /// What it does with them.
    pub route: DemoRoute,
}

/// The reassignment group; its fallback is the default assignee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReassignment {
    /// Display name, unique in the organization.
    pub name: String,
    /// What it does with a lead.
    pub route: DemoRoute,
}

/// A lead arriving through a source's intake key while the demo is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoArrival {
    /// Full name.
    pub name: String,
    /// Email addresses, unique across the demo.
    pub emails: Vec<String>,
    /// Phone numbers, unique across the demo.
    pub phones: Vec<String>,
    /// A source name from [`DemoPlan::sources`].
    pub source: String,
    /// Lead tags, sorted.
    pub tags: Vec<String>,
    /// Custom fields.
    pub fields: Map<String, Value>,
    /// The source's own id for the lead, unique per source.
    pub external_id: Option<String>,
    /// Once routed, the admin sends it through the reassignment group.
    pub reassign: bool,
}

/// The agent whose login the banner prints (the first active agent): the rules put offers
/// in front of them.
pub const DEMO_AGENT: &str = "agent01@demo.leadpool.test";

/// Generates the demo organization from `seed`, with lead times in the
/// [`HISTORY_DAYS`] days up to `now_ms`.
pub fn plan(seed: u64, now_ms: i64) -> DemoPlan {
    let mut rng = Rng::with_seed(seed);
    let users = users();
    let mut taken = Taken::default();
    let leads = leads(&mut rng, &users, now_ms, &mut taken);
    // Drawn after the leads, so adding arrivals left every seed's leads as they were.
    let distribution = distribution(&mut rng, &mut taken);
    DemoPlan {
        org: DemoOrg {
            slug: "demo".to_owned(),
            name: "Summit Realty (demo)".to_owned(),
        },
        teams: vec![
            DemoTeam {
                name: TOP_TEAM.to_owned(),
                parent: None,
            },
            DemoTeam {
                name: NORTH.to_owned(),
                parent: Some(TOP_TEAM.to_owned()),
            },
            DemoTeam {
                name: SOUTH.to_owned(),
                parent: Some(TOP_TEAM.to_owned()),
            },
        ],
        users,
        statuses: STATUSES
            .iter()
            .map(|(name, category)| DemoStatus {
                name: (*name).to_owned(),
                category,
                is_default: *name == "New",
            })
            .collect(),
        sources: SOURCES
            .iter()
            .map(|(name, weight, ..)| DemoSource {
                name: (*name).to_owned(),
                weight: *weight,
            })
            .collect(),
        pool_name: "Lead Pool".to_owned(),
        leads,
        distribution,
    }
}

fn agent_email(n: usize) -> String {
    format!("agent{n:02}@{USER_DOMAIN}")
}

fn users() -> Vec<DemoUser> {
    let staff = |local: &str, name: &str, role| DemoUser {
        email: format!("{local}@{USER_DOMAIN}"),
        name: name.to_owned(),
        role,
        team: Some(TOP_TEAM.to_owned()),
        active: true,
        tags: Vec::new(),
        max_new_leads: None,
    };
    let mut users = vec![
        staff("admin", "Dana Admin", "admin"),
        staff("isa", "Sam Isa", "isa"),
    ];
    users.extend(
        AGENTS
            .iter()
            .enumerate()
            .map(|(i, (name, team, role, active, tags))| DemoUser {
                email: agent_email(i + 1),
                name: (*name).to_owned(),
                role,
                team: Some((*team).to_owned()),
                active: *active,
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                max_new_leads: CAPPED.iter().find(|(n, _)| n == name).map(|(_, cap)| *cap),
            }),
    );
    users
}
