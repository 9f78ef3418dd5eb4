//! `leadpool`: parse the command line, run it, map failure to an exit code.

use std::process::ExitCode;

use clap::Parser;
use leadpool::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match leadpool::run::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
