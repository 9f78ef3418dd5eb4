//! Free-text search through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL): the
//! same substring semantics as a LIKE scan, kept in step with every change of a lead, and
//! actually served by the index.

use leadpool_domain::lead::LeadPatch;
use leadpool_domain::validate::{Email, PersonName};
use leadpool_domain::{Actor, Lead, OrgId, Visibility};
use leadpool_store::bench_pool::PoolViewSeed;
use leadpool_store::leads::{LeadFilter, LeadSort};
use leadpool_testkit::{Backend, TestStore, both_backends};

use crate::fixtures::{LeadSpec, Seeded, at, commit, insert, read, seed, write};

/// A fresh organization "acme" holding the leads `leads` makes for it.
async fn acme_with(db: &TestStore, leads: impl FnOnce(&Seeded) -> Vec<LeadSpec>) -> Seeded {
    let mut tx = write(db).await;
    let acme = seed(&mut tx, "acme").await;
    for spec in leads(&acme) {
        insert(&mut tx, spec).await;
    }
    commit(tx).await;
    acme
}

/// Inserts one lead per spec and commits them.
async fn insert_all(db: &TestStore, specs: Vec<LeadSpec>) -> Vec<Lead> {
    let mut tx = write(db).await;
    let mut leads = Vec::with_capacity(specs.len());
    for spec in specs {
        leads.push(insert(&mut tx, spec).await);
    }
    commit(tx).await;
    leads
}

/// A first page of the organization's leads that `term` finds, as everyone sees them.
async fn page(
    db: &TestStore,
    org: OrgId,
    term: &str,
    in_pool: Option<bool>,
    sort: LeadSort,
    limit: u32,
) -> Vec<Lead> {
    let filter = LeadFilter {
        search: Some(term.to_owned()),
        in_pool,
        ..LeadFilter::default()
    };
    list(db, org, &filter, sort, limit).await
}

/// A first page of the organization's leads that `filter` lists, as everyone sees them.
async fn list(
    db: &TestStore,
    org: OrgId,
    filter: &LeadFilter,
    sort: LeadSort,
    limit: u32,
) -> Vec<Lead> {
    let mut tx = read(db).await;
    let leads = tx
        .leads(org, &Visibility::Organization, filter, sort, None, limit)
        .await
        .expect("leads are listed");
    tx.commit().await.expect("the read ends");
    leads
}

/// The names of some leads.
fn names(leads: &[Lead]) -> Vec<String> {
    leads
        .iter()
        .map(|l| l.name.as_ref().map_or("", |n| n.as_str()).to_owned())
        .collect()
}

/// The names of the organization's leads `term` finds, oldest first.
async fn found(db: &TestStore, org: OrgId, term: &str) -> Vec<String> {
    names(&page(db, org, term, None, LeadSort::CreatedAsc, 1_000).await)
}

/// The database's plan for the first page of a search for `term` among the leads in no pool.
async fn plan(db: &TestStore, org: OrgId, term: &str) -> String {
    let filter = LeadFilter {
        search: Some(term.to_owned()),
        in_pool: Some(false),
        ..LeadFilter::default()
    };
    let mut tx = read(db).await;
    let plan = tx
        .explain_leads(
            org,
            &Visibility::Organization,
            &filter,
            LeadSort::CreatedDesc,
            50,
        )
        .await
        .expect("the list is explained");
    tx.commit().await.expect("the read ends");
    plan.join("\n")
}

/// A lead of `world` named `name`, created `t` milliseconds into the story.
fn named(world: &Seeded, name: &str, t: i64) -> LeadSpec {
    LeadSpec::of(world).name(name).created_at(at(t))
}

