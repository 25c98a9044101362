//! `patchbay secrets set|list|delete|versions`. A value is read from stdin
//! or a file, never from the command line (where `ps` and shell history
//! would show it), and never printed.
use super::{block_on, call};
use crate::commands::{SecretSetArgs, SecretsCommand};
use crate::failure::{Exit, failure};
use crate::output::{emit, short_time};
use anyhow::Context;
use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
use std::io::{BufRead, IsTerminal, Read};

pub fn run(command: SecretsCommand) -> anyhow::Result<()> {
    match command {
        SecretsCommand::Set(args) => set(args),
        SecretsCommand::List(args) => {
            let client = args.common.client.connect()?;
            let secrets = block_on(call(client.list_secrets()))??;
            emit(&args.common, &secrets, &["NAME", "VERSION", "UPDATED", "DESCRIPTION"], |list| {
                list.iter()
                    .map(|s| {
                        vec![
                            s.name.clone(),
                            s.version.to_string(),
                            short_time(&s.updated_at),
                            s.description.clone().unwrap_or_default(),
                        ]
                    })
                    .collect()
            })
        }
        SecretsCommand::Delete(args) => {
            let client = args.common.client.connect()?;
            super::confirm::confirm(
                &format!(
                    "Delete secret {} and all its versions? Integrations that name it will fail to resolve.",
                    args.name
                ),
                args.yes,
            )?;
            block_on(call(client.delete_secret(&args.name)))??;
            eprintln!("Deleted secret {} and all its versions", args.name);
            Ok(())
        }
        SecretsCommand::Versions(args) => {
            let client = args.common.client.connect()?;
            let versions = block_on(call(client.secret_versions(&args.name)))??;
            emit(&args.common, &versions, &["VERSION", "CREATED", "BY"], |list| {
                list.iter()
                    .map(|v| {
                        vec![
                            v.version.to_string(),
                            short_time(&v.created_at),
                            v.created_by.clone().unwrap_or_default(),
                        ]
                    })
                    .collect()
            })
        }
    }
}

fn set(args: SecretSetArgs) -> anyhow::Result<()> {
    let value = match &args.from_file {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))?
        }
        None if std::io::stdin().is_terminal() => {
            eprint!("Value of {} (not shown): ", args.name);
            let value = read_line_without_echo()?;
            eprintln!();
            value
        }
        None => {
            let mut value = String::new();
            std::io::stdin().read_to_string(&mut value).context("reading the value from stdin")?;
            // `echo value |` adds one newline that is not part of the value.
            let trimmed = value.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v));
            trimmed.map(str::to_owned).unwrap_or(value)
        }
    };
    if value.is_empty() && !args.allow_empty {
        return Err(failure(
            Exit::Invalid,
            format!(
                "the value of {} is empty (an unset variable piped in?); nothing was stored. \
                 Pass --allow-empty to store an empty value",
                args.name
            ),
        ));
    }
    let client = args.common.client.connect()?;
    let secret = block_on(call(client.put_secret(&args.name, &value, args.description.as_deref())))??;
    emit(&args.common, &secret, &["NAME", "VERSION", "UPDATED"], |s| {
        vec![vec![s.name.clone(), s.version.to_string(), short_time(&s.updated_at)]]
    })
}

/// One line typed at the terminal, with the terminal's echo off so the
/// value never appears on screen; the echo comes back even on error.
fn read_line_without_echo() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).context("reading the terminal's settings")?;
    let mut quiet = saved.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    tcsetattr(&stdin, SetArg::TCSANOW, &quiet).context("turning the terminal's echo off")?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    tcsetattr(&stdin, SetArg::TCSANOW, &saved).context("turning the terminal's echo back on")?;
    read.context("reading the value")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
