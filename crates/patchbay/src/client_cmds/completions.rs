//! `patchbay completions bash|zsh|fish|...`: the script on stdout.
use crate::cli::Cli;
use crate::commands::CompletionsArgs;
use clap::CommandFactory;

pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    clap_complete::generate(args.shell, &mut Cli::command(), "patchbay", &mut std::io::stdout());
    Ok(())
}
