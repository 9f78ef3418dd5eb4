//! The demo plan's promises: deterministic, unique, realistic and safe to send to.

use std::collections::{HashMap, HashSet};

use super::catalog::{AREAS, CAPPED, FIRST_NAMES, LAST_NAMES, STATUSES};
use super::leads::email_part;
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
    let capped: Vec<_> = p
        .users
        .iter()
        .filter(|u| u.max_new_leads.is_some())
        .collect();
    assert_eq!(
        capped.len(),
        CAPPED.len(),
        "every capped agent is in the demo"
    );
    let new_statuses: HashSet<_> = p
        .statuses
        .iter()
        .filter(|s| s.category == "new")
        .map(|s| s.name.as_str())
        .collect();
    for u in &capped {
        assert!(
            u.active && u.email != DEMO_AGENT,
            "{u:?}: caps are seen on active agents other than the one the banner prints"
        );
        let open_new = p
            .leads
            .iter()
            .filter(|l| l.owner == DemoOwner::Agent(u.email.clone()))
            .filter(|l| new_statuses.contains(l.status.as_str()))
            .count();
        let cap = u.max_new_leads.unwrap_or_default() as usize;
        assert!(
            open_new >= cap,
            "{} holds {open_new} new leads: not at their cap of {cap}",
            u.name
        );
    }
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
