//! Teams: an organization's hierarchy, names unique within the organization, never
//! reaching into another organization.

use leadpool_testkit::both_backends;

use crate::fixtures::{assert_conflict, assert_not_found, at, commit, read, seed, write};

both_backends! {
    async fn a_team_hierarchy_is_stored_found_and_rearranged(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let office = tx
            .insert_team(acme.id(), None, "Downtown Office", at(0))
            .await
            .expect("office is created");
        let sales = tx
            .insert_team(acme.id(), Some(office.id), "Sales", at(1))
            .await
            .expect("sales is created");
        commit(tx).await;
        assert_eq!(office.parent_id, None);
        assert_eq!(
            (
                sales.org,
                sales.parent_id,
                sales.name.as_str(),
                sales.created_at
            ),
            (acme.id(), Some(office.id), "Sales", at(1))
        );

        let mut tx = write(&db).await;
        assert_eq!(
            tx.team(acme.id(), sales.id).await.expect("found by id"),
            sales
        );
        assert_eq!(
            tx.team_by_name(acme.id(), "Downtown Office")
                .await
                .expect("found by name"),
            office
        );
        assert_eq!(
            tx.teams(acme.id()).await.expect("listed"),
            vec![office.clone(), sales.clone()]
        );
        assert_not_found(tx.team_by_name(acme.id(), "Uptown").await);

        let moved = tx
            .update_team(acme.id(), sales.id, "Inside Sales", None)
            .await
            .expect("sales is renamed and moved to the top");
        assert_eq!(
            (moved.name.as_str(), moved.parent_id, moved.created_at),
            ("Inside Sales", None, at(1))
        );
        let under = tx
            .update_team(acme.id(), office.id, "Downtown Office", Some(sales.id))
            .await
            .expect("office moves under sales");
        assert_eq!(under.parent_id, Some(sales.id));
        commit(tx).await;

        let mut tx = read(&db).await;
        let names: Vec<_> = tx
            .teams(acme.id())
            .await
            .expect("listed")
            .into_iter()
            .map(|t| (t.name, t.parent_id))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Downtown Office".to_owned(), Some(sales.id)),
                ("Inside Sales".to_owned(), None)
            ]
        );
    }
}

both_backends! {
    async fn a_team_name_is_a_conflict_on_teams_name_key_within_one_organization_only(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        tx.insert_team(acme.id(), None, "Sales", at(0))
            .await
            .expect("acme sales is created");
        let support = tx
            .insert_team(acme.id(), None, "Support", at(0))
            .await
            .expect("acme support is created");
        let beta_sales = tx
            .insert_team(beta.id(), None, "Sales", at(0))
            .await
            .expect("another organization may use the same name");
        commit(tx).await;
        assert_eq!(beta_sales.org, beta.id());

        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_team(acme.id(), None, "Sales", at(1)).await,
            "teams_name_key",
        );
        drop(tx);
        let mut tx = write(&db).await;
        assert_conflict(
            tx.update_team(acme.id(), support.id, "Sales", None).await,
            "teams_name_key",
        );
        drop(tx);

        let mut tx = read(&db).await;
        let names: Vec<_> = tx
            .teams(acme.id())
            .await
            .expect("listed")
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["Sales", "Support"]);
    }
}

both_backends! {
    async fn a_team_of_another_organization_is_neither_found_nor_a_parent(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let acme_sales = tx
            .insert_team(acme.id(), None, "Sales", at(0))
            .await
            .expect("acme sales is created");
        let beta_sales = tx
            .insert_team(beta.id(), None, "Sales", at(0))
            .await
            .expect("beta sales is created");

        assert_not_found(tx.team(beta.id(), acme_sales.id).await);
        assert_not_found(
            tx.insert_team(beta.id(), Some(acme_sales.id), "Leak", at(1))
                .await,
        );
        assert_not_found(
            tx.update_team(beta.id(), beta_sales.id, "Sales", Some(acme_sales.id))
                .await,
        );
        assert_not_found(
            tx.update_team(beta.id(), acme_sales.id, "Renamed", None)
                .await,
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(tx.teams(beta.id()).await.expect("listed"), vec![beta_sales]);
        assert_eq!(
            tx.team(acme.id(), acme_sales.id).await.expect("unchanged"),
            acme_sales
        );
    }
}
