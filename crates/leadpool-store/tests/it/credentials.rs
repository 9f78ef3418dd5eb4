//! API tokens and browser sessions, found by the digest of their secret.

use leadpool_domain::Role;
use leadpool_testkit::both_backends;

use crate::fixtures::{add_user, assert_conflict, assert_not_found, at, commit, read, seed, write};

both_backends! {
    async fn a_token_digest_finds_its_user_with_teams_and_tags(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let north = tx
            .insert_team(acme.id(), None, "North", at(0))
            .await
            .expect("north is created");
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Isa).await;
        let bob = add_user(&mut tx, acme.id(), "bob@acme.test", Role::Agent).await;
        tx.set_user_teams(acme.id(), ana.id, &[north.id])
            .await
            .expect("ana joins north");
        tx.set_user_tags(acme.id(), ana.id, &["vip".to_owned()])
            .await
            .expect("ana is tagged");
        let token = tx
            .insert_token(ana.id, "CRM sync", "digest-ana", at(3))
            .await
            .expect("ana's token is stored");
        tx.insert_token(bob.id, "CRM sync", "digest-bob", at(4))
            .await
            .expect("bob's token is stored");
        commit(tx).await;
        assert_eq!(
            (token.user_id, token.name.as_str(), token.created_at),
            (ana.id, "CRM sync", at(3))
        );

        let mut tx = read(&db).await;
        let user = tx
            .user_by_token("digest-ana")
            .await
            .expect("the digest finds ana");
        assert_eq!(user.id, ana.id);
        assert_eq!(
            (user.teams, user.tags),
            (vec![north.id], vec!["vip".to_owned()])
        );
        assert_eq!(
            tx.user_by_token("digest-bob")
                .await
                .expect("the digest finds bob")
                .id,
            bob.id
        );
        assert_not_found(tx.user_by_token("digest-nobody").await);
    }
}

both_backends! {
    async fn a_token_digest_is_a_conflict_on_api_tokens_hash_key(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        tx.insert_token(ana.id, "first", "digest-1", at(0))
            .await
            .expect("the first token is stored");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_conflict(
            tx.insert_token(ana.id, "second", "digest-1", at(1)).await,
            "api_tokens_hash_key",
        );
    }
}

both_backends! {
    async fn a_session_holds_its_user_and_csrf_token_until_it_expires(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        tx.insert_session("session-1", ana.id, "csrf-1", at(0), at(60_000))
            .await
            .expect("the session is stored");
        commit(tx).await;

        let mut tx = read(&db).await;
        let (user, csrf) = tx
            .session("session-1", at(0))
            .await
            .expect("valid when made");
        assert_eq!((user.id, csrf.as_str()), (ana.id, "csrf-1"));
        let (user, _) = tx
            .session("session-1", at(59_999))
            .await
            .expect("valid a moment before expiry");
        assert_eq!(user, ana);
        assert_not_found(tx.session("session-1", at(60_000)).await);
        assert_not_found(tx.session("session-1", at(3_600_000)).await);
        assert_not_found(tx.session("session-unknown", at(0)).await);
    }
}

both_backends! {
    async fn a_deleted_session_is_gone_and_the_others_stay(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        tx.insert_session("laptop", ana.id, "csrf-l", at(0), at(60_000))
            .await
            .expect("laptop session is stored");
        tx.insert_session("phone", ana.id, "csrf-p", at(0), at(60_000))
            .await
            .expect("phone session is stored");
        commit(tx).await;

        let mut tx = write(&db).await;
        tx.delete_session("laptop")
            .await
            .expect("laptop session is deleted");
        tx.delete_session("never-existed")
            .await
            .expect("deleting an unknown session is not an error");
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_not_found(tx.session("laptop", at(1)).await);
        assert_eq!(
            tx.session("phone", at(1))
                .await
                .expect("phone session stays")
                .1,
            "csrf-p"
        );
    }
}

