//! Lists of an organization large enough that each way a list can read its rows is taken: by
//! the ids of a condition few leads meet, by walking an index in the list's order, and by a
//! walk that finds its matches rare and continues among the leads all its conditions meet.
//! Every filter, sort and viewer is checked against the whole organization filtered in Rust,
//! and the database's plans are checked never to read the whole `leads` table.

use leadpool_domain::lead::LeadPatch;
use leadpool_domain::validate::parse_tags;
use leadpool_domain::{Actor, Lead, Visibility};
use leadpool_store::bench_pool::PoolViewSeed;
use leadpool_store::leads::{After, LeadFilter, LeadSort};
use leadpool_testkit::{Backend, TestStore, both_backends};

use super::{Office, filter, office};
use crate::fixtures::{at, commit, read, write};

/// Leads created before the story starts, all in the organization's default pool.
const OLD: i64 = 12_000;
/// Leads created after them, mostly held by the two agents; a few in the North pool.
const NEW: i64 = 48_000;
/// The seeder creates leads this far apart.
const SPACING_MS: i64 = 30_000;
/// Leads carrying the tag few carry.
const RARE: i64 = 10;

/// The office with [`OLD`]` + `[`NEW`] seeded leads, every part of each picked by a hash.
async fn big_office(db: &TestStore) -> Office {
    let o = office(db).await;
    let statuses = [o.acme.new.id, o.acme.working.id];
    let sources = [o.acme.source.id, o.zillow.id];
    let agents = [o.ana.id, o.bob.id];
    let teams = [o.north.id, o.south.id];
    let mut tx = write(db).await;
    for (pool, leads, pool_leads, now) in [
        (o.acme.pool.id, OLD, OLD, at(0)),
        (o.north_pool.id, NEW, 6, at((NEW + 1) * SPACING_MS)),
    ] {
        tx.bench_seed_pool_view(&PoolViewSeed {
            org: o.acme.id(),
            sources: &sources,
            statuses: &statuses,
            agents: &agents,
            teams: &teams,
            pool,
            leads,
            pool_leads,
            now,
        })
        .await
        .expect("leads are seeded");
    }
    tx.bench_tag_spread(o.acme.id(), "rare-tag", RARE)
        .await
        .expect("a rare tag is spread");
    commit(tx).await;
    db.store.bench_settle().await.expect("the tables settle");
    o
}

/// Whether `lead` is on a list `v` sees with `filter`: the rules the SQL applies, in Rust.
fn shows(v: &Visibility, f: &LeadFilter, lead: &Lead) -> bool {
    let pool = lead.owner.pool();
    let agent = lead.owner.agent();
    let in_team = |teams: &[_]| lead.team_id.is_some_and(|t| teams.contains(&t));
    let in_pools = |pools: &[_]| pool.is_some_and(|p| pools.contains(&p));
    let visible = match (v, f.in_pool) {
        (Visibility::Organization, None) => true,
        (Visibility::Organization, Some(p)) => pool.is_some() == p,
        (Visibility::Teams { pools, .. } | Visibility::Own { pools, .. }, Some(true)) => {
            in_pools(pools)
        }
        (Visibility::Teams { teams, .. }, Some(false)) => in_team(teams) && pool.is_none(),
        (Visibility::Own { user, .. }, Some(false)) => agent == Some(*user),
        (Visibility::Teams { teams, pools }, None) => in_team(teams) || in_pools(pools),
        (Visibility::Own { user, pools }, None) => agent == Some(*user) || in_pools(pools),
    };
    let search = f.search.as_deref().map(str::to_lowercase);
    visible
        && f.owner.is_none_or(|u| agent == Some(u))
        && f.pool.is_none_or(|p| pool == Some(p))
        && (f.statuses.is_empty() || f.statuses.contains(&lead.status.id))
        && (f.sources.is_empty() || f.sources.contains(&lead.source_id))
        && f.tags
            .iter()
            .all(|t| lead.tags.iter().any(|have| have.as_str() == t))
        && f.created_from.is_none_or(|t| lead.created_at >= t)
        && f.created_to.is_none_or(|t| lead.created_at < t)
        && search.is_none_or(|s| lead.search_text().contains(&s))
}

