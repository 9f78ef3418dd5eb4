//! Round-robin positions: a router's first lead starts its line, and positions saved together
//! read back each under its own router and organization.

use leadpool_domain::routing::{Cursor, Router};
use leadpool_domain::{RuleId, UserId};
use leadpool_testkit::both_backends;

use crate::fixtures::{commit, seed, write};

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
