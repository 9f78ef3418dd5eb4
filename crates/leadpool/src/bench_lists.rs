//! `leadpool bench lists`: every list a person can open, at a large organization's size with
//! skewed data, timed through the use cases (as the API and the pages call them) next to
//! reading the same page's rows by primary key. The goal (issue 19) is every shape's p95
//! under 50 ms and within three times that bare lookup.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use leadpool_app::bootstrap::{DEFAULT_STATUSES, NewOrg, UserSpec};
use leadpool_app::distribute::QueueQuery;
use leadpool_app::leads::LeadQuery;
use leadpool_app::pool::PoolInput;
use leadpool_app::{App, Member, Principal};
use leadpool_domain::{LeadId, OrgId, Role, SourceId, StatusId, Timestamp, UserId};
use leadpool_store::Store;
use leadpool_store::bench_pool::PoolViewSeed;
use leadpool_store::leads::{LeadFilter, LeadSort};
use leadpool_store::users::User;

use crate::bench::figures;

/// The goal: every shape's p95 under this.
const GOAL_P95: Duration = Duration::from_millis(50);
/// The goal: every shape's p95 at most this many times its bare lookup's p95.
const GOAL_RATIO: f64 = 3.0;
/// Leads a page shows in the UI.
const PAGE: u32 = 50;
/// The tag only a few leads carry.
const RARE_TAG: &str = "rare-tag";
/// Leads carrying it.
const RARE_TAG_LEADS: i64 = 10;

/// The settings of `leadpool bench lists`.
#[derive(Debug, Clone)]
pub struct ListsBench {
    /// Leads in the organization.
    pub leads: i64,
    /// Times each shape is asked, in rounds over all shapes.
    pub samples: usize,
    /// A scratch PostgreSQL database, instead of a fresh SQLite file.
    pub database_url: Option<String>,
    /// Only the shapes whose name holds one of these (all when empty).
    pub only: Vec<String>,
}

/// A list to time: who asks, what.
struct Shape {
    name: String,
    viewer: usize,
    ask: Ask,
}

enum Ask {
    Leads(LeadQuery),
    Queue,
    /// The queue page's count line: all waiting, and those matching a filter.
    QueueCount(QueueQuery),
    /// The choices of the queue page's reason filter.
    QueueReasons,
    /// What each agent holds, as the queue page's agent picker shows it.
    AgentLoads,
    Offers,
    Events,
    Timeline(LeadId),
}

/// The organization the bench seeds and the people who look at it.
struct Seeded {
    org: OrgId,
    /// Admin, team-scoped ISA, agent.
    viewers: Vec<(&'static str, Member)>,
    statuses: Vec<StatusId>,
    sources: Vec<SourceId>,
    small_pool: leadpool_domain::PoolId,
    big_pool: leadpool_domain::PoolId,
    /// Leads before this were seeded as the old part.
    old_until: Timestamp,
    /// Oldest lead's creation time.
    oldest: Timestamp,
    some_lead: LeadId,
}

/// Seeds, times every shape and prints the table.
pub async fn lists(b: ListsBench) -> anyhow::Result<()> {
    if b.leads < 10_000 {
        bail!("--leads must be at least 10000 for the skew to mean anything");
    }
    let db = crate::bench::BenchDb::new(b.database_url.clone())?;
    let (app, store) = db.app("lists").await?;
    println!("seeding {} leads on {}…", b.leads, db.describe());
    let started = Instant::now();
    let s = seed(&app, &store, b.leads).await?;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());

    let shapes: Vec<Shape> = shapes(&s)
        .into_iter()
        .filter(|shape| b.only.is_empty() || b.only.iter().any(|o| shape.name.contains(o.as_str())))
        .collect();
    if shapes.is_empty() {
        bail!("no shape's name holds any of {:?}", b.only);
    }
    println!(
        "{} shapes × {} samples, in rounds; each next to reading its page's rows by id",
        shapes.len(),
        b.samples
    );
    let mut lat: Vec<Vec<Duration>> = vec![Vec::new(); shapes.len()];
    let mut bare: Vec<Vec<Duration>> = vec![Vec::new(); shapes.len()];
    let mut rows = vec![0_usize; shapes.len()];
    for _ in 0..b.samples.max(1) {
        for (i, shape) in shapes.iter().enumerate() {
            let m = &s.viewers[shape.viewer].1;
            let t = Instant::now();
            let ids = ask(&app, m, &shape.ask).await?;
            lat[i].push(t.elapsed());
            rows[i] = ids.len();
            let t = Instant::now();
            let mut tx = store.read().await?;
            let read = tx.leads_by_ids(s.org, &ids, false).await?;
            tx.commit().await?;
            bare[i].push(t.elapsed());
            if read.len() != ids.len() {
                bail!(
                    "{}: {} of its {} leads read back",
                    shape.name,
                    read.len(),
                    ids.len()
                );
            }
        }
    }
    store.close().await;

