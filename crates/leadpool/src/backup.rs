//! `leadpool backup` and `leadpool restore`: the SQLite database copied out while a server
//! runs, and copied back in while none does; on PostgreSQL, the `pg_dump` and `pg_restore`
//! commands to run instead. The copying and checking is the store's
//! (`leadpool_store::backup`); this module picks the files and says what happened.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::bail;
use leadpool_store::backup::{BackupError, Checked};
use leadpool_store::{ConnectOptions, Store, redact};

use crate::cli::DbArgs;
use crate::config::Config;
use crate::run::{create_sqlite_dir, load, lock_sqlite_file, open_store, sqlite_file};

/// `leadpool backup --to FILE`: a consistent copy of the SQLite database, taken while a
/// server may be writing to it.
pub async fn backup(
    file: Option<&Path>,
    db: &DbArgs,
    to: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let (config, path) = sqlite_config(file, db)?;
    // Connecting would create an empty database; a backup of nothing helps nobody.
    if !path.exists() {
        bail!(
            "there is no database at {} to back up; check --data-dir or --database-url",
            path.display()
        );
    }
    // Not migrated: a server may be running on it, and the schema is that server's.
    let store = Store::connect(&config.database_url, &ConnectOptions::default()).await?;
    let started = Instant::now();
    let copied = store.backup(to, force).await;
    let took = started.elapsed();
    store.close().await;
    let checked = copied.map_err(explain)?;
    println!("backed up {} to {}", path.display(), to.display());
    print_checked(&checked, took);
    Ok(())
}

/// `leadpool restore --from FILE`: puts a backup in place of the SQLite database, which no
/// server may be using, then migrates it.
pub async fn restore(
    file: Option<&Path>,
    db: &DbArgs,
    from: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let (config, path) = sqlite_config(file, db)?;
    create_sqlite_dir(&config)?;
    // The server's own lock: held by a running server (refused), then by us until the
    // restored file is migrated, so no server starts on a file being replaced.
    let Some(_lock) = lock_sqlite_file(&path)? else {
        bail!(
            "a leadpool server is using {}; stop it first (a database in use is never replaced)",
            path.display()
        );
    };
    let started = Instant::now();
    let checked = leadpool_store::backup::restore(from, &path, force)
        .await
        .map_err(explain)?;
    let store = open_store(&config).await?;
    store.close().await;
    let took = started.elapsed();
    println!("restored {} to {}", from.display(), path.display());
    print_checked(&checked, took);
    if checked.pending > 0 {
        println!(
            "  migrations applied: {} (the backup was taken by an older leadpool)",
            checked.pending
        );
    }
    Ok(())
}

/// The configuration and its SQLite database file; on PostgreSQL, the refusal that says
/// what to run instead.
fn sqlite_config(file: Option<&Path>, db: &DbArgs) -> anyhow::Result<(Config, PathBuf)> {
    let config = load(file, db.to_raw())?;
    let Some(path) = sqlite_file(&config).map(Path::to_path_buf) else {
        bail!(postgres_guidance(&config.database_url));
    };
    Ok((config, path))
}

/// Says which flag lifts a refusal, where there is one.
fn explain(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::Exists(p) => {
            anyhow::anyhow!("{} already exists; pass --force to replace it", p.display())
        }
        e => e.into(),
    }
}

fn print_checked(c: &Checked, took: Duration) {
    println!(
        "  size: {:.1} MB ({} bytes)",
        c.bytes as f64 / 1_000_000.0,
        c.bytes
    );
    println!(
        "  leads: {} in {} organization{}",
        c.leads,
        c.organizations,
        if c.organizations == 1 { "" } else { "s" }
    );
    println!("  integrity: ok; migration {}", c.migration);
    println!("  took: {:.2} s", took.as_secs_f64());
}

/// What to run instead on PostgreSQL: `pg_dump` while every instance keeps running, and
/// `pg_restore` with them stopped.
fn postgres_guidance(url: &str) -> String {
    let shown = redact(url);
    let password = if shown == url {
        ""
    } else {
        "\n(The password is shown as ***: put it back in, or leave `:***` out and set PGPASSWORD.)"
    };
    format!(
        "leadpool backup and restore copy SQLite files; {shown} is PostgreSQL, whose own tools do this.\n\
         \n\
         Back up with pg_dump; every leadpool instance can keep running (pg_dump reads one\n\
         consistent snapshot; writes carry on, only a migration would wait for it):\n\
         \n    pg_dump --format=custom --file=leadpool.dump --dbname='{shown}'\n\
         \n\
         Restore with pg_restore after stopping every leadpool instance, into an empty database:\n\
         \n    pg_restore --no-owner --single-transaction --exit-on-error --dbname='{shown}' leadpool.dump\n\
         \n\
         or over the one that is there, replacing its tables:\n\
         \n    pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname='{shown}' leadpool.dump\n\
         \n\
         then start leadpool again: it applies any migrations the dump lacks.{password}"
    )
}
