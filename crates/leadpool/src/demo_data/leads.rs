//! The demo's 2,000 leads: names, unique fictional emails and phones, sources, statuses
//! weighted by age, owners, tags and custom fields, all drawn from the seed.

use std::collections::HashSet;

use fastrand::Rng;
use serde_json::{Map, Value};

use super::catalog::{
    AREA_CODES, AREAS, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, SOURCES, STATUSES, TIMEFRAMES,
};
use super::*;

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
pub(super) fn email_part(name: &str) -> String {
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
pub(super) struct Taken {
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

pub(super) fn leads(
    rng: &mut Rng,
    users: &[DemoUser],
    now_ms: i64,
    taken: &mut Taken,
) -> Vec<DemoLead> {
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

/// A fresh enquiry from `source`, unique like every other demo lead.
pub(super) fn arrival(
    rng: &mut Rng,
    taken: &mut Taken,
    source: &str,
    reassign: bool,
) -> DemoArrival {
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
