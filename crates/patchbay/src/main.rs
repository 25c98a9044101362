//! The one Patchbay binary. `main` is the only place that picks a storage
//! backend.
#![forbid(unsafe_code)]

mod audit_args;
mod backend;
mod bundle;
mod cli;
#[cfg(test)]
mod cli_help;
mod client_cmds;
mod client_config;
mod commands;
mod config_file;
mod data_dir;
mod embedded_worker;
mod env;
mod failure;
mod keys;
mod log_fields;
mod master_key;
mod mcp;
mod output;
mod run;
mod serve;
mod serve_jobs;
mod serve_limits;
mod suggest;
mod token;
mod worker;

use std::process::ExitCode;

// Request handling allocates many small, short-lived values (rows, JSON);
// mimalloc serves them markedly faster than the system allocator. Built
// without transparent huge pages (`no_thp`): each huge page commits 2 MiB
// for a few small allocations, a third of the idle server's memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A worker's test reaper (`patchbay __reap -- CMD`), before any parsing:
    // it only runs a test command and ends whatever that command started.
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|first| first == patchbay_runner::reap::SUBCOMMAND) {
        let command: Vec<_> = args.skip_while(|arg| arg != "--").skip(1).collect();
        return ExitCode::from(u8::try_from(patchbay_runner::reap::run(&command)).unwrap_or(125));
    }
    let parsed = match config_file::parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    // `run` exits with its command's code and `env` keeps the codes it
    // always had: only the other client commands use `failure`'s codes.
    let own_codes = !matches!(parsed.cli.command, cli::Command::Run(_) | cli::Command::Env(_));
    let done = |result: anyhow::Result<()>| result.map(|()| ExitCode::SUCCESS);
    let result = match parsed.cli.command {
        cli::Command::Serve(args) => done(serve::run(args, &parsed.warnings, &parsed.settings)),
        cli::Command::Token(cli::TokenCommand::Mint(args)) => done(token::mint(args)),
        cli::Command::Keys(cli::KeysCommand::Generate) => done(keys::generate()),
        cli::Command::Keys(cli::KeysCommand::Rotate(args)) => done(keys::rotate(*args)),
        // `run` passes its command's exit code on.
        cli::Command::Run(args) => run::run(args),
        cli::Command::Env(args) => done(env::print(args)),
        cli::Command::Login(args) => done(client_cmds::login::run(args)),
        cli::Command::Whoami(args) => done(client_cmds::login::whoami(args)),
        cli::Command::Logout => done(client_cmds::login::logout()),
        cli::Command::Integrations(command) => done(client_cmds::integrations::run(command)),
        cli::Command::Secrets(command) => done(client_cmds::secrets::run(command)),
        cli::Command::Templates(command) => done(client_cmds::templates::run(command)),
        cli::Command::Providers(command) => done(client_cmds::providers::run(command)),
        cli::Command::Leases(command) => done(client_cmds::leases::run(command)),
        cli::Command::Webhooks(command) => done(client_cmds::webhooks::run(command)),
        cli::Command::Apply(args) => done(client_cmds::apply::run(args)),
        cli::Command::Completions(args) => done(client_cmds::completions::run(args)),
        cli::Command::Mcp(args) => done(mcp::run(args)),
        cli::Command::Worker(args) => done(worker::run(args)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            // As a shell: 127 for a command that could not be started.
            if error.downcast_ref::<run::NotStarted>().is_some() {
                ExitCode::from(127)
            } else if own_codes {
                ExitCode::from(failure::exit_code(&error))
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
