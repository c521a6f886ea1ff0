//! `gepa`: the GEPA Playground optimiser, headless. The same engine, endpoints, retry policy,
//! limiter, response cache, run files and share links as the page; see `gepa --help`.

// A command-line tool talks to people through stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod commands;
mod endpoints;
mod files;
mod init;
mod progress;
mod summary;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes (documented in `gepa --help`).
pub mod exit {
    /// The run finished.
    pub const FINISHED: u8 = 0;
    /// Bad input: a file, a flag, a setup that cannot run.
    pub const ERROR: u8 = 1;
    /// The run paused because an endpoint kept failing; the run file is saved: resume it.
    pub const PAUSED: u8 = 3;
    /// Interrupted with Ctrl-C; the run file is saved: resume it.
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(exit::ERROR)
        }
    }
}
