//! The fixed lists the demo draws from: the cast of users, statuses, sources, the names,
//! domains, areas and phone prefixes of leads, and the leads arriving through the rules.

use super::{NORTH, SOUTH};

/// Leads arriving once the rules are in place, by source, in this order, and whether the
/// admin then sends the lead through the reassignment group. The Zillow rotation is the
/// demo agent and two others, so the first and fourth Zillow leads are offered to the demo
/// agent; every Website lead is offered to all buyer specialists at once; Realtor.com and
/// Referral have no rule and Open House's is turned off, so theirs wait in the manual queue.
pub(super) const ARRIVALS: [(&str, bool); 10] = [
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

/// Agents with their own cap on open new leads, low enough that the demo's leads put them
/// at it: routing passes them over and a claim or an assignment beyond it is refused, so an
/// admin trying the demo sees caps at work.
pub(super) const CAPPED: [(&str, u32); 2] = [("Aisha Bello", 2), ("Kenji Watanabe", 3)];

/// Agents: name, office, role, active, tags. Fixed so the demo reads the same every time.
pub(super) const AGENTS: [(&str, &str, &str, bool, &[&str]); 20] = [
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

pub(super) const STATUSES: [(&str, &str); 8] = [
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
pub(super) const SOURCES: [(&str, u32, &str, u32, u8); 5] = [
    ("Website", 30, "web", 6, 95),
    ("Zillow", 25, "zillow", 8, 100),
    ("Realtor.com", 20, "rdc", 7, 100),
    ("Open House", 10, "oh", 5, 30),
    ("Referral", 15, "ref", 5, 20),
];

#[rustfmt::skip]
pub(super) const FIRST_NAMES: &[&str] = &[
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
pub(super) const LAST_NAMES: &[&str] = &[
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
pub(super) const EMAIL_DOMAINS: [(&str, u64); 6] = [
    ("example.com", 35),
    ("example.net", 20),
    ("example.org", 15),
    ("mail.example.com", 15),
    ("email.example.net", 10),
    ("home.example.org", 5),
];

/// Real US area codes, Colorado first; the numbers themselves are the fictional 555-01xx.
#[rustfmt::skip]
pub(super) const AREA_CODES: [&str; 40] = [
    "303", "720", "719", "970", "212", "312", "415", "512", "602", "617", "713", "206", "305",
    "404", "503", "615", "702", "801", "858", "919", "214", "480", "347", "646", "818", "310",
    "408", "470", "571", "703", "913", "816", "612", "651", "505", "575", "307", "308", "402",
    "316",
];

pub(super) const AREAS: [&str; 22] = [
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

pub(super) const TIMEFRAMES: [(&str, u64); 5] = [
    ("0-3 months", 30),
    ("3-6 months", 30),
    ("6-12 months", 20),
    ("12+ months", 10),
    ("Just browsing", 10),
];
