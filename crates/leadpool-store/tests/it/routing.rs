//! Routing's stored state: round-robin positions (a router's first lead starts its line;
//! positions saved together read back each under its own router and organization), offers
//! opened together, the version of an organization's routing setup, and the open leads
//! each agent holds.

use leadpool_domain::routing::{Conditions, Cursor, Fallback, History, Plan, Router, Strategy};
use leadpool_domain::{Role, RuleId, StatusCategory, UserId};
use leadpool_store::bench_pool::PoolViewSeed;
use leadpool_store::leads::{COUNT_UP_TO, Tally};
use leadpool_store::offers::NewOffer;
use leadpool_store::routing::RuleSettings;
use leadpool_testkit::both_backends;

use crate::fixtures::{LeadSpec, add_user, at, commit, insert, read, seed, write};

fn rule_settings() -> RuleSettings {
    RuleSettings {
        name: "web".into(),
        enabled: true,
        conditions: Conditions::default(),
        plan: Plan {
            strategy: Strategy::Broadcast,
            group_id: None,
            window_secs: Some(60),
            calendar_id: None,
            ignore_hours: true,
            passes: 1,
            fallback: Fallback::Queue,
        },
    }
}

both_backends! {
    async fn positions_saved_together_read_back_each_under_its_router(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let (a, b, c) = (
            Router::Rule { rule_id: RuleId::new(1) },
            Router::Rule { rule_id: RuleId::new(2) },
            Router::Rule { rule_id: RuleId::new(3) },
        );
        let fresh = tx.lock_cursors(acme.id(), &[b, a, b]).await.expect("locked");
        assert_eq!(fresh.len(), 2);
        assert!(fresh.values().all(|c| *c == Cursor::default()));
        let at = |user: i64, round: u64| Cursor {
            last: Some(UserId::new(user)),
            last_index: 1,
            served: vec![(UserId::new(user), 1)],
            round,
        };
        tx.save_cursors(acme.id(), &[(a, at(7, 1)), (b, at(8, 2))]).await.expect("saved");
        tx.save_cursors(beta.id(), &[(a, at(9, 3))]).await.expect("saved");
        commit(tx).await;

        let mut tx = write(&db).await;
        let read = tx.lock_cursors(acme.id(), &[a, b, c]).await.expect("locked");
        assert_eq!(read.get(&a), Some(&at(7, 1)));
        assert_eq!(read.get(&b), Some(&at(8, 2)));
        assert_eq!(read.get(&c), Some(&Cursor::default()), "a new router starts its line");
        let other = tx.lock_cursors(beta.id(), &[a, b]).await.expect("locked");
        assert_eq!(other.get(&a), Some(&at(9, 3)), "another organization's position is its own");
        assert_eq!(other.get(&b), Some(&Cursor::default()));
        commit(tx).await;
    }
}

both_backends! {
    async fn every_change_to_the_routing_setup_moves_the_version_on_and_nothing_else_does(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        commit(tx).await;
        let version = |org| {
            let db = &db;
            async move {
                let mut tx = read(db).await;
                tx.config_version(org).await.expect("version read")
            }
        };
        let (mut last, beta_at) = (version(acme.id()).await, version(beta.id()).await);
        let mut moved = |now: i64, what: &str| {
            assert!(now > last, "{what} did not move the version ({last} -> {now})");
            last = now;
        };

        let mut tx = write(&db).await;
        let group = tx.insert_group(acme.id(), "line", &[], at(1)).await.expect("group");
        commit(tx).await;
        moved(version(acme.id()).await, "a new group");
        let mut tx = write(&db).await;
        tx.update_group(acme.id(), group.id, "renamed", &[], at(2)).await.expect("group renamed");
        commit(tx).await;
        moved(version(acme.id()).await, "a group edit");
        let mut tx = write(&db).await;
        let rule = tx.insert_rule(acme.id(), &rule_settings(), at(3)).await.expect("rule");
        commit(tx).await;
        moved(version(acme.id()).await, "a new rule");
        let mut tx = write(&db).await;
        tx.delete_rule(acme.id(), rule.id).await.expect("rule deleted");
        commit(tx).await;
        moved(version(acme.id()).await, "a deleted rule");
        let mut tx = write(&db).await;
        let mut status = tx.default_status(acme.id()).await.expect("status");
        status.expires_after_ms = Some(60_000);
        tx.update_status(&status).await.expect("status edited");
        commit(tx).await;
        moved(version(acme.id()).await, "a status edit");
        let mut tx = write(&db).await;
        let mut settings = tx.org_pool_settings(acme.id()).await.expect("settings");
        settings.caps.max_new = Some(3);
        tx.set_org_pool_settings(acme.id(), &settings).await.expect("caps set");
        commit(tx).await;
        moved(version(acme.id()).await, "new caps");

        // Leads and people come and go without touching it, and other organizations are apart.
        let mut tx = write(&db).await;
        insert(&mut tx, LeadSpec::of(&acme).name("Ana Lima")).await;
        add_user(&mut tx, acme.id(), "bo@acme.test", Role::Agent).await;
        commit(tx).await;
        assert_eq!(version(acme.id()).await, last, "leads and users are not the setup");
        assert_eq!(version(beta.id()).await, beta_at, "another organization's version stays");
    }
}

