//! Users: sign-in by email (unique across the installation), their teams and tags, and
//! the filters user lists take.

use leadpool_domain::{Role, TeamId, UserId};
use leadpool_store::users::{User, UserFilter};
use leadpool_testkit::both_backends;

use crate::fixtures::{
    add_user, assert_conflict, assert_not_found, at, commit, new_user, read, seed, write,
};

fn user_ids(users: &[User]) -> Vec<UserId> {
    users.iter().map(|u| u.id).collect()
}

fn tags(tags: &[&str]) -> Vec<String> {
    tags.iter().map(|t| (*t).to_owned()).collect()
}

both_backends! {
    async fn a_user_is_stored_found_and_signs_in_by_email(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let office = tx
            .insert_team(acme.id(), None, "Office", at(0))
            .await
            .expect("office is created");
        let mut ana = new_user(acme.id(), "ana@acme.test", Role::Admin);
        ana.name = "Ana Lima".into();
        ana.scope_team_id = Some(office.id);
        ana.password_hash = Some("$argon2id$v=19$first".into());
        let ana = tx.insert_user(&ana, at(5)).await.expect("ana is added");
        let bot = add_user(&mut tx, acme.id(), "bot@acme.test", Role::Isa).await;
        commit(tx).await;
        assert_eq!(
            (
                ana.org,
                ana.email.as_str(),
                ana.name.as_str(),
                ana.role,
                ana.active,
                ana.scope_team_id,
                ana.created_at
            ),
            (
                acme.id(),
                "ana@acme.test",
                "Ana Lima",
                Role::Admin,
                true,
                Some(office.id),
                at(5)
            )
        );
        assert!(ana.teams.is_empty() && ana.tags.is_empty());

        let mut tx = write(&db).await;
        assert_eq!(tx.user(acme.id(), ana.id).await.expect("found by id"), ana);
        let (found, hash) = tx
            .user_for_login("ana@acme.test")
            .await
            .expect("found by email");
        assert_eq!(
            (found, hash.as_deref()),
            (ana.clone(), Some("$argon2id$v=19$first"))
        );
        let (_, no_hash) = tx
            .user_for_login("bot@acme.test")
            .await
            .expect("token-only user found");
        assert_eq!(no_hash, None);
        assert_not_found(tx.user_for_login("nobody@acme.test").await);

        tx.set_password(acme.id(), ana.id, "$argon2id$v=19$second")
            .await
            .expect("password is replaced");
        let mut changed = ana.clone();
        changed.name = "Ana L. Lima".into();
        changed.role = Role::AllLeadsAgent;
        changed.active = false;
        changed.scope_team_id = None;
        tx.update_user(&changed).await.expect("ana is updated");
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(
            tx.user(acme.id(), ana.id).await.expect("found again"),
            changed
        );
        let (_, hash) = tx.user_for_login("ana@acme.test").await.expect("signs in");
        assert_eq!(hash.as_deref(), Some("$argon2id$v=19$second"));
        assert_eq!(
            user_ids(
                &tx.users(acme.id(), &UserFilter::default())
                    .await
                    .expect("listed")
            ),
            [ana.id, bot.id]
        );
    }
}

both_backends! {
    async fn a_taken_email_is_a_conflict_on_users_email_key_even_in_another_organization(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_user(&new_user(acme.id(), "ana@acme.test", Role::Admin), at(1))
                .await,
            "users_email_key",
        );
        drop(tx);
        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_user(&new_user(beta.id(), "ana@acme.test", Role::Agent), at(1))
                .await,
            "users_email_key",
        );
        drop(tx);

        let mut tx = read(&db).await;
        assert_eq!(
            tx.users(acme.id(), &UserFilter::default())
                .await
                .expect("listed")
                .len(),
            1
        );
        assert!(
            tx.users(beta.id(), &UserFilter::default())
                .await
                .expect("listed")
                .is_empty()
        );
    }
}

