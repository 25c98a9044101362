//! `patchbay completions bash|zsh|fish|...`: the script on stdout.
use crate::cli::Cli;
use crate::commands::CompletionsArgs;
use clap::CommandFactory;

pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    // Generated into memory first: clap_complete panics when its writer
    // fails, and a closed pipe (`| head -1`) is not a failure.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "patchbay", &mut script);
    crate::output::write_stdout(&script)
}
