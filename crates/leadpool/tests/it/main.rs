//! The `leadpool` binary, run as a user would run it: real processes, real files, on
//! SQLite and (with `LEADPOOL_TEST_PG_URL`) PostgreSQL.

mod backup;
mod cli;
mod instances;
mod serve;
mod server;

use std::process::{Command, Output};

/// Runs `leadpool ARGS` and returns its output.
pub fn leadpool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadpool"))
        .args(args)
        .env_remove("LEADPOOL_DATABASE_URL")
        .env_remove("LEADPOOL_CONFIG")
        .env("LEADPOOL_LOG", "warn")
        .output()
        .expect("run leadpool")
}

/// Standard output and error as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
