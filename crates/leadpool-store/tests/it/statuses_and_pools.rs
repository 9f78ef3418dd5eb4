//! Statuses (in list order, one default) and pools, per organization.

use leadpool_domain::StatusCategory;
use leadpool_testkit::both_backends;

use crate::fixtures::{assert_conflict, assert_not_found, at, commit, pool_settings, read, write};

both_backends! {
    async fn statuses_are_listed_in_position_order_with_exactly_one_default(db) {
        let mut tx = write(&db).await;
        let acme = tx
            .insert_org("acme", "Acme Realty", at(0))
            .await
            .expect("acme is created");
        let beta = tx
            .insert_org("beta", "Beta Motors", at(0))
            .await
            .expect("beta is created");
        assert_not_found(tx.default_status(acme.id).await);

        let new = tx
            .insert_status(acme.id, "New", StatusCategory::New, true, at(0))
            .await
            .expect("New is created");
        let contacted = tx
            .insert_status(
                acme.id,
                "Contacted",
                StatusCategory::Contacted,
                false,
                at(0),
            )
            .await
            .expect("Contacted is created");
        let working = tx
            .insert_status(acme.id, "Working", StatusCategory::Working, false, at(0))
            .await
            .expect("Working is created");
        let beta_new = tx
            .insert_status(beta.id, "New", StatusCategory::New, true, at(0))
            .await
            .expect("beta's New is created");
        assert_eq!(
            (
                new.position,
                contacted.position,
                working.position,
                beta_new.position
            ),
            (1, 2, 3, 1)
        );
        assert_eq!(
            (new.org, new.name.as_str(), new.category, new.is_default),
            (acme.id, "New", StatusCategory::New, true)
        );
        assert_eq!(tx.default_status(acme.id).await.expect("a default"), new);

        let fresh = tx
            .insert_status(acme.id, "Fresh", StatusCategory::New, true, at(1))
            .await
            .expect("Fresh becomes the default");
        let mut first = working.clone();
        first.position = 0;
        assert_eq!(
            tx.update_status(&first)
                .await
                .expect("Working moves to the top"),
            first
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        let listed: Vec<_> = tx
            .statuses(acme.id)
            .await
            .expect("listed")
            .into_iter()
            .map(|s| (s.name, s.is_default))
            .collect();
        assert_eq!(
            listed,
            [
                ("Working".to_owned(), false),
                ("New".to_owned(), false),
                ("Contacted".to_owned(), false),
                ("Fresh".to_owned(), true),
            ]
        );
        assert_eq!(tx.default_status(acme.id).await.expect("a default"), fresh);
        assert_eq!(
            tx.status(acme.id, contacted.id).await.expect("found"),
            contacted
        );
        assert_not_found(tx.status(beta.id, contacted.id).await);
        assert_eq!(
            tx.default_status(beta.id)
                .await
                .expect("beta keeps its default"),
            beta_new
        );
    }
}

both_backends! {
    async fn making_a_status_the_default_takes_it_from_the_old_one(db) {
        let mut tx = write(&db).await;
        let acme = tx
            .insert_org("acme", "Acme Realty", at(0))
            .await
            .expect("acme is created");
        let new = tx
            .insert_status(acme.id, "New", StatusCategory::New, true, at(0))
            .await
            .expect("New is created");
        let working = tx
            .insert_status(acme.id, "Working", StatusCategory::Working, false, at(0))
            .await
            .expect("Working is created");
        let mut renamed = working.clone();
        renamed.name = "In progress".into();
        renamed.category = StatusCategory::Contacted;
        renamed.is_default = true;
        assert_eq!(
            tx.update_status(&renamed)
                .await
                .expect("Working is updated"),
            renamed
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        let defaults: Vec<_> = tx
            .statuses(acme.id)
            .await
            .expect("listed")
            .into_iter()
            .filter(|s| s.is_default)
            .map(|s| s.id)
            .collect();
        assert_eq!(defaults, [working.id]);
        assert!(!tx.status(acme.id, new.id).await.expect("found").is_default);
    }
}

both_backends! {
    async fn a_status_name_is_a_conflict_on_statuses_name_key(db) {
        let mut tx = write(&db).await;
        let acme = tx
            .insert_org("acme", "Acme Realty", at(0))
            .await
            .expect("acme is created");
        let beta = tx
            .insert_org("beta", "Beta Motors", at(0))
            .await
            .expect("beta is created");
        tx.insert_status(acme.id, "New", StatusCategory::New, true, at(0))
            .await
            .expect("New is created");
        tx.insert_status(beta.id, "New", StatusCategory::New, true, at(0))
            .await
            .expect("another organization may use the same name");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_status(acme.id, "New", StatusCategory::Working, false, at(1))
                .await,
            "statuses_name_key",
        );
    }
}

both_backends! {
    async fn pools_are_listed_by_organization_and_a_name_conflicts_on_pools_name_key(db) {
        let mut tx = write(&db).await;
        let acme = tx
            .insert_org("acme", "Acme Realty", at(0))
            .await
            .expect("acme is created");
        let beta = tx
            .insert_org("beta", "Beta Motors", at(0))
            .await
            .expect("beta is created");
        let lead_pool = tx
            .insert_pool(acme.id, &pool_settings("Lead Pool"), true, at(0))
            .await
            .expect("the default pool is created");
        let north = tx
            .insert_pool(acme.id, &pool_settings("North Shore"), false, at(0))
            .await
            .expect("north pool is created");
        let beta_pool = tx
            .insert_pool(beta.id, &pool_settings("Lead Pool"), true, at(0))
            .await
            .expect("another organization may use the same name");
        commit(tx).await;
        assert_eq!(
            (lead_pool.org, lead_pool.name.as_str(), lead_pool.is_default),
            (acme.id, "Lead Pool", true)
        );
        assert!(!north.is_default);

        let mut tx = write(&db).await;
        assert_eq!(
            tx.pools(acme.id).await.expect("listed"),
            vec![lead_pool, north]
        );
        assert_eq!(tx.pools(beta.id).await.expect("listed"), vec![beta_pool]);
        assert_conflict(
            tx.insert_pool(acme.id, &pool_settings("North Shore"), false, at(1)).await,
            "pools_name_key",
        );
    }
}
