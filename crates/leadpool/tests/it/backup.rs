//! `leadpool backup` and `leadpool restore` as an operator runs them: a backup of a server
//! taking leads, restored elsewhere; and the refusals that keep a database from being lost.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::serve::cli;
use crate::server::{after, create_acme, start};
use crate::{leadpool, text};

/// Waits, checking every 20 ms for at most a minute, until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..3_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up waiting: {what}");
}

/// Runs `leadpool ARGS`, which must fail; returns what it said on standard error.
fn refused(args: &[&str]) -> String {
    let o = leadpool(args);
    let (out, err) = text(&o);
    assert!(!o.status.success(), "{args:?} succeeded: {out}");
    err
}

/// `leadpool export --org acme` of the data directory: external id by lead id.
fn exported(data_dir: &Path) -> HashMap<i64, String> {
    let out = cli(&["export", "--org", "acme"], data_dir);
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    rows.records()
        .map(|r| {
            let r = r.expect("a CSV row");
            let id = r.get(0).and_then(|id| id.parse().ok()).expect("a lead id");
            (id, r.get(10).unwrap_or_default().to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_every_lead_answered_before_it_began() {
    let dir = tempfile::tempdir().expect("make a temporary directory");
    let live = dir.path().join("live");
    create_acme(&["--data-dir", &live.to_string_lossy()]);
    let added = cli(
        &["source", "add", "--org", "acme", "--name", "Website"],
        &live,
    );
    let key = after(
        &added.lines().map(str::to_owned).collect::<Vec<_>>(),
        "intake key:",
    )
    .to_owned();
    let (server, banner) = start(&[], &live, "Database:");
    let url = after(&banner, "leadpool is running at").to_owned();

    // Eight sources post leads without pause; each lead answered 2xx is noted with its id.
    let answered: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build the HTTP client");
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (answered, stop, sent) = (answered.clone(), stop.clone(), sent.clone());
            let (http, url, key) = (http.clone(), url.clone(), key.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = sent.fetch_add(1, Ordering::Relaxed);
                    let external_id = format!("load-{n}");
                    let Ok(r) = http
                        .post(format!("{url}/api/v1/intake"))
                        .header("x-intake-key", &key)
                        .json(&json!({ "name": format!("Lead {n}"), "email": format!("lead{n}@example.com"), "external_id": external_id }))
                        .send()
                        .await
                    else {
                        continue;
                    };
                    if !r.status().is_success() {
                        continue;
                    }
                    let body: Value = r.json().await.unwrap_or_default();
                    let id = body["lead"]["id"].as_i64().unwrap_or_else(|| panic!("{body}"));
                    answered
                        .lock()
                        .expect("the answered list")
                        .push((id, external_id));
                }
            })
        })
        .collect();
    let count = || answered.lock().expect("the answered list").len();
    until("500 leads answered", || count() >= 500).await;

    // Every lead in this list was answered before the backup began.
    let before = answered.lock().expect("the answered list").clone();
    let backup = dir.path().join("backup.db");
    let backup_arg = backup.to_string_lossy().into_owned();
    let live_arg = live.to_string_lossy().into_owned();
    let (to, from) = (backup_arg.clone(), live_arg.clone());
    let o = tokio::task::spawn_blocking(move || {
        leadpool(&["backup", "--to", &to, "--data-dir", &from])
    })
    .await
    .expect("run leadpool backup");
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("integrity: ok"), "{out}");
    let at_backup_end = count();
    assert!(
        at_backup_end > before.len(),
        "leads kept being answered while the backup ran"
    );
    until("200 more leads answered after the backup", || {
        count() >= at_backup_end + 200
    })
    .await;

    // A server uses the database: restore refuses it, even with --force.
    let err = refused(&[
        "restore",
        "--from",
        &backup_arg,
        "--force",
        "--data-dir",
        &live_arg,
    ]);
    assert!(err.contains("a leadpool server is using"), "{err}");

    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.expect("a client ended cleanly");
    }
    let total = count();
    drop(server);

    let restored = dir.path().join("restored");
    let out = cli(&["restore", "--from", &backup_arg], &restored);
    assert!(out.contains("restored"), "{out}");
    let leads = exported(&restored);
    let missing: Vec<_> = before
        .iter()
        .filter(|(id, ext)| leads.get(id) != Some(ext))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} leads answered before the backup are missing from it: {missing:?}",
        missing.len(),
        before.len()
    );
    assert!(
        leads.len() < total,
        "the backup is the database at one instant ({} leads), not at the end ({total})",
        leads.len()
    );
    let checked = leadpool_store::backup::check(&restored.join("leadpool.db"))
        .await
        .expect("the restored database passes the check");
    assert_eq!(checked.leads, i64::try_from(leads.len()).unwrap_or(-1));
    assert_eq!(checked.pending, 0, "restore applied every migration");
}