/// The organization's every lead in `sort` order, as a list with no condition reads them.
async fn everything(db: &TestStore, o: &Office, sort: LeadSort) -> Vec<Lead> {
    let mut tx = read(db).await;
    let all = tx
        .leads(
            o.acme.id(),
            &Visibility::Organization,
            &LeadFilter::default(),
            sort,
            None,
            100_000,
        )
        .await
        .expect("every lead is listed");
    let count = tx
        .count_leads(o.acme.id())
        .await
        .expect("leads are counted");
    commit(tx).await;
    assert_eq!(
        i64::try_from(all.len()).ok(),
        Some(count),
        "{sort:?} lists every lead once"
    );
    let mut ids: Vec<_> = all.iter().map(|l| l.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "{sort:?} lists no lead twice");
    // Names are in the database's collation, which Rust does not know; times are plain.
    let key = |l: &Lead| match sort {
        LeadSort::CreatedDesc | LeadSort::CreatedAsc => Some((l.created_at, l.id)),
        LeadSort::UpdatedDesc => Some((l.updated_at, l.id)),
        LeadSort::NameAsc => None,
    };
    assert!(
        all.windows(2).all(|w| match sort {
            LeadSort::CreatedAsc => key(&w[0]) < key(&w[1]),
            LeadSort::NameAsc => true,
            LeadSort::CreatedDesc | LeadSort::UpdatedDesc => key(&w[0]) > key(&w[1]),
        }),
        "{sort:?} lists in its order"
    );
    all
}

/// Every filter the test lists with, named.
fn filters(o: &Office) -> Vec<(&'static str, LeadFilter)> {
    let hours = |h: i64| at(h * 3_600_000);
    vec![
        ("nothing", LeadFilter::default()),
        ("a status", filter(|f| f.statuses = vec![o.acme.working.id])),
        ("a source", filter(|f| f.sources = vec![o.zillow.id])),
        ("a common tag", filter(|f| f.tags = vec!["buyer".into()])),
        ("a rare tag", filter(|f| f.tags = vec!["rare-tag".into()])),
        (
            "two tags",
            filter(|f| f.tags = vec!["buyer".into(), "vip".into()]),
        ),
        ("a rare name", filter(|f| f.search = Some("silva".into()))),
        (
            "a common domain",
            filter(|f| f.search = Some("gmail".into())),
        ),
        ("a short term", filter(|f| f.search = Some("ki".into()))),
        ("the old leads", filter(|f| f.created_to = Some(at(0)))),
        (
            "ten old hours",
            filter(|f| {
                f.created_from = Some(hours(-50));
                f.created_to = Some(hours(-40));
            }),
        ),
        ("in a pool", filter(|f| f.in_pool = Some(true))),
        ("in no pool", filter(|f| f.in_pool = Some(false))),
        ("the small pool", filter(|f| f.pool = Some(o.north_pool.id))),
        ("the big pool", filter(|f| f.pool = Some(o.acme.pool.id))),
        ("bob's", filter(|f| f.owner = Some(o.bob.id))),
        (
            "status, tag and domain",
            filter(|f| {
                f.statuses = vec![o.acme.working.id];
                f.tags = vec!["buyer".into()];
                f.search = Some("gmail".into());
            }),
        ),
        (
            "old and tagged",
            filter(|f| {
                f.created_to = Some(at(0));
                f.tags = vec!["vip".into()];
            }),
        ),
        (
            "pooled, searched",
            filter(|f| {
                f.in_pool = Some(true);
                f.search = Some("gmail".into());
            }),
        ),
    ]
}

/// The viewers the test lists as, named.
fn viewers(o: &Office) -> Vec<(&'static str, Visibility)> {
    vec![
        ("the organization", Visibility::Organization),
        (
            "north",
            Visibility::Teams {
                teams: vec![o.north.id],
                pools: vec![o.north_pool.id],
            },
        ),
        (
            "ana",
            Visibility::Own {
                user: o.ana.id,
                pools: vec![o.acme.pool.id],
            },
        ),
        (
            "bob",
            Visibility::Own {
                user: o.bob.id,
                pools: vec![o.north_pool.id],
            },
        ),
    ]
}

