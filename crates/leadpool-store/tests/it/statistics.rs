//! SQLite's planner statistics: kept at every start and refreshed after, and read by every
//! connection, not only the one that gathered them. (PostgreSQL's autovacuum keeps its own.)

use leadpool_store::Backend;
use leadpool_store::bench_pool::PoolViewSeed;
use leadpool_testkit::backend::TestStore;
use sqlx::Connection;

use crate::fixtures::{at, commit, seed, write};

/// What another connection to the database sees: the schema's version, and how many
/// statistics rows describe the leads table.
async fn seen_by(conn: &mut sqlx::SqliteConnection) -> (i64, i64) {
    let version: i64 = sqlx::query_scalar("PRAGMA schema_version")
        .fetch_one(&mut *conn)
        .await
        .expect("the schema version is read");
    let kept: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("the tables are listed");
    let leads = if kept == 0 {
        0
    } else {
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'leads'")
            .fetch_one(&mut *conn)
            .await
            .expect("the statistics are read")
    };
    (version, leads)
}

#[tokio::test]
async fn statistics_are_gathered_for_grown_tables_and_every_connection_reloads_them() {
    let Some(db) = TestStore::new(Backend::Sqlite).await else {
        unreachable!("SQLite needs no setup")
    };
    let mut other = sqlx::SqliteConnection::connect(&db.url)
        .await
        .expect("a second connection opens");
    let mut tx = write(&db).await;
    let acme = seed(&mut tx, "acme").await;
    tx.bench_seed_pool_view(&PoolViewSeed {
        org: acme.id(),
        sources: &[acme.source.id],
        statuses: &[acme.new.id],
        agents: &[],
        teams: &[],
        pool: acme.pool.id,
        leads: 20_000,
        pool_leads: 10,
        now: at(0),
    })
    .await
    .expect("leads are seeded");
    commit(tx).await;
    // What a process killed halfway through signalling the last change leaves behind.
    sqlx::query("CREATE TABLE statistics_changed (at INTEGER)")
        .execute(&mut other)
        .await
        .expect("a leftover table is made");
    let (version, _) = seen_by(&mut other).await;

    db.store
        .refresh_statistics()
        .await
        .expect("statistics are refreshed, leftover or not");
    let (changed, leads) = seen_by(&mut other).await;
    assert!(leads > 0, "the leads table and its indexes were analyzed");
    assert!(
        changed > version,
        "the schema changed ({version} -> {changed}), so connections opened before load the new statistics"
    );

    db.store
        .refresh_statistics()
        .await
        .expect("statistics are refreshed");
    assert_eq!(
        seen_by(&mut other).await,
        (changed, leads),
        "nothing new to learn: nothing changed, and no connection reloads its schema"
    );
}