both_backends! {
    async fn offers_opened_together_read_back_each_with_its_lead_and_recipients(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let bo = add_user(&mut tx, acme.id(), "bo@acme.test", Role::Agent).await;
        let leads = [
            insert(&mut tx, LeadSpec::of(&acme).name("One")).await,
            insert(&mut tx, LeadSpec::of(&acme).name("Two")).await,
            insert(&mut tx, LeadSpec::of(&acme).name("Three")).await,
        ];
        let plan = rule_settings().plan;
        let history = History::default();
        let router = Router::Rule { rule_id: RuleId::new(1) };
        let to = [vec![ana.id], vec![ana.id, bo.id], vec![bo.id]];
        let pins = ["111111", "222222", "333333"];
        let new: Vec<NewOffer> = (0..3)
            .map(|i| NewOffer {
                lead: leads[i].id,
                router,
                router_name: "web",
                plan: &plan,
                to: &to[i],
                deadline: at(60_000),
                pin: pins[i],
                broadcast: i == 1,
                history: &history,
            })
            .collect();
        let ids = tx.insert_offers(acme.id(), &new, at(1)).await.expect("offers opened");
        assert_eq!(ids.len(), 3);
        for (i, id) in ids.iter().enumerate() {
            let stored = tx.offer(acme.id(), *id).await.expect("offer read");
            assert_eq!(stored.offer.lead_id, leads[i].id, "offer {i} is for its own lead");
            assert_eq!(stored.offer.pin, pins[i]);
            assert_eq!(stored.offer.to, to[i]);
            assert_eq!(stored.offer.broadcast, i == 1);
        }
        let for_ana: Vec<_> = tx.open_offers_for(acme.id(), ana.id).await.expect("read").iter().map(|o| o.offer.id).collect();
        let for_bo: Vec<_> = tx.open_offers_for(acme.id(), bo.id).await.expect("read").iter().map(|o| o.offer.id).collect();
        assert_eq!(for_ana, [ids[0], ids[1]], "each recipient row names its own offer");
        assert_eq!(for_bo, [ids[1], ids[2]]);
        commit(tx).await;
    }
}

both_backends! {
    async fn an_agents_load_counts_the_leads_they_hold_in_any_status_but_a_closed_one(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let closed = tx
            .insert_status(acme.id(), "Closed", StatusCategory::Closed, false, at(0))
            .await
            .expect("status Closed is created");
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let bo = add_user(&mut tx, acme.id(), "bo@acme.test", Role::Agent).await;
        let idle = add_user(&mut tx, acme.id(), "idle@acme.test", Role::Agent).await;
        for (spec, n) in [
            (LeadSpec::of(&acme).name("Ana Lead").agent(ana.id), 3),
            (LeadSpec::of(&acme).name("Ana Lead").agent(ana.id).status(&acme.working), 2),
            (LeadSpec::of(&acme).name("Ana Lead").agent(ana.id).status(&closed), 4),
            (LeadSpec::of(&acme).name("Bo Lead").agent(bo.id).status(&closed), 1),
            (LeadSpec::of(&acme).name("Queued"), 5),
            (LeadSpec::of(&beta).name("Beta Lead").agent(ana.id), 6),
        ] {
            for _ in 0..n {
                insert(&mut tx, spec.clone()).await;
            }
        }
        commit(tx).await;

        let mut tx = read(&db).await;
        let loads = tx
            .loads(acme.id(), &[ana.id, bo.id, idle.id])
            .await
            .expect("loads are read");
        commit(tx).await;
        let open = |u: UserId| loads.get(&u).map(|l| l.open_leads);
        assert_eq!(
            (open(ana.id), open(bo.id), open(idle.id)),
            (Some(5), Some(0), Some(0)),
            "open leads: new and working count, closed and another organization's do not"
        );
        let mut tx = read(&db).await;
        let shown = tx
            .open_lead_tallies(acme.id(), &[ana.id, bo.id, idle.id])
            .await
            .expect("tallies are read");
        commit(tx).await;
        let shown = |u: UserId| shown.get(&u).copied();
        assert_eq!(
            (shown(ana.id), shown(bo.id), shown(idle.id)),
            (Some(Tally::Exactly(5)), Some(Tally::Exactly(0)), Some(Tally::Exactly(0))),
            "a page's tally counts the same leads"
        );
    }
}

both_backends! {
    async fn a_page_tallies_an_agents_open_leads_up_to_the_cap_and_then_says_more(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let bo = add_user(&mut tx, acme.id(), "bo@acme.test", Role::Agent).await;
        let pool = tx.pools(acme.id()).await.expect("pools are read");
        let statuses = [acme.new.id, acme.working.id];
        let leads = COUNT_UP_TO + 3_000;
        // Four in five of the seeded leads go to the agents given; the rest wait in the queue.
        tx.bench_seed_pool_view(&PoolViewSeed {
            org: acme.id(),
            sources: &[acme.source.id],
            statuses: &statuses,
            agents: &[ana.id],
            teams: &[],
            pool: pool[0].id,
            leads,
            pool_leads: 1,
            now: at(0),
        })
        .await
        .expect("leads are seeded");
        for _ in 0..3 {
            insert(&mut tx, LeadSpec::of(&acme).name("Bo Lead").agent(bo.id)).await;
        }
        commit(tx).await;

        let mut tx = read(&db).await;
        let loads = tx.loads(acme.id(), &[ana.id, bo.id]).await.expect("loads are read");
        let shown = tx
            .open_lead_tallies(acme.id(), &[ana.id, bo.id])
            .await
            .expect("tallies are read");
        commit(tx).await;
        let held = loads.get(&ana.id).map_or(0, |l| l.open_leads);
        assert!(i64::from(held) > COUNT_UP_TO, "ana holds more than the cap: {held}");
        assert_eq!(
            shown.get(&ana.id),
            Some(&Tally::MoreThan(COUNT_UP_TO.unsigned_abs())),
            "past the cap, a page says more"
        );
        assert_eq!(shown.get(&bo.id), Some(&Tally::Exactly(3)), "under it, exactly");
    }
}