both_backends! {
    async fn expired_sessions_are_forgotten_and_live_ones_kept(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        tx.insert_session("old", ana.id, "c1", at(0), at(1_000))
            .await
            .expect("old session is stored");
        tx.insert_session("edge", ana.id, "c2", at(0), at(2_000))
            .await
            .expect("edge session is stored");
        tx.insert_session("live", ana.id, "c3", at(0), at(9_000))
            .await
            .expect("live session is stored");
        commit(tx).await;

        let mut tx = write(&db).await;
        assert_eq!(
            tx.delete_expired_sessions(at(2_000))
                .await
                .expect("expired sessions are deleted"),
            2
        );
        commit(tx).await;

        let mut tx = read(&db).await;
        assert_eq!(
            tx.session("live", at(2_000))
                .await
                .expect("live session stays")
                .1,
            "c3"
        );
        assert_not_found(tx.session("edge", at(0)).await);
        assert_not_found(tx.session("old", at(0)).await);
    }
}

both_backends! {
    async fn an_organization_lists_its_own_users_tokens_and_no_other(db) {
        let mut tx = write(&db).await;
        let acme = seed(&mut tx, "acme").await;
        let globex = seed(&mut tx, "globex").await;
        let ana = add_user(&mut tx, acme.id(), "ana@acme.test", Role::Agent).await;
        let bob = add_user(&mut tx, acme.id(), "bob@acme.test", Role::Admin).await;
        let gus = add_user(&mut tx, globex.id(), "gus@globex.test", Role::Agent).await;
        for (user, name, digest) in [(bob.id, "Zapier", "d-1"), (gus.id, "Elsewhere", "d-2"), (ana.id, "CRM sync", "d-3")] {
            tx.insert_token(user, name, digest, at(1)).await.expect("the token is stored");
        }
        commit(tx).await;

        let mut tx = read(&db).await;
        let listed: Vec<(_, String)> = tx
            .org_tokens(acme.id())
            .await
            .expect("acme's tokens are listed")
            .into_iter()
            .map(|t| (t.user_id, t.name))
            .collect();
        assert_eq!(listed, [(bob.id, "Zapier".to_owned()), (ana.id, "CRM sync".to_owned())], "oldest first, only acme's");
        let theirs = tx.org_tokens(globex.id()).await.expect("globex's tokens are listed");
        assert_eq!(theirs.iter().map(|t| t.user_id).collect::<Vec<_>>(), [gus.id]);
    }
}

both_backends! {
    async fn every_instance_adds_to_one_run_of_wrong_passwords_and_a_stale_run_starts_afresh(db) {
        const HOUR: i64 = 3_600_000;
        let second = db.reopen().await;
        // Two instances count wrong passwords for one address at once: none is lost.
        let mut racers = Vec::new();
        for store in [db.store.clone(), second.clone(), db.store.clone(), second] {
            racers.push(tokio::spawn(async move {
                for i in 0..5 {
                    let mut tx = store.write().await.expect("a write transaction begins");
                    tx.record_sign_in_failure("ana@acme.test", at(i), at(i - HOUR))
                        .await
                        .expect("the failure is counted");
                    tx.commit().await.expect("the transaction commits");
                }
            }));
        }
        for racer in racers {
            racer.await.expect("the racer finishes");
        }
        let mut tx = write(&db).await;
        let run = tx.sign_in_failures("ana@acme.test").await.expect("the run is read");
        assert_eq!(run.map(|r| r.failures), Some(20), "{run:?}");
        assert_eq!(tx.sign_in_failures("bo@acme.test").await.expect("no run is read"), None);
        tx.record_sign_in_failure("bo@acme.test", at(10), at(10 - HOUR))
            .await
            .expect("bo's failure is counted");

        // An hour after Ana's last failure her run starts again from one, and Bo's run, as
        // old, is forgotten by the next failure anyone makes.
        tx.record_sign_in_failure("ana@acme.test", at(HOUR + 20), at(20))
            .await
            .expect("the failure is counted");
        assert_eq!(
            tx.sign_in_failures("ana@acme.test").await.expect("the run is read"),
            Some(leadpool_store::credentials::SignInFailures { failures: 1, last: at(HOUR + 20) })
        );
        assert_eq!(tx.sign_in_failures("bo@acme.test").await.expect("bo's run is read"), None);

        tx.clear_sign_in_failures("ana@acme.test").await.expect("the run ends");
        assert_eq!(tx.sign_in_failures("ana@acme.test").await.expect("the run is read"), None);
        commit(tx).await;
    }
}
