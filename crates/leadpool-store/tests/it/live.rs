//! The outbox as live streams read it: a commit that wrote events wakes this process's
//! listeners (a rollback or a commit without events does not), every organization's events
//! read back in id order with their addressee, and where the outbox ends.

use leadpool_domain::Role;
use leadpool_domain::delivery::EventType;
use leadpool_store::offers::NewEvent;
use leadpool_testkit::both_backends;
use serde_json::json;

use crate::fixtures::{add_user, at, commit, read, seed, write};

both_backends! {
    async fn only_a_committed_transaction_that_wrote_events_wakes_listeners(db) {
        let mut woken = db.store.event_commits();
        woken.mark_unchanged();
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        commit(tx).await;
        assert!(!woken.has_changed().expect("the store is open"), "no events, no wake");

        let event = NewEvent { user: ana.id, lead: None, kind: EventType::LeadAssigned, payload: json!({}) };
        let mut tx = write(&db).await;
        tx.push_events(acme.id(), std::slice::from_ref(&event), at(1)).await.expect("events written");
        tx.rollback().await.expect("rolled back");
        assert!(!woken.has_changed().expect("the store is open"), "a rollback wakes nobody");

        let mut tx = write(&db).await;
        tx.push_events(acme.id(), &[event], at(2)).await.expect("events written");
        commit(tx).await;
        assert!(woken.has_changed().expect("the store is open"), "a commit with events wakes");
    }
}

both_backends! {
    async fn the_outbox_reads_back_in_id_order_with_each_events_addressee(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let bo = add_user(&mut tx, beta.id(), "bo@beta.test", Role::Agent).await;
        assert_eq!(tx.last_event_id().await.expect("read"), 0, "an empty outbox ends at 0");
        let to = |user| NewEvent { user, lead: None, kind: EventType::OfferMade, payload: json!({ "n": 1 }) };
        tx.push_events(acme.id(), &[to(ana.id)], at(1)).await.expect("written");
        tx.push_events(beta.id(), &[to(bo.id)], at(2)).await.expect("written");
        commit(tx).await;

        let mut tx = read(&db).await;
        let last = tx.last_event_id().await.expect("read");
        let all = tx.outbox_after(0, 10).await.expect("read");
        let addressed: Vec<_> = all.iter().map(|e| (e.org, e.user, e.event.kind.as_str())).collect();
        assert_eq!(addressed, [(acme.id(), ana.id, "offer_made"), (beta.id(), bo.id, "offer_made")]);
        assert!(all[0].event.id < all[1].event.id);
        assert_eq!(all[1].event.id, last);
        assert_eq!(all[0].event.payload, json!({ "n": 1 }));
        let after_first = tx.outbox_after(all[0].event.id, 10).await.expect("read");
        assert_eq!(after_first.len(), 1);
        assert_eq!(after_first[0].user, bo.id);
        assert!(tx.outbox_after(last, 10).await.expect("read").is_empty());
        tx.commit().await.expect("commit");
    }
}