/// A page of a list.
const PAGE: u32 = 50;

const SORTS: [LeadSort; 4] = [
    LeadSort::CreatedDesc,
    LeadSort::CreatedAsc,
    LeadSort::UpdatedDesc,
    LeadSort::NameAsc,
];

/// Ids of leads, to compare pages by.
fn ids(leads: &[Lead]) -> Vec<i64> {
    leads.iter().map(|l| l.id.get()).collect()
}

both_backends! {
    async fn every_list_of_a_large_organization_shows_what_its_conditions_select(db) {
        let o = big_office(&db).await;
        let mut checked = 0;
        for sort in SORTS {
            let all = everything(&db, &o, sort).await;
            assert_eq!(
                all.iter().filter(|l| l.tags.iter().any(|t| t.as_str() == "rare-tag")).count(),
                usize::try_from(RARE).expect("small"),
                "the rare tag is on its leads"
            );
            let mut tx = read(&db).await;
            for (who, v) in viewers(&o) {
                for (what, f) in filters(&o) {
                    let want: Vec<&Lead> = all.iter().filter(|l| shows(&v, &f, l)).collect();
                    let first = tx
                        .leads(o.acme.id(), &v, &f, sort, None, PAGE)
                        .await
                        .expect("a first page is listed");
                    let want_first: Vec<i64> =
                        want.iter().take(PAGE as usize).map(|l| l.id.get()).collect();
                    assert_eq!(ids(&first), want_first, "{who}, {what}, {sort:?}: first page");
                    let Some(last) = first.last() else { continue };
                    let second = tx
                        .leads(o.acme.id(), &v, &f, sort, Some(&After::from_lead(last, sort)), PAGE)
                        .await
                        .expect("a second page is listed");
                    let want_second: Vec<i64> =
                        want.iter().skip(PAGE as usize).take(PAGE as usize).map(|l| l.id.get()).collect();
                    assert_eq!(ids(&second), want_second, "{who}, {what}, {sort:?}: second page");
                    checked += 1;
                }
            }
            commit(tx).await;
        }
        assert!(checked > 200, "most lists have a page to check: {checked}");
    }
}

/// Whether a plan reads the whole `leads` table. PostgreSQL may answer a lookup capped at a
/// few thousand ids by reading the table until it has them, when half its rows match: that
/// stops early, so a sequential scan right under a `Limit` does not count.
fn scans_leads(backend: Backend, plan: &[String]) -> bool {
    plan.iter().enumerate().any(|(i, line)| match backend {
        Backend::Sqlite => {
            let l = line.trim();
            l == "SCAN l" || l == "SCAN leads"
        }
        Backend::Postgres => {
            line.contains("Seq Scan on leads")
                && !(i > 0 && plan[i - 1].trim_start().starts_with("Limit"))
        }
    })
}

both_backends! {
    async fn no_list_of_a_large_organization_reads_every_lead(db) {
        let o = big_office(&db).await;
        let mut tx = read(&db).await;
        for (who, v) in viewers(&o) {
            for (what, f) in filters(&o) {
                for sort in SORTS {
                    let plan = tx
                        .explain_leads(o.acme.id(), &v, &f, sort, PAGE)
                        .await
                        .expect("the list is explained");
                    assert!(
                        !scans_leads(db.store.backend(), &plan),
                        "{who}, {what}, {sort:?} reads every lead:\n{}",
                        plan.join("\n")
                    );
                }
            }
        }
        commit(tx).await;
    }
}

/// Old leads, last changed long ago, too many to read by id: more than the 50,000 a list
/// intersects its conditions among.
const MANY_OLD: i64 = 56_000;

