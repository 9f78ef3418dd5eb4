//! Wires configuration, store, app and web together for each command.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use leadpool_app::bootstrap::{DEFAULT_STATUSES, NewOrg, UserSpec};
use leadpool_app::import::Unowned;
use leadpool_app::timers::Scheduler;
use leadpool_app::{App, AppError, Settings, SystemClock};
use leadpool_domain::Role;
use leadpool_store::{ConnectOptions, Store, redact};
use leadpool_web::WebConfig;

use crate::cli::{
    BenchCommand, CalendarCommand, Cli, Command, ConfigCommand, DbArgs, OrgCommand, SourceCommand,
    UserCommand,
};
use crate::config::{Config, LogFormat, RawConfig, print_default};

/// Runs one command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Calendar {
            command:
                CalendarCommand::Deadline {
                    tz,
                    hours,
                    holidays,
                    calendar,
                    org,
                    from,
                    duration,
                    db,
                },
        } => {
            let out = match (calendar, org, tz, hours) {
                (Some(calendar), Some(org), _, _) => {
                    let app = open_app(cli.config.as_deref(), &db).await?;
                    crate::calendar_cmd::deadline_stored(&app, &org, &calendar, &from, &duration)
                        .await?
                }
                (None, None, Some(tz), Some(hours)) => {
                    crate::calendar_cmd::deadline_command(&tz, &hours, &holidays, &from, &duration)?
                }
                // clap enforces the pairs; this is only reached if its rules change.
                _ => bail!("give --tz and --hours, or --calendar and --org"),
            };
            println!("{}", out.trim_end());
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::PrintDefault,
        } => {
            print!("{}", print_default());
            Ok(())
        }
        Command::Serve { demo, listen, db } => {
            let config = load(
                cli.config.as_deref(),
                RawConfig {
                    listen,
                    ..db.to_raw()
                },
            )?;
            serve(&config, demo).await
        }
        Command::Migrate { db } => {
            let config = load(cli.config.as_deref(), db.to_raw())?;
            let store = open_store(&config).await?;
            println!("database {} is up to date", redact(&config.database_url));
            store.close().await;
            Ok(())
        }
        Command::Org { command } => org(cli.config.as_deref(), command).await,
        Command::User {
            command:
                UserCommand::Add {
                    org,
                    email,
                    name,
                    role,
                    teams,
                    password,
                    db,
                },
        } => {
            let app = open_app(cli.config.as_deref(), &db).await?;
            let org = app.org_by_slug(&org).await.map_err(explain)?;
            let role = Role::parse(&role).with_context(|| {
                format!("--role `{role}` is not a role; use admin, isa, agent or all_leads_agent")
            })?;
            let (password, generated) = password_or_generated(password)?;
            let (user, token) = app
                .add_user(
                    &org,
                    &UserSpec {
                        email: &email,
                        name: &name,
                        role,
                        password: Some(&password),
                        teams: &teams,
                    },
                )
                .await
                .map_err(explain)?;
            println!(
                "added {} ({}) to {} as {}",
                user.name,
                user.email,
                org.slug,
                user.role.as_str()
            );
            if generated {
                println!("password:  {password}");
            }
            println!("API token: {token}");
            Ok(())
        }
        Command::Source {
            command: SourceCommand::Add { org, name, db },
        } => {
            let app = open_app(cli.config.as_deref(), &db).await?;
            let org = app.org_by_slug(&org).await.map_err(explain)?;
            let (source, key) = app.add_source(&org, &name).await.map_err(explain)?;
            println!("added source {} to {}", source.name, org.slug);
            println!("intake key: {key}");
            Ok(())
        }
        Command::Import {
            file,
            org,
            source,
            skip_invalid,
            no_routing,
            db,
        } => {
            let unowned = if no_routing {
                Unowned::Queue
            } else {
                Unowned::Route
            };
            import(
                cli.config.as_deref(),
                &file,
                &org,
                &source,
                (skip_invalid, unowned),
                &db,
            )
            .await
        }
        Command::Export { org, output, db } => {
            export(cli.config.as_deref(), &org, output.as_deref(), &db).await
        }
        Command::Bench {
            command:
                BenchCommand::Claim {
                    duration,
                    clients,
                    leads,
                    pool_leads,
                },
        } => {
            let duration = crate::config::parse_duration(&duration).with_context(|| {
                format!("--duration `{duration}` is not a duration like 10s or 2m")
            })?;
            if pool_leads < 2 || pool_leads > leads {
                anyhow::bail!("--pool-leads must be at least 2 and at most --leads ({leads})");
            }
            crate::bench_claim::claim(crate::bench_claim::ClaimBench {
                duration,
                clients,
                leads,
                pool_leads,
            })
            .await
        }
        Command::Bench {
            command:
                BenchCommand::Route {
                    duration,
                    clients,
                    rules,
                    group_size,
                },
        } => {
            let duration = crate::config::parse_duration(&duration).with_context(|| {
                format!("--duration `{duration}` is not a duration like 10s or 2m")
            })?;
            if rules == 0 || group_size == 0 {
                anyhow::bail!("--rules and --group-size must be at least 1");
            }
            crate::bench_route::route(crate::bench_route::RouteBench {
                duration,
                clients,
                rules,
                group_size,
            })
            .await
        }
        Command::Bench {
            command:
                BenchCommand::PoolView {
                    duration,
                    clients,
                    leads,
                    pool_leads,
                    database_url,
                },
        } => {
            let duration = crate::config::parse_duration(&duration).with_context(|| {
                format!("--duration `{duration}` is not a duration like 20s or 2m")
            })?;
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
        Command::Bench {
            command: BenchCommand::Intake { duration, clients },
        } => {
            let duration = crate::config::parse_duration(&duration).with_context(|| {
                format!("--duration `{duration}` is not a duration like 10s or 2m")
            })?;
            crate::bench::intake(duration, clients).await
        }
        Command::Bench {
            command:
                BenchCommand::Timers {
                    pending,
                    rate,
                    duration,
                    backlog,
                    database_url,
                },
        } => {
            let duration = crate::config::parse_duration(&duration).with_context(|| {
                format!("--duration `{duration}` is not a duration like 20s or 2m")
            })?;
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
    }
}

