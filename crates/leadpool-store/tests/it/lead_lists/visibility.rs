//! A lead list shows only what the viewer may see, and never another organization's leads.

use leadpool_domain::{Role, Visibility};
use leadpool_store::leads::LeadFilter;
use leadpool_testkit::both_backends;

use super::{Reader, filter, insert_leads, office};
use crate::fixtures::{LeadSpec, add_user, assert_not_found, at, commit, insert, seed, write};

both_backends! {
    async fn an_agent_sees_only_the_leads_they_own(db) {
        let o = office(&db).await;
        let [a1, b1, p1, q1, _] = insert_leads(
            &db,
            [
                o.lead("A1", 1).agent(o.ana.id).team(o.north.id),
                o.lead("B1", 2).agent(o.bob.id).team(o.north.id),
                o.lead("P1", 3).pool(o.acme.pool.id).team(o.south.id),
                o.lead("Q1", 4),
                o.lead("A2", 5).agent(o.ana.id).team(o.south.id),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        let everything = LeadFilter::default();
        let ana = Visibility::Own { user: o.ana.id, pools: vec![] };
        assert_eq!(r.seen(&ana, &everything).await, ["A1", "A2"]);
        assert_eq!(
            r.seen(&Visibility::Own { user: o.bob.id, pools: vec![] }, &everything).await,
            ["B1"]
        );
        assert_eq!(
            r.seen(&Visibility::Organization, &everything).await,
            ["A1", "B1", "P1", "Q1", "A2"]
        );
        // A filter narrows what the visibility allows; it never widens it.
        let bobs = filter(|f| f.owner = Some(o.bob.id));
        assert!(r.seen(&ana, &bobs).await.is_empty());

        assert_eq!(
            r.tx.lead(o.acme.id(), a1.id, &ana)
                .await
                .expect("her own lead"),
            a1
        );
        for hidden in [b1, p1, q1] {
            assert_not_found(r.tx.lead(o.acme.id(), hidden.id, &ana).await);
        }
    }
}

both_backends! {
    async fn a_team_scope_sees_only_the_leads_of_its_teams(db) {
        let o = office(&db).await;
        let [_, s1, org_level, n2] = insert_leads(
            &db,
            [
                o.lead("N1", 1).agent(o.ana.id).team(o.north.id),
                o.lead("S1", 2).pool(o.acme.pool.id).team(o.south.id),
                o.lead("O1", 3),
                o.lead("N2", 4).team(o.north.id),
            ],
        )
        .await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        let everything = LeadFilter::default();
        let north = Visibility::Teams { teams: vec![o.north.id], pools: vec![] };
        let both = Visibility::Teams { teams: vec![o.south.id, o.north.id], pools: vec![] };
        assert_eq!(r.seen(&north, &everything).await, ["N1", "N2"]);
        assert_eq!(r.seen(&both, &everything).await, ["N1", "S1", "N2"]);
        assert!(
            r.seen(&Visibility::Teams { teams: vec![], pools: vec![] }, &everything)
                .await
                .is_empty()
        );

        assert_eq!(
            r.tx.lead(o.acme.id(), n2.id, &north)
                .await
                .expect("in scope"),
            n2
        );
        assert_not_found(r.tx.lead(o.acme.id(), s1.id, &north).await);
        // A lead at the organization level is outside every team's scope.
        assert_not_found(r.tx.lead(o.acme.id(), org_level.id, &both).await);
    }
}

both_backends! {
    async fn another_organizations_leads_are_never_listed_or_read_even_by_id(db) {
        let o = office(&db).await;
        let mut tx = write(&db).await;
        let beta = seed(&mut tx, "beta").await;
        let team = tx
            .insert_team(beta.id(), None, "North", at(0))
            .await
            .expect("beta team is created");
        let agent = add_user(&mut tx, beta.id(), "ana@beta.test", Role::Agent).await;
        let twin = |spec: LeadSpec| {
            spec.name("Ana Lima")
                .email("ana@lima.test")
                .external_id("e-1")
                .tags(&["vip"])
        };
        insert(&mut tx, twin(LeadSpec::of(&o.acme))).await;
        let theirs = insert(
            &mut tx,
            twin(LeadSpec::of(&beta)).agent(agent.id).team(team.id),
        )
        .await;
        commit(tx).await;

        let mut r = Reader::new(&db, o.acme.id()).await;
        assert_eq!(r.matching(LeadFilter::default()).await, ["Ana Lima"]);
        assert_eq!(
            r.matching(filter(|f| f.search = Some("ana".into()))).await,
            ["Ana Lima"]
        );
        assert_eq!(
            r.matching(filter(|f| f.tags = vec!["vip".into()])).await,
            ["Ana Lima"]
        );
        assert!(
            r.matching(filter(|f| f.sources = vec![beta.source.id]))
                .await
                .is_empty()
        );
        assert!(
            r.matching(filter(|f| f.owner = Some(agent.id)))
                .await
                .is_empty()
        );
        assert!(
            r.seen(&Visibility::Teams { teams: vec![team.id], pools: vec![] }, &LeadFilter::default())
                .await
                .is_empty()
        );
        assert!(
            r.seen(&Visibility::Own { user: agent.id, pools: vec![] }, &LeadFilter::default())
                .await
                .is_empty()
        );

        let acme = o.acme.id();
        assert_not_found(r.tx.lead(acme, theirs.id, &Visibility::Organization).await);
        let by_external_id = r.tx.lead_by_external_id(acme, beta.source.id, "e-1").await;
        assert_eq!(by_external_id.expect("looked up"), None);
        assert!(
            r.tx.timeline(acme, theirs.id)
                .await
                .expect("timeline is read")
                .is_empty()
        );
        assert_eq!(r.tx.count_leads(acme).await.expect("counted"), 1);
        let mut beta_reader = Reader {
            tx: r.tx,
            org: beta.id(),
        };
        assert_eq!(
            beta_reader.matching(LeadFilter::default()).await,
            ["Ana Lima"]
        );
    }
}
