//! The demo organization's contents, generated from a seed: teams, users, statuses,
//! sources, 2,000 realistic leads, and distribution: agent groups (one by tag), routing
//! rules (one turned off), a reassignment group, and the leads that arrive through the
//! rules once they are in place, so offers and the manual queue have content at once.
//!
//! Pure and deterministic: no I/O, no clock, no database. The same `seed` and `now_ms`
//! always give the same [`DemoPlan`]; storing it is the caller's job. Lead emails use the
//! reserved `example.*` domains and phones the fictional 555-01xx block, so nothing here
//! can reach a real person.

use std::collections::HashSet;

use fastrand::Rng;
use leadpool_domain::routing::Strategy;
use serde_json::{Map, Value};

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

/// Leads arriving once the rules are in place, by source, in this order, and whether the
/// admin then sends the lead through the reassignment group. The Zillow rotation is the
/// demo agent and two others, so the first and fourth Zillow leads are offered to the demo
/// agent; every Website lead is offered to all buyer specialists at once; Realtor.com and
/// Referral have no rule and Open House's is turned off, so theirs wait in the manual queue.
const ARRIVALS: [(&str, bool); 10] = [
    ("Zillow", false),
    ("Website", false),
    ("Zillow", false),
    ("Realtor.com", false),
    ("Zillow", false),
    ("Website", false),
    ("Referral", true),
    ("Zillow", false),
    ("Open House", false),
    ("Realtor.com", false),
];

/// Agents: name, office, role, active, tags. Fixed so the demo reads the same every time.
const AGENTS: [(&str, &str, &str, bool, &[&str]); 20] = [
    ("Marcus Johnson", NORTH, "agent", true, &["buyers"]),
    (
        "Elena Rodriguez",
        SOUTH,
        "agent",
        true,
        &["buyers", "spanish"],
    ),
    ("Priya Patel", NORTH, "all_leads_agent", true, &["listings"]),
    (
        "James O'Connor",
        SOUTH,
        "agent",
        true,
        &["buyers", "listings"],
    ),
    ("Aisha Bello", NORTH, "agent", true, &["buyers"]),
    ("Kenji Watanabe", SOUTH, "agent", true, &["listings"]),
    (
        "Sofia Hernandez",
        NORTH,
        "agent",
        true,
        &["buyers", "spanish"],
    ),
    ("David Kim", SOUTH, "agent", true, &["buyers"]),
    ("Rachel Goldberg", NORTH, "agent", true, &["listings"]),
    ("Tyrone Washington", SOUTH, "agent", true, &["buyers"]),
    ("Mei Chen", NORTH, "agent", true, &["buyers", "listings"]),
    (
        "Carlos Mendoza",
        SOUTH,
        "agent",
        true,
        &["buyers", "spanish"],
    ),
    ("Hannah Schmidt", NORTH, "agent", true, &["listings"]),
    ("Omar Haddad", SOUTH, "agent", true, &["buyers"]),
    ("Grace Nakamura", NORTH, "agent", true, &[]),
    ("Liam Murphy", SOUTH, "agent", true, &["listings"]),
    ("Fatima Rahman", NORTH, "agent", true, &["buyers"]),
    (
        "Ethan Brooks",
        SOUTH,
        "agent",
        true,
        &["buyers", "listings"],
    ),
    ("Natalie Nguyen", NORTH, "agent", false, &["buyers"]),
    ("Samuel Okafor", SOUTH, "agent", true, &[]),
];

const STATUSES: [(&str, &str); 8] = [
    ("New", "new"),
    ("Attempted Contact", "contacted"),
    ("Contacted", "contacted"),
    ("Working", "working"),
    ("Appointment Set", "working"),
    ("Recycled", "new"),
    ("Closed Won", "closed"),
    ("Closed Lost", "closed"),
];

/// Source name, weight, external-id prefix, digits in the id, percent of leads with an id.
const SOURCES: [(&str, u32, &str, u32, u8); 5] = [
    ("Website", 30, "web", 6, 95),
    ("Zillow", 25, "zillow", 8, 100),
    ("Realtor.com", 20, "rdc", 7, 100),
    ("Open House", 10, "oh", 5, 30),
    ("Referral", 15, "ref", 5, 20),
];