    println!(
        "\n{:<58} {:>5} {:>8} {:>8} {:>9} {:>6}",
        "shape (viewer: list)", "rows", "p50 ms", "p95 ms", "bare p95", "ratio"
    );
    let (mut slow, mut far) = (Vec::new(), Vec::new());
    let mut worst = (Duration::ZERO, String::new());
    for (i, shape) in shapes.iter().enumerate() {
        let f = figures(std::mem::take(&mut lat[i]), 0, Duration::from_secs(1));
        let g = figures(std::mem::take(&mut bare[i]), 0, Duration::from_secs(1));
        let ratio = f.p95.as_secs_f64() / g.p95.as_secs_f64().max(1e-6);
        println!(
            "{:<58} {:>5} {:>8.2} {:>8.2} {:>9.2} {:>6.1}",
            shape.name,
            rows[i],
            ms(f.p50),
            ms(f.p95),
            ms(g.p95),
            ratio
        );
        if f.p95 > worst.0 {
            worst = (f.p95, shape.name.clone());
        }
        if f.p95 >= GOAL_P95 {
            slow.push(shape.name.clone());
        }
        if ratio > GOAL_RATIO {
            far.push(shape.name.clone());
        }
    }
    println!(
        "\nworst p95: {:.2} ms ({}); shapes at or over {} ms: {}; over {GOAL_RATIO}× their bare lookup: {} of {}",
        ms(worst.0),
        worst.1,
        GOAL_P95.as_millis(),
        slow.len(),
        far.len(),
        shapes.len()
    );
    for name in &slow {
        println!("  slow: {name}");
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs one list as `m` and returns the ids of the leads it shows.
async fn ask(app: &App, m: &Member, ask: &Ask) -> anyhow::Result<Vec<LeadId>> {
    Ok(match ask {
        Ask::Leads(q) => app
            .list_leads(m, q)
            .await?
            .leads
            .iter()
            .map(|l| l.id)
            .collect(),
        Ask::Queue => app
            .queue(
                m,
                &QueueQuery {
                    limit: Some(PAGE),
                    ..QueueQuery::default()
                },
            )
            .await?
            .iter()
            .map(|q| q.lead.id)
            .collect(),
        Ask::QueueCount(q) => {
            app.queue_size(m, q).await?;
            Vec::new()
        }
        Ask::QueueReasons => {
            app.queue_reasons(m).await?;
            Vec::new()
        }
        Ask::AgentLoads => {
            let users = app.list_users(m, Some(Role::Agent), Some(true)).await?;
            let agents: Vec<&User> = users.iter().collect();
            app.agent_loads(m, &agents).await?;
            Vec::new()
        }
        Ask::Offers => app.my_offers(m).await?.iter().map(|o| o.lead.id).collect(),
        Ask::Events => {
            app.events(m, 0, Some(PAGE)).await?;
            Vec::new()
        }
        Ask::Timeline(id) => {
            app.lead_timeline(m, *id).await?;
            vec![*id]
        }
    })
}

/// An organization of `leads` leads: a fifth of them old and all in one big pool (matches
/// that are all older than the rest), the others newer, held by agents or waiting in the
/// queue, with a pool holding a ten-thousandth of the leads and a tag on ten leads.
async fn seed(app: &App, store: &Store, leads: i64) -> anyhow::Result<Seeded> {
    let slug = format!("bench-{}", fastrand::u32(..));
    let org = app
        .create_org(&NewOrg {
            slug: &slug,
            name: "Lists bench",
            statuses: DEFAULT_STATUSES,
        })
        .await?;
    let mut sources = Vec::new();
    for name in ["Website", "Zillow", "Referral", "Open house"] {
        sources.push(app.add_source(&org, name).await?.0.id);
    }
    let mut teams = Vec::new();
    for name in ["North", "South"] {
        teams.push(app.add_team(&org, name, None).await?);
    }
    let org_ref = &org;
    let person = |email: String, name: String, role: Role, team: Option<String>| async move {
        let teams: Vec<String> = team.into_iter().collect();
        let spec = UserSpec {
            email: &email,
            name: &name,
            role,
            password: None,
            teams: &teams,
        };
        app.add_user(org_ref, &spec).await
    };
    let (_, admin_token) = person(
        format!("admin@{slug}.test"),
        "Admin".into(),
        Role::Admin,
        None,
    )
    .await?;
    let (mut isa, isa_token) = person(
        format!("isa@{slug}.test"),
        "Isa North".into(),
        Role::Isa,
        Some("North".into()),
    )
    .await?;
    let mut agents = Vec::new();
    for i in 0..20 {
        let team = if i % 2 == 0 { "North" } else { "South" };
        agents.push(
            person(
                format!("agent{i}@{slug}.test"),
                format!("Agent {i}"),
                Role::Agent,
                Some(team.into()),
            )
            .await?,
        );
    }
    let mut tx = store.write().await?;
    isa.scope_team_id = Some(teams[0].id);
    tx.update_user(&isa).await?;
    tx.commit().await?;

    let member = |token: String| async move {
        match app.authenticate_token(&token).await? {
            Principal::Member(m) => Ok::<Member, anyhow::Error>(*m),
            Principal::Operator => bail!("a user's token named the operator"),
        }
    };
    let admin = member(admin_token).await?;
    let small = app
        .create_pool(
            &admin,
            PoolInput {
                name: "Small".into(),
                ..PoolInput::default()
            },
        )
        .await?;
    let mut tx = store.read().await?;
    let statuses: Vec<StatusId> = tx.statuses(org.id).await?.iter().map(|s| s.id).collect();
    let big = tx
        .pools(org.id)
        .await?
        .into_iter()
        .find(|p| p.is_default)
        .context("the organization has no default pool")?;
    tx.commit().await?;

    let now = app.now();
    let old = leads / 5;
    let new = leads - old;
    let step = 30_000;
    let old_until = Timestamp::from_millis(now.as_millis() - new * step);
    let agent_ids: Vec<UserId> = agents.iter().map(|(u, _)| u.id).collect();
    let team_ids: Vec<_> = teams.iter().map(|t| t.id).collect();
    let mut tx = store.write().await?;
    tx.bench_seed_pool_view(&PoolViewSeed {
        org: org.id,
        sources: &sources,
        statuses: &statuses,
        agents: &agent_ids,
        teams: &team_ids,
        pool: big.id,
        leads: old,
        pool_leads: old,
        now: old_until,
    })
    .await?;
    tx.bench_seed_pool_view(&PoolViewSeed {
        org: org.id,
        sources: &sources,
        statuses: &statuses,
        agents: &agent_ids,
        teams: &team_ids,
        pool: small.id,
        leads: new,
        pool_leads: (leads / 10_000).max(1),
        now,
    })
    .await?;
    tx.bench_tag_spread(org.id, RARE_TAG, RARE_TAG_LEADS)
        .await?;
    tx.commit().await?;
    store.bench_settle().await?;

    // Real moves for the timeline and the agent's events: the admin hands the agent some
    // of the queue.
    let agent = member(agents[0].1.clone()).await?;
    let queued: Vec<LeadId> = app
        .queue(
            &admin,
            &QueueQuery {
                limit: Some(20),
                ..QueueQuery::default()
            },
        )
        .await?
        .iter()
        .map(|q| q.lead.id)
        .collect();
    app.assign(&admin, &queued, agent.user.id, true, None, true)
        .await?;
    let isa = member(isa_token).await?;
    Ok(Seeded {
        org: org.id,
        viewers: vec![("admin", admin), ("isa", isa), ("agent", agent)],
        statuses,
        sources,
        small_pool: small.id,
        big_pool: big.id,
        old_until,
        oldest: Timestamp::from_millis(old_until.as_millis() - old * step),
        some_lead: *queued.first().context("the queue was empty")?,
    })
}

/// Every list to time: for each viewer, each sort and each pool choice, the filters the UI
/// offers alone and together; then pools by id, the queue, offers, events and a timeline.
fn shapes(s: &Seeded) -> Vec<Shape> {
    let filters: Vec<(&str, LeadFilter)> = vec![
        ("no filter", LeadFilter::default()),
        (
            "a status",
            LeadFilter {
                statuses: vec![s.statuses[0]],
                ..LeadFilter::default()
            },
        ),
        (
            "two sources",
            LeadFilter {
                sources: s.sources[..2].to_vec(),
                ..LeadFilter::default()
            },
        ),
        (
            "common tag",
            LeadFilter {
                tags: vec!["vip".into()],
                ..LeadFilter::default()
            },
        ),
        (
            "rare tag",
            LeadFilter {
                tags: vec![RARE_TAG.into()],
                ..LeadFilter::default()
            },
        ),
        (
            "search kim",
            LeadFilter {
                search: Some("kim".into()),
                ..LeadFilter::default()
            },
        ),
        (
            "search wen kim",
            LeadFilter {
                search: Some("wen kim".into()),
                ..LeadFilter::default()
            },
        ),
        (
            "oldest day",
            LeadFilter {
                created_from: Some(s.oldest),
                created_to: Some(Timestamp::from_millis(s.oldest.as_millis() + 86_400_000)),
                ..LeadFilter::default()
            },
        ),
        (
            "old half",
            LeadFilter {
                created_to: Some(s.old_until),
                ..LeadFilter::default()
            },
        ),
        (
            "status+tag+search",
            LeadFilter {
                statuses: vec![s.statuses[1]],
                tags: vec!["buyer".into()],
                search: Some("silva".into()),
                ..LeadFilter::default()
            },
        ),
    ];
    let sorts = [
        (LeadSort::CreatedDesc, "newest"),
        (LeadSort::CreatedAsc, "oldest"),
        (LeadSort::UpdatedDesc, "changed"),
        (LeadSort::NameAsc, "name"),
    ];
    let pools = [
        (None, "all"),
        (Some(true), "pool"),
        (Some(false), "no pool"),
    ];
    let mut out = Vec::new();
    let mut leads = |viewer: usize, name: String, filter: LeadFilter, sort: LeadSort| {
        out.push(Shape {
            name: format!("{}: {name}", s.viewers[viewer].0),
            viewer,
            ask: Ask::Leads(LeadQuery {
                filter,
                sort,
                cursor: None,
                limit: Some(PAGE),
            }),
        });
    };
    for viewer in 0..s.viewers.len() {
        for (sort, sort_name) in sorts {
            for (in_pool, pool_name) in pools {
                for (name, f) in &filters {
                    leads(
                        viewer,
                        format!("{pool_name}, {name}, {sort_name}"),
                        LeadFilter {
                            in_pool,
                            ..f.clone()
                        },
                        sort,
                    );
                }
            }
            for (pool, pool_name) in [(s.small_pool, "small pool"), (s.big_pool, "big pool")] {
                for (name, extra) in [("", None), (", search kim", Some("kim".to_owned()))] {
                    leads(
                        viewer,
                        format!("{pool_name}{name}, {sort_name}"),
                        LeadFilter {
                            in_pool: Some(true),
                            pool: Some(pool),
                            search: extra,
                            ..LeadFilter::default()
                        },
                        sort,
                    );
                }
            }
        }
    }
    let from_a_source = QueueQuery {
        sources: vec![s.sources[1]],
        ..QueueQuery::default()
    };
    let with_a_reason = QueueQuery {
        reason: Some("No rule matched".into()),
        ..QueueQuery::default()
    };
    for (viewer, ask, name) in [
        (0, Ask::Queue, "queue"),
        (1, Ask::Queue, "queue"),
        (0, Ask::QueueCount(QueueQuery::default()), "queue's count"),
        (1, Ask::QueueCount(QueueQuery::default()), "queue's count"),
        (
            0,
            Ask::QueueCount(from_a_source.clone()),
            "queue's count from a source",
        ),
        (
            1,
            Ask::QueueCount(from_a_source),
            "queue's count from a source",
        ),
        (
            0,
            Ask::QueueCount(with_a_reason),
            "queue's count with a reason",
        ),
        (0, Ask::QueueReasons, "queue's reasons"),
        (0, Ask::AgentLoads, "agents' loads"),
        (1, Ask::AgentLoads, "agents' loads"),
        (2, Ask::Offers, "offers"),
        (2, Ask::Events, "events"),
        (2, Ask::Timeline(s.some_lead), "a lead's timeline"),
        (0, Ask::Timeline(s.some_lead), "a lead's timeline"),
    ] {
        out.push(Shape {
            name: format!("{}: {name}", s.viewers[viewer].0),
            viewer,
            ask,
        });
    }
    out
}
