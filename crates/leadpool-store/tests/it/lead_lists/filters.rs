//! Every part of a lead filter, alone and together.

use leadpool_domain::{StatusCategory, Visibility};
use leadpool_store::leads::LeadFilter;
use leadpool_testkit::both_backends;

use super::{Reader, filter, insert_leads, office};
use crate::fixtures::{at, commit, insert, write};

fn search(term: &str) -> LeadFilter {
    filter(|f| f.search = Some(term.to_owned()))
}

fn tagged(tags: &[&str]) -> LeadFilter {
    filter(|f| f.tags = tags.iter().map(|t| (*t).to_owned()).collect())
}

both_backends! {
    async fn leads_are_filtered_by_owner_and_by_pool(db) {
        let o = office(&db).await;
        insert_leads(
            &db,
            [
                o.lead("A1", 1).agent(o.ana.id),
                o.lead("B1", 2).agent(o.bob.id),
                o.lead("P1", 3).pool(o.acme.pool.id),
                o.lead("P2", 4).pool(o.north_pool.id),
                o.lead("Q1", 5),
                o.lead("A2", 6).agent(o.ana.id),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        assert_eq!(
            r.matching(filter(|f| f.owner = Some(o.ana.id))).await,
            ["A1", "A2"]
        );
        assert_eq!(
            r.matching(filter(|f| f.owner = Some(o.bob.id))).await,
            ["B1"]
        );
        assert_eq!(
            r.matching(filter(|f| f.in_pool = Some(true))).await,
            ["P1", "P2"]
        );
        assert_eq!(
            r.matching(filter(|f| f.in_pool = Some(false))).await,
            ["A1", "B1", "Q1", "A2"]
        );
        assert_eq!(
            r.matching(filter(|f| f.pool = Some(o.north_pool.id))).await,
            ["P2"]
        );
        assert_eq!(
            r.matching(filter(|f| f.pool = Some(o.acme.pool.id))).await,
            ["P1"]
        );
        let contradiction = filter(|f| {
            f.pool = Some(o.acme.pool.id);
            f.in_pool = Some(false);
        });
        assert!(r.matching(contradiction).await.is_empty());
        let pooled_agent = filter(|f| {
            f.owner = Some(o.ana.id);
            f.in_pool = Some(true);
        });
        assert!(r.matching(pooled_agent).await.is_empty());
    }
}

both_backends! {
    async fn leads_are_filtered_by_any_of_several_statuses_and_sources(db) {
        let o = office(&db).await;
        let mut tx = write(&db).await;
        let closed = tx
            .insert_status(o.acme.id(), "Closed", StatusCategory::Closed, false, at(0))
            .await
            .expect("Closed is created");
        commit(tx).await;
        insert_leads(
            &db,
            [
                o.lead("W1", 1),
                o.lead("W2", 2).status(&o.acme.working),
                o.lead("Z1", 3).source(o.zillow.id),
                o.lead("Z2", 4).source(o.zillow.id).status(&closed),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        let (new, working, web, zillow) = (
            o.acme.new.id,
            o.acme.working.id,
            o.acme.source.id,
            o.zillow.id,
        );
        assert_eq!(
            r.matching(filter(|f| f.statuses = vec![new])).await,
            ["W1", "Z1"]
        );
        assert_eq!(
            r.matching(filter(|f| f.statuses = vec![closed.id, working]))
                .await,
            ["W2", "Z2"]
        );
        assert_eq!(
            r.matching(filter(|f| f.sources = vec![zillow])).await,
            ["Z1", "Z2"]
        );
        assert_eq!(
            r.matching(filter(|f| f.sources = vec![web, zillow])).await,
            ["W1", "W2", "Z1", "Z2"]
        );
        let both = filter(|f| {
            f.sources = vec![zillow];
            f.statuses = vec![new, working];
        });
        assert_eq!(r.matching(both).await, ["Z1"]);
    }
}

both_backends! {
    async fn a_tag_filter_keeps_only_leads_carrying_every_tag(db) {
        let o = office(&db).await;
        insert_leads(
            &db,
            [
                o.lead("V", 1).tags(&["vip"]),
                o.lead("VB", 2).tags(&["vip", "buyer"]),
                o.lead("B", 3).tags(&["buyer"]),
                o.lead("VBS", 4).tags(&["seller", "buyer", "vip"]),
                o.lead("None", 5),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        assert_eq!(r.matching(tagged(&["vip"])).await, ["V", "VB", "VBS"]);
        assert_eq!(r.matching(tagged(&["buyer", "vip"])).await, ["VB", "VBS"]);
        assert_eq!(
            r.matching(tagged(&["vip", "buyer", "seller"])).await,
            ["VBS"]
        );
        assert_eq!(r.matching(tagged(&["buyer"])).await, ["VB", "B", "VBS"]);
        assert!(r.matching(tagged(&["vip", "renter"])).await.is_empty());
    }
}

both_backends! {
    async fn a_created_range_includes_its_start_and_excludes_its_end(db) {
        let o = office(&db).await;
        insert_leads(
            &db,
            [
                o.lead("Early", 999),
                o.lead("Start", 1_000),
                o.lead("Inside", 1_500),
                o.lead("End", 2_000),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        let range = |from: Option<i64>, to: Option<i64>| {
            filter(|f| {
                f.created_from = from.map(at);
                f.created_to = to.map(at);
            })
        };
        assert_eq!(
            r.matching(range(Some(1_000), Some(2_000))).await,
            ["Start", "Inside"]
        );
        assert_eq!(
            r.matching(range(Some(1_000), None)).await,
            ["Start", "Inside", "End"]
        );
        assert_eq!(r.matching(range(None, Some(1_000))).await, ["Early"]);
        assert_eq!(
            r.matching(range(Some(1_500), Some(1_501))).await,
            ["Inside"]
        );
        assert!(r.matching(range(Some(1_500), Some(1_500))).await.is_empty());
    }
}

both_backends! {
    async fn search_finds_a_name_fragment_in_any_letter_case(db) {
        let o = office(&db).await;
        insert_leads(
            &db,
            [
                o.lead("Ana Lima", 1),
                o.lead("Élodie Marchand", 2),
                o.lead("Bruno Limão", 3),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        assert_eq!(r.matching(search("lima")).await, ["Ana Lima"]);
        assert_eq!(r.matching(search("LIMA")).await, ["Ana Lima"]);
        assert_eq!(
            r.matching(search("  lIm ")).await,
            ["Ana Lima", "Bruno Limão"]
        );
        // Letter case is folded beyond ASCII, on both backends.
        assert_eq!(r.matching(search("ÉLODIE")).await, ["Élodie Marchand"]);
        assert_eq!(r.matching(search("LIMÃO")).await, ["Bruno Limão"]);
        assert_eq!(r.matching(search("a l")).await, ["Ana Lima"]);
        assert!(r.matching(search("carla")).await.is_empty());
        // A blank search is no search.
        assert_eq!(
            r.matching(search("   ")).await,
            ["Ana Lima", "Élodie Marchand", "Bruno Limão"]
        );
    }
}

both_backends! {
    async fn search_finds_an_email_and_a_phone_typed_with_punctuation(db) {
        let o = office(&db).await;
        insert_leads(
            &db,
            [
                o.lead("Ana Lima", 1)
                    .email("Ana.Lima@Example.com")
                    .phone("+1 (555) 010-2030"),
                o.lead("Bob Builder", 2)
                    .email("bob@builders.test")
                    .phone("555.010.9999")
                    .phone("0044 20 7946 0000"),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        assert_eq!(
            r.matching(search("ana.lima@example.com")).await,
            ["Ana Lima"]
        );
        assert_eq!(r.matching(search("ANA.LIMA@EXAMPLE")).await, ["Ana Lima"]);
        assert_eq!(r.matching(search("@builders")).await, ["Bob Builder"]);
        assert_eq!(r.matching(search("(555) 010-2030")).await, ["Ana Lima"]);
        assert_eq!(r.matching(search("+1 555.010.2030")).await, ["Ana Lima"]);
        assert_eq!(r.matching(search("5550102030")).await, ["Ana Lima"]);
        assert_eq!(
            r.matching(search("555-010")).await,
            ["Ana Lima", "Bob Builder"]
        );
        assert_eq!(r.matching(search("20 7946")).await, ["Bob Builder"]);
        assert!(r.matching(search("(555) 010-7777")).await.is_empty());
    }
}

both_backends! {
    async fn percent_and_underscore_in_a_search_match_only_themselves(db) {
        let o = office(&db).await;
        insert_leads(
            &db,
            [
                o.lead("Sale 50% Off", 1),
                o.lead("Sale 500 Offers", 2),
                o.lead("Tom a_b", 3),
                o.lead("Tom axb", 4),
                o.lead("Back\\slash", 5),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        assert_eq!(r.matching(search("50%")).await, ["Sale 50% Off"]);
        assert_eq!(r.matching(search("%")).await, ["Sale 50% Off"]);
        assert_eq!(r.matching(search("a_b")).await, ["Tom a_b"]);
        assert_eq!(r.matching(search("_")).await, ["Tom a_b"]);
        assert_eq!(r.matching(search("k\\s")).await, ["Back\\slash"]);
        assert_eq!(
            r.matching(search("sale 50")).await,
            ["Sale 50% Off", "Sale 500 Offers"]
        );
        assert_eq!(r.matching(search("tom a")).await, ["Tom a_b", "Tom axb"]);
    }
}

both_backends! {
    async fn every_filter_part_given_must_match(db) {
        let o = office(&db).await;
        let hit = |name: &str| {
            o.lead(name, 10)
                .tags(&["vip"])
                .agent(o.ana.id)
                .team(o.north.id)
                .source(o.zillow.id)
                .status(&o.acme.working)
        };
        let mut tx = write(&db).await;
        insert(&mut tx, hit("Ana Lima")).await;
        // Each of these misses in exactly one respect.
        insert(&mut tx, hit("Ana Lima (Bob's)").agent(o.bob.id)).await;
        insert(&mut tx, hit("Ana Lima (buyer)").tags(&["buyer"])).await;
        insert(&mut tx, hit("Ana Lima (website)").source(o.acme.source.id)).await;
        insert(&mut tx, hit("Ana Lima (new)").status(&o.acme.new)).await;
        insert(&mut tx, hit("Ana Lima (late)").created_at(at(20))).await;
        insert(&mut tx, hit("Bia Lopes")).await;
        insert(&mut tx, hit("Ana Lima (south)").team(o.south.id)).await;
        commit(tx).await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        let all_parts = LeadFilter {
            owner: Some(o.ana.id),
            in_pool: Some(false),
            pool: None,
            statuses: vec![o.acme.working.id],
            sources: vec![o.zillow.id],
            tags: vec!["vip".into()],
            created_from: Some(at(5)),
            created_to: Some(at(15)),
            search: Some("lima".into()),
        };
        assert_eq!(
            r.seen(&Visibility::Teams { teams: vec![o.north.id], pools: vec![] }, &all_parts)
                .await,
            ["Ana Lima"]
        );
        let loose = filter(|f| f.search = Some("lima".into()));
        assert_eq!(
            r.seen(&Visibility::Organization, &loose).await.len(),
            7,
            "the near misses are there"
        );
    }
}
