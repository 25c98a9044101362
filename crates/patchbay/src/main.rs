//! The one Patchbay binary. `main` is the only place that picks a storage
//! backend.
#![forbid(unsafe_code)]

mod backend;
mod bundle;
mod cli;
mod embedded_worker;
mod env;
mod keys;
mod master_key;
mod run;
mod serve;
mod serve_jobs;
mod token;
mod worker;
mod worker_job;

use clap::Parser;
use std::process::ExitCode;

// Request handling allocates many small, short-lived values (rows, JSON);
// mimalloc serves them markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let done = |result: anyhow::Result<()>| result.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        cli::Command::Serve(args) => done(serve::run(args)),
        cli::Command::Token(cli::TokenCommand::Mint(args)) => done(token::mint(args)),
        cli::Command::Keys(cli::KeysCommand::Generate) => done(keys::generate()),
        cli::Command::Keys(cli::KeysCommand::Rotate(args)) => done(keys::rotate(args)),
        // `run` passes its command's exit code on.
        cli::Command::Run(args) => run::run(args),
        cli::Command::Env(args) => done(env::print(args)),
        cli::Command::Worker(args) => done(worker::run(args)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            // As a shell: 127 for a command that could not be started.
            if error.downcast_ref::<run::NotStarted>().is_some() {
                ExitCode::from(127)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
