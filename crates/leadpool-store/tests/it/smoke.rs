use leadpool_domain::Timestamp;
use leadpool_testkit::both_backends;

both_backends! {
    async fn an_organization_round_trips(db) {
        let mut tx = db.store.write().await.unwrap_or_else(|e| panic!("{e}"));
        let org = tx.insert_org("acme", "Acme Realty", Timestamp::from_millis(1)).await.unwrap_or_else(|e| panic!("{e}"));
        let again = tx.insert_org("acme", "Other", Timestamp::from_millis(2)).await;
        assert!(again.is_err_and(|e| e.is_conflict_on("organizations_slug_key")));
        drop(tx);
        let mut tx = db.store.write().await.unwrap_or_else(|e| panic!("{e}"));
        let org2 = tx.insert_org("acme", "Acme Realty", Timestamp::from_millis(1)).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(org2.slug, org.slug);
    }
}