both_backends! {
    async fn a_user_of_another_organization_is_neither_found_nor_changed(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;

        assert_not_found(tx.user(beta.id(), ana.id).await);
        let mut hijacked = ana.clone();
        hijacked.org = beta.id();
        hijacked.role = Role::Admin;
        assert_not_found(tx.update_user(&hijacked).await);
        assert_not_found(tx.set_password(beta.id(), ana.id, "stolen").await);
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(tx.user(acme.id(), ana.id).await.expect("unchanged"), ana);
        assert_eq!(
            tx.user_for_login("ana@acme.test")
                .await
                .expect("signs in")
                .1,
            None
        );
    }
}

both_backends! {
    async fn a_users_teams_and_tags_are_replaced_and_read_back_in_order(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let north = tx
            .insert_team(acme.id(), None, "North", at(0))
            .await
            .expect("north is created");
        let south = tx
            .insert_team(acme.id(), None, "South", at(0))
            .await
            .expect("south is created");
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        tx.set_user_teams(acme.id(), ana.id, &[south.id, north.id])
            .await
            .expect("teams are set");
        tx.set_user_tags(acme.id(), ana.id, &tags(&["spanish", "commercial"]))
            .await
            .expect("tags are set");
        commit(tx).await;

        let mut tx = write(&db).await;
        let read_back = tx.user(acme.id(), ana.id).await.expect("found");
        assert_eq!(read_back.teams, [north.id, south.id]);
        assert_eq!(read_back.tags, ["commercial", "spanish"]);

        tx.set_user_teams(acme.id(), ana.id, &[south.id])
            .await
            .expect("teams are replaced");
        tx.set_user_tags(acme.id(), ana.id, &tags(&["vip"]))
            .await
            .expect("tags are replaced");
        commit(tx).await;
        let mut tx = write(&db).await;
        let read_back = tx.user(acme.id(), ana.id).await.expect("found");
        assert_eq!(
            (read_back.teams, read_back.tags),
            (vec![south.id], tags(&["vip"]))
        );

        tx.set_user_teams(acme.id(), ana.id, &[])
            .await
            .expect("teams are cleared");
        tx.set_user_tags(acme.id(), ana.id, &[])
            .await
            .expect("tags are cleared");
        commit(tx).await;
        let mut tx = read(&db).await;
        let read_back = tx.user(acme.id(), ana.id).await.expect("found");
        assert!(
            read_back.teams.is_empty() && read_back.tags.is_empty(),
            "{read_back:?}"
        );
    }
}

