//! The one place that knows there are two databases.
//!
//! Everything else in the store writes one SQL text with `$N` placeholders and binds
//! [`Arg`]s; this module opens the right pool, runs the text on it, and turns each
//! backend's errors into the same [`StoreError`].

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{
    AssertSqlSafe, ConnectOptions as _, Connection, FromRow, PgPool, Postgres, Row, Sqlite,
    SqliteConnection, SqlitePool, Transaction,
};

use crate::error::StoreError;
use crate::sql::{Arg, Sql};
use crate::wake::{Listener, Wake};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The SQLite migrations this build carries (a backup's check compares a file's with them).
pub(crate) fn sqlite_migrations() -> &'static Migrator {
    &SQLITE_MIGRATIONS
}

/// SQLite reports unique violations by columns, not by name; these map them to the
/// constraint names the PostgreSQL tree declares.
const SQLITE_UNIQUE: &[(&str, &str)] = &[
    ("organizations.slug", "organizations_slug_key"),
    ("teams.org_id, teams.name", "teams_name_key"),
    ("users.email", "users_email_key"),
    ("api_tokens.token_hash", "api_tokens_hash_key"),
    ("statuses.org_id, statuses.name", "statuses_name_key"),
    ("sources.key_hash", "sources_key_hash_key"),
    ("sources.org_id, sources.name", "sources_name_key"),
    ("pools.org_id, pools.name", "pools_name_key"),
    (
        "leads.source_id, leads.external_id",
        "leads_external_id_key",
    ),
    (
        "team_members.team_id, team_members.user_id",
        "team_members_pkey",
    ),
    ("user_tags.user_id, user_tags.tag", "user_tags_pkey"),
    ("lead_tags.lead_id, lead_tags.tag", "lead_tags_pkey"),
    ("calendars.org_id, calendars.name", "calendars_name_key"),
    (
        "reject_reasons.org_id, reject_reasons.label",
        "reject_reasons_label_key",
    ),
    ("calendars.org_id", "calendars_one_default"),
    (
        "agent_groups.org_id, agent_groups.name",
        "agent_groups_name_key",
    ),
    (
        "routing_rules.org_id, routing_rules.name",
        "routing_rules_name_key",
    ),
    (
        "reassignment_groups.org_id, reassignment_groups.name",
        "reassignment_groups_name_key",
    ),
];

/// The name of every unique constraint whose violation comes out as
/// [`StoreError::Conflict`](crate::StoreError::Conflict), on either backend.
pub fn unique_constraints() -> impl Iterator<Item = &'static str> {
    SQLITE_UNIQUE.iter().map(|(_, name)| *name)
}

/// Appended to a subquery that picks rows to claim: PostgreSQL skips rows another
/// transaction has locked; SQLite has one writer at a time and no such clause.
pub(crate) fn skip_locked(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// Whether free-text search goes through the FTS5 trigram table `leads_fts` (SQLite).
/// PostgreSQL serves `search_text LIKE` itself from its pg_trgm index; SQLite's LIKE never
/// uses an index for a leading wildcard.
pub(crate) fn searches_trigram_table(b: Backend) -> bool {
    b == Backend::Sqlite
}

/// The text around a bound JSON array of ids that makes `… l.id{open}$n{close}` hold for
/// exactly those ids.
pub(crate) fn id_in_json(b: Backend) -> (&'static str, &'static str) {
    match b {
        Backend::Sqlite => (" IN (SELECT value FROM json_each(", "))"),
        Backend::Postgres => (
            " IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(",
            " AS json)))",
        ),
    }
}

/// An aggregate gathering the ids in column `p.id` into a JSON array (`[]` for none), as
/// [`id_in_json`] reads them back.
pub(crate) fn ids_as_json(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "json_group_array(p.id)",
        Backend::Postgres => "COALESCE(json_agg(p.id), '[]'::json)::text",
    }
}

/// Put after `leads l` in a lead list: on SQLite, the index the list must walk, or with
/// none no index but the ids the list names (its planner keeps no statistics worth
/// trusting with a million skewed rows, and a wrong guess walks the whole organization).
/// PostgreSQL plans from its statistics and takes no hints.
pub(crate) fn index_hint(b: Backend, walk: Option<&str>) -> String {
    match (b, walk) {
        (Backend::Sqlite, Some(index)) => format!(" INDEXED BY {index}"),
        (Backend::Sqlite, None) => " NOT INDEXED".to_owned(),
        (Backend::Postgres, _) => String::new(),
    }
}