both_backends! {
    async fn a_search_finds_a_fragment_in_the_middle_of_a_name_an_email_or_phone_digits(db) {
        let acme = acme_with(&db, |acme| {
            vec![
                named(acme, "Mariana Albuquerque", 1)
                    .email("m.albuquerque@correio.example")
                    .phone("+55 11 98765-4321"),
                named(acme, "Jonathan Smithers", 2)
                    .email("jsmithers@mail.example")
                    .phone("(555) 123-9876"),
                named(acme, "Zoë Ångström", 3).email("zoe@fjord.example"),
            ]
        })
        .await;

        assert_eq!(found(&db, acme.id(), "buquer").await, ["Mariana Albuquerque"]);
        assert_eq!(found(&db, acme.id(), "NATHAN SMI").await, ["Jonathan Smithers"]);
        assert_eq!(found(&db, acme.id(), "querque@corr").await, ["Mariana Albuquerque"]);
        assert_eq!(found(&db, acme.id(), "mail.exa").await, ["Jonathan Smithers"]);
        assert_eq!(
            found(&db, acme.id(), ".example").await,
            ["Mariana Albuquerque", "Jonathan Smithers", "Zoë Ångström"]
        );
        assert_eq!(found(&db, acme.id(), "87654").await, ["Mariana Albuquerque"]);
        assert_eq!(found(&db, acme.id(), "123-98").await, ["Jonathan Smithers"]);
        assert_eq!(found(&db, acme.id(), "ÅNGSTR").await, ["Zoë Ångström"]);
        assert!(found(&db, acme.id(), "albuquerquex").await.is_empty());
        assert!(
            found(&db, acme.id(), "smithers@correio").await.is_empty(),
            "a match lies within one lead's text"
        );
    }
}

both_backends! {
    async fn wildcards_quotes_and_search_operators_in_a_term_match_only_themselves(db) {
        let acme = acme_with(&db, |acme| {
            vec![
                named(acme, "Sale 100% Sure", 1),
                named(acme, "Sale 1000 Sure", 2),
                named(acme, "Rua do_Ouro", 3),
                named(acme, "Rua doXOuro", 4),
                named(acme, "Ana \"Nana\" Silva", 5),
                named(acme, "Star* Power", 6),
                named(acme, "Ana OR Bob", 7),
                named(acme, "Path\\Finder", 8),
            ]
        })
        .await;

        assert_eq!(found(&db, acme.id(), "100%").await, ["Sale 100% Sure"]);
        assert_eq!(found(&db, acme.id(), "0% s").await, ["Sale 100% Sure"]);
        assert_eq!(found(&db, acme.id(), "do_ou").await, ["Rua do_Ouro"]);
        assert_eq!(found(&db, acme.id(), "\"nana\"").await, ["Ana \"Nana\" Silva"]);
        assert_eq!(found(&db, acme.id(), "a \"n").await, ["Ana \"Nana\" Silva"]);
        assert_eq!(found(&db, acme.id(), "star*").await, ["Star* Power"]);
        assert!(found(&db, acme.id(), "sta*").await.is_empty(), "`*` is no prefix search");
        assert_eq!(found(&db, acme.id(), "ana or bob").await, ["Ana OR Bob"]);
        assert!(found(&db, acme.id(), "silva OR power").await.is_empty(), "OR is no operator");
        assert!(found(&db, acme.id(), "NEAR(ana bob)").await.is_empty());
        assert_eq!(found(&db, acme.id(), "h\\f").await, ["Path\\Finder"]);
        assert_eq!(found(&db, acme.id(), "\"").await, ["Ana \"Nana\" Silva"]);
    }
}

both_backends! {
    async fn terms_shorter_than_a_trigram_are_still_found(db) {
        let acme = acme_with(&db, |acme| {
            vec![
                named(acme, "Li Wei", 1).phone("+1 202 555 0147"),
                named(acme, "Bo Ek", 2).email("bo@ek.example"),
                named(acme, "Ximena", 3),
            ]
        })
        .await;

        assert_eq!(found(&db, acme.id(), "LI").await, ["Li Wei"]);
        assert_eq!(found(&db, acme.id(), "k.").await, ["Bo Ek"]);
        assert_eq!(found(&db, acme.id(), "XI").await, ["Ximena"]);
        assert_eq!(found(&db, acme.id(), "@e").await, ["Bo Ek"]);
        assert_eq!(found(&db, acme.id(), "47").await, ["Li Wei"]);
        assert_eq!(found(&db, acme.id(), "i w").await, ["Li Wei"]);
        assert_eq!(found(&db, acme.id(), "e").await, ["Li Wei", "Bo Ek", "Ximena"]);
        assert!(found(&db, acme.id(), "q").await.is_empty());
    }
}