#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark",
    "Sandra", "Steven", "Ashley", "Andrew", "Emily", "Joshua", "Michelle", "Kevin", "Amanda",
    "Brian", "Melissa", "Ryan", "Stephanie", "Jacob", "Rebecca", "Nicholas", "Laura", "Tyler",
    "Megan", "Brandon", "Hannah", "Austin", "Olivia", "José", "María", "Luis", "Carmen",
    "Carlos", "Sofía", "Miguel", "Isabella", "Juan", "Valentina", "Diego", "Camila",
    "Alejandro", "Lucía", "Javier", "Gabriela", "Mateo", "Ximena", "Andrés", "Paola", "Wei",
    "Mei", "Hiroshi", "Yuki", "Min-jun", "Ji-woo", "Priya", "Arjun", "Ananya", "Rahul", "Kavya",
    "Vikram", "Linh", "Minh", "Thanh", "Haruto", "Sakura", "Jia", "Hao", "Sung", "Amara",
    "Chidi", "Ngozi", "Kwame", "Abena", "Tariq", "Layla", "Omar", "Fatima", "Yusuf", "Zainab",
    "Kofi", "Nia", "Malik", "Imani", "Björn", "Ingrid", "Lars", "Sven", "Chloé", "Renée",
    "Luca", "Giulia", "Matteo", "Francesca", "Pierre", "Camille", "Hans", "Greta", "Nikolai",
    "Anastasia", "Dmitri", "Katarzyna", "Piotr", "Zoë", "Siobhan", "Declan", "Aoife", "Eamon",
    "Niamh", "Jamal", "Keisha", "Darnell", "Aaliyah", "DeShawn", "Tanisha", "Ethan", "Ava",
    "Noah", "Mia", "Liam", "Harper", "Elijah", "Aria", "Caleb", "Scarlett", "Isaiah", "Leah",
    "Gavin", "Naomi",
];

#[rustfmt::skip]
const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill",
    "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips",
    "Campbell", "Parker", "Evans", "García", "Rodríguez", "Martínez", "Hernández", "López",
    "González", "Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz",
    "Reyes", "Morales", "Cruz", "Ortiz", "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Mendoza",
    "Castillo", "Vargas", "Muñoz", "Peña", "Núñez", "Nguyen", "Tran", "Le", "Pham", "Chen",
    "Wang", "Li", "Zhang", "Liu", "Yang", "Huang", "Kim", "Park", "Choi", "Jung", "Patel",
    "Shah", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Tanaka", "Suzuki", "Sato", "Watanabe",
    "Nakamura", "Yamamoto", "Okafor", "Adeyemi", "Mensah", "Owusu", "Diallo", "Abdullahi",
    "Haddad", "Khalil", "Nasser", "Hassan", "Rahman", "Mahmoud", "Kamau", "Odhiambo", "Müller",
    "Schmidt", "Schneider", "Fischer", "Weber", "Rossi", "Russo", "Ferrari", "Bianchi",
    "Dubois", "Laurent", "Moreau", "Kowalski", "Nowak", "Wiśniewski", "Ivanov", "Petrov",
    "Novak", "Jensen", "Hansen", "Larsen", "Johansson", "Andersson", "O'Brien", "O'Connor",
    "Murphy", "Kelly", "Sullivan", "McCarthy", "Byrne", "MacDonald", "Fraser", "Costa", "Silva",
    "Santos", "Oliveira", "Papadopoulos", "Kovač", "Washington", "Jefferson",
];

/// Reserved example domains (RFC 2606), so demo leads can never be emailed for real.
const EMAIL_DOMAINS: [(&str, u64); 6] = [
    ("example.com", 35),
    ("example.net", 20),
    ("example.org", 15),
    ("mail.example.com", 15),
    ("email.example.net", 10),
    ("home.example.org", 5),
];

/// Real US area codes, Colorado first; the numbers themselves are the fictional 555-01xx.
#[rustfmt::skip]
const AREA_CODES: [&str; 40] = [
    "303", "720", "719", "970", "212", "312", "415", "512", "602", "617", "713", "206", "305",
    "404", "503", "615", "702", "801", "858", "919", "214", "480", "347", "646", "818", "310",
    "408", "470", "571", "703", "913", "816", "612", "651", "505", "575", "307", "308", "402",
    "316",
];