/// Whether the database tends its tables by itself after large changes: PostgreSQL's
/// autovacuum vacuums and analyzes them; SQLite keeps no statistics until someone runs
/// ANALYZE.
#[cfg(feature = "bench")]
pub(crate) fn maintains_itself(b: Backend) -> bool {
    b == Backend::Postgres
}

/// Whether rows must be locked one by one: SQLite's single writer already holds the file.
pub(crate) fn locks_rows(b: Backend) -> bool {
    b == Backend::Postgres
}

/// Appended to a SELECT over a join that must lock the rows of the table aliased `alias`
/// (the lock [`for_update`] takes).
pub(crate) fn for_update_of(b: Backend, alias: &str) -> String {
    if locks_rows(b) {
        format!(" FOR NO KEY UPDATE OF {alias}")
    } else {
        String::new()
    }
}

/// Appended to a SELECT that must lock its rows (PostgreSQL; SQLite's writer holds the file).
///
/// The lock is `FOR NO KEY UPDATE`, the one an `UPDATE` of these rows takes anyway: it
/// keeps out every other transaction that locks or updates them, but not one that only
/// inserts a row pointing at them. Such an insert (an outbox event naming a user, a
/// timeline entry naming a lead) holds `FOR KEY SHARE` on the row it points at until it
/// commits, and `FOR UPDATE` waits for that: two instances each writing an event for one
/// agent and then locking the other's row deadlocked, one of them answering 503.
pub(crate) fn for_update(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR NO KEY UPDATE",
    }
}

/// Columns of a user aliased `u`: `team_ids`, their team ids comma-separated in id order,
/// and `tags`, a JSON array of their tags in tag order.
pub(crate) fn user_links(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => {
            "(SELECT group_concat(tm.team_id, ',' ORDER BY tm.team_id) FROM team_members tm WHERE tm.user_id = u.id) AS team_ids, \
             (SELECT json_group_array(ut.tag ORDER BY ut.tag) FROM user_tags ut WHERE ut.user_id = u.id) AS tags"
        }
        Backend::Postgres => {
            "(SELECT string_agg(tm.team_id::text, ',' ORDER BY tm.team_id) FROM team_members tm WHERE tm.user_id = u.id) AS team_ids, \
             (SELECT COALESCE(json_agg(ut.tag ORDER BY ut.tag), '[]'::json)::text FROM user_tags ut WHERE ut.user_id = u.id) AS tags"
        }
    }
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Most connections held open at once (on SQLite, for reading: writes share one more).
    pub max_connections: u32,
    /// How long to wait for a lock (SQLite) or a connection before giving up.
    pub busy_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
enum Db {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// SQLite admits one writer at a time, so writes share one connection, queued fairly,
/// instead of racing for the lock and sleeping in its busy handler; the one connection
/// also keeps its page cache, which another writer's commit would have invalidated.
/// Checkpoints and the planner's statistics are kept up beside the writer rather than
/// inside whichever commit fills the WAL.
#[derive(Debug, Clone)]
struct SqlitePools {
    read: SqlitePool,
    write: SqlitePool,
    _upkeep: Arc<Upkeep>,
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// WAL pages past which the writer checkpoints by itself: a backstop, should the
/// background checkpoints fall behind.
const WAL_BACKSTOP_PAGES: u32 = 20_000;

/// How often SQLite's planner statistics are brought up to date. `PRAGMA optimize` then
/// analyzes only the tables never analyzed or whose size changed tenfold or more since, and
/// reads a bounded sample of each (it sets `analysis_limit` itself), so most runs do nothing
/// and none takes long; SQLite's documentation suggests hourly to daily for a connection
/// that stays open.
const OPTIMIZE_EVERY: Duration = Duration::from_secs(3600);

/// SQLite's planner statistics as they stand, to tell whether ANALYZE changed them.
async fn statistics(
    conn: &mut sqlx::SqliteConnection,
) -> Result<Vec<(String, String)>, StoreError> {
    let kept: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from_sqlx)?;
    if kept == 0 {
        return Ok(Vec::new());
    }
    sqlx::query_as("SELECT COALESCE(idx, tbl), stat FROM sqlite_stat1 ORDER BY 1, 2")
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from_sqlx)
}