both_backends! {
    async fn a_changed_lead_is_found_by_its_new_name_and_email_and_no_longer_by_the_old(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let globex = seed(&mut tx, "globex").await;
        commit(tx).await;
        let [lead, _other]: [Lead; 2] = insert_all(
            &db,
            vec![
                named(&acme, "Beatriz Fontes", 1).email("bea.fontes@old.example"),
                named(&globex, "Beatriz Fontes", 1),
            ],
        )
        .await
        .try_into()
        .expect("two leads");

        let rename = LeadPatch {
            name: Some(Some(PersonName::parse("Beatriz Carvalhal").expect("a valid name"))),
            emails: Some(vec![Email::parse("bea@carvalhal.example").expect("a valid email")]),
            ..LeadPatch::default()
        };
        let t = lead
            .apply(&rename, Actor::System, None, at(10))
            .expect("a valid patch")
            .expect("a change");
        let mut tx = write(&db).await;
        assert!(tx.update_lead(lead.version, &t).await.expect("written"));
        commit(tx).await;

        assert_eq!(found(&db, acme.id(), "carvalh").await, ["Beatriz Carvalhal"]);
        assert_eq!(found(&db, acme.id(), "@carvalhal.ex").await, ["Beatriz Carvalhal"]);
        assert!(found(&db, acme.id(), "fontes").await.is_empty());
        assert!(found(&db, acme.id(), "old.example").await.is_empty());
        assert_eq!(
            found(&db, globex.id(), "fontes").await,
            ["Beatriz Fontes"],
            "another organization's lead of the old name is untouched and never shown to acme"
        );

        // A change that leaves the search text alone keeps the lead found.
        let renamed = t.lead;
        let retag = LeadPatch {
            tags: Some(leadpool_domain::validate::parse_tags(&["vip"]).expect("valid tags")),
            ..LeadPatch::default()
        };
        let t = renamed
            .apply(&retag, Actor::System, None, at(20))
            .expect("a valid patch")
            .expect("a change");
        let mut tx = write(&db).await;
        assert!(tx.update_lead(renamed.version, &t).await.expect("written"));
        commit(tx).await;
        assert_eq!(found(&db, acme.id(), "carvalh").await, ["Beatriz Carvalhal"]);
    }
}

both_backends! {
    async fn a_search_of_three_characters_or_more_is_served_by_the_trigram_index(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        // Enough rows that PostgreSQL's planner prefers the index to reading the table.
        tx.bench_seed_pool_view(&PoolViewSeed {
            org: acme.id(),
            sources: &[acme.source.id],
            statuses: &[acme.new.id, acme.working.id],
            agents: &[],
            teams: &[],
            pool: acme.pool.id,
            leads: 50_000,
            pool_leads: 10_000,
            now: at(0),
        })
        .await
        .expect("leads are seeded");
        insert(&mut tx, named(&acme, "Wilhelmina Quaresma", 1)).await;
        commit(tx).await;
        db.store.bench_settle().await.expect("the tables settle");

        let index = match db.store.backend() {
            Backend::Sqlite => "leads_fts",
            Backend::Postgres => "leads_search_idx",
        };
        let served = plan(&db, acme.id(), "quaresma").await;
        assert!(served.contains(index), "`{index}` missing from the plan:\n{served}");
        assert_eq!(found(&db, acme.id(), "quaresma").await, ["Wilhelmina Quaresma"]);
        assert!(
            found(&db, acme.id(), "silva").await.len() > 100,
            "the seeded leads are found and read back"
        );
        if db.store.backend() == Backend::Sqlite {
            let scanned = plan(&db, acme.id(), "qu").await;
            assert!(!scanned.contains(index), "a two-character term has no trigram:\n{scanned}");
        }

        // A tenth of the leads have this address: a page of them is still the newest ones.
        let common = "@gmail.com";
        let by_id = match db.store.backend() {
            Backend::Sqlite => "json_each",
            Backend::Postgres => "leads_search_idx",
        };
        assert!(served.contains(by_id), "`quaresma` is not read by id:\n{served}");
        let newest = page(&db, acme.id(), common, Some(false), LeadSort::CreatedDesc, 50).await;
        assert_eq!(newest.len(), 50);
        assert!(newest.iter().all(|l| l.search_text().contains(common)));
        assert!(newest.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    }
}

/// Characters search text is fuzzed with: letters in several scripts and cases, and every
/// character FTS5, LIKE or a trigram query treats specially.
const FUZZ_ALPHABET: &[char] = &[
    'a', 'b', 'n', 'A', 'N', ' ', '"', '\'', '%', '_', '\\', '*', '(', ')', ':', '-', '^', '+',
    '{', '}', '.', 'é', 'É', 'ß', 'İ', 'ı', 'ö', 'ø', '中', '😀',
];

/// Text of `len` characters drawn from the fuzz alphabet.
fn fuzz_text(len: std::ops::Range<usize>) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    proptest::collection::vec(proptest::sample::select(FUZZ_ALPHABET), len)
        .prop_map(|cs| cs.into_iter().collect())
}

