//! `leadpool serve` as a child process: started on a free port, its banner read, killed
//! with SIGKILL when dropped (no shutdown, no cleanup: what a crash looks like).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `leadpool serve`; dropping it kills it.
pub struct Server(Child);

impl Server {
    /// Its process id (the first part of the lease owner it writes on timers and deliveries).
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // `Child::kill` is SIGKILL on Unix.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `leadpool serve EXTRA` on a free port and reads its banner up to the line holding `last`.
pub fn start(extra: &[&str], data_dir: &std::path::Path, last: &str) -> (Server, Vec<String>) {
    start_with(extra, &[], data_dir, last)
}

/// [`start`] with these environment variables set (configuration keys without a flag).
pub fn start_with(
    extra: &[&str],
    env: &[(&str, &str)],
    data_dir: &std::path::Path,
    last: &str,
) -> (Server, Vec<String>) {
    // The tests' HTTP clients need the process's TLS provider, as the server has.
    leadpool_app::install_tls();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadpool"))
        .arg("serve")
        .args(extra)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data_dir.to_string_lossy(),
        ])
        .env("LEADPOOL_LOG", "warn")
        .env_remove("LEADPOOL_DATABASE_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start leadpool");
    let stdout = child.stdout.take().expect("leadpool's piped stdout");
    let server = Server(child);
    let mut banner = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        let done = line.contains(last);
        banner.push(line);
        if done {
            break;
        }
    }
    // Keep draining so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (server, banner)
}

/// The rest of the banner line after `marker`.
pub fn after<'a>(banner: &'a [String], marker: &str) -> &'a str {
    banner
        .iter()
        .find_map(|l| l.split_once(marker).map(|(_, r)| r.trim()))
        .unwrap_or_else(|| panic!("no `{marker}` in banner:\n{}", banner.join("\n")))
}

/// Creates the organization `acme` with the admin `a@acme.test` (password
/// `a-long-password`) in the database `place` names (`--data-dir DIR` or
/// `--database-url URL`); returns the admin's API token.
pub fn create_acme(place: &[&str]) -> String {
    let mut args = vec![
        "org",
        "create",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--admin-email",
        "a@acme.test",
        "--admin-name",
        "Ann Admin",
        "--admin-password",
        "a-long-password",
    ];
    args.extend_from_slice(place);
    let o = crate::leadpool(&args);
    let (out, err) = crate::text(&o);
    assert!(o.status.success(), "{out}{err}");
    out.lines()
        .find_map(|l| l.strip_prefix("API token: "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned()
}