/// The background checkpoint and statistics tasks, stopped when the last clone of their
/// store goes.
#[derive(Debug)]
struct Upkeep([tokio::task::JoinHandle<()>; 2]);

impl Drop for Upkeep {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl Upkeep {
    fn start(read: SqlitePool, write: SqlitePool) -> Self {
        let checkpoints = every(CHECKPOINT_EVERY, read, |pool| async move {
            // PASSIVE copies what no reader still needs and never waits for the writer.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
                .map(drop)
                .map_err(StoreError::from_sqlx)
        });
        let statistics = every(
            OPTIMIZE_EVERY,
            write,
            |pool| async move { analyze(&pool).await },
        );
        Self([checkpoints, statistics])
    }
}

/// Runs `job` on `pool` every `period`, the first time after one period, until the pool
/// closes.
fn every<F, Fut>(period: Duration, pool: SqlitePool, job: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(SqlitePool) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), StoreError>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                break;
            }
            if let Err(e) = job(pool.clone()).await {
                tracing::debug!(error = %e, "database upkeep did not run");
            }
        }
    })
}

/// Analyzes the tables of the SQLite database behind `write` (its writer) whose statistics
/// are missing or out of date, and makes every connection read the new ones.
async fn analyze(write: &SqlitePool) -> Result<(), StoreError> {
    let mut conn = write.acquire().await.map_err(StoreError::from_sqlx)?;
    let before = statistics(&mut conn).await?;
    // 0x10002: every table, not only those this connection has queried yet.
    sqlx::query("PRAGMA optimize=0x10002")
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_sqlx)?;
    if statistics(&mut conn).await? != before {
        // Other connections read the statistics only when they load the schema, which
        // ANALYZE leaves as it was: a change to it makes them load both again. (IF NOT
        // EXISTS: a process killed between the two must not stop the next one starting.)
        for statement in [
            "CREATE TABLE IF NOT EXISTS statistics_changed (at INTEGER)",
            "DROP TABLE statistics_changed",
        ] {
            sqlx::query(statement)
                .execute(&mut *conn)
                .await
                .map_err(StoreError::from_sqlx)?;
        }
    }
    Ok(())
}

/// The store: one type for both backends, chosen at runtime by URL.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    /// Wakes this process's listeners after commits that wrote outbox events.
    wake: Arc<Wake>,
    /// Whether this instance sends email: events are then also queued for it.
    mail: Arc<AtomicBool>,
}

/// Explains a database URL that is neither SQLite nor PostgreSQL.
fn bad_url(url: &str) -> StoreError {
    StoreError::Config(format!(
        "database URL `{}` is not understood; use sqlite://PATH/leadpool.db or postgres://USER:PASSWORD@HOST:5432/DATABASE",
        redact(url)
    ))
}