#[tokio::test]
async fn backup_and_restore_refuse_to_replace_a_file_unless_forced() {
    let dir = tempfile::tempdir().expect("make a temporary directory");
    let data = dir.path().join("data");
    create_acme(&["--data-dir", &data.to_string_lossy()]);
    let backup = dir.path().join("backup.db");
    std::fs::write(&backup, "keep me").expect("write a file in the way");
    let to = backup.to_string_lossy().into_owned();
    let data_arg = data.to_string_lossy().into_owned();

    let err = refused(&["backup", "--to", &to, "--data-dir", &data_arg]);
    assert!(
        err.contains("already exists; pass --force to replace it"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&backup).ok().as_deref(),
        Some("keep me")
    );

    let out = cli(&["backup", "--to", &to, "--force"], &data);
    assert!(out.contains("leads: 0 in 1 organization"), "{out}");
    leadpool_store::backup::check(&backup)
        .await
        .expect("the backup passes the check");

    let err = refused(&["restore", "--from", &to, "--data-dir", &data_arg]);
    assert!(
        err.contains("leadpool.db already exists; pass --force to replace it"),
        "{err}"
    );
    let out = cli(&["restore", "--from", &to, "--force"], &data);
    assert!(out.contains("restored"), "{out}");
    assert!(cli(&["org", "list"], &data).contains("acme"));
}

#[test]
fn backup_and_restore_on_postgresql_print_the_pg_dump_and_pg_restore_commands() {
    // Nothing is connected to: the guidance needs no running database.
    let url = "postgres://lp:s3cret@db.example:5432/leadpool";
    for args in [
        ["backup", "--to", "leadpool.db"],
        ["restore", "--from", "leadpool.db"],
    ] {
        let err = refused(&[&args[..], &["--database-url", url]].concat());
        assert!(
            err.contains(
                "pg_dump --format=custom --file=leadpool.dump --dbname='postgres://lp:***@db.example:5432/leadpool'"
            ),
            "{err}"
        );
        assert!(
            err.contains("every leadpool instance can keep running"),
            "{err}"
        );
        assert!(err.contains("pg_restore --no-owner"), "{err}");
        assert!(
            !err.contains("s3cret"),
            "the password is never shown: {err}"
        );
    }
}

#[test]
fn restore_refuses_a_file_that_is_not_a_leadpool_database() {
    let dir = tempfile::tempdir().expect("make a temporary directory");
    let data = dir.path().join("data");
    let data_arg = data.to_string_lossy().into_owned();
    for (content, why) in [
        (
            "name,email\nAna,ana@example.com\n",
            "it is not a SQLite database",
        ),
        // An empty file is an empty SQLite database.
        ("", "it has no leadpool migrations table"),
    ] {
        let file = dir.path().join("leads.csv");
        std::fs::write(&file, content).expect("write the file");
        let from = file.to_string_lossy().into_owned();
        let err = refused(&["restore", "--from", &from, "--data-dir", &data_arg]);
        assert!(
            err.contains(&format!("{from} is not a leadpool database: {why}")),
            "{err}"
        );
        assert!(
            !data.join("leadpool.db").exists(),
            "nothing is put in place of the database"
        );
    }
}