const AREAS: [&str; 22] = [
    "Highland",
    "Washington Park",
    "Cherry Creek",
    "Capitol Hill",
    "Park Hill",
    "Lowry",
    "Sloan's Lake",
    "Baker",
    "Congress Park",
    "Berkeley",
    "Platt Park",
    "Central Park",
    "Green Valley Ranch",
    "Littleton",
    "Lakewood",
    "Arvada",
    "Golden",
    "Englewood",
    "Highlands Ranch",
    "Westminster",
    "Aurora",
    "Centennial",
];

const TIMEFRAMES: [(&str, u64); 5] = [
    ("0-3 months", 30),
    ("3-6 months", 30),
    ("6-12 months", 20),
    ("12+ months", 10),
    ("Just browsing", 10),
];

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

fn distribution(rng: &mut Rng, taken: &mut Taken) -> DemoDistribution {
    let route = |strategy, group: &str, minutes: u64, fallback| DemoRoute {
        strategy,
        group: group.to_owned(),
        window_secs: minutes * 60,
        fallback,
    };
    let rule = |name: &str, enabled, source: &str, route| DemoRule {
        name: name.to_owned(),
        enabled,
        source: source.to_owned(),
        route,
    };
    DemoDistribution {
        groups: vec![
            DemoGroup {
                name: "Zillow rotation".to_owned(),
                members: [1, 5, 7]
                    .into_iter()
                    .map(|n| DemoMember::Agent(agent_email(n)))
                    .collect(),
            },
            DemoGroup {
                name: "Buyer specialists".to_owned(),
                members: vec![DemoMember::Tag("buyers".to_owned())],
            },
            DemoGroup {
                name: "Listing specialists".to_owned(),
                members: vec![DemoMember::Tag("listings".to_owned())],
            },
        ],
        rules: vec![
            rule(
                "Zillow → round robin",
                true,
                "Zillow",
                route(
                    Strategy::RoundRobin,
                    "Zillow rotation",
                    15,
                    DemoFallback::DefaultPool,
                ),
            ),
            rule(
                "Website → broadcast",
                true,
                "Website",
                route(
                    Strategy::Broadcast,
                    "Buyer specialists",
                    5,
                    DemoFallback::Queue,
                ),
            ),
            rule(
                "Open House → listing specialists",
                false,
                "Open House",
                route(
                    Strategy::LoadBalanced,
                    "Listing specialists",
                    15,
                    DemoFallback::DefaultPool,
                ),
            ),
        ],
        reassignment: DemoReassignment {
            name: "Second look".to_owned(),
            route: route(
                Strategy::RoundRobin,
                "Buyer specialists",
                60,
                DemoFallback::Agent(agent_email(2)),
            ),
        },
        arrivals: ARRIVALS
            .iter()
            .map(|(source, reassign)| arrival(rng, taken, source, *reassign))
            .collect(),
    }
}

/// A fresh enquiry from `source`, unique like every other demo lead.
fn arrival(rng: &mut Rng, taken: &mut Taken, source: &str, reassign: bool) -> DemoArrival {
    let (first, last) = (any(rng, FIRST_NAMES), any(rng, LAST_NAMES));
    let external_id = SOURCES
        .iter()
        .find(|s| s.0 == source)
        .and_then(|&(_, _, prefix, digits, _)| taken.external_id(rng, prefix, digits));
    let tag = if rng.u8(0..100) < 70 {
        "buyer"
    } else {
        "seller"
    };
    let mut fields = Map::new();
    fields.insert("area".to_owned(), Value::from(any(rng, &AREAS)));
    fields.insert("timeframe".to_owned(), Value::from("0-3 months"));
    DemoArrival {
        name: format!("{first} {last}"),
        emails: vec![taken.email(rng, first, last)],
        phones: taken.phone(rng).into_iter().collect(),
        source: source.to_owned(),
        tags: vec![tag.to_owned()],
        fields,
        external_id,
        reassign,
    }
}

fn users() -> Vec<DemoUser> {
    let staff = |local: &str, name: &str, role| DemoUser {
        email: format!("{local}@{USER_DOMAIN}"),
        name: name.to_owned(),
        role,
        team: Some(TOP_TEAM.to_owned()),
        active: true,
        tags: Vec::new(),
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
            }),
    );
    users
}

