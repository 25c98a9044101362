//! The reaper: what runs a test command when there is no sandbox, so that
//! every process the command starts ends with the test.
//!
//! Killing the test's process group is not enough: `setsid sleep 300 &`
//! leaves the group and its session, and outlives the test, the worker and
//! the server. (Inside bubblewrap the test has its own pid namespace, and
//! the kernel ends every process in it when the sandbox ends.) So the worker
//! starts `patchbay __reap -- /bin/sh -c SCRIPT`: the reaper marks itself a
//! *child subreaper*, so every orphan among the command's descendants —
//! whatever it did to its session or group — becomes the reaper's child
//! instead of init's. When the command exits, or when the reaper is told to
//! stop (SIGTERM, SIGINT, SIGHUP: the runner's timeout), it kills all of
//! them, reaps them, and exits with the command's status.
use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::process::Command;

/// The hidden subcommand of the binary that runs the reaper.
pub const SUBCOMMAND: &str = "__reap";

/// The exit code when the reaper was stopped (SIGTERM's, as a shell reports it).
const STOPPED: i32 = 128 + 15;

/// Runs `command` (program and arguments) as described above; returns the
/// exit code to exit with: the command's, 128 + a signal's number, or 125
/// when it could not be started.
pub fn run(command: &[OsString]) -> i32 {
    let Some((program, args)) = command.split_first() else {
        eprintln!("patchbay {SUBCOMMAND}: no command given");
        return 125;
    };
    if let Err(error) = nix::sys::prctl::set_child_subreaper(true) {
        eprintln!("patchbay {SUBCOMMAND}: could not become a subreaper: {error}");
        return 125;
    }
    // Blocked here so they are waited for below, never lost in between; the
    // child starts with an empty mask (the standard library resets it).
    let mut signals = SigSet::empty();
    for signal in [Signal::SIGCHLD, Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        signals.add(signal);
    }
    if let Err(error) = signals.thread_block() {
        eprintln!("patchbay {SUBCOMMAND}: could not block signals: {error}");
        return 125;
    }
    let child = match Command::new(program).args(args).spawn() {
        Ok(child) => Pid::from_raw(child.id() as i32),
        Err(error) => {
            eprintln!("patchbay {SUBCOMMAND}: could not start {}: {error}", program.to_string_lossy());
            return 125;
        }
    };
    let code = wait_for(child, &signals);
    kill_descendants();
    code
}

/// Waits until `child` exits (its exit code) or a stop signal arrives.
fn wait_for(child: Pid, signals: &SigSet) -> i32 {
    loop {
        match signals.wait() {
            Ok(Signal::SIGCHLD) => {
                // Signals coalesce: reap everything that has exited.
                loop {
                    match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                        Ok(WaitStatus::Exited(pid, code)) if pid == child => return code,
                        Ok(WaitStatus::Signaled(pid, signal, _)) if pid == child => {
                            return 128 + signal as i32;
                        }
                        Ok(WaitStatus::StillAlive) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            }
            Ok(_) | Err(_) => return STOPPED,
        }
    }
}

/// Kills and reaps every remaining descendant. Each kill may orphan more
/// processes to us, so this repeats until none is left (bounded, in case
/// something keeps forking faster than it is killed).
fn kill_descendants() {
    for _ in 0..1_000 {
        let children = children();
        if children.is_empty() {
            // Nothing left to kill: collect any zombie and stop.
            while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                if status == WaitStatus::StillAlive {
                    break;
                }
            }
            return;
        }
        for pid in children {
            let _ = kill(pid, Signal::SIGKILL);
        }
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    break;
                }
                Ok(_) => {}
                Err(Errno::ECHILD) | Err(_) => break,
            }
        }
    }
}

/// This process's children, from `/proc` (`ppid` is the fourth field of
/// `/proc/PID/stat`, after a command name that may hold spaces).
fn children() -> Vec<Pid> {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse::<i32>().ok()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    == Some(me.as_str())
            })
        })
        .map(Pid::from_raw)
        .collect()
}
