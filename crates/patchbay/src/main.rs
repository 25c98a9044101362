//! The one Patchbay binary. `main` is the only place that picks a storage
//! backend.
#![forbid(unsafe_code)]

mod backend;
mod bundle;
mod cli;
mod config_file;
mod env;
mod keys;
mod master_key;
mod run;
mod serve;
mod token;

use std::process::ExitCode;

// Request handling allocates many small, short-lived values (rows, JSON);
// mimalloc serves them markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let parsed = match config_file::parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let done = |result: anyhow::Result<()>| result.map(|()| ExitCode::SUCCESS);
    let result = match parsed.cli.command {
        cli::Command::Serve(args) => done(serve::run(args, &parsed.warnings, &parsed.settings)),
        cli::Command::Token(cli::TokenCommand::Mint(args)) => done(token::mint(args)),
        cli::Command::Keys(cli::KeysCommand::Generate) => done(keys::generate()),
        cli::Command::Keys(cli::KeysCommand::Rotate(args)) => done(keys::rotate(*args)),
        // `run` passes its command's exit code on.
        cli::Command::Run(args) => run::run(args),
        cli::Command::Env(args) => done(env::print(args)),
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
