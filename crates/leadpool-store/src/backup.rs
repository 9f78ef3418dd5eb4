//! Copies of a SQLite database: a consistent copy taken while a server keeps writing, the
//! check that a file is a leadpool database this build can open, and putting a copy in
//! place of a database. PostgreSQL has `pg_dump` and `pg_restore` for this; nothing here
//! runs on it.
//!
//! The copy is SQLite's `VACUUM INTO`, not its backup API: sqlx does not expose the backup
//! API, and reaching it through the raw handle would take `unsafe` code, which this
//! workspace forbids. `VACUUM INTO` is also the better fit under load: it reads the whole
//! database inside one read transaction, so the copy is the database at one instant and
//! the writer is never blocked (WAL), while the backup API stepped in pages restarts
//! whenever another connection writes and may never finish on a busy server. Its copy is
//! also compact and a single file in rollback-journal mode, with no `-wal` beside it.
//!
//! Every copy is written to a temporary file beside its destination, checked there, and
//! renamed into place, so the destination is never a half-written or unchecked file.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::dialect::sqlite_migrations;
use crate::{Store, StoreError};

/// What a checked copy of a database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The file's size in bytes.
    pub bytes: u64,
    /// Organizations in it.
    pub organizations: i64,
    /// Leads in it, of every organization.
    pub leads: i64,
    /// The version of the latest migration applied to it.
    pub migration: i64,
    /// Migrations this build has that it lacks (opening it as the store applies them).
    pub pending: usize,
}

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The destination exists and was not to be replaced.
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    /// The file to restore is the database it would replace.
    #[error("{} is the database itself", .0.display())]
    SameFile(PathBuf),
    /// The file is not a leadpool database (not SQLite, or without leadpool's migrations).
    #[error("{} is not a leadpool database: {why}", path.display())]
    NotLeadpool {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        why: String,
    },
    /// SQLite's integrity check found damage.
    #[error("{} is damaged; SQLite's integrity check says: {report}", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The check's first findings.
        report: String,
    },
    /// The file was migrated by a newer leadpool than this one.
    #[error(
        "{} was written by a newer leadpool (its migration {version}; this leadpool knows up to {known}); use that leadpool or a newer one",
        path.display()
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its latest migration.
        version: i64,
        /// This build's latest migration.
        known: i64,
    },
    /// A file could not be read, written or renamed.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done, as a verb phrase (`write`, `read`, `replace`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The database failed while being copied or read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Copies this SQLite database to `to` as it is at one instant, while other connections
    /// and processes keep writing; refuses an existing `to` unless `replace`. The copy is
    /// checked (see [`check`]) before it takes the name `to`.
    pub async fn backup(&self, to: &Path, replace: bool) -> Result<Checked, BackupError> {
        refuse_existing(to, replace)?;
        let tmp = temp_beside(to)?;
        let target = tmp.path().to_str().ok_or_else(|| BackupError::Io {
            what: "write",
            path: to.to_owned(),
            source: std::io::Error::other("SQLite takes only UTF-8 file names"),
        })?;
        self.vacuum_into(target).await?;
        let checked = inspect(tmp.path(), to).await?;
        install(tmp, to, replace)?;
        Ok(checked)
    }
}

/// Checks that `path` is a leadpool SQLite database this build can open: SQLite's integrity
/// check passes, leadpool's migrations are recorded in it and none is newer than this
/// build's. The file is opened read-only, as immutable, and left as it is: it must be one
/// nothing writes to meanwhile (a backup), not a server's live database.
pub async fn check(path: &Path) -> Result<Checked, BackupError> {
    inspect(path, path).await
}

/// Puts a copy of the database file `from` in place of the SQLite database `to` (refused
/// when `to` exists, unless `replace`), after checking the copy as [`check`] does. The copy
/// takes the name `to` in one rename, after any `-wal` and `-shm` files of the database it
/// replaces are removed (SQLite would otherwise apply an old log to the new file). Nothing
/// may have `to` open meanwhile; migrations still pending are left to whoever opens it.
pub async fn restore(from: &Path, to: &Path, replace: bool) -> Result<Checked, BackupError> {
    if let (Ok(a), Ok(b)) = (from.canonicalize(), to.canonicalize())
        && a == b
    {
        return Err(BackupError::SameFile(from.to_owned()));
    }
    refuse_existing(to, replace)?;
    let mut source = std::fs::File::open(from).map_err(|source| BackupError::Io {
        what: "read",
        path: from.to_owned(),
        source,
    })?;
    let mut tmp = temp_beside(to)?;
    std::io::copy(&mut source, tmp.as_file_mut()).map_err(|source| BackupError::Io {
        what: "copy",
        path: from.to_owned(),
        source,
    })?;
    let checked = inspect(tmp.path(), from).await?;
    for suffix in ["-wal", "-shm"] {
        let mut stale = to.as_os_str().to_owned();
        stale.push(suffix);
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(BackupError::Io {
                    what: "remove",
                    path: stale.into(),
                    source: e,
                });
            }
            _ => {}
        }
    }
    install(tmp, to, replace)?;
    Ok(checked)
}

