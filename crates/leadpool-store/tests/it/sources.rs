//! Sources: found by name or by their intake key's digest; names unique within an
//! organization, key digests unique everywhere.

use leadpool_testkit::both_backends;

use crate::fixtures::{assert_conflict, assert_not_found, at, commit, read, seed, write};

both_backends! {
    async fn a_source_is_found_by_id_name_and_intake_key_digest(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let north = tx
            .insert_team(acme.id(), None, "North", at(0))
            .await
            .expect("north is created");
        let zillow = tx
            .insert_source(
                acme.id(),
                "Zillow",
                Some(north.id),
                "digest-zillow",
                "z1l0",
                at(7),
            )
            .await
            .expect("zillow is created");
        commit(tx).await;
        assert_eq!(
            (
                zillow.org,
                zillow.name.as_str(),
                zillow.team_id,
                zillow.key_hint.as_str(),
                zillow.active,
                zillow.created_at
            ),
            (acme.id(), "Zillow", Some(north.id), "z1l0", true, at(7))
        );

        let mut tx = read(&db).await;
        assert_eq!(
            tx.source(acme.id(), zillow.id).await.expect("found by id"),
            zillow
        );
        assert_eq!(
            tx.source_by_name(acme.id(), "Zillow")
                .await
                .expect("found by name"),
            zillow
        );
        assert_eq!(
            tx.source_by_key("digest-zillow")
                .await
                .expect("found by key"),
            zillow
        );
        assert_eq!(
            tx.sources(acme.id()).await.expect("listed"),
            vec![acme.source.clone(), zillow]
        );
        assert_not_found(tx.source_by_name(acme.id(), "Trulia").await);
        assert_not_found(tx.source_by_key("digest-unknown").await);
    }
}

both_backends! {
    async fn a_source_is_renamed_moved_and_switched_off(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let north = tx
            .insert_team(acme.id(), None, "North", at(0))
            .await
            .expect("north is created");
        let beta_team = tx
            .insert_team(beta.id(), None, "Beta Team", at(0))
            .await
            .expect("beta team is created");
        let mut changed = acme.source.clone();
        changed.name = "Website form".into();
        changed.team_id = Some(north.id);
        changed.active = false;
        assert_eq!(
            tx.update_source(&changed)
                .await
                .expect("the source is updated"),
            changed
        );

        let mut leak = changed.clone();
        leak.team_id = Some(beta_team.id);
        assert_not_found(tx.update_source(&leak).await);
        let mut foreign = beta.source.clone();
        foreign.org = acme.id();
        assert_not_found(tx.update_source(&foreign).await);
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(
            tx.source(acme.id(), acme.source.id).await.expect("found"),
            changed
        );
        assert_eq!(
            tx.source(beta.id(), beta.source.id).await.expect("found"),
            beta.source
        );
        assert_not_found(tx.source(acme.id(), beta.source.id).await);
    }
}

both_backends! {
    async fn a_rotated_intake_key_replaces_the_old_one_at_once(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let rotated = tx
            .rotate_source_key(acme.id(), acme.source.id, "digest-new", "n3w0")
            .await
            .expect("the key is rotated");
        assert_eq!(rotated.key_hint, "n3w0");
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_not_found(tx.source_by_key("digest-acme-website").await);
        assert_eq!(
            tx.source_by_key("digest-new")
                .await
                .expect("the new key works"),
            rotated
        );
        drop(tx);
        let mut tx = write(&db).await;
        let beta = seed(&mut tx, "beta").await;
        assert_not_found(
            tx.rotate_source_key(beta.id(), acme.source.id, "digest-stolen", "x")
                .await,
        );
    }
}

both_backends! {
    async fn a_source_name_and_a_key_digest_conflict_on_their_named_constraints(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let zillow = tx
            .insert_source(acme.id(), "Zillow", None, "digest-zillow", "z", at(0))
            .await
            .expect("zillow is created");
        tx.insert_source(beta.id(), "Zillow", None, "digest-beta-zillow", "z", at(0))
            .await
            .expect("another organization may use the same name");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_source(acme.id(), "Zillow", None, "digest-other", "o", at(1))
                .await,
            "sources_name_key",
        );
        drop(tx);
        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_source(beta.id(), "Trulia", None, "digest-zillow", "z", at(1))
                .await,
            "sources_key_hash_key",
        );
        drop(tx);
        let mut tx = write(&db).await;
        let mut renamed = zillow.clone();
        renamed.name = "Website".into();
        assert_conflict(tx.update_source(&renamed).await, "sources_name_key");
        drop(tx);
        let mut tx = write(&db).await;
        assert_conflict(
            tx.rotate_source_key(acme.id(), zillow.id, "digest-beta-zillow", "z")
                .await,
            "sources_key_hash_key",
        );
        drop(tx);

        let mut tx = read(&db).await;
        assert_eq!(tx.sources(acme.id()).await.expect("listed").len(), 2);
        assert_eq!(
            tx.source(acme.id(), zillow.id).await.expect("unchanged"),
            zillow
        );
    }
}
