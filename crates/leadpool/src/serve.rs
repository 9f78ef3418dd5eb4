//! `leadpool serve`: one server on the configured address, with its timer scheduler and
//! delivery worker (webhooks, and email when an SMTP server is configured), until Ctrl-C or SIGTERM; on SQLite it first takes the database
//! file's lock.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, bail};
use leadpool_app::deliver::Deliverer;
use leadpool_app::mail::Mailer;
use leadpool_app::timers::Scheduler;
use leadpool_app::{App, SystemClock};
use leadpool_store::redact;
use leadpool_web::WebConfig;

use crate::config::Config;
use crate::run::{create_sqlite_dir, lock_sqlite_file, open_store, settings, sqlite_file};

/// Holds the lock file beside the SQLite database for as long as the server runs: one
/// instance owns the file.
fn own_sqlite_file(config: &Config) -> anyhow::Result<Option<std::fs::File>> {
    let Some(path) = sqlite_file(config) else {
        return Ok(None);
    };
    create_sqlite_dir(config)?;
    match lock_sqlite_file(path)? {
        Some(lock) => Ok(Some(lock)),
        None => bail!(
            "another leadpool is already serving {}; one server owns a SQLite file (stop the other, or use PostgreSQL to run several)",
            path.display()
        ),
    }
}

/// Serves until told to stop, then shuts the scheduler and the store down cleanly.
pub async fn serve(config: &Config, demo: bool) -> anyhow::Result<()> {
    let _lock = own_sqlite_file(config)?;
    let store = open_store(config).await?;
    let mailer = config
        .mail
        .as_ref()
        .map(Mailer::new)
        .transpose()
        .context("the SMTP settings (smtp_host, mail_from) cannot be used")?;
    // Events are queued for email only while a mailer is there to send them.
    store.set_mail(mailer.is_some());
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
            cookie_secure: config.cookie_secure,
            ..WebConfig::default()
        },
    );
    let url = format!("http://{addr}");
    let mut out = String::new();
    out.push_str(&format!("\nleadpool is running at {url}\n  API:      {url}/api/v1  (OpenAPI: {url}/api/v1/openapi.json)\n  Health:   {url}/healthz   Metrics: {url}/metrics\n  Database: {}\n", redact(&config.database_url)));
    out.push_str(&match &mailer {
        Some(m) => format!("  Email:    on, through {}\n", m.describe()),
        None => "  Email:    off (no smtp_host is set; people get no email, webhooks still work)\n"
            .to_owned(),
    });
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
    let mut deliverer = Deliverer::new(app.clone(), owner.clone())?
        .with_policy(config.webhook_attempts)
        .with_timeout(config.webhook_timeout)?;
    match mailer {
        Some(m) => deliverer = deliverer.with_mailer(m),
        None => tracing::warn!(
            "email is off: no smtp_host is set, so nobody is emailed about assignments or offers"
        ),
    }
    let scheduler = Scheduler::new(app.clone(), owner).with_lease(config.timer_lease);
    let scheduler = tokio::spawn(scheduler.run(stopped.clone()));
    let deliveries = tokio::spawn(deliverer.run(stopped));
    // Live streams never end by themselves; graceful shutdown waits for every open
    // response, so they are ended as soon as the signal comes.
    let live = app.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            live.close_live();
        })
        .await?;
    let _ = stop.send(true);
    if let Err(e) = scheduler.await {
        tracing::warn!(error = %e, "timer scheduler ended abnormally");
    }
    if let Err(e) = deliveries.await {
        tracing::warn!(error = %e, "webhook delivery worker ended abnormally");
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