/// Draws `n` values of `strategy` from a runner seeded as PROPTEST_CASES and its RNG say.
fn draw<S: proptest::strategy::Strategy>(
    runner: &mut proptest::test_runner::TestRunner,
    strategy: &S,
    n: usize,
) -> Vec<S::Value> {
    use proptest::strategy::ValueTree;
    (0..n)
        .map(|_| {
            strategy
                .new_tree(runner)
                .expect("a value is drawn")
                .current()
        })
        .collect()
}

both_backends! {
    /// Fuzzes the search text: names and terms full of quotes, wildcards, operators and
    /// scripts whose lower case changes length. Every term answers, and finds exactly the
    /// leads whose name holds it, ignoring case. `PROPTEST_CASES` sets how many terms
    /// (256 by default; the README says how to run more).
    async fn fuzz_any_search_text_answers_and_finds_exactly_the_names_holding_it(db) {
        use proptest::prelude::*;
        let config = proptest::test_runner::Config::default();
        let mut runner = proptest::test_runner::TestRunner::new(config.clone());
        let names: Vec<String> = draw(&mut runner, &fuzz_text(1..14), 60)
            .into_iter()
            .map(|n| format!("x{n}x"))
            .collect();
        let acme = acme_with(&db, |acme| {
            names.iter().enumerate().map(|(i, n)| named(acme, n, i64::try_from(i).unwrap_or(0))).collect()
        })
        .await;
        let from_names = (0..names.len(), 0..14usize, 1..8usize).prop_map({
            let names = names.clone();
            move |(i, start, len)| {
                let chars: Vec<char> = names[i].chars().collect();
                let start = start.min(chars.len() - 1);
                chars[start..(start + len).min(chars.len())].iter().collect::<String>()
            }
        });
        let terms = prop_oneof![from_names, fuzz_text(1..10)];
        let cases = usize::try_from(config.cases).unwrap_or(256);
        for term in draw(&mut runner, &terms, cases) {
            let needle = term.trim().to_lowercase();
            if needle.is_empty() {
                continue;
            }
            let expected: Vec<&str> = names
                .iter()
                .filter(|n| n.to_lowercase().contains(&needle))
                .map(String::as_str)
                .collect();
            assert_eq!(found(&db, acme.id(), &term).await, expected, "term {term:?}");
        }
    }
}

/// The names of the organization's leads that `filter` lists, oldest first.
async fn listed(db: &TestStore, org: OrgId, filter: &LeadFilter) -> Vec<String> {
    names(&list(db, org, filter, LeadSort::CreatedAsc, 100).await)
}