/// Picks an index into `weights` with probability proportional to its weight.
fn pick(rng: &mut Rng, weights: &[u64]) -> usize {
    let total: u64 = weights.iter().sum();
    let mut n = rng.u64(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if n < *w {
            return i;
        }
        n -= w;
    }
    weights.len().saturating_sub(1)
}

/// Picks from `(item, weight)` pairs.
fn pick_from<T: Copy>(rng: &mut Rng, items: &[(T, u64)]) -> T {
    let weights: Vec<u64> = items.iter().map(|(_, w)| *w).collect();
    items[pick(rng, &weights)].0
}

/// One of `items`, uniformly.
fn any<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())]
}

/// A name reduced to lower-case ASCII letters and digits, for an email's local part.
fn email_part(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' | 'č' => 'c',
            'ł' => 'l',
            'ś' | 'ß' => 's',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Status weights for a lead whose age is `age_pct` percent of the history: young leads
/// are mostly new, old ones mostly worked, recycled or closed. Order follows `STATUSES`.
fn status_weights(age_pct: u64) -> [u64; 8] {
    let young = 100 - age_pct.min(100);
    let old = age_pct.min(100);
    [
        200 + young * young * 2 / 5,
        300 + 15 * young,
        1_200,
        1_000 + 8 * old,
        400 + 6 * old,
        100 + old * old / 10,
        100 + 8 * old,
        100 + 14 * old,
    ]
}

/// Makes addresses and numbers unique across the whole demo.
#[derive(Debug, Default)]
struct Taken {
    emails: HashSet<String>,
    phones: HashSet<String>,
    external_ids: HashSet<String>,
}

impl Taken {
    fn email(&mut self, rng: &mut Rng, first: &str, last: &str) -> String {
        let (f, l) = (email_part(first), email_part(last));
        let initial: String = f.chars().take(1).collect();
        let local = match rng.u8(0..100) {
            0..30 => format!("{f}.{l}"),
            30..45 => format!("{f}{l}"),
            45..60 => format!("{initial}{l}"),
            60..70 => format!("{f}_{l}"),
            70..82 => format!("{f}.{l}{}", rng.u8(1..100)),
            82..92 => format!("{f}{}", rng.u16(60..100)),
            _ => format!("{l}.{f}"),
        };
        let domain = pick_from(rng, &EMAIL_DOMAINS);
        let mut email = format!("{local}@{domain}");
        let mut n = 2;
        while !self.emails.insert(email.clone()) {
            email = format!("{local}{n}@{domain}");
            n += 1;
        }
        email
    }

    /// A fresh fictional number, or `None` in the unlikely case none is found quickly.
    fn phone(&mut self, rng: &mut Rng) -> Option<String> {
        (0..1_000).find_map(|_| {
            let phone = format!("+1{}55501{:02}", any(rng, &AREA_CODES), rng.u8(0..100));
            self.phones.insert(phone.clone()).then_some(phone)
        })
    }

    fn external_id(&mut self, rng: &mut Rng, prefix: &str, digits: u32) -> Option<String> {
        let low = 10u64.pow(digits - 1);
        (0..1_000).find_map(|_| {
            let id = format!("{prefix}-{}", rng.u64(low..low * 10));
            self.external_ids.insert(id.clone()).then_some(id)
        })
    }
}

fn leads(rng: &mut Rng, users: &[DemoUser], now_ms: i64, taken: &mut Taken) -> Vec<DemoLead> {
    let agents: Vec<&DemoUser> = users
        .iter()
        .filter(|u| u.active && matches!(u.role, "agent" | "all_leads_agent"))
        .collect();
    // Some agents are busier than others.
    let agent_weights: Vec<u64> = agents.iter().map(|_| rng.u64(2..=6)).collect();
    let source_weights: Vec<u64> = SOURCES.iter().map(|s| u64::from(s.1)).collect();
    let span = HISTORY_DAYS * DAY_MS;
    let mut leads = Vec::with_capacity(LEAD_COUNT);

    for _ in 0..LEAD_COUNT {
        let first = any(rng, FIRST_NAMES);
        let last = any(rng, LAST_NAMES);

        // A third of leads draw the nearer of two times: recent weeks are busier.
        let mut age = rng.i64(0..span);
        if rng.u8(0..100) < 35 {
            age = age.min(rng.i64(0..span));
        }
        let created_at_ms = now_ms - age;
        let age_pct = u64::try_from(age * 100 / span).unwrap_or(0);

        let email_count = match rng.u8(0..100) {
            0..5 => 0,
            5..15 => 2,
            _ => 1,
        };
        let mut emails: Vec<String> = (0..email_count)
            .map(|_| taken.email(rng, first, last))
            .collect();
        let phone_count = match rng.u8(0..100) {
            0..12 => 0,
            12..25 => 2,
            _ => 1,
        };
        let phones: Vec<String> = (0..phone_count).filter_map(|_| taken.phone(rng)).collect();
        if emails.is_empty() && phones.is_empty() {
            emails.push(taken.email(rng, first, last));
        }

        let (source, _, prefix, digits, id_pct) = SOURCES[pick(rng, &source_weights)];
        let external_id = if rng.u8(0..100) < id_pct {
            taken.external_id(rng, prefix, digits)
        } else {
            None
        };

        let mut status = STATUSES[pick(rng, &status_weights(age_pct))].0;

        let (owner, team) = match rng.u8(0..100) {
            0..60 => {
                let agent = agents[pick(rng, &agent_weights)];
                (DemoOwner::Agent(agent.email.clone()), agent.team.clone())
            }
            60..85 => {
                // Leads in the pool were given up on: worked or closed ones read as recycled.
                if !matches!(status, "New" | "Attempted Contact" | "Contacted") {
                    status = "Recycled";
                }
                (DemoOwner::Pool, Some(any(rng, &[NORTH, SOUTH]).to_owned()))
            }
            _ => {
                // The manual queue holds leads nobody has worked yet.
                status = "New";
                (DemoOwner::Queue, Some(any(rng, &[NORTH, SOUTH]).to_owned()))
            }
        };

        let mut tags: Vec<&str> = Vec::new();
        let buyer = match rng.u8(0..100) {
            0..55 => {
                tags.push("buyer");
                true
            }
            55..80 => {
                tags.push("seller");
                false
            }
            80..92 => {
                tags.extend(["buyer", "seller"]);
                true
            }
            _ => false,
        };
        if buyer && rng.u8(0..100) < 30 {
            tags.push("first-time");
        }
        if rng.u8(0..100) < 8 {
            tags.push("investor");
        }
        if rng.u8(0..100) < 10 {
            tags.push("relocation");
        }

        let mut fields = Map::new();
        if rng.u8(0..100) < 85 {
            // The product of two uniforms leans low, as price enquiries do.
            let (a, b) = (rng.u64(0..=1_000), rng.u64(0..=1_000));
            let raw = 150_000 + 1_850_000 * a * b / 1_000_000;
            let budget = ((raw + 2_500) / 5_000 * 5_000).clamp(150_000, 1_995_000);
            if budget >= 1_000_000 && rng.u8(0..100) < 70 {
                tags.push("luxury");
            }
            fields.insert("budget".to_owned(), Value::from(budget));
        }
        if rng.u8(0..100) < 90 {
            fields.insert("area".to_owned(), Value::from(any(rng, &AREAS)));
        }
        if rng.u8(0..100) < 80 {
            fields.insert(
                "timeframe".to_owned(),
                Value::from(pick_from(rng, &TIMEFRAMES)),
            );
        }
        if buyer && rng.u8(0..100) < 60 {
            let bedrooms = pick_from(rng, &[(1u64, 1), (2, 4), (3, 6), (4, 4), (5, 1)]);
            fields.insert("bedrooms".to_owned(), Value::from(bedrooms));
        }
        tags.sort_unstable();

        leads.push(DemoLead {
            name: format!("{first} {last}"),
            emails,
            phones,
            source: source.to_owned(),
            status: status.to_owned(),
            tags: tags.into_iter().map(str::to_owned).collect(),
            fields,
            created_at_ms,
            team,
            owner,
            external_id,
        });
    }
    leads.sort_by_key(|l| l.created_at_ms);
    leads
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn demo() -> DemoPlan {
        plan(42, NOW)
    }

    fn well_formed_email(e: &str) -> bool {
        let parts: Vec<&str> = e.split('@').collect();
        parts.len() == 2
            && !parts[0].is_empty()
            && parts[1].contains('.')
            && *e == e.to_lowercase()
            && e.is_ascii()
            && !e.contains(char::is_whitespace)
    }

    fn well_formed_phone(p: &str) -> bool {
        p.strip_prefix('+')
            .is_some_and(|d| d.len() == 11 && d.bytes().all(|b| b.is_ascii_digit()))
    }

    #[test]
    fn the_same_seed_gives_the_same_plan_and_another_seed_another() {
        assert_eq!(plan(7, NOW), plan(7, NOW));
        assert_ne!(plan(7, NOW).leads, plan(8, NOW).leads);
    }

    #[test]
    fn the_organization_has_the_promised_shape() {
        let p = demo();
        assert_eq!(p.org.slug, "demo");
        assert_eq!(p.org.name, "Summit Realty (demo)");
        assert_eq!(p.pool_name, "Lead Pool");
        assert_eq!(p.leads.len(), LEAD_COUNT);

        let roots: Vec<_> = p.teams.iter().filter(|t| t.parent.is_none()).collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].name, "Summit Realty");
        let team_names: HashSet<_> = p.teams.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(team_names.len(), 3);
        for t in &p.teams {
            if let Some(parent) = &t.parent {
                assert!(team_names.contains(parent.as_str()), "{parent}");
            }
        }

        let role_count = |r: &str| p.users.iter().filter(|u| u.role == r).count();
        assert_eq!(role_count("admin"), 1);
        assert_eq!(role_count("isa"), 1);
        assert_eq!(role_count("all_leads_agent"), 1);
        let agents = role_count("agent") + role_count("all_leads_agent");
        assert!((18..=22).contains(&agents), "{agents} agents");
        assert_eq!(p.users.iter().filter(|u| !u.active).count(), 1);
        assert!(
            p.users
                .iter()
                .any(|u| u.email == "admin@demo.leadpool.test" && u.name == "Dana Admin")
        );
        assert!(p.users.iter().any(|u| u.email == "isa@demo.leadpool.test"));
        assert!(
            p.users
                .iter()
                .any(|u| u.email == "agent01@demo.leadpool.test")
        );
        for u in &p.users {
            let team = u.team.as_deref().unwrap_or_default();
            assert!(team_names.contains(team), "{} in {team}", u.email);
            for tag in &u.tags {
                assert!(["buyers", "listings", "spanish"].contains(&tag.as_str()));
            }
        }
        let offices: HashSet<_> = p
            .users
            .iter()
            .filter(|u| u.role == "agent")
            .filter_map(|u| u.team.as_deref())
            .collect();
        assert_eq!(offices, HashSet::from(["North Office", "South Office"]));
        for tag in ["buyers", "listings", "spanish"] {
            assert!(p.users.iter().any(|u| u.tags.iter().any(|t| t == tag)));
        }
        assert!(DEMO_PASSWORD.len() >= 10, "meets the password rule");
    }

    #[test]
    fn distribution_names_only_users_groups_and_sources_of_the_demo() {
        let p = demo();
        let d = &p.distribution;
        let first_agent = p.users.iter().find(|u| u.role == "agent" && u.active);
        assert_eq!(first_agent.map(|u| u.email.as_str()), Some(DEMO_AGENT));
        let agent = |email: &str| {
            p.users
                .iter()
                .any(|u| u.email == email && u.active && u.role == "agent")
        };
        for g in &d.groups {
            for m in &g.members {
                match m {
                    DemoMember::Agent(email) => assert!(agent(email), "{email}"),
                    DemoMember::Tag(tag) => {
                        assert!(p.users.iter().any(|u| u.tags.contains(tag)), "{tag}");
                    }
                }
            }
        }
        assert_eq!(
            d.groups[0].members.first(),
            Some(&DemoMember::Agent(DEMO_AGENT.to_owned())),
            "the demo agent is first in the Zillow rotation"
        );
        let routes = d
            .rules
            .iter()
            .map(|r| &r.route)
            .chain([&d.reassignment.route]);
        for r in routes {
            assert!(d.groups.iter().any(|g| g.name == r.group), "{}", r.group);
            if let DemoFallback::Agent(email) = &r.fallback {
                assert!(agent(email), "{email}");
            }
        }
        assert!(matches!(
            d.reassignment.route.fallback,
            DemoFallback::Agent(_)
        ));
        assert_eq!(d.rules.iter().filter(|r| !r.enabled).count(), 1);
        for r in &d.rules {
            assert!(p.sources.iter().any(|s| s.name == r.source), "{}", r.source);
        }
        let ruled = |source: &str| d.rules.iter().any(|r| r.enabled && r.source == source);
        assert!(d.arrivals.iter().filter(|a| ruled(&a.source)).count() >= 4);
        assert!(d.arrivals.iter().filter(|a| !ruled(&a.source)).count() >= 3);
        assert_eq!(d.arrivals.iter().filter(|a| a.reassign).count(), 1);
        let emails: HashSet<&String> = p.leads.iter().flat_map(|l| &l.emails).collect();
        for a in &d.arrivals {
            assert!(p.sources.iter().any(|s| s.name == a.source));
            for e in &a.emails {
                assert!(well_formed_email(e) && !emails.contains(e), "{e}");
            }
        }
    }

    #[test]
    fn statuses_and_sources_are_the_listed_ones() {
        let p = demo();
        let statuses: Vec<_> = p
            .statuses
            .iter()
            .map(|s| (s.name.as_str(), s.category))
            .collect();
        assert_eq!(statuses, STATUSES.to_vec());
        let defaults: Vec<_> = p.statuses.iter().filter(|s| s.is_default).collect();
        assert_eq!(defaults.len(), 1);
        assert_eq!(defaults[0].name, "New");
        let sources: Vec<_> = p.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            sources,
            ["Website", "Zillow", "Realtor.com", "Open House", "Referral"]
        );
        for lead in &p.leads {
            assert!(p.statuses.iter().any(|s| s.name == lead.status));
            assert!(p.sources.iter().any(|s| s.name == lead.source));
        }
        // Every status and source is actually used.
        for s in &p.statuses {
            assert!(p.leads.iter().any(|l| l.status == s.name), "{}", s.name);
        }
        for s in &p.sources {
            assert!(p.leads.iter().any(|l| l.source == s.name), "{}", s.name);
        }
    }

    #[test]
    fn owners_split_roughly_sixty_twenty_five_fifteen() {
        for seed in [1, 42, 2026, u64::MAX] {
            owner_split(&plan(seed, NOW));
        }
    }

    fn owner_split(p: &DemoPlan) {
        let n = p.leads.len();
        let count = |f: fn(&DemoOwner) -> bool| p.leads.iter().filter(|l| f(&l.owner)).count();
        let agent = count(|o| matches!(o, DemoOwner::Agent(_))) * 100 / n;
        let pool = count(|o| matches!(o, DemoOwner::Pool)) * 100 / n;
        let queue = count(|o| matches!(o, DemoOwner::Queue)) * 100 / n;
        assert!((55..=65).contains(&agent), "{agent}% agent");
        assert!((20..=30).contains(&pool), "{pool}% pool");
        assert!((11..=19).contains(&queue), "{queue}% queue");
    }

    #[test]
    fn every_agent_owner_is_an_active_agent_and_the_lead_is_in_their_office() {
        let p = demo();
        let users: HashMap<_, _> = p.users.iter().map(|u| (u.email.as_str(), u)).collect();
        let mut owners = HashSet::new();
        for lead in &p.leads {
            if let DemoOwner::Agent(email) = &lead.owner {
                let u = users.get(email.as_str()).expect("owner is a user");
                assert!(u.active, "{email} is inactive");
                assert!(matches!(u.role, "agent" | "all_leads_agent"), "{email}");
                assert_eq!(lead.team, u.team);
                owners.insert(email.as_str());
            }
        }
        assert!(
            owners.len() >= 15,
            "leads spread over {} agents",
            owners.len()
        );
    }

    #[test]
    fn external_ids_are_unique_per_source_and_most_leads_have_one() {
        let p = demo();
        let mut seen = HashSet::new();
        for lead in &p.leads {
            if let Some(id) = &lead.external_id {
                assert!(
                    seen.insert((lead.source.as_str(), id.as_str())),
                    "{id} repeats"
                );
            }
        }
        assert!(seen.len() * 100 / p.leads.len() >= 60, "{} ids", seen.len());
        assert!(p.leads.iter().any(|l| {
            l.external_id
                .as_deref()
                .is_some_and(|i| i.starts_with("zillow-"))
        }));
    }

    #[test]
    fn emails_and_phones_are_well_formed_and_unique() {
        let p = demo();
        for u in &p.users {
            assert!(well_formed_email(&u.email), "{}", u.email);
        }
        let mut emails = HashSet::new();
        let mut phones = HashSet::new();
        for lead in &p.leads {
            assert!(
                !lead.emails.is_empty() || !lead.phones.is_empty(),
                "{lead:?}"
            );
            assert!(!lead.name.trim().is_empty());
            for e in &lead.emails {
                assert!(well_formed_email(e), "{e}");
                assert!(emails.insert(e.clone()), "{e} repeats");
            }
            for ph in &lead.phones {
                assert!(well_formed_phone(ph), "{ph}");
                assert!(phones.insert(ph.clone()), "{ph} repeats");
            }
        }
    }

    #[test]
    fn every_name_gives_a_usable_email_part() {
        for name in FIRST_NAMES.iter().chain(LAST_NAMES) {
            let part = email_part(name);
            assert!(part.len() >= 2, "{name} -> {part}");
            assert!(part.bytes().all(|b| b.is_ascii_lowercase()), "{name}");
        }
        assert_eq!(email_part("O'Brien"), "obrien");
        assert_eq!(email_part("Wiśniewski"), "wisniewski");
        assert!(FIRST_NAMES.len() >= 140 && LAST_NAMES.len() >= 140);
    }

    #[test]
    fn leads_are_from_the_last_120_days_oldest_first() {
        let p = demo();
        let earliest = NOW - HISTORY_DAYS * DAY_MS;
        for lead in &p.leads {
            assert!(
                lead.created_at_ms > earliest && lead.created_at_ms <= NOW,
                "{}",
                lead.created_at_ms
            );
        }
        assert!(
            p.leads
                .windows(2)
                .all(|w| w[0].created_at_ms <= w[1].created_at_ms)
        );
    }

    #[test]
    fn older_leads_are_further_along() {
        for seed in [1, 42, 2026, u64::MAX] {
            further_along(&plan(seed, NOW));
        }
    }

    fn further_along(p: &DemoPlan) {
        let closed = |leads: &[DemoLead]| {
            leads
                .iter()
                .filter(|l| l.status.starts_with("Closed"))
                .count()
        };
        let new = |leads: &[DemoLead]| leads.iter().filter(|l| l.status == "New").count();
        let quarter = p.leads.len() / 4;
        let (oldest, newest) = (&p.leads[..quarter], &p.leads[p.leads.len() - quarter..]);
        assert!(closed(oldest) > 2 * closed(newest), "closed");
        assert!(new(newest) > 2 * new(oldest), "new");
    }

    #[test]
    fn tags_and_fields_are_from_the_demo_vocabulary() {
        let p = demo();
        let allowed = [
            "buyer",
            "seller",
            "first-time",
            "investor",
            "relocation",
            "luxury",
        ];
        for lead in &p.leads {
            assert!(lead.tags.windows(2).all(|w| w[0] < w[1]), "{:?}", lead.tags);
            for t in &lead.tags {
                assert!(allowed.contains(&t.as_str()), "{t}");
            }
            if let Some(b) = lead.fields.get("budget") {
                let b = b.as_u64().expect("budget is a number");
                assert!((150_000..2_000_000).contains(&b) && b % 5_000 == 0, "{b}");
            }
            if let Some(a) = lead.fields.get("area") {
                assert!(AREAS.contains(&a.as_str().expect("area is text")));
            }
            for k in lead.fields.keys() {
                assert!(["budget", "area", "timeframe", "bedrooms"].contains(&k.as_str()));
            }
        }
        for t in allowed {
            assert!(
                p.leads.iter().any(|l| l.tags.iter().any(|x| x == t)),
                "{t} unused"
            );
        }
    }
}
