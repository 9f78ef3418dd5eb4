//! Writing leads: every insert and every change carries its timeline entry in the same
//! transaction; a stale version writes nothing; nothing crosses organizations.

use leadpool_domain::lead::LeadPatch;
use leadpool_domain::validate::PersonName;
use leadpool_domain::{Actor, EventKind, Owner, Role, Visibility};
use leadpool_store::leads::{LeadFilter, LeadSort};
use leadpool_testkit::both_backends;
use serde_json::json;

use crate::fixtures::{
    LeadSpec, add_user, assert_conflict, assert_not_found, at, commit, ids, insert, read, seed,
    write,
};

both_backends! {
    async fn an_inserted_lead_reads_back_whole_with_exactly_one_created_entry(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let north = tx
            .insert_team(acme.id(), None, "North", at(0))
            .await
            .expect("north is created");
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        commit(tx).await;

        let new = LeadSpec::of(&acme)
            .name("Élodie Marchand")
            .email("Elodie@Example.com")
            .phone("+1 (555) 010-2030")
            .tags(&["Buyer", "vip"])
            .field("budget", json!(450_000))
            .field("area", json!("north shore"))
            .external_id("web-17")
            .agent(ana.id)
            .team(north.id)
            .created_at(at(42))
            .build();
        let mut tx = write(&db).await;
        let lead = tx.insert_lead(&new).await.expect("the lead is inserted");
        commit(tx).await;
        assert!(lead.id.get() > 0);
        assert_eq!(lead.version, 1);

        let mut tx = read(&db).await;
        let stored = tx
            .lead(acme.id(), lead.id, &Visibility::Organization)
            .await
            .expect("found");
        assert_eq!(stored, lead);
        assert_eq!(stored.owner, Owner::Agent { user_id: ana.id });
        assert_eq!(stored.emails[0].as_str(), "elodie@example.com");
        assert_eq!(stored.phones[0].as_str(), "+15550102030");
        let tags: Vec<_> = stored.tags.iter().map(|t| t.as_str()).collect();
        assert_eq!(tags, ["buyer", "vip"]);
        assert_eq!(
            tx.lead_by_external_id(acme.id(), acme.source.id, "web-17")
                .await
                .expect("looked up"),
            Some(lead.clone())
        );
        assert_eq!(
            tx.lead_by_external_id(acme.id(), acme.source.id, "web-18")
                .await
                .expect("looked up"),
            None
        );

        let timeline = tx
            .timeline(acme.id(), lead.id)
            .await
            .expect("timeline is read");
        assert_eq!(timeline.len(), 1, "{timeline:?}");
        assert_eq!(timeline[0].lead_id, lead.id);
        assert_eq!(timeline[0].entry, new.entry);
        assert_eq!(timeline[0].entry.kind, EventKind::Created);
        assert_eq!(
            timeline[0].entry.actor,
            Actor::Source {
                source_id: acme.source.id
            }
        );
        assert_eq!(tx.count_leads(acme.id()).await.expect("counted"), 1);
    }
}

both_backends! {
    async fn a_lead_with_only_a_phone_reads_back_without_a_name(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let lead = insert(
            &mut tx,
            LeadSpec::of(&acme).phone("555 010 9999").pool(acme.pool.id),
        )
        .await;
        commit(tx).await;

        let mut tx = read(&db).await;
        let stored = tx
            .lead(acme.id(), lead.id, &Visibility::Organization)
            .await
            .expect("found");
        assert_eq!(stored.name, None);
        assert_eq!(stored, lead);
    }
}

both_backends! {
    async fn a_dropped_transaction_leaves_neither_the_lead_nor_its_entry(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        commit(tx).await;

        let mut tx = write(&db).await;
        let dropped = insert(
            &mut tx,
            LeadSpec::of(&acme).name("Never Stored").external_id("x-1"),
        )
        .await;
        drop(tx);
        let mut tx = write(&db).await;
        let rolled_back = insert(
            &mut tx,
            LeadSpec::of(&acme).name("Rolled Back").external_id("x-2"),
        )
        .await;
        tx.rollback().await.expect("the transaction rolls back");

        let mut tx = read(&db).await;
        assert_eq!(tx.count_leads(acme.id()).await.expect("counted"), 0);
        for id in [dropped.id, rolled_back.id] {
            assert_not_found(tx.lead(acme.id(), id, &Visibility::Organization).await);
            assert!(
                tx.timeline(acme.id(), id)
                    .await
                    .expect("timeline is read")
                    .is_empty()
            );
        }
        assert_eq!(
            tx.lead_by_external_id(acme.id(), acme.source.id, "x-1")
                .await
                .expect("looked up"),
            None
        );
        drop(tx);

        // The external ids are free again: nothing of the dropped inserts is left behind.
        let mut tx = write(&db).await;
        insert(
            &mut tx,
            LeadSpec::of(&acme).name("Stored").external_id("x-1"),
        )
        .await;
        commit(tx).await;
    }
}

