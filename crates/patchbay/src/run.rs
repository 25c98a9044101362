//! `patchbay run`: resolve integrations, write their files into a home, run a
//! command there with their environment, and pass its exit code on.
use crate::bundle;
use crate::cli::RunArgs;
use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use patchbay_api_types::BundleResponse;
use patchbay_runner::{FileToWrite, MaterializeError, TempHome, ensure_home, materialize};
use patchbay_worker::env_guard;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitCode, ExitStatus};
use tokio::signal::unix::{SignalKind, signal};

/// The command could not be started at all; the binary exits 127 for it, as
/// a shell does for a command it cannot find.
#[derive(Debug, thiserror::Error)]
// The cause is the source, which `{:#}` prints after the message: naming it
// here too would print it twice.
#[error("could not start {program:?}")]
pub struct NotStarted {
    program: OsString,
    #[source]
    source: std::io::Error,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    keep_token_from_the_command(std::env::args_os());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let bundle = bundle::fetch(&args.client, &args.integrations)?;
    let ran = run_bundle(&args, &bundle, &runtime);
    // The leases were made for this run alone: their users go as soon as it
    // ends, however it ended (refused, failed to start, exited, killed).
    runtime.block_on(bundle::revoke_leases(&args.client, &bundle.leases));
    ran
}

fn run_bundle(
    args: &RunArgs,
    bundle: &BundleResponse,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<ExitCode> {
    let mut definers = bundle::Definers::new(&args.client, bundle);
    env_guard::refuse(bundle.env_vars.keys().map(String::as_str), &args.allow_env, &mut |name| {
        definers.of(name)
    })?;
    let files = bundle::files_to_write(bundle)?;
    // Held until the command has ended; dropping it removes the directory.
    let mut temp_home = None;
    let home: PathBuf = match &args.home {
        Some(dir) => home_dir(dir)?,
        None => {
            let temp = TempHome::create_in(&std::env::temp_dir()).context("creating a temporary home")?;
            temp_home.insert(temp).path().to_path_buf()
        }
    };
    write_files(&home, &files, args.overwrite)?;

    let (program, rest) = args.command.split_first().context("no command given after --")?;
    let mut command = tokio::process::Command::new(program);
    command.args(rest);
    // The caller's token may read every secret of the organization; the
    // command gets the secrets its integrations grant, not the token.
    command.env_remove("PATCHBAY_TOKEN");
    // The bundle wins over the caller's environment, and HOME over both.
    command.envs(&bundle.env_vars).env("HOME", &home);

    let status = runtime.block_on(supervise(command, program))?;
    drop(temp_home);
    Ok(ExitCode::from(exit_code(status)))
}

/// `dir` made ready as a home (created private if absent), as an absolute path.
pub fn home_dir(dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    ensure_home(dir).with_context(|| format!("preparing the home directory {}", dir.display()))?;
    std::path::absolute(dir).with_context(|| format!("locating {}", dir.display()))
}

/// Writes a bundle's files into `home` (`~/` is `home`), refusing to replace
/// one unless `overwrite`.
pub fn write_files(home: &std::path::Path, files: &[FileToWrite], overwrite: bool) -> anyhow::Result<()> {
    materialize(home, files, overwrite).map_err(|error| match error {
        MaterializeError::Exists { .. } => anyhow::anyhow!("{error}; pass --overwrite to replace it"),
        other => anyhow::Error::new(other).context("writing the integrations' files"),
    })?;
    Ok(())
}

/// The command must not get the caller's token (it reads every secret of
/// the organization): it is left out of the command's environment (see
/// `run`), this process is made non-dumpable so a process of the same user
/// without CAP_SYS_PTRACE cannot read its environment or memory, and a
/// token given as `--token` is warned about, since every process of the
/// user can read a command line.
fn keep_token_from_the_command(argv: impl Iterator<Item = OsString>) {
    #[cfg(target_os = "linux")]
    if let Err(error) = nix::sys::prctl::set_dumpable(false) {
        eprintln!("warning: could not keep the command from reading this process's memory: {error}");
    }
    if token_on_command_line(argv) {
        eprintln!(
            "warning: --token on the command line can be read by any process of this user, \
             the command included; set PATCHBAY_TOKEN or run `patchbay login` instead"
        );
    }
}

/// Whether `--token` was given before the command's `--`.
fn token_on_command_line(argv: impl Iterator<Item = OsString>) -> bool {
    argv.skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--token" || arg.to_str().is_some_and(|arg| arg.starts_with("--token=")))
}

/// Starts the command and waits for it, passing SIGTERM and SIGINT on.
/// The handlers are installed before the child starts, so no signal sent
/// in between kills us and orphans it.
async fn supervise(mut command: tokio::process::Command, program: &OsString) -> anyhow::Result<ExitStatus> {
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut child = command.spawn().map_err(|source| NotStarted { program: program.clone(), source })?;
    loop {
        tokio::select! {
            status = child.wait() => return status.context("waiting for the command"),
            Some(()) = terminate.recv() => forward(child.id(), Signal::SIGTERM),
            Some(()) = interrupt.recv() => {
                if !terminal_already_interrupted_child() {
                    forward(child.id(), Signal::SIGINT);
                }
            }
        }
    }
}

/// `id` is `None` once the child has been reaped, so a recycled pid is never hit.
fn forward(id: Option<u32>, signal: Signal) {
    if let Some(pid) = id.and_then(|id| i32::try_from(id).ok()) {
        // The child may have exited meanwhile; its status arrives next.
        let _ = kill(Pid::from_raw(pid), signal);
    }
}

/// Ctrl-C at a terminal interrupts the whole foreground process group, the
/// child included: forwarding it too would interrupt the child twice.
fn terminal_already_interrupted_child() -> bool {
    nix::unistd::tcgetpgrp(std::io::stdin()).is_ok_and(|foreground| foreground == nix::unistd::getpgrp())
}

/// The command's code, or 128 + the signal that ended it, as shells report.
fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(255),
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::{exit_code, token_on_command_line};
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    #[test]
    fn codes_and_signals_become_exit_codes() {
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }

    #[test]
    fn a_token_before_the_command_is_on_the_command_line() {
        let on = |args: &[&str]| token_on_command_line(args.iter().map(std::ffi::OsString::from));
        assert!(on(&["patchbay", "run", "--token", "t", "-i", "x", "--", "true"]));
        assert!(on(&["patchbay", "run", "--token=t", "-i", "x", "--", "true"]));
        assert!(!on(&["patchbay", "run", "-i", "x", "--", "tool", "--token", "t"]));
        assert!(!on(&["patchbay", "run", "-i", "x", "--", "true"]));
    }
}
