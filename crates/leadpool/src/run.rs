//! Runs one command line: one function per subcommand, and the wiring they share
//! (configuration, tracing, store and app).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use leadpool_app::import::{
    ColumnMap, Columns, Duplicate, Duplicates, ImportOptions, Listed, Repeats, RowProblems, Unowned,
};
use leadpool_app::{App, AppError, Settings, SystemClock};
use leadpool_store::{ConnectOptions, Store, redact};

use crate::cli::{
    BenchCommand, CalendarCommand, Cli, Command, ConfigCommand, DbArgs, DuplicateRows,
};
use crate::config::{COOKIE_SECURE, Config, LISTEN, LogFormat, RawConfig, print_default};

/// Runs one command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = cli.config.as_deref();
    match cli.command {
        Command::Calendar { command } => calendar(file, command).await,
        Command::Config {
            command: ConfigCommand::PrintDefault,
        } => {
            print!("{}", print_default());
            Ok(())
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&leadpool_web::api::openapi())?
            );
            Ok(())
        }
        Command::Serve {
            demo,
            listen,
            cookie_secure,
            db,
        } => {
            let raw = db
                .to_raw()
                .with(LISTEN.key, listen)
                .with(COOKIE_SECURE.key, cookie_secure);
            let config = load(file, raw)?;
            crate::serve::serve(&config, demo).await
        }
        Command::Migrate { db } => migrate(file, &db).await,
        Command::Backup { to, force, db } => crate::backup::backup(file, &db, &to, force).await,
        Command::Restore { from, force, db } => {
            crate::backup::restore(file, &db, &from, force).await
        }
        Command::Org { command } => crate::admin::org(file, command).await,
        Command::User { command } => crate::admin::user(file, command).await,
        Command::Source { command } => crate::admin::source(file, command).await,
        Command::Import {
            file: path,
            org,
            source,
            skip_invalid,
            no_routing,
            map,
            duplicates,
            db,
        } => {
            let unowned = if no_routing {
                Unowned::Queue
            } else {
                Unowned::Route
            };
            let options = ImportOptions {
                columns: ColumnMap::parse(&map).map_err(|e| match e.field_errors() {
                    [f] => anyhow::anyhow!("--map: {}", f.message),
                    _ => explain(e),
                })?,
                duplicates: match duplicates {
                    DuplicateRows::Skip => Duplicates::Skip,
                    DuplicateRows::Merge => Duplicates::Merge,
                },
            };
            let how = (skip_invalid, unowned, &options);
            import(file, &path, (&org, &source), how, &db).await
        }
        Command::Export { org, output, db } => export(file, &org, output.as_deref(), &db).await,
        Command::Bench { command } => bench(command).await,
    }
}

/// `leadpool calendar deadline`: from flags, or from a calendar an organization stored.
async fn calendar(file: Option<&Path>, command: CalendarCommand) -> anyhow::Result<()> {
    let CalendarCommand::Deadline {
        tz,
        hours,
        holidays,
        calendar,
        org,
        from,
        duration,
        db,
    } = command;
    let out = match (calendar, org, tz, hours) {
        (Some(calendar), Some(org), _, _) => {
            let app = open_app(file, &db).await?;
            crate::calendar_cmd::deadline_stored(&app, &org, &calendar, &from, duration).await?
        }
        (None, None, Some(tz), Some(hours)) => {
            crate::calendar_cmd::deadline_command(&tz, &hours, &holidays, &from, duration)?
        }
        // clap enforces the pairs; this is only reached if its rules change.
        _ => bail!("give --tz and --hours, or --calendar and --org"),
    };
    println!("{}", out.trim_end());
    Ok(())
}

/// `leadpool migrate`: opening the store applies what is missing.
async fn migrate(file: Option<&Path>, db: &DbArgs) -> anyhow::Result<()> {
    let config = load(file, db.to_raw())?;
    let store = open_store(&config).await?;
    println!("database {} is up to date", redact(&config.database_url));
    store.close().await;
    Ok(())
}