both_backends! {
    async fn a_team_of_another_organization_is_refused_and_membership_is_kept(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let north = tx
            .insert_team(acme.id(), None, "North", at(0))
            .await
            .expect("north is created");
        let beta_team = tx
            .insert_team(beta.id(), None, "Beta Sales", at(0))
            .await
            .expect("beta team is created");
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        tx.set_user_teams(acme.id(), ana.id, &[north.id])
            .await
            .expect("teams are set");

        assert_not_found(
            tx.set_user_teams(acme.id(), ana.id, &[north.id, beta_team.id])
                .await,
        );
        assert_not_found(
            tx.set_user_teams(acme.id(), ana.id, &[TeamId::new(beta_team.id.get() + 1000)])
                .await,
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(
            tx.user(acme.id(), ana.id).await.expect("found").teams,
            [north.id]
        );
    }
}

both_backends! {
    async fn a_repeated_tag_is_a_conflict_on_user_tags_pkey(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(
            tx.set_user_tags(acme.id(), ana.id, &tags(&["vip", "vip"])).await,
            "user_tags_pkey",
        );
    }
}

both_backends! {
    async fn users_are_listed_by_team_role_and_active_flag_with_their_links(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let north = tx
            .insert_team(acme.id(), None, "North", at(0))
            .await
            .expect("north is created");
        let south = tx
            .insert_team(acme.id(), None, "South", at(0))
            .await
            .expect("south is created");
        let admin = add_user(&mut tx, acme.id(), "admin@acme.test", Role::Admin).await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let bob = add_user(&mut tx, acme.id(), "bob@acme.test", Role::Agent).await;
        let cleo = add_user(&mut tx, acme.id(), "cleo@acme.test", Role::Agent).await;
        let outsider = add_user(&mut tx, beta.id(), "dan@beta.test", Role::Agent).await;
        tx.set_user_teams(acme.id(), ana.id, &[north.id])
            .await
            .expect("ana joins north");
        tx.set_user_teams(acme.id(), bob.id, &[north.id, south.id])
            .await
            .expect("bob joins both");
        tx.set_user_teams(acme.id(), cleo.id, &[south.id])
            .await
            .expect("cleo joins south");
        tx.set_user_tags(acme.id(), ana.id, &tags(&["spanish"]))
            .await
            .expect("ana is tagged");
        tx.set_user_tags(acme.id(), bob.id, &tags(&["vip", "french"]))
            .await
            .expect("bob is tagged");
        let mut gone = cleo.clone();
        gone.active = false;
        tx.update_user(&gone).await.expect("cleo is deactivated");
        commit(tx).await;

        let mut tx = read(&db).await;
        let all = tx
            .users(acme.id(), &UserFilter::default())
            .await
            .expect("listed");
        assert_eq!(user_ids(&all), [admin.id, ana.id, bob.id, cleo.id]);
        let links: Vec<_> = all
            .iter()
            .map(|u| (u.teams.clone(), u.tags.clone()))
            .collect();
        assert_eq!(
            links,
            [
                (vec![], vec![]),
                (vec![north.id], tags(&["spanish"])),
                (vec![north.id, south.id], tags(&["french", "vip"])),
                (vec![south.id], vec![]),
            ]
        );

        let in_teams = |teams: Vec<TeamId>| UserFilter {
            teams: Some(teams),
            ..UserFilter::default()
        };
        assert_eq!(
            user_ids(
                &tx.users(acme.id(), &in_teams(vec![north.id]))
                    .await
                    .expect("north")
            ),
            [ana.id, bob.id]
        );
        assert_eq!(
            user_ids(
                &tx.users(acme.id(), &in_teams(vec![north.id, south.id]))
                    .await
                    .expect("both")
            ),
            [ana.id, bob.id, cleo.id]
        );
        assert!(
            tx.users(acme.id(), &in_teams(vec![]))
                .await
                .expect("no teams")
                .is_empty()
        );
        let agents = UserFilter {
            role: Some(Role::Agent),
            ..UserFilter::default()
        };
        assert_eq!(
            user_ids(&tx.users(acme.id(), &agents).await.expect("agents")),
            [ana.id, bob.id, cleo.id]
        );
        let active_agents = UserFilter {
            active: Some(true),
            ..agents.clone()
        };
        assert_eq!(
            user_ids(
                &tx.users(acme.id(), &active_agents)
                    .await
                    .expect("active agents")
            ),
            [ana.id, bob.id]
        );
        let inactive = UserFilter {
            active: Some(false),
            ..UserFilter::default()
        };
        assert_eq!(
            user_ids(&tx.users(acme.id(), &inactive).await.expect("inactive")),
            [cleo.id]
        );
        let active_south = UserFilter {
            teams: Some(vec![south.id]),
            active: Some(true),
            ..agents
        };
        assert_eq!(
            user_ids(
                &tx.users(acme.id(), &active_south)
                    .await
                    .expect("active in south")
            ),
            [bob.id]
        );
        assert_eq!(
            user_ids(
                &tx.users(beta.id(), &UserFilter::default())
                    .await
                    .expect("beta")
            ),
            [outsider.id]
        );
    }
}

both_backends! {
    async fn a_user_of_another_organization_cannot_join_a_team_or_be_tagged(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let beta = seed(&mut tx, "beta").await;
        let north = tx.insert_team(acme.id(), None, "North", at(0)).await.expect("north is created");
        let outsider = add_user(&mut tx, beta.id(), "out@beta.test", Role::Agent).await;
        assert!(matches!(tx.set_user_teams(acme.id(), outsider.id, &[north.id]).await, Err(leadpool_store::StoreError::NotFound)));
        assert!(matches!(tx.set_user_tags(acme.id(), outsider.id, &tags(&["vip"])).await, Err(leadpool_store::StoreError::NotFound)));
        let again = tx.user(beta.id(), outsider.id).await.expect("the outsider is still there");
        assert!(again.teams.is_empty() && again.tags.is_empty(), "{again:?}");
    }
}
