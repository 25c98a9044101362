//! The one Patchbay binary. `main` is the only place that picks a storage
//! backend.
#![forbid(unsafe_code)]

mod backend;
mod cli;
mod keys;
mod master_key;
mod serve;
mod token;

use clap::Parser;

// Request handling allocates many small, short-lived values (rows, JSON);
// mimalloc serves them markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Token(cli::TokenCommand::Mint(args)) => token::mint(args),
        cli::Command::Keys(cli::KeysCommand::Generate) => keys::generate(),
        cli::Command::Keys(cli::KeysCommand::Rotate(args)) => keys::rotate(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