both_backends! {
    async fn a_range_of_many_old_leads_by_last_change_is_listed_from_where_their_changes_are(db) {
        let o = office(&db).await;
        let statuses = [o.acme.new.id, o.acme.working.id];
        let teams = [o.north.id, o.south.id];
        let mut tx = write(&db).await;
        for (leads, pool_leads, now) in [(MANY_OLD, MANY_OLD, at(0)), (14_000, 1, at(14_001 * SPACING_MS))] {
            tx.bench_seed_pool_view(&PoolViewSeed {
                org: o.acme.id(),
                sources: &[o.acme.source.id],
                statuses: &statuses,
                agents: &[o.ana.id, o.bob.id],
                teams: &teams,
                pool: o.acme.pool.id,
                leads,
                pool_leads,
                now,
            })
            .await
            .expect("leads are seeded");
        }
        commit(tx).await;
        db.store.bench_settle().await.expect("the tables settle");

        // A range cutting weeks at both ends, with leads changed last of all on either side
        // of each edge and in its middle, its first lead last: where the range starts its
        // walk is read per week of creation, and the weeks it cuts hold later changes
        // outside it.
        let day = 86_400_000;
        let (from, to) = (at(-12 * day + 5_000_000), at(-2 * day - 7_000_000));
        let sort = LeadSort::UpdatedDesc;
        let created = everything(&db, &o, LeadSort::CreatedAsc).await;
        let first_in = created.iter().position(|l| l.created_at >= from).expect("a lead from the range's start");
        let first_out = created.iter().position(|l| l.created_at >= to).expect("a lead after the range");
        let mut tx = write(&db).await;
        for (i, n) in [first_out, first_out - 1, (first_in + first_out) / 2, first_in - 1, first_in].into_iter().zip(1..) {
            let lead = &created[i];
            let patch = LeadPatch { tags: Some(parse_tags(&["changed"]).expect("a valid tag")), ..LeadPatch::default() };
            let t = lead.apply(&patch, Actor::System, None, at(20_000 * SPACING_MS + n)).expect("valid").expect("a change");
            assert!(tx.update_lead(lead.version, &t).await.expect("written"), "the lead changes");
        }
        commit(tx).await;

        let all = everything(&db, &o, sort).await;
        let mut tx = read(&db).await;
        let mut walks = 0;
        for (who, v) in viewers(&o) {
            for (what, f) in [
                ("the old leads", filter(|f| f.created_to = Some(at(0)))),
                (
                    "ten old days",
                    filter(|f| {
                        f.created_from = Some(from);
                        f.created_to = Some(to);
                    }),
                ),
                (
                    "ten old days in a status",
                    filter(|f| {
                        f.created_from = Some(from);
                        f.created_to = Some(to);
                        f.statuses = vec![o.acme.working.id];
                    }),
                ),
                (
                    "the old leads in a status",
                    filter(|f| {
                        f.created_to = Some(at(0));
                        f.statuses = vec![o.acme.working.id];
                    }),
                ),
                ("no lead", filter(|f| f.created_to = Some(at(-MANY_OLD * SPACING_MS)))),
            ] {
                let want: Vec<i64> = all.iter().filter(|l| shows(&v, &f, l)).map(|l| l.id.get()).collect();
                let first = tx
                    .leads(o.acme.id(), &v, &f, sort, None, PAGE)
                    .await
                    .expect("a first page is listed");
                assert_eq!(ids(&first), want.iter().take(PAGE as usize).copied().collect::<Vec<_>>(), "{who}, {what}: first page");
                let Some(last) = first.last() else { continue };
                let second = tx
                    .leads(o.acme.id(), &v, &f, sort, Some(&After::from_lead(last, sort)), PAGE)
                    .await
                    .expect("a second page is listed");
                assert_eq!(
                    ids(&second),
                    want.iter().skip(PAGE as usize).take(PAGE as usize).copied().collect::<Vec<_>>(),
                    "{who}, {what}: second page"
                );
                let plan = tx
                    .explain_leads(o.acme.id(), &v, &f, sort, PAGE)
                    .await
                    .expect("the list is explained");
                assert!(!scans_leads(db.store.backend(), &plan), "{who}, {what} reads every lead:\n{}", plan.join("\n"));
                if !plan.iter().any(|l| l.starts_with("-- walk ")) {
                    continue;
                }
                walks += 1;
                let start = plan.iter().position(|l| l == "-- the walk starts at the latest change among the range's leads");
                // PostgreSQL's planner may read a table this small another way.
                assert!(
                    start.is_some_and(|i| db.store.backend() == Backend::Postgres
                        || plan[i + 1..].iter().any(|l| l.contains("leads_created_week_idx"))),
                    "{who}, {what} starts from the latest change of its weeks:\n{}",
                    plan.join("\n")
                );
            }
        }
        commit(tx).await;
        assert!(walks >= 4, "each viewer walks the old leads: {walks}");
    }
}