/// Hides a password in a URL before it is shown.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`). Does not migrate.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("database URL `{url}`: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(opts.busy_timeout)
                .foreign_keys(true)
                .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string())
                // Batch statements differ by their number of rows, each size its own
                // prepared statement; the default 100 would keep re-preparing them.
                .statement_cache_capacity(1_000);
            let open = |max: u32, o: SqliteConnectOptions| async move {
                SqlitePoolOptions::new()
                    .max_connections(max)
                    // An in-process file has no connection to go stale.
                    .test_before_acquire(false)
                    .acquire_timeout(opts.busy_timeout)
                    .connect_with(o)
                    .await
                    .map_err(|e| {
                        StoreError::Config(format!("cannot open SQLite database `{url}`: {e}"))
                    })
            };
            // The writer first: it creates the file and switches it to WAL. Its batch writes
            // keep their statement journals in memory rather than in temporary files
            // (measured: a quarter more claims per second); the readers' large sorts did
            // worse in memory, so they keep the default.
            let write = open(1, o.clone().pragma("temp_store", "memory")).await?;
            let read = open(opts.max_connections, o).await?;
            Ok(Self {
                db: Db::Sqlite(SqlitePools {
                    _upkeep: Arc::new(Upkeep::start(read.clone(), write.clone())),
                    read,
                    write,
                }),
                wake: Arc::default(),
                mail: Arc::default(),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let o = PgConnectOptions::from_str(url).map_err(|_| bad_url(url))?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.busy_timeout)
                .connect_with(o)
                .await
                .map_err(|e| {
                    StoreError::Config(format!(
                        "cannot connect to PostgreSQL at `{}`: {e}",
                        redact(url)
                    ))
                })?;
            Ok(Self {
                db: Db::Postgres(pool),
                wake: Arc::default(),
                mail: Arc::default(),
            })
        } else {
            Err(bad_url(url))
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every migration not yet applied; returns how many were applied. On SQLite it
    /// then brings the planner's statistics up to date, as every start of a process does.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let before = self.applied_migrations().await?;
        match &self.db {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(&p.write).await,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await,
        }
        .map_err(|e| StoreError::Migrate(e.to_string()))?;
        self.refresh_statistics().await?;
        Ok(self.applied_migrations().await?.saturating_sub(before))
    }

    /// Analyzes the tables whose statistics are missing or out of date, so the planner
    /// knows, for one, that `org_id` holds a single value in most databases and a pool's
    /// leads are a few or most. PostgreSQL's autovacuum does this by itself; SQLite keeps
    /// no statistics unless asked, and is asked here at start and hourly after.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(p) => analyze(&p.write).await,
            Db::Postgres(_) => Ok(()),
        }
    }

    async fn applied_migrations(&self) -> Result<usize, StoreError> {
        // Asking a fresh database about a table it lacks would log an error on PostgreSQL.
        let exists = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) AS n FROM pg_tables WHERE tablename = '_sqlx_migrations' AND schemaname = current_schema()"
            }
        };
        let mut tx = self.read().await?;
        if tx.fetch_one::<Count>(&Sql::new(exists)).await?.n == 0 {
            return Ok(0);
        }
        let n: Option<Count> = tx
            .fetch_optional(&Sql::new(
                "SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE success",
            ))
            .await?;
        tx.commit().await?;
        Ok(n.map_or(0, |c| usize::try_from(c.n).unwrap_or(0)))
    }

    /// The versions of the migrations this build carries, for this backend.
    pub fn known_migrations(backend: Backend) -> Vec<(i64, String)> {
        let m = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }

    /// Starts a transaction for reading (a consistent snapshot).
    pub async fn read(&self) -> Result<Tx, StoreError> {
        let conn = match &self.db {
            Db::Sqlite(p) => Conn::Sqlite(p.read.begin().await.map_err(StoreError::from_sqlx)?),
            Db::Postgres(p) => Conn::Postgres(p.begin().await.map_err(StoreError::from_sqlx)?),
        };
        Ok(self.tx(conn))
    }

    fn tx(&self, conn: Conn) -> Tx {
        Tx {
            conn,
            wake: Arc::clone(&self.wake),
            wrote_events: false,
            mail: self.mail.load(Ordering::Relaxed),
        }
    }

    /// Whether email deliveries are queued (see [`Store::set_mail`]).
    pub fn mails(&self) -> bool {
        self.mail.load(Ordering::Relaxed)
    }

    /// Turns the queueing of email deliveries on or off (on when the server has SMTP): with
    /// email off, events wait for no mailer and nothing piles up.
    pub fn set_mail(&self, on: bool) {
        self.mail.store(on, Ordering::Relaxed);
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that upgrades later fails with SQLITE_BUSY
    /// instead of waiting.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        let conn = match &self.db {
            Db::Sqlite(p) => Conn::Sqlite(
                p.write
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::from_sqlx)?,
            ),
            Db::Postgres(p) => Conn::Postgres(p.begin().await.map_err(StoreError::from_sqlx)?),
        };
        Ok(self.tx(conn))
    }

    /// Changes after every commit in this process that wrote outbox events.
    pub fn event_commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// Listens for other instances' commits: `None` on SQLite, where one server owns the
    /// file and [`Store::event_commits`] already sees every commit.
    pub async fn listen(&self) -> Result<Option<Listener>, StoreError> {
        match &self.db {
            Db::Sqlite(_) => Ok(None),
            Db::Postgres(p) => Listener::connect(p).await.map(Some),
        }
    }

    /// Creates an empty database beside this one (PostgreSQL only; tests and benchmarks
    /// use it to get a database of their own). `name` must be a plain identifier.
    pub async fn create_database(&self, name: &str) -> Result<(), StoreError> {
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(StoreError::Config(format!(
                "`{name}` is not a plain database name"
            )));
        }
        match &self.db {
            Db::Postgres(p) => sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(p)
                .await
                .map(drop)
                .map_err(StoreError::from_sqlx),
            Db::Sqlite(_) => Err(StoreError::Config(
                "SQLite creates its database file on connect".into(),
            )),
        }
    }

    /// Runs a statement outside any transaction (VACUUM refuses to run inside one).
    #[cfg(feature = "bench")]
    pub(crate) async fn execute_bare(&self, statement: &str) -> Result<(), StoreError> {
        let text = AssertSqlSafe(statement.to_owned());
        match &self.db {
            Db::Sqlite(p) => sqlx::query(text).execute(&p.write).await.map(drop),
            Db::Postgres(p) => sqlx::query(text).execute(p).await.map(drop),
        }
        .map_err(StoreError::from_sqlx)
    }

    /// Writes this SQLite database as it is at one instant into the empty file `to`, with
    /// `VACUUM INTO`: one read transaction, so writers carry on. PostgreSQL databases are
    /// copied with `pg_dump` instead.
    pub(crate) async fn vacuum_into(&self, to: &str) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(p) => {
                // A reading connection of its own: read-only, as a backup never writes the
                // database, and without the slow-statement warning a long copy would raise.
                let opts = (*p.read.connect_options())
                    .clone()
                    .read_only(true)
                    .disable_statement_logging();
                let mut conn = SqliteConnection::connect_with(&opts)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                // VACUUM refuses to run inside a transaction, so this is a bare statement.
                let copied = sqlx::query("VACUUM INTO ?1")
                    .bind(to.to_owned())
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
                copied.map(drop).map_err(StoreError::from_sqlx)
            }
            Db::Postgres(_) => Err(StoreError::Config(
                "a PostgreSQL database is copied with pg_dump, not by leadpool".into(),
            )),
        }
    }

    /// Checks the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut tx = self.read().await?;
        tx.execute(&Sql::new("SELECT 1")).await?;
        tx.commit().await
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(p) => {
                p.write.close().await;
                p.read.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

/// A row type that decodes the same from both backends.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A transaction on either backend. Dropping it without `commit` rolls back.
#[derive(Debug)]
pub struct Tx {
    conn: Conn,
    /// Told after a commit that wrote outbox events.
    wake: Arc<Wake>,
    /// Whether this transaction wrote outbox events (set by `push_events`).
    wrote_events: bool,
    /// Whether events it writes are also emailed (see [`Store::set_mail`]).
    mail: bool,
}

/// The backend's own transaction.
#[derive(Debug)]
enum Conn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Binds the arguments of `$sql` to the query `$q`; a statement planned with its values is
/// not kept prepared (PostgreSQL then plans the unnamed statement with them, every time).
macro_rules! bind_all {
    ($q:expr, $sql:expr) => {
        bind_all!($q, $sql, $sql.args())
    };
    ($q:expr, $sql:expr, $args:expr) => {{
        let mut q = $q.persistent(!$sql.planned_with_values());
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

impl Tx {
    /// The backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether events written now are also emailed.
    pub(crate) fn mails(&self) -> bool {
        self.mail
    }

    /// Notes that this transaction wrote outbox events, so its commit wakes listeners.
    pub(crate) fn wrote_events(&mut self) {
        self.wrote_events = true;
    }

    /// Runs a statement; returns the rows it affected.
    pub(crate) async fn execute(&mut self, q: &Sql) -> Result<u64, StoreError> {
        let r = match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (text, args) = q.positional();
                bind_all!(sqlx::query(AssertSqlSafe(text)), q, args)
                    .execute(&mut **tx)
                    .await
                    .map(|r| r.rows_affected())
            }
            Conn::Postgres(tx) => bind_all!(sqlx::query(AssertSqlSafe(q.text().to_owned())), q)
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
        };
        r.map_err(StoreError::from_sqlx)
    }

    /// Runs a query and decodes every row.
    pub(crate) async fn fetch_all<T: Record>(&mut self, q: &Sql) -> Result<Vec<T>, StoreError> {
        let r = match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (text, args) = q.positional();
                bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), q, args)
                    .fetch_all(&mut **tx)
                    .await
            }
            Conn::Postgres(tx) => {
                bind_all!(
                    sqlx::query_as::<_, T>(AssertSqlSafe(q.text().to_owned())),
                    q
                )
                .fetch_all(&mut **tx)
                .await
            }
        };
        r.map_err(StoreError::from_sqlx)
    }

    /// Runs a query and decodes its first row, if any.
    pub(crate) async fn fetch_optional<T: Record>(
        &mut self,
        q: &Sql,
    ) -> Result<Option<T>, StoreError> {
        let r = match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (text, args) = q.positional();
                bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), q, args)
                    .fetch_optional(&mut **tx)
                    .await
            }
            Conn::Postgres(tx) => {
                bind_all!(
                    sqlx::query_as::<_, T>(AssertSqlSafe(q.text().to_owned())),
                    q
                )
                .fetch_optional(&mut **tx)
                .await
            }
        };
        r.map_err(StoreError::from_sqlx)
    }

    /// Runs a query that must return a row; none is `NotFound`.
    pub(crate) async fn fetch_one<T: Record>(&mut self, q: &Sql) -> Result<T, StoreError> {
        self.fetch_optional(q).await?.ok_or(StoreError::NotFound)
    }

    /// How the database would run a query: its plan, one line per step, as the backend
    /// words it (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL).
    pub(crate) async fn explain(&mut self, q: &Sql) -> Result<Vec<String>, StoreError> {
        let r = match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (text, args) = q.positional();
                let text = AssertSqlSafe(format!("EXPLAIN QUERY PLAN {text}"));
                bind_all!(sqlx::query(text), q, args)
                    .fetch_all(&mut **tx)
                    .await
                    .and_then(|rows| rows.iter().map(|r| r.try_get("detail")).collect())
            }
            Conn::Postgres(tx) => {
                let text = AssertSqlSafe(format!("EXPLAIN {}", q.text()));
                bind_all!(sqlx::query(text), q)
                    .fetch_all(&mut **tx)
                    .await
                    .and_then(|rows| rows.iter().map(|r| r.try_get("QUERY PLAN")).collect())
            }
        };
        r.map_err(StoreError::from_sqlx)
    }

    /// Makes the transaction's changes durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.conn {
            Conn::Sqlite(tx) => tx.commit().await,
            Conn::Postgres(tx) => tx.commit().await,
        }
        .map_err(StoreError::from_sqlx)?;
        // Only after the commit: a listener woken earlier would read before the rows exist.
        if self.wrote_events {
            self.wake.events_committed();
        }
        Ok(())
    }

    /// Throws the transaction's changes away.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.conn {
            Conn::Sqlite(tx) => tx.rollback().await,
            Conn::Postgres(tx) => tx.rollback().await,
        }
        .map_err(StoreError::from_sqlx)
    }
}

