//! Organizations: found by slug or id; a slug names one organization only; their pool
//! settings are their own.

use leadpool_domain::pool::CallOwnership;
use leadpool_testkit::both_backends;

use crate::fixtures::{assert_conflict, assert_not_found, at, commit, read, write};

both_backends! {
    async fn an_organization_is_found_by_its_slug_and_by_its_id(db) {
        let mut tx = write(&db).await;
        let acme = tx
            .insert_org("acme", "Acme Realty", at(0))
            .await
            .expect("acme is created");
        let beta = tx
            .insert_org("beta", "Beta Motors", at(1))
            .await
            .expect("beta is created");
        commit(tx).await;
        assert_eq!(
            (acme.slug.as_str(), acme.name.as_str(), acme.created_at),
            ("acme", "Acme Realty", at(0))
        );
        assert_ne!(acme.id, beta.id);

        let mut tx = read(&db).await;
        assert_eq!(tx.org_by_slug("acme").await.expect("found by slug"), acme);
        assert_eq!(tx.org(beta.id).await.expect("found by id"), beta);
        assert_eq!(tx.orgs().await.expect("listed"), vec![acme, beta]);
        assert_not_found(tx.org_by_slug("nobody").await);
    }
}

both_backends! {
    async fn a_taken_slug_is_a_conflict_on_organizations_slug_key(db) {
        let mut tx = write(&db).await;
        let acme = tx
            .insert_org("acme", "Acme Realty", at(0))
            .await
            .expect("acme is created");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_org("acme", "Another Acme", at(1)).await,
            "organizations_slug_key",
        );
        drop(tx);

        let mut tx = read(&db).await;
        assert_eq!(tx.orgs().await.expect("listed"), vec![acme]);
    }
}

both_backends! {
    async fn ownership_by_call_starts_with_outbound_calls_only_and_is_kept_per_organization(db) {
        let mut tx = write(&db).await;
        let acme = tx.insert_org("acme", "Acme Realty", at(0)).await.expect("acme is created");
        let beta = tx.insert_org("beta", "Beta Motors", at(1)).await.expect("beta is created");
        let mut settings = tx.org_pool_settings(acme.id).await.expect("acme's settings");
        assert_eq!(settings.calls, CallOwnership::default());
        settings.calls = CallOwnership { outbound: false, inbound: true, transfer: true };
        tx.set_org_pool_settings(acme.id, &settings).await.expect("acme's settings are saved");
        commit(tx).await;

        let mut tx = read(&db).await;
        let read_back = tx.org_pool_settings(acme.id).await.expect("acme's settings");
        assert_eq!(read_back.calls, settings.calls);
        assert_eq!(read_back.caps, settings.caps);
        let other = tx.org_pool_settings(beta.id).await.expect("beta's settings");
        assert_eq!(other.calls, CallOwnership::default(), "another organization's stay");
    }
}