both_backends! {
    async fn an_agents_own_leads_by_name_are_walked_among_their_own(db) {
        let o = big_office(&db).await;
        let ana = Visibility::Own { user: o.ana.id, pools: vec![o.acme.pool.id] };
        let mut tx = read(&db).await;
        for (what, v, f) in [
            ("ana's own", &ana, filter(|f| f.in_pool = Some(false))),
            (
                "ana's own in a status",
                &ana,
                filter(|f| {
                    f.in_pool = Some(false);
                    f.statuses = vec![o.acme.working.id];
                }),
            ),
            ("bob's, as the organization", &Visibility::Organization, filter(|f| f.owner = Some(o.bob.id))),
        ] {
            let plan = tx
                .explain_leads(o.acme.id(), v, &f, LeadSort::NameAsc, PAGE)
                .await
                .expect("the list is explained");
            let walk = plan
                .iter()
                .position(|l| l == "-- walk leads_owner_user_name_idx")
                .unwrap_or_else(|| panic!("{what} walks the owner's names:\n{}", plan.join("\n")));
            let mut read_from = plan[walk + 1..].iter().take_while(|l| !l.starts_with("--"));
            // PostgreSQL's planner may prefer another index on a table this small; what
            // matters there is that the chosen walk never reads the whole table.
            assert!(
                match db.store.backend() {
                    Backend::Sqlite => read_from.any(|l| l.contains("leads_owner_user_name_idx")),
                    Backend::Postgres => true,
                } && !scans_leads(db.store.backend(), &plan),
                "{what} is read from the owner's names:\n{}",
                plan.join("\n")
            );
        }
        commit(tx).await;
    }
}

both_backends! {
    async fn a_walk_of_an_agents_leads_or_a_pools_finds_where_its_first_stretch_ends_in_the_index_alone(db) {
        let o = big_office(&db).await;
        let ana = Visibility::Own { user: o.ana.id, pools: vec![o.acme.pool.id] };
        let mut tx = read(&db).await;
        for (what, v, f) in [
            ("ana's own", &ana, filter(|f| f.in_pool = Some(false))),
            ("the big pool", &Visibility::Organization, filter(|f| f.pool = Some(o.acme.pool.id))),
        ] {
            for sort in [LeadSort::CreatedDesc, LeadSort::CreatedAsc] {
                let plan = tx
                    .explain_leads(o.acme.id(), v, &f, sort, PAGE)
                    .await
                    .expect("the list is explained");
                let at = plan
                    .iter()
                    .position(|l| l == "-- the walk's first stretch ends at")
                    .unwrap_or_else(|| panic!("{what}, {sort:?} walks:\n{}", plan.join("\n")));
                let bound: Vec<&String> =
                    plan[at + 1..].iter().take_while(|l| !l.starts_with("--")).collect();
                // Without the lead's id in the index, PostgreSQL reads each row of the stretch
                // from the table and sorts them.
                let alone = match db.store.backend() {
                    Backend::Sqlite => bound.iter().any(|l| l.contains("USING COVERING INDEX")),
                    Backend::Postgres => {
                        bound.iter().any(|l| l.contains("Index Only Scan"))
                            && !bound.iter().any(|l| l.contains("Sort"))
                    }
                };
                assert!(alone, "{what}, {sort:?}: the first stretch is read from the index alone:\n{}", plan.join("\n"));
            }
        }
        commit(tx).await;
    }
}