impl StoreError {
    /// Gives a backend error its meaning: unique violations, lock time-outs, the rest.
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => return Self::NotFound,
            sqlx::Error::PoolTimedOut => return Self::Busy,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if db.is_unique_violation() {
                    let constraint = db
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| sqlite_constraint(db.message()));
                    return Self::Conflict { constraint };
                }
                // SQLITE_BUSY (5) and its extended codes; PostgreSQL serialization failure and deadlock.
                if matches!(code.as_ref(), "5" | "261" | "517" | "40001" | "40P01") {
                    return Self::Busy;
                }
            }
            _ => {}
        }
        Self::Database(e)
    }
}

fn sqlite_constraint(message: &str) -> String {
    let cols = message
        .strip_prefix("UNIQUE constraint failed: ")
        .unwrap_or(message);
    SQLITE_UNIQUE
        .iter()
        .find(|(c, _)| *c == cols)
        .map_or_else(|| cols.to_owned(), |(_, n)| (*n).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_shown_urls() {
        assert_eq!(
            redact("postgres://lp:s3cret@db:5432/lp"),
            "postgres://lp:***@db:5432/lp"
        );
        assert_eq!(
            redact("sqlite://data/leadpool.db"),
            "sqlite://data/leadpool.db"
        );
    }

    #[test]
    fn sqlite_unique_messages_map_to_named_constraints() {
        assert_eq!(
            sqlite_constraint("UNIQUE constraint failed: leads.source_id, leads.external_id"),
            "leads_external_id_key"
        );
    }
}
