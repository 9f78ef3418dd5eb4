//! SQLite's write-ahead log is copied back into the database file in the background, long
//! before the writer's own backstop (20,000 pages) would do it inside some commit.

use std::time::Duration;

use leadpool_store::Backend;
use leadpool_testkit::backend::TestStore;

use crate::fixtures::{LeadSpec, commit, insert, seed, write};

#[tokio::test]
async fn commits_reach_the_database_file_without_waiting_for_the_backstop() {
    let Some(db) = TestStore::new(Backend::Sqlite).await else {
        unreachable!("SQLite needs no setup")
    };
    let path = db
        .url
        .strip_prefix("sqlite://")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("not a file URL: {}", db.url));
    let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    // The migrations' pages settle in the file first.
    let mut settled = size();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = size();
        if now == settled {
            break;
        }
        settled = now;
    }

    // A few hundred pages: far below the backstop, so only the background task moves them.
    let mut tx = write(&db).await;
    let acme = seed(&mut tx, "acme").await;
    for i in 0..2_000 {
        insert(
            &mut tx,
            LeadSpec::of(&acme).name(&format!("Lead number {i} with a longer name")),
        )
        .await;
    }
    commit(tx).await;
    let mut grown = size();
    for _ in 0..100 {
        if grown > settled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        grown = size();
    }
    assert!(
        grown > settled,
        "the database file stayed at {settled} bytes: nothing was checkpointed"
    );
}
