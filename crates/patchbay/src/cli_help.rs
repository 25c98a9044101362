//! Every command and every argument says what it is for in `--help`.
use crate::cli::Cli;
use clap::CommandFactory;

/// `path: what` for each subcommand or argument whose help is empty.
fn without_help(command: &clap::Command, path: &str, found: &mut Vec<String>) {
    for arg in command.get_arguments().filter(|arg| !arg.is_hide_set()) {
        if arg.get_help().is_none_or(|help| help.to_string().trim().is_empty()) {
            found.push(format!("{path}: argument {}", arg.get_id()));
        }
    }
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let sub_path = format!("{path} {}", sub.get_name());
        if sub.get_about().is_none_or(|about| about.to_string().trim().is_empty()) {
            found.push(format!("{sub_path}: no description"));
        }
        without_help(sub, &sub_path, found);
    }
}

#[test]
fn every_command_and_argument_has_help() {
    let mut found = Vec::new();
    without_help(&Cli::command(), "patchbay", &mut found);
    assert!(found.is_empty(), "without help:\n{}", found.join("\n"));
}