/// `leadpool bench …`: checks what clap cannot (one flag against another) and runs it.
async fn bench(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Intake {
            duration,
            clients,
            database_url,
        } => crate::bench::intake(duration, clients, database_url).await,
        BenchCommand::Live {
            clients,
            rate,
            duration,
            database_url,
        } => {
            if clients == 0 || rate == 0 {
                bail!("--clients and --rate must be at least 1");
            }
            crate::bench_live::live(crate::bench_live::LiveBench {
                clients,
                rate,
                duration,
                database_url,
            })
            .await
        }
        BenchCommand::Timers {
            pending,
            rate,
            duration,
            backlog,
            database_url,
        } => {
            if pending < 1 || rate < 1 || backlog < 1 {
                bail!("--pending, --rate and --backlog must be at least 1");
            }
            crate::bench::timers(crate::bench::TimerBench {
                pending,
                rate,
                duration,
                backlog,
                database_url,
            })
            .await
        }
        BenchCommand::Claim {
            duration,
            clients,
            leads,
            pool_leads,
            database_url,
        } => {
            if pool_leads < 2 || pool_leads > leads {
                bail!("--pool-leads must be at least 2 and at most --leads ({leads})");
            }
            crate::bench_claim::claim(crate::bench_claim::ClaimBench {
                duration,
                clients,
                leads,
                pool_leads,
                database_url,
            })
            .await
        }
        BenchCommand::Route {
            duration,
            clients,
            rules,
            group_size,
            database_url,
        } => {
            if rules == 0 || group_size == 0 {
                bail!("--rules and --group-size must be at least 1");
            }
            crate::bench_route::route(crate::bench_route::RouteBench {
                duration,
                clients,
                rules,
                group_size,
                database_url,
            })
            .await
        }
        BenchCommand::PoolView {
            duration,
            clients,
            leads,
            pool_leads,
            database_url,
        } => {
            if pool_leads < 1 || pool_leads > leads {
                bail!("--pool-leads must be at least 1 and at most --leads ({leads})");
            }
            crate::bench_pool_view::pool_view(crate::bench_pool_view::PoolViewBench {
                duration,
                clients,
                leads,
                pool_leads,
                database_url,
            })
            .await
        }
        BenchCommand::Lists {
            leads,
            samples,
            database_url,
            only,
        } => {
            crate::bench_lists::lists(crate::bench_lists::ListsBench {
                leads,
                samples,
                database_url,
                only,
            })
            .await
        }
    }
}

/// Loads and validates the configuration, then starts logging as it says.
pub(crate) fn load(file: Option<&Path>, flags: RawConfig) -> anyhow::Result<Config> {
    let raw = RawConfig::load(file, &|k| std::env::var(k).ok(), flags)?;
    let config = Config::validate(raw)?;
    init_tracing(&config);
    Ok(config)
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The file of a SQLite database URL, without its query; `None` for PostgreSQL.
pub(crate) fn sqlite_file(config: &Config) -> Option<&Path> {
    let path = config
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| config.database_url.strip_prefix("sqlite:"))?;
    Some(Path::new(path.split('?').next().unwrap_or(path)))
}

/// Creates the directory a SQLite file lives in (`./data` by default), as a fresh checkout
/// has none.
pub(crate) fn create_sqlite_dir(config: &Config) -> anyhow::Result<()> {
    match sqlite_file(config).and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display())),
        _ => Ok(()),
    }
}

/// Takes the lock file beside the SQLite database `db` (`db.lock`), which a server holds for
/// as long as it runs; `None` when another process holds it. The operating system drops the
/// lock when its holder ends, however it ends, so a crashed server never blocks its own
/// restart (a lease row would, until it expired).
pub(crate) fn lock_sqlite_file(db: &Path) -> anyhow::Result<Option<std::fs::File>> {
    let lock_path = format!("{}.lock", db.display());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open the lock file {lock_path}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {lock_path}"))
        }
    }
}

