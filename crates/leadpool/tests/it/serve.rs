//! `leadpool serve --demo` as a newcomer runs it: a real process, its banner, its logins.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::server::{Server, after, create_acme, start};

/// Starts the demo and reads its banner up to the line that ends it.
fn start_demo(data_dir: &std::path::Path) -> (Server, Vec<String>) {
    start(&["--demo"], data_dir, "/api/v1/leads?limit=5")
}

#[tokio::test]
async fn the_demo_prints_working_logins_and_a_working_token() {
    let dir = tempfile::tempdir().expect("make a temporary directory");
    // A fresh checkout has no data directory yet.
    let data = dir.path().join("data");
    let (_server, banner) = start_demo(&data);
    let url = after(&banner, "leadpool is running at").to_owned();
    let token = after(&banner, "API token (admin):").to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build the admin's HTTP client");
    let page: Value = http
        .get(format!("{url}/api/v1/leads?limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list the leads")
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(500),
        "the demo has thousands of leads"
    );
    let users: Value = http
        .get(format!("{url}/api/v1/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list the users")
        .json()
        .await
        .unwrap_or_default();
    let cap_of = |name: &str| {
        users["items"]
            .as_array()
            .and_then(|u| u.iter().find(|u| u["name"] == name))
            .map(|u| u["max_new_leads"].clone())
    };
    assert_eq!(
        cap_of("Aisha Bello"),
        Some(json!(2)),
        "the demo shows caps: {users}"
    );
    assert_eq!(cap_of("Marcus Johnson"), Some(Value::Null), "{users}");
    let agent = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build the agent's HTTP client");
    let login = agent
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({ "email": "agent01@demo.leadpool.test", "password": leadpool::demo_data::DEMO_PASSWORD }))
        .send()
        .await
        .expect("log in as the agent");
    assert_eq!(login.status().as_u16(), 200);
    // Distribution is visible at once: offers for the agent whose login is printed, and
    // leads in the manual queue saying why.
    let offers: Value = agent
        .get(format!("{url}/api/v1/offers"))
        .send()
        .await
        .expect("list the agent's offers")
        .json()
        .await
        .unwrap_or_default();
    let offers = offers["offers"].as_array().cloned().unwrap_or_default();
    let by = |router: &str| offers.iter().filter(|o| o["router_name"] == router).count();
    assert_eq!(by("Zillow → round robin"), 2, "{offers:?}");
    assert_eq!(by("Website → broadcast"), 2, "{offers:?}");
    assert_eq!(by("Second look"), 1, "{offers:?}");
    let queue: Value = http
        .get(format!("{url}/api/v1/queue?limit=3"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("read the queue")
        .json()
        .await
        .unwrap_or_default();
    let reasons: Vec<&str> = queue["leads"]
        .as_array()
        .map(|l| l.iter().filter_map(|q| q["reason"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        reasons, ["no rule matched: sent to the manual assignment queue"; 3],
        "{queue}"
    );
    let key = after(&banner, "Intake key for source Website:").to_owned();
    let intake = http
        .post(format!("{url}/api/v1/intake"))
        .header("x-intake-key", key)
        .json(&json!({ "name": "New Prospect", "email": "np@example.com" }))
        .send()
        .await
        .expect("post the intake");
    assert_eq!(intake.status().as_u16(), 201);
    assert!(
        std::fs::metadata(data.join("leadpool.db")).is_ok(),
        "the SQLite file lives in the data directory"
    );
    let wal = std::fs::read(data.join("leadpool.db")).unwrap_or_default();
    assert_eq!(
        wal.get(18..20),
        Some(&[2u8, 2u8][..]),
        "the database is in WAL mode"
    );
}

/// Runs `leadpool ARGS` against the data directory and returns its standard output.
pub fn cli(args: &[&str], data_dir: &std::path::Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_leadpool"))
        .args(args)
        .args(["--data-dir", &data_dir.to_string_lossy()])
        .env("LEADPOOL_LOG", "warn")
        .output()
        .expect("run leadpool");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn a_timer_pending_when_the_server_is_killed_fires_once_after_restart() {
    let dir = tempfile::tempdir().expect("make a temporary directory");
    let token = create_acme(&["--data-dir", &dir.path().to_string_lossy()]);
    cli(
        &[
            "user",
            "add",
            "--org",
            "acme",
            "--email",
            "bo@acme.test",
            "--name",
            "Bo Agent",
            "--password",
            "a-long-password",
        ],
        dir.path(),
    );
    cli(
        &["source", "add", "--org", "acme", "--name", "Website"],
        dir.path(),
    );

    let (first, banner) = start(&[], dir.path(), "Database:");
    let url = after(&banner, "leadpool is running at").to_owned();
    let refused = Command::new(env!("CARGO_BIN_EXE_leadpool"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &dir.path().to_string_lossy(),
        ])
        .output()
        .expect("run a second serve");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("another leadpool is already serving"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let http = reqwest::Client::new();
    let get = |path: String| http.get(format!("{url}{path}")).bearer_auth(&token).send();
    let statuses: Value = get("/api/v1/statuses".into())
        .await
        .expect("read the statuses")
        .json()
        .await
        .unwrap_or_default();
    let id_of = |name: &str| {
        statuses["items"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == name))
            .map(|s| s["id"].clone())
            .unwrap_or_default()
    };
    let (working, recycled) = (id_of("Working"), id_of("Recycled"));
    let set = http
        .patch(format!("{url}/api/v1/statuses/{working}"))
        .bearer_auth(&token)
        .json(&json!({ "expiry": { "after_seconds": 3, "to_status_id": recycled } }))
        .send()
        .await
        .expect("set the status expiry");
    assert_eq!(set.status().as_u16(), 200);
    let users: Value = get("/api/v1/users".into())
        .await
        .expect("read the users")
        .json()
        .await
        .unwrap_or_default();
    let bo = users["items"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["email"] == "bo@acme.test"))
        .map(|u| u["id"].clone())
        .unwrap_or_default();
    let sources: Value = get("/api/v1/sources".into())
        .await
        .expect("read the sources")
        .json()
        .await
        .unwrap_or_default();
    let lead: Value = http.post(format!("{url}/api/v1/leads")).bearer_auth(&token).json(&json!({ "source_id": sources["items"][0]["id"], "assignee_id": bo, "name": "Kill Nine" })).send().await.expect("add a lead").json().await.unwrap_or_default();
    let id = lead["id"].as_i64().unwrap_or_else(|| panic!("{lead}"));
    let moved = http
        .patch(format!("{url}/api/v1/leads/{id}"))
        .bearer_auth(&token)
        .json(&json!({ "status_id": working }))
        .send()
        .await
        .expect("move the lead to Working");
    assert_eq!(moved.status().as_u16(), 200);
    // SIGKILL: no shutdown, no cleanup; the timer is due in three seconds.
    drop(first);
    tokio::time::sleep(Duration::from_secs(4)).await;

    let (_second, banner) = start(&[], dir.path(), "Database:");
    let url = after(&banner, "leadpool is running at").to_owned();
    let expired_entries = || async {
        let t: Value = http
            .get(format!("{url}/api/v1/leads/{id}/timeline"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("read the timeline")
            .json()
            .await
            .unwrap_or_default();
        t["items"].as_array().map_or(0, |i| {
            i.iter()
                .filter(|e| {
                    e["reason"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("status expired"))
                })
                .count()
        })
    };
    let mut fired = 0;
    for _ in 0..100 {
        fired = expired_entries().await;
        if fired > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fired, 1,
        "the timer due while the server was down fired after the restart"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(expired_entries().await, 1, "and only once");
}

#[tokio::test]
async fn serve_cookie_secure_always_marks_the_session_cookie_secure_without_a_proxy() {
    let dir = tempfile::tempdir().expect("make a temporary directory");
    create_acme(&["--data-dir", &dir.path().to_string_lossy()]);
    let (_server, banner) = start(&["--cookie-secure", "always"], dir.path(), "Database:");
    let url = after(&banner, "leadpool is running at").to_owned();
    let login = reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({ "email": "a@acme.test", "password": "a-long-password" }))
        .send()
        .await
        .expect("log in over plain HTTP");
    assert_eq!(login.status().as_u16(), 200);
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}