fn refuse_existing(to: &Path, replace: bool) -> Result<(), BackupError> {
    if !replace && to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    Ok(())
}

/// An empty temporary file in the directory of `to`, so the final rename stays on one file
/// system; it is deleted unless installed.
fn temp_beside(to: &Path) -> Result<tempfile::NamedTempFile, BackupError> {
    let dir = parent_dir(to);
    tempfile::Builder::new()
        .prefix(".leadpool-copy-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|source| BackupError::Io {
            what: "write in",
            path: dir.to_owned(),
            source,
        })
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes the checked copy durable and gives it the name `to` in one rename (or, when `to`
/// must not be replaced, one link, which fails if `to` appeared meanwhile).
fn install(tmp: tempfile::NamedTempFile, to: &Path, replace: bool) -> Result<(), BackupError> {
    let io = |what, path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::Io { what, path, source }
    };
    tmp.as_file().sync_all().map_err(io("write", to))?;
    let persisted = if replace {
        tmp.persist(to)
    } else {
        tmp.persist_noclobber(to)
    };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists(to.to_owned())
        } else {
            io("write", to)(e.error)
        }
    })?;
    // The rename itself is durable once the directory is.
    std::fs::File::open(parent_dir(to))
        .and_then(|d| d.sync_all())
        .map_err(io("write", parent_dir(to)))
}

/// Checks the database file `file`, naming it `shown` in every error (a temporary copy is
/// reported by the name of what it copies).
async fn inspect(file: &Path, shown: &Path) -> Result<Checked, BackupError> {
    let bytes = std::fs::metadata(file)
        .map_err(|source| BackupError::Io {
            what: "read",
            path: shown.to_owned(),
            source,
        })?
        .len();
    // What SQLite says of a file that is no database, or a damaged one, is an answer, not
    // a failure of the store.
    let refusal = |e: sqlx::Error| match e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some(SQLITE_NOTADB) => {
            BackupError::NotLeadpool {
                path: shown.to_owned(),
                why: "it is not a SQLite database".into(),
            }
        }
        sqlx::Error::Database(d) if d.code().as_deref() == Some(SQLITE_CORRUPT) => {
            BackupError::Damaged {
                path: shown.to_owned(),
                report: d.message().to_owned(),
            }
        }
        e => BackupError::Store(StoreError::from_sqlx(e)),
    };
    // Immutable: read the file alone, never a `-wal` beside it, and create no `-shm`. The
    // integrity check, most of a backup's time, reads every index beside its table; a 64 MB
    // page cache instead of SQLite's 2 MB took it from 17 s to 13 s on a 280 MB database
    // (Debian's sqlite3 on 2 shared cores).
    let opts = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(true)
        .pragma("cache_size", format!("-{}", 64 * 1024))
        .disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&opts)
        .await
        .map_err(refusal)?;
    let checked = read_checked(&mut conn, bytes, shown, &refusal).await;
    let _ = conn.close().await;
    checked
}

/// SQLite's result codes, as sqlx spells them.
const SQLITE_CORRUPT: &str = "11";
const SQLITE_NOTADB: &str = "26";

async fn read_checked(
    conn: &mut SqliteConnection,
    bytes: u64,
    shown: &Path,
    db: &impl Fn(sqlx::Error) -> BackupError,
) -> Result<Checked, BackupError> {
    let not_leadpool = |why: String| BackupError::NotLeadpool {
        path: shown.to_owned(),
        why,
    };
    // The first ten findings say enough; a badly damaged file has thousands.
    let report: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check(10)")
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    if report != ["ok"] {
        return Err(BackupError::Damaged {
            path: shown.to_owned(),
            report: report.join("; "),
        });
    }
    let has_migrations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if has_migrations == 0 {
        return Err(not_leadpool("it has no leadpool migrations table".into()));
    }
    let applied =
        sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let known = sqlite_migrations();
    let latest_known = known.iter().map(|m| m.version).max().unwrap_or(0);
    let mut latest = None;
    for row in &applied {
        let version: i64 = row.try_get("version").map_err(db)?;
        let checksum: Vec<u8> = row.try_get("checksum").map_err(db)?;
        let success: bool = row.try_get("success").map_err(db)?;
        if !success {
            return Err(not_leadpool(format!(
                "its migration {version} failed half-way"
            )));
        }
        match known.iter().find(|m| m.version == version) {
            Some(m) if *m.checksum == checksum[..] => latest = Some(version),
            Some(_) => {
                return Err(not_leadpool(format!(
                    "its migration {version} is not leadpool's migration {version}"
                )));
            }
            None if version > latest_known => {
                return Err(BackupError::Newer {
                    path: shown.to_owned(),
                    version,
                    known: latest_known,
                });
            }
            None => {
                return Err(not_leadpool(format!(
                    "its migration {version} is none of leadpool's"
                )));
            }
        }
    }
    let Some(migration) = latest else {
        return Err(not_leadpool(
            "no leadpool migration was applied to it".into(),
        ));
    };
    let organizations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    let leads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leads")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(Checked {
        bytes,
        organizations,
        leads,
        migration,
        pending: known.iter().count().saturating_sub(applied.len()),
    })
}