both_backends! {
    async fn a_change_at_the_read_version_is_written_with_exactly_one_entry(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let lead = insert(
            &mut tx,
            LeadSpec::of(&acme).name("Ana Lima").tags(&["buyer"]),
        )
        .await;
        commit(tx).await;

        let claim = lead
            .reassign(
                Owner::Agent { user_id: ana.id },
                None,
                Actor::User { user_id: ana.id },
                Some("claimed".into()),
                at(1_000),
            )
            .expect("a new owner is a change");
        let mut tx = write(&db).await;
        assert!(
            tx.update_lead(lead.version, &claim)
                .await
                .expect("the change is written")
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        let stored = tx
            .lead(acme.id(), lead.id, &Visibility::Organization)
            .await
            .expect("found");
        assert_eq!(stored, claim.lead);
        assert_eq!(
            (stored.version, stored.updated_at, stored.created_at),
            (2, at(1_000), at(0))
        );
        let timeline = tx
            .timeline(acme.id(), lead.id)
            .await
            .expect("timeline is read");
        let kinds: Vec<_> = timeline.iter().map(|r| r.entry.kind).collect();
        assert_eq!(kinds, [EventKind::Created, EventKind::OwnerChanged]);
        assert_eq!(timeline[1].entry, claim.entry);
        assert_eq!(timeline[1].entry.reason.as_deref(), Some("claimed"));
    }
}

both_backends! {
    async fn a_change_at_a_stale_version_writes_nothing_at_all(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let bob = add_user(&mut tx, acme.id(), "bob@acme.test", Role::Agent).await;
        let lead = insert(
            &mut tx,
            LeadSpec::of(&acme)
                .name("Ana Lima")
                .tags(&["buyer"])
                .pool(acme.pool.id),
        )
        .await;
        commit(tx).await;

        // Ana and Bob both read version 1; Ana's claim lands first.
        let ana_claim = lead
            .reassign(
                Owner::Agent { user_id: ana.id },
                None,
                Actor::User { user_id: ana.id },
                None,
                at(1_000),
            )
            .expect("a change");
        let bob_claim = lead
            .reassign(
                Owner::Agent { user_id: bob.id },
                None,
                Actor::User { user_id: bob.id },
                None,
                at(1_001),
            )
            .expect("a change");
        let retag = LeadPatch {
            tags: Some(Vec::new()),
            ..LeadPatch::default()
        };
        let bob_retag = lead
            .apply(&retag, Actor::User { user_id: bob.id }, None, at(1_002))
            .expect("valid")
            .expect("a change");
        let mut tx = write(&db).await;
        assert!(
            tx.update_lead(lead.version, &ana_claim)
                .await
                .expect("ana's claim is written")
        );
        commit(tx).await;

        let mut tx = write(&db).await;
        assert!(
            !tx.update_lead(lead.version, &bob_claim)
                .await
                .expect("bob's claim is refused")
        );
        assert!(
            !tx.update_lead(lead.version, &bob_retag)
                .await
                .expect("bob's edit is refused")
        );
        assert!(
            !tx.update_lead(lead.version + 5, &bob_claim)
                .await
                .expect("a future version is refused too")
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        let stored = tx
            .lead(acme.id(), lead.id, &Visibility::Organization)
            .await
            .expect("found");
        assert_eq!(stored, ana_claim.lead);
        assert_eq!(
            tx.timeline(acme.id(), lead.id)
                .await
                .expect("timeline is read")
                .len(),
            2
        );
        let tagged = LeadFilter {
            tags: vec!["buyer".into()],
            ..LeadFilter::default()
        };
        let listed = tx
            .leads(
                acme.id(),
                &Visibility::Organization,
                &tagged,
                LeadSort::CreatedAsc,
                None,
                10,
            )
            .await
            .expect("listed");
        assert_eq!(
            ids(&listed),
            [lead.id],
            "the refused edit must not have cleared the tags"
        );
    }
}

both_backends! {
    async fn a_change_replaces_the_tags_the_tag_filter_sees(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let lead = insert(
            &mut tx,
            LeadSpec::of(&acme).name("Ana Lima").tags(&["buyer", "vip"]),
        )
        .await;
        let patch = LeadPatch {
            tags: Some(leadpool_domain::validate::parse_tags(&["seller"]).expect("valid tags")),
            ..LeadPatch::default()
        };
        let t = lead
            .apply(&patch, Actor::System, None, at(5))
            .expect("valid")
            .expect("a change");
        assert!(tx.update_lead(lead.version, &t).await.expect("written"));
        commit(tx).await;

        let mut tx = read(&db).await;
        let with = |tag: &str| LeadFilter {
            tags: vec![tag.to_owned()],
            ..LeadFilter::default()
        };
        for (tag, expected) in [
            ("buyer", vec![]),
            ("vip", vec![]),
            ("seller", vec![lead.id]),
        ] {
            let listed = tx
                .leads(
                    acme.id(),
                    &Visibility::Organization,
                    &with(tag),
                    LeadSort::CreatedAsc,
                    None,
                    10,
                )
                .await
                .expect("listed");
            assert_eq!(ids(&listed), expected, "tag {tag}");
        }
    }
}

both_backends! {
    async fn a_lead_of_another_organization_is_not_changed_through_it(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let lead = insert(&mut tx, LeadSpec::of(&acme).name("Ana Lima")).await;
        commit(tx).await;

        let mut forged = lead
            .reassign(
                Owner::Pool {
                    pool_id: beta.pool.id,
                },
                None,
                Actor::System,
                None,
                at(1),
            )
            .expect("a change");
        forged.lead.org = beta.id();
        let mut tx = write(&db).await;
        assert!(
            !tx.update_lead(lead.version, &forged)
                .await
                .expect("nothing matches in beta")
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(
            tx.lead(acme.id(), lead.id, &Visibility::Organization)
                .await
                .expect("found"),
            lead
        );
        assert_eq!(
            tx.timeline(acme.id(), lead.id)
                .await
                .expect("timeline is read")
                .len(),
            1
        );
        assert!(
            tx.timeline(beta.id(), lead.id)
                .await
                .expect("timeline is read")
                .is_empty()
        );
    }
}

both_backends! {
    async fn a_repeated_external_id_from_one_source_is_a_conflict_on_leads_external_id_key(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let zillow = tx
            .insert_source(acme.id(), "Zillow", None, "digest-zillow", "z", at(0))
            .await
            .expect("zillow is created");
        let first = insert(
            &mut tx,
            LeadSpec::of(&acme).name("Ana Lima").external_id("ext-1"),
        )
        .await;
        let other_source = insert(
            &mut tx,
            LeadSpec::of(&acme)
                .name("Ana Lima")
                .external_id("ext-1")
                .source(zillow.id),
        )
        .await;
        insert(&mut tx, LeadSpec::of(&acme).name("No External Id")).await;
        insert(&mut tx, LeadSpec::of(&acme).name("No External Id Either")).await;
        commit(tx).await;

        let mut tx = write(&db).await;
        let again = LeadSpec::of(&acme)
            .name("Ana Again")
            .external_id("ext-1")
            .build();
        assert_conflict(tx.insert_lead(&again).await, "leads_external_id_key");
        drop(tx);

        let mut tx = read(&db).await;
        assert_eq!(tx.count_leads(acme.id()).await.expect("counted"), 4);
        assert_eq!(
            tx.lead_by_external_id(acme.id(), acme.source.id, "ext-1")
                .await
                .expect("looked up")
                .map(|l| l.id),
            Some(first.id)
        );
        assert_eq!(
            tx.lead_by_external_id(acme.id(), zillow.id, "ext-1")
                .await
                .expect("looked up")
                .map(|l| l.id),
            Some(other_source.id)
        );
        // The batch lookup finds exact (source, external id) pairs, never a cross-match.
        let mut found: Vec<_> = tx
            .leads_by_external_ids(
                acme.id(),
                &[(acme.source.id, "ext-1"), (zillow.id, "ext-2"), (zillow.id, "ext-1")],
            )
            .await
            .expect("looked up")
            .into_iter()
            .map(|l| l.id)
            .collect();
        found.sort_unstable();
        let mut expected = vec![first.id, other_source.id];
        expected.sort_unstable();
        assert_eq!(found, expected);
        let only_zillow = tx
            .leads_by_external_ids(acme.id(), &[(zillow.id, "ext-1"), (acme.source.id, "ext-9")])
            .await
            .expect("looked up");
        assert_eq!(only_zillow.iter().map(|l| l.id).collect::<Vec<_>>(), [other_source.id]);
    }
}

both_backends! {
    async fn the_timeline_lists_entries_oldest_first(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let lead = insert(&mut tx, LeadSpec::of(&acme).name("Ana Lima")).await;
        let other = insert(&mut tx, LeadSpec::of(&acme).name("Someone Else")).await;
        commit(tx).await;

        let working = LeadPatch {
            status: Some(acme.working.to_ref()),
            ..LeadPatch::default()
        };
        let step1 = lead
            .apply(&working, Actor::System, None, at(1_000))
            .expect("valid")
            .expect("a change");
        let step2 = step1
            .lead
            .reassign(
                Owner::Agent { user_id: ana.id },
                None,
                Actor::System,
                None,
                at(2_000),
            )
            .expect("a change");
        let rename = LeadPatch {
            name: Some(leadpool_domain::validate::PersonName::parse("Ana B. Lima").ok()),
            ..LeadPatch::default()
        };
        let step3 = step2
            .lead
            .apply(
                &rename,
                Actor::User { user_id: ana.id },
                Some("typo".into()),
                at(3_000),
            )
            .expect("valid")
            .expect("a change");
        let other_step = other
            .reassign(
                Owner::Pool {
                    pool_id: acme.pool.id,
                },
                None,
                Actor::System,
                None,
                at(1_500),
            )
            .expect("a change");
        let mut tx = write(&db).await;
        assert!(tx.update_lead(1, &step1).await.expect("step 1"));
        assert!(
            tx.update_lead(1, &other_step)
                .await
                .expect("the other lead changes in between")
        );
        assert!(tx.update_lead(2, &step2).await.expect("step 2"));
        assert!(tx.update_lead(3, &step3).await.expect("step 3"));
        commit(tx).await;

        let mut tx = read(&db).await;
        let timeline = tx
            .timeline(acme.id(), lead.id)
            .await
            .expect("timeline is read");
        let read_back: Vec<_> = timeline
            .iter()
            .map(|r| (r.entry.kind, r.entry.at))
            .collect();
        assert_eq!(
            read_back,
            [
                (EventKind::Created, at(0)),
                (EventKind::StatusChanged, at(1_000)),
                (EventKind::OwnerChanged, at(2_000)),
                (EventKind::Updated, at(3_000)),
            ]
        );
        assert!(timeline.windows(2).all(|w| w[0].id < w[1].id));
        assert!(timeline.iter().all(|r| r.lead_id == lead.id));
        assert_eq!(timeline[3].entry, step3.entry);
        assert_eq!(
            timeline[3].entry.changes,
            json!({"name": {"from": "Ana Lima", "to": "Ana B. Lima"}})
        );
        let stored = tx
            .lead(acme.id(), lead.id, &Visibility::Organization)
            .await
            .expect("found");
        assert_eq!((stored.version, stored.status.id), (4, acme.working.id));
    }
}

/// The database's `leads_one_owner` CHECK cannot be reached through the store's API (the
/// `Owner` enum cannot name two owners), so the read side is what a test can pin: owner
/// columns naming two owners, or none, never decode into a lead's owner.
#[test]
fn owner_columns_naming_two_owners_or_none_do_not_decode() {
    assert!(Owner::from_columns("agent", Some(1), Some(2), None).is_err());
    assert!(Owner::from_columns("pool", Some(1), Some(2), None).is_err());
    assert!(Owner::from_columns("offer", None, Some(2), Some(3)).is_err());
    assert!(Owner::from_columns("queue", Some(1), None, None).is_err());
    assert!(Owner::from_columns("agent", None, None, None).is_err());
    assert_eq!(
        Owner::from_columns("queue", None, None, None),
        Ok(Owner::Queue)
    );
}

both_backends! {
    async fn a_batch_writes_each_lead_whole_whichever_columns_the_others_change(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let renamed = insert(&mut tx, LeadSpec::of(&acme).name("Ana Lima").tags(&["buyer"])).await;
        let claimed = insert(&mut tx, LeadSpec::of(&acme).name("Bo Reyes")).await;
        let stale = insert(&mut tx, LeadSpec::of(&acme).name("Cy Park")).await;
        commit(tx).await;

        // One lead changes only its name and tags, another only its owner: the batch sets the
        // columns either changes, and each lead keeps what the other's change does not touch.
        let patch = LeadPatch {
            name: Some(Some(PersonName::parse("Ana Lima-Souza").expect("a name"))),
            tags: Some(Vec::new()),
            ..LeadPatch::default()
        };
        let rename = renamed
            .apply(&patch, Actor::System, None, at(1_000))
            .expect("valid")
            .expect("a change");
        let claim = claimed
            .reassign(
                Owner::Agent { user_id: ana.id },
                None,
                Actor::User { user_id: ana.id },
                None,
                at(1_000),
            )
            .expect("a change");
        let mut moved_on = stale.clone();
        moved_on.version += 1;
        let lost = moved_on
            .reassign(
                Owner::Agent { user_id: ana.id },
                None,
                Actor::System,
                None,
                at(1_000),
            )
            .expect("a change");
        let mut tx = write(&db).await;
        let written = tx
            .update_leads(
                acme.id(),
                &[(&renamed, &rename), (&claimed, &claim), (&moved_on, &lost)],
            )
            .await
            .expect("the batch is written");
        commit(tx).await;
        assert_eq!(written, [renamed.id, claimed.id]);

        let mut tx = read(&db).await;
        for (id, expected) in [
            (renamed.id, &rename.lead),
            (claimed.id, &claim.lead),
            (stale.id, &stale),
        ] {
            let stored = tx
                .lead(acme.id(), id, &Visibility::Organization)
                .await
                .expect("found");
            assert_eq!(&stored, expected);
        }
        let timeline = tx.timeline(acme.id(), stale.id).await.expect("read");
        assert_eq!(timeline.len(), 1, "a lead not written gets no entry");
        let timeline = tx.timeline(acme.id(), claimed.id).await.expect("read");
        assert_eq!(timeline.last().map(|r| &r.entry), Some(&claim.entry));
    }
}

both_backends! {
    async fn leads_are_found_by_their_emails_and_phones_as_every_write_leaves_them(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let other = seed(&mut tx, "other").await;
        let ana = insert(
            &mut tx,
            LeadSpec::of(&acme).name("Ana").email("Ana@Example.com").phone("+1 (303) 555-0101"),
        )
        .await;
        let bo = insert(&mut tx, LeadSpec::of(&acme).name("Bo").email("bo@example.com")).await;
        insert(&mut tx, LeadSpec::of(&other).name("Ana").email("ana@example.com")).await;
        let cy = add_user(&mut tx, acme.id(), "cy@acme.test", Role::Agent).await;
        commit(tx).await;

        assert_eq!(
            found(&db, &acme, &["ana@example.com", "+13035550101", "bo@example.com", "cy@example.com"]).await,
            sorted(vec![
                ("+13035550101".to_owned(), ana.id),
                ("ana@example.com".to_owned(), ana.id),
                ("bo@example.com".to_owned(), bo.id),
            ]),
            "the organization's own leads only"
        );

        let patch = LeadPatch {
            emails: Some(vec![leadpool_domain::validate::Email::parse("ana@work.example").expect("an email")]),
            ..LeadPatch::default()
        };
        let t = ana.apply(&patch, Actor::System, None, at(5)).expect("valid").expect("a change");
        let mut tx = write(&db).await;
        assert!(tx.update_lead(ana.version, &t).await.expect("written"));
        // A write that leaves the emails and phones alone leaves their index alone.
        let claim = bo
            .reassign(Owner::Agent { user_id: cy.id }, None, Actor::System, None, at(6))
            .expect("a new owner is a change");
        assert!(tx.update_lead(bo.version, &claim).await.expect("written"));
        commit(tx).await;

        assert_eq!(
            found(&db, &acme, &["ana@example.com", "ana@work.example", "+13035550101", "bo@example.com"]).await,
            sorted(vec![
                ("+13035550101".to_owned(), ana.id),
                ("ana@work.example".to_owned(), ana.id),
                ("bo@example.com".to_owned(), bo.id),
            ]),
            "a changed email is found by its new value only"
        );
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// The organization's leads holding these values, sorted.
async fn found(
    db: &leadpool_testkit::TestStore,
    org: &crate::fixtures::Seeded,
    values: &[&str],
) -> Vec<(String, leadpool_domain::LeadId)> {
    let mut tx = read(db).await;
    let found = tx
        .leads_by_contacts(org.id(), values)
        .await
        .expect("looked up");
    commit(tx).await;
    sorted(found)
}
