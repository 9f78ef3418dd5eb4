//! A fresh, migrated database per test, on SQLite and on PostgreSQL.
//!
//! PostgreSQL comes from `LEADPOOL_TEST_PG_URL` (any database on a server where the user
//! may `CREATE DATABASE`); each test gets its own database on it. Without the variable the
//! PostgreSQL half of a test passes without running, so the suite still runs on a machine
//! with no server, and says "skipped" on the terminal; `.ci/run` always sets it.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

pub use leadpool_store::Backend;
use leadpool_store::{ConnectOptions, Store};

/// The environment variable naming the PostgreSQL server tests use.
pub const PG_URL_VAR: &str = "LEADPOOL_TEST_PG_URL";

/// A migrated store that lives as long as this value.
#[derive(Debug)]
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// The URL it was opened with (a server started on it reaches the same data).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

impl TestStore {
    /// The same database opened again, as a second instance opens it: its own connections
    /// and nothing shared in memory with this store.
    pub async fn reopen(&self) -> Store {
        Store::connect(&self.url, &ConnectOptions::default())
            .await
            .expect("open the test database again")
    }

    /// A fresh store on `backend`, or `None` (after saying so) when PostgreSQL is not configured.
    pub async fn new(backend: Backend) -> Option<Self> {
        let opts = ConnectOptions::default();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("make a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                let store = Store::connect(&url, &opts)
                    .await
                    .expect("connect to the test SQLite database");
                store
                    .migrate()
                    .await
                    .expect("migrate the test SQLite database");
                Some(Self {
                    store,
                    url,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var(PG_URL_VAR) else {
                    report_skipped();
                    return None;
                };
                let name = format!(
                    "lp_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    fastrand::u32(..)
                );
                let admin = Store::connect(
                    &admin_url,
                    &ConnectOptions {
                        max_connections: 1,
                        ..opts.clone()
                    },
                )
                .await
                .unwrap_or_else(|e| {
                    panic!("{PG_URL_VAR} is set but PostgreSQL is unreachable: {e}")
                });
                admin
                    .create_database(&name)
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                admin.close().await;
                let url = with_database(&admin_url, &name);
                let store = Store::connect(&url, &opts)
                    .await
                    .expect("connect to the test PostgreSQL database");
                store
                    .migrate()
                    .await
                    .expect("migrate the test PostgreSQL database");
                Some(Self {
                    store,
                    url,
                    _dir: None,
                })
            }
        }
    }
}

/// Says on the terminal that the running test's PostgreSQL half is skipped.
///
/// libtest has no way for a test to report itself skipped at run time, so the test still
/// counts as "ok"; this line is what keeps that from passing silently. It is written to
/// the process's standard error directly because libtest captures `eprintln!` and shows
/// it only for failing tests. libtest names each test's thread after the test, which
/// gives the line the same name as the harness's own `test NAME ... ok`.
fn report_skipped() {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("a test's PostgreSQL half");
    let line = format!("test {name} ... skipped: {PG_URL_VAR} is not set\n");
    // One write, so that parallel tests do not interleave within the line; a closed
    // stderr is no reason to fail the test.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Runs a test body once on SQLite and once on PostgreSQL, as two tests named
/// `NAME::sqlite` and `NAME::postgres`. The body gets a fresh [`TestStore`].
#[macro_export]
macro_rules! both_backends {
    ($(#[$meta:meta])* async fn $name:ident($db:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports, reason = "the body may use anything the test file imports")]
            use super::*;

            async fn body($db: $crate::TestStore) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = $crate::TestStore::new($crate::Backend::Sqlite).await {
                    body(db).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestStore::new($crate::Backend::Postgres).await {
                    body(db).await;
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_keeping_the_query() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
