//! `leadpool serve --demo` as a newcomer runs it: a real process, its banner, its logins.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demo and reads its banner up to the line that ends it.
fn start_demo(data_dir: &std::path::Path) -> (Server, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadpool"))
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data_dir.to_string_lossy(),
        ])
        .env("LEADPOOL_LOG", "warn")
        .env_remove("LEADPOOL_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let server = Server(child);
    let mut banner = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        let done = line.contains("/api/v1/leads?limit=5");
        banner.push(line);
        if done {
            break;
        }
    }
    // Keep draining so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (server, banner)
}

fn after<'a>(banner: &'a [String], marker: &str) -> &'a str {
    banner
        .iter()
        .find_map(|l| l.split_once(marker).map(|(_, r)| r.trim()))
        .unwrap_or_else(|| panic!("no `{marker}` in banner:\n{}", banner.join("\n")))
}

#[tokio::test]
async fn the_demo_prints_working_logins_and_a_working_token() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (_server, banner) = start_demo(dir.path());
    let url = after(&banner, "leadpool is running at").to_owned();
    let token = after(&banner, "API token (admin):").to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let page: Value = http
        .get(format!("{url}/api/v1/leads?limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(500),
        "the demo has thousands of leads"
    );
    let login = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({ "email": "agent01@demo.leadpool.test", "password": leadpool::demo_data::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login.status().as_u16(), 200);
    let key = after(&banner, "Intake key for source Website:").to_owned();
    let intake = http
        .post(format!("{url}/api/v1/intake"))
        .header("x-intake-key", key)
        .json(&json!({ "name": "New Prospect", "email": "np@example.com" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(intake.status().as_u16(), 201);
    assert!(
        std::fs::metadata(dir.path().join("leadpool.db")).is_ok(),
        "the SQLite file lives in the data directory"
    );
    let wal = std::fs::read(dir.path().join("leadpool.db")).unwrap_or_default();
    assert_eq!(
        wal.get(18..20),
        Some(&[2u8, 2u8][..]),
        "the database is in WAL mode"
    );
}