both_backends! {
    async fn a_search_with_tags_statuses_and_sources_finds_the_leads_holding_all_of_them_as_they_change(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let globex = seed(&mut tx, "globex").await;
        let zillow = tx
            .insert_source(acme.id(), "Zillow", None, "digest-acme-zillow", "zllw", at(0))
            .await
            .expect("source Zillow is created");
        commit(tx).await;
        let leads = insert_all(
            &db,
            vec![
                named(&acme, "Ana Silva", 1).tags(&["buyer"]),
                named(&acme, "Bruno Silva", 2).tags(&["buyer", "vip"]).status(&acme.working),
                named(&acme, "Carla Silva", 3).tags(&["vip"]).status(&acme.working).source(zillow.id),
                named(&acme, "Davi Souza", 4).tags(&["buyer"]).status(&acme.working),
                named(&globex, "Gil Silva", 5).tags(&["buyer"]),
            ],
        )
        .await;
        let silva = |f: LeadFilter| LeadFilter {
            search: Some("silva".into()),
            ..f
        };
        let tags = |t: &[&str]| t.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        let cases = [
            (LeadFilter { tags: tags(&["buyer"]), ..LeadFilter::default() }, vec!["Ana Silva", "Bruno Silva"]),
            (LeadFilter { tags: tags(&["buyer", "vip"]), ..LeadFilter::default() }, vec!["Bruno Silva"]),
            (LeadFilter { tags: tags(&["nobody-has-it"]), ..LeadFilter::default() }, vec![]),
            (LeadFilter { statuses: vec![acme.working.id], ..LeadFilter::default() }, vec!["Bruno Silva", "Carla Silva"]),
            (
                LeadFilter { statuses: vec![acme.new.id, acme.working.id], ..LeadFilter::default() },
                vec!["Ana Silva", "Bruno Silva", "Carla Silva"],
            ),
            (LeadFilter { sources: vec![zillow.id], ..LeadFilter::default() }, vec!["Carla Silva"]),
            (
                LeadFilter { sources: vec![acme.source.id, zillow.id], tags: tags(&["vip"]), ..LeadFilter::default() },
                vec!["Bruno Silva", "Carla Silva"],
            ),
            (
                LeadFilter { tags: tags(&["buyer"]), statuses: vec![acme.working.id], ..LeadFilter::default() },
                vec!["Bruno Silva"],
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(listed(&db, acme.id(), &silva(filter.clone())).await, expected, "{filter:?}");
        }

        // The index answers the whole filter: its one candidate is the one lead listed
        // (with the search alone it would have four, Gil's among them; without the status,
        // or without the source, two).
        let narrow = [
            silva(LeadFilter { tags: tags(&["buyer", "vip"]), ..LeadFilter::default() }),
            silva(LeadFilter {
                statuses: vec![acme.working.id],
                sources: vec![acme.source.id],
                ..LeadFilter::default()
            }),
        ];
        for filter in narrow {
            let mut tx = read(&db).await;
            let plan = tx
                .explain_leads(acme.id(), &Visibility::Organization, &filter, LeadSort::CreatedAsc, 50)
                .await
                .expect("the list is explained");
            tx.commit().await.expect("the read ends");
            assert!(
                plan.contains(&"-- read 1 candidates by id".to_owned()),
                "{filter:?}\n{}",
                plan.join("\n")
            );
        }

        // Bruno moves to "New" and loses "buyer"; Ana becomes a vip: the index follows.
        let bruno = &leads[1];
        let patch = LeadPatch {
            status: Some(acme.new.to_ref()),
            tags: Some(leadpool_domain::validate::parse_tags(&["vip"]).expect("valid tags")),
            ..LeadPatch::default()
        };
        let t = bruno
            .apply(&patch, Actor::System, None, at(10))
            .expect("a valid patch")
            .expect("a change");
        let ana = &leads[0];
        let retag = LeadPatch {
            tags: Some(leadpool_domain::validate::parse_tags(&["buyer", "vip"]).expect("valid tags")),
            ..LeadPatch::default()
        };
        let u = ana
            .apply(&retag, Actor::System, None, at(10))
            .expect("a valid patch")
            .expect("a change");
        let mut tx = write(&db).await;
        assert!(tx.update_lead(bruno.version, &t).await.expect("written"));
        assert!(tx.update_lead(ana.version, &u).await.expect("written"));
        commit(tx).await;
        let after = [
            (LeadFilter { tags: tags(&["buyer"]), ..LeadFilter::default() }, vec!["Ana Silva"]),
            (LeadFilter { tags: tags(&["buyer", "vip"]), ..LeadFilter::default() }, vec!["Ana Silva"]),
            (LeadFilter { statuses: vec![acme.working.id], ..LeadFilter::default() }, vec!["Carla Silva"]),
            (LeadFilter { statuses: vec![acme.new.id], ..LeadFilter::default() }, vec!["Ana Silva", "Bruno Silva"]),
            (LeadFilter { tags: tags(&["vip"]), ..LeadFilter::default() }, vec!["Ana Silva", "Bruno Silva", "Carla Silva"]),
        ];
        for (filter, expected) in after {
            assert_eq!(listed(&db, acme.id(), &silva(filter.clone())).await, expected, "{filter:?}");
        }
        assert_eq!(
            listed(&db, globex.id(), &silva(LeadFilter { tags: tags(&["buyer"]), ..LeadFilter::default() })).await,
            ["Gil Silva"],
            "another organization's lead is found in its own lists only"
        );
    }
}