/// Opens (creating the SQLite file's directory) and migrates the store.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    create_sqlite_dir(config)?;
    let opts = ConnectOptions {
        max_connections: config.db_max_connections,
        ..ConnectOptions::default()
    };
    let store = Store::connect(&config.database_url, &opts).await?;
    let applied = store.migrate().await?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    Ok(store)
}

/// What the app needs of the configuration.
pub(crate) fn settings(config: &Config) -> Settings {
    Settings {
        session_ttl: config.session_ttl,
        operator_token_digest: config
            .operator_token
            .as_ref()
            .map(|t| leadpool_app::secret::digest(t.expose())),
    }
}

/// Loads the configuration and opens the store and the app on it.
pub(crate) async fn open_app(file: Option<&Path>, db: &DbArgs) -> anyhow::Result<App> {
    let config = load(file, db.to_raw())?;
    let store = open_store(&config).await?;
    Ok(App::new(store, Arc::new(SystemClock), settings(&config)))
}

/// Turns a use-case error into a message listing every bad field.
pub(crate) fn explain(e: AppError) -> anyhow::Error {
    match &e {
        AppError::Invalid(i) => anyhow::anyhow!(
            i.0.iter()
                .map(|f| format!("  {}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        _ => anyhow::anyhow!(e),
    }
}

/// The password given, or a generated one (and `true`, so the caller prints it).
pub(crate) fn password_or_generated(password: Option<String>) -> anyhow::Result<(String, bool)> {
    match password {
        Some(p) => Ok((p, false)),
        None => Ok((
            leadpool_app::secret::new_token("")?
                .chars()
                .take(20)
                .collect(),
            true,
        )),
    }
}

/// A progress bar on standard error, as indicatif draws by default: hidden when standard
/// error is not a terminal, so piped or logged output holds no bar.
fn bar(len: Option<u64>, what: &str) -> ProgressBar {
    let pb = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let style = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style.progress_chars("=> "));
    pb.set_message(what.to_owned());
    pb
}

async fn import(
    file: Option<&Path>,
    path: &Path,
    (org, source): (&str, &str),
    (skip_invalid, unowned, options): (bool, Unowned, &ImportOptions),
    db: &DbArgs,
) -> anyhow::Result<()> {
    let app = open_app(file, db).await?;
    let org = app.org_by_slug(org).await.map_err(explain)?;
    let source = app
        .source_by_name(&org, source)
        .await
        .map_err(|e| match e.field_errors() {
            [f] => anyhow::anyhow!("--source {}", f.message),
            _ => explain(e),
        })?;
    // The file is read twice, to check and to write, and never held in memory.
    let open =
        || std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()));
    let f = open()?;
    let size = f.metadata().map(|m| m.len()).ok();
    let reading = bar(size, "checking");
    let plan = app
        .prepare_import(&org, &source, options, reading.wrap_read(f))
        .await
        .map_err(|e| match e.field_errors() {
            [f] if f.field == "map" => anyhow::anyhow!("--map: {}", f.message),
            _ => explain(e),
        })?;
    reading.finish_and_clear();
    if !plan.problems.is_empty() && !skip_invalid {
        eprintln!(
            "{} refused: {} of {} rows have problems; nothing was imported:",
            path.display(),
            plan.problems.count,
            plan.problems.count + plan.rows + plan.duplicates.count + plan.already_imported
        );
        print_problems(&plan.problems, "  ");
        bail!(
            "fix these rows, or pass --skip-invalid to import the {} good rows and skip the rest",
            plan.rows + plan.duplicates.count
        );
    }
    let rows = plan.rows + plan.duplicates.count;
    let writing = bar(Some(u64::try_from(rows).unwrap_or(0)), "importing");
    let reason = format!(
        "imported from {}",
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    let report = app
        .commit_import(&org, plan, open()?, skip_invalid, unowned, &reason, &|n| {
            writing.set_position(n)
        })
        .await
        .map_err(explain)?;
    writing.finish_and_clear();
    print_problems(&report.skipped, "skipped ");
    let merge = options.duplicates == Duplicates::Merge;
    print_duplicates(&report.duplicates, merge);
    println!(
        "imported {} leads into {} from source {}; skipped {} bad rows; {} rows were already imported",
        report.imported, org.slug, source.name, report.skipped.count, report.already_imported
    );
    if !report.duplicates.is_empty() {
        if merge {
            println!(
                "duplicates: {} rows repeat a lead and were merged into {} leads",
                report.duplicates.count, report.merged_into
            );
        } else {
            println!(
                "duplicates: {} rows repeat a lead and were skipped (--duplicates merge adds \
                 what they hold to the lead instead)",
                report.duplicates.count
            );
        }
    }
    print_columns(&report.columns);
    let r = report.routed;
    if r.total() > 0 {
        println!(
            "leads without an owner, routed by the rules: {} ({} to agents, {} offered to agents, {} to pools, {} to the manual queue)",
            r.total(),
            r.to_agents,
            r.offered,
            r.to_pools,
            r.to_queue
        );
    }
    Ok(())
}

/// Says what the columns were used for: those read under another name, those that became
/// custom fields, and by name every column used for nothing.
fn print_columns(columns: &Columns) {
    let list = |items: Vec<String>| items.join(", ");
    let renamed: Vec<String> = columns
        .renamed()
        .map(|c| format!("{} as {}", c.header, c.target))
        .collect();
    if !renamed.is_empty() {
        println!("columns read as fields: {}", list(renamed));
    }
    let custom: Vec<String> = columns
        .custom_fields()
        .map(|(header, name)| {
            if header == name {
                name.to_owned()
            } else {
                format!("{header} as {name}")
            }
        })
        .collect();
    if !custom.is_empty() {
        println!("columns stored as custom fields: {}", list(custom));
    }
    let unused: Vec<String> = columns.unused().map(str::to_owned).collect();
    if !unused.is_empty() {
        println!("columns not used: {}", list(unused));
    }
}

/// Prints each listed duplicate row, what it repeats and what became of it, then how many
/// are not listed.
fn print_duplicates(duplicates: &Listed<Duplicate>, merged: bool) {
    let done = if merged { "merged" } else { "skipped" };
    for d in &duplicates.first {
        let repeats = match d.repeats {
            Repeats::Line(line) => format!("line {line}"),
            Repeats::Lead(id) => format!("lead #{id}"),
        };
        eprintln!(
            "duplicate line {}: repeats {repeats} ({}); {done}",
            d.line, d.by
        );
    }
    if duplicates.unlisted() > 0 {
        eprintln!(
            "{} more duplicate rows, not listed (only the first {} are)",
            duplicates.unlisted(),
            Listed::<Duplicate>::KEPT
        );
    }
}

/// Prints each listed row's problems after `prefix`, then how many rows are not listed.
fn print_problems(problems: &RowProblems, prefix: &str) {
    for p in &problems.first {
        for f in &p.problems {
            eprintln!("{prefix}line {}: {}: {}", p.line, f.field, f.message);
        }
    }
    if problems.unlisted() > 0 {
        eprintln!(
            "{prefix}{} more rows with problems, not listed (only the first {} are)",
            problems.unlisted(),
            RowProblems::KEPT
        );
    }
}

async fn export(
    file: Option<&Path>,
    org: &str,
    output: Option<&Path>,
    db: &DbArgs,
) -> anyhow::Result<()> {
    let app = open_app(file, db).await?;
    let org = app.org_by_slug(org).await.map_err(explain)?;
    let pb = bar(None, "exporting");
    let n = match output {
        Some(path) => {
            // Write beside the target and rename, so a failed export never leaves a truncated file.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot write in {}", dir.display()))?;
            let n = app
                .export_leads(&org, std::io::BufWriter::new(tmp.as_file()), &|n| {
                    pb.set_position(n)
                })
                .await
                .map_err(explain)?;
            tmp.persist(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            n
        }
        None => app
            .export_leads(&org, std::io::stdout().lock(), &|n| pb.set_position(n))
            .await
            .map_err(explain)?,
    };
    pb.finish_and_clear();
    eprintln!("exported {n} leads of {}", org.slug);
    Ok(())
}
