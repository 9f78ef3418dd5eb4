//! SQLite backups and restores at the store: a backup never waits for the writer and holds
//! what was committed when it began; a file is checked before it takes a database's place.

use std::path::Path;

use leadpool_store::Backend;
use leadpool_store::backup::{BackupError, check, restore};
use leadpool_testkit::backend::TestStore;
use sqlx::Connection;

use crate::fixtures::{LeadSpec, Seeded, commit, insert, seed, write};

async fn sqlite() -> TestStore {
    let Some(db) = TestStore::new(Backend::Sqlite).await else {
        unreachable!("SQLite needs no setup")
    };
    db
}

/// A SQLite store with the organization `acme` and `leads` leads.
async fn with_leads(leads: usize) -> (TestStore, Seeded) {
    let db = sqlite().await;
    let mut tx = write(&db).await;
    let acme = seed(&mut tx, "acme").await;
    for i in 0..leads {
        insert(
            &mut tx,
            LeadSpec::of(&acme).name(&format!("Lead number {i}")),
        )
        .await;
    }
    commit(tx).await;
    (db, acme)
}

fn file_of(db: &TestStore) -> &Path {
    Path::new(db.url.strip_prefix("sqlite://").unwrap_or(&db.url))
}

#[tokio::test]
async fn a_backup_holds_what_was_committed_and_does_not_wait_for_an_open_write() {
    let (db, acme) = with_leads(50).await;

    // A writer holds the write lock with a lead not yet committed while the backup runs.
    let mut open = write(&db).await;
    insert(&mut open, LeadSpec::of(&acme).name("Not yet committed")).await;
    let dir = tempfile::tempdir().expect("make a temporary directory");
    let to = dir.path().join("backup.db");
    let checked = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        db.store.backup(&to, false),
    )
    .await
    .expect("the backup does not wait for the writer")
    .expect("the backup is taken");
    commit(open).await;

    assert_eq!(checked.leads, 50);
    assert_eq!(checked.organizations, 1);
    assert_eq!(checked.pending, 0);
    assert_eq!(check(&to).await.expect("the copy checks").leads, 50);
    assert_eq!(
        std::fs::read_dir(dir.path()).map(Iterator::count).ok(),
        Some(1),
        "no temporary file is left beside the backup"
    );
    assert!(matches!(
        db.store.backup(&to, false).await,
        Err(BackupError::Exists(p)) if p == to
    ));
}

#[tokio::test]
async fn a_database_of_a_newer_leadpool_is_refused_and_nothing_is_replaced() {
    let db = sqlite().await;
    let newer = file_of(&db);
    let mut conn = sqlx::SqliteConnection::connect(&db.url)
        .await
        .expect("open the database");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99999, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("record a migration this build lacks");
    conn.close().await.expect("close the database");
    db.store.close().await;

    let dir = tempfile::tempdir().expect("make a temporary directory");
    let to = dir.path().join("leadpool.db");
    let refused = restore(newer, &to, false).await;
    assert!(
        matches!(refused, Err(BackupError::Newer { version: 99999, .. })),
        "{refused:?}"
    );
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("written by a newer leadpool"), "{message}");
    assert!(!to.exists(), "nothing took the database's place");
    assert_eq!(
        std::fs::read_dir(dir.path()).map(Iterator::count).ok(),
        Some(0),
        "the checked copy is gone"
    );
}

#[tokio::test]
async fn a_damaged_file_is_refused_by_the_integrity_check() {
    let (db, _) = with_leads(500).await;
    let dir = tempfile::tempdir().expect("make a temporary directory");
    let copy = dir.path().join("backup.db");
    db.store
        .backup(&copy, false)
        .await
        .expect("the backup is taken");

    // Scribble over pages in the middle of the file, as a failing disk would.
    let mut bytes = std::fs::read(&copy).expect("read the copy");
    let middle = bytes.len() / 2;
    bytes[middle..middle + 8192].fill(0x5a);
    std::fs::write(&copy, bytes).expect("damage the copy");
    let refused = check(&copy).await;
    assert!(
        matches!(refused, Err(BackupError::Damaged { .. })),
        "{refused:?}"
    );
}