fn load(file: Option<&Path>, flags: RawConfig) -> anyhow::Result<Config> {
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
fn sqlite_file(config: &Config) -> Option<&Path> {
    let path = config
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| config.database_url.strip_prefix("sqlite:"))?;
    Some(Path::new(path.split('?').next().unwrap_or(path)))
}

/// Creates the directory a SQLite file lives in (`./data` by default), as a fresh checkout
/// has none.
fn create_sqlite_dir(config: &Config) -> anyhow::Result<()> {
    match sqlite_file(config).and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display())),
        _ => Ok(()),
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

fn settings(config: &Config) -> Settings {
    Settings {
        session_ttl: config.session_ttl,
        operator_token_digest: config
            .operator_token
            .as_ref()
            .map(|t| leadpool_app::secret::digest(t.expose())),
    }
}

async fn open_app(file: Option<&Path>, db: &DbArgs) -> anyhow::Result<App> {
    let config = load(file, db.to_raw())?;
    let store = open_store(&config).await?;
    Ok(App::new(store, Arc::new(SystemClock), settings(&config)))
}

/// Turns a use-case error into a message listing every bad field.
fn explain(e: AppError) -> anyhow::Error {
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

fn password_or_generated(password: Option<String>) -> anyhow::Result<(String, bool)> {
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

/// Holds an exclusive lock on a file beside the SQLite database for as long as the server
/// runs: one instance owns the file. The operating system drops the lock when the process
/// ends, however it ends, so a crashed server never blocks its own restart (a lease row
/// would, until it expired).
fn lock_sqlite_file(config: &Config) -> anyhow::Result<Option<std::fs::File>> {
    let Some(path) = sqlite_file(config) else {
        return Ok(None);
    };
    create_sqlite_dir(config)?;
    let path = path.display();
    let lock_path = format!("{path}.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open the lock file {lock_path}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another leadpool is already serving {path}; one server owns a SQLite file (stop the other, or use PostgreSQL to run several)"
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {lock_path}"))
        }
    }
}

async fn serve(config: &Config, demo: bool) -> anyhow::Result<()> {
    let _lock = lock_sqlite_file(config)?;
    let store = open_store(config).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock), settings(config));
    let demo = if demo {
        Some(crate::demo::ensure(&app).await?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}; is another leadpool running? pass --listen 127.0.0.1:PORT to use another port", config.listen))?;
    let addr = listener.local_addr()?;
    let router = leadpool_web::router(
        app.clone(),
        WebConfig {
            max_body_bytes: config.max_body_bytes,
            secure_cookies: false,
        },
    );
    let url = format!("http://{addr}");
    let mut out = String::new();
    out.push_str(&format!("\nleadpool is running at {url}\n  API:      {url}/api/v1  (OpenAPI: {url}/api/v1/openapi.json)\n  Health:   {url}/healthz   Metrics: {url}/metrics\n  Database: {}\n", redact(&config.database_url)));
    if let Some(d) = &demo {
        out.push_str(&format!(
            "\nDemo organization \"{}\" (slug {}); every demo user's password is {}\n",
            d.org.name,
            d.org.slug,
            crate::demo_data::DEMO_PASSWORD
        ));
        for (role, email) in &d.logins {
            out.push_str(&format!("  {role:<16} {email}\n"));
        }
        out.push_str(&format!("  API token (admin): {}\n", d.admin_token));
        for (source, key) in &d.intake_keys {
            out.push_str(&format!("  Intake key for source {source}: {key}\n"));
        }
        out.push_str(&format!(
            "\nTry:\n  curl -s -X POST {url}/api/v1/auth/login -H 'content-type: application/json' -d '{{\"email\":\"{}\",\"password\":\"{}\"}}'\n  curl -s -H 'Authorization: Bearer {}' '{url}/api/v1/leads?limit=5'\n",
            d.logins.first().map_or("", |l| l.1.as_str()),
            crate::demo_data::DEMO_PASSWORD,
            d.admin_token
        ));
    }
    // The banner is for whoever started us; a closed stdout must not stop the server.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{out}").and_then(|()| stdout.flush());
    drop(stdout);
    tracing::info!(%addr, "serving");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let owner = format!(
        "{}:{}",
        std::process::id(),
        leadpool_app::secret::new_token("")?
            .get(..12)
            .unwrap_or_default()
    );
    let scheduler = tokio::spawn(Scheduler::new(app, owner).run(stopped));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop.send(true);
    if let Err(e) = scheduler.await {
        tracing::warn!(error = %e, "timer scheduler ended abnormally");
    }
    tracing::info!("shut down");
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn org(file: Option<&Path>, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create {
            slug,
            name,
            admin_email,
            admin_name,
            admin_password,
            db,
        } => {
            let app = open_app(file, &db).await?;
            let (password, generated) = password_or_generated(admin_password)?;
            let spec = UserSpec {
                email: &admin_email,
                name: &admin_name,
                role: Role::Admin,
                password: Some(&password),
                teams: &[],
            };
            let new = NewOrg {
                slug: &slug,
                name: &name,
                statuses: DEFAULT_STATUSES,
            };
            let (org, admin, token) = app
                .create_org_with_admin(&new, &spec)
                .await
                .map_err(explain)?;
            println!(
                "created organization {} ({}) with statuses {} and the pool \"Lead Pool\"",
                org.slug,
                org.name,
                DEFAULT_STATUSES
                    .iter()
                    .map(|s| s.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("admin:     {}", admin.email);
            if generated {
                println!("password:  {password}");
            }
            println!("API token: {token}");
            Ok(())
        }
        OrgCommand::List { db } => {
            let app = open_app(file, &db).await?;
            for o in app.list_orgs().await? {
                println!("{}\t{}\t{}", o.slug, o.name, o.created_at);
            }
            Ok(())
        }
    }
}

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
    org: &str,
    source: &str,
    (skip_invalid, unowned): (bool, Unowned),
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
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = f.metadata().map(|m| m.len()).ok();
    let reading = bar(size, "checking");
    let plan = app
        .prepare_import(&org, &source, reading.wrap_read(f))
        .await
        .map_err(explain)?;
    reading.finish_and_clear();
    if !plan.problems.is_empty() && !skip_invalid {
        eprintln!(
            "{} refused: {} of {} rows have problems; nothing was imported:",
            path.display(),
            plan.problems.len(),
            plan.problems.len() + plan.rows.len() + plan.already_imported.len()
        );
        for p in &plan.problems {
            for f in &p.problems {
                eprintln!("  line {}: {}: {}", p.line, f.field, f.message);
            }
        }
        bail!(
            "fix these rows, or pass --skip-invalid to import the {} good rows and skip the rest",
            plan.rows.len()
        );
    }
    let writing = bar(
        Some(u64::try_from(plan.rows.len()).unwrap_or(0)),
        "importing",
    );
    let reason = format!(
        "imported from {}",
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    let report = app
        .commit_import(&org, plan, skip_invalid, unowned, &reason, &|n| {
            writing.set_position(n)
        })
        .await
        .map_err(explain)?;
    writing.finish_and_clear();
    for p in &report.skipped {
        for f in &p.problems {
            eprintln!("skipped line {}: {}: {}", p.line, f.field, f.message);
        }
    }
    println!(
        "imported {} leads into {} from source {}; skipped {} bad rows; {} rows were already imported",
        report.imported,
        org.slug,
        source.name,
        report.skipped.len(),
        report.already_imported
    );
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
