//! How a test command is started: under `/bin/sh` with resource limits, and
//! optionally inside bubblewrap.
//!
//! Limits are set by the shell's `ulimit` before the command runs, in the
//! same shell process (`ulimit` sets the soft and the hard limit, so the
//! command cannot raise them again). This needs no `pre_exec` hook (which
//! would be unsafe code) and no external tool: every POSIX system has
//! `/bin/sh`.
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    /// A plain child process of the worker (own process group, limits).
    None,
    /// Under `bwrap` at this path: read-only root, private /tmp, the home
    /// bound read-write, new namespaces (network shared, so the test can
    /// reach the system it tests).
    Bwrap(PathBuf),
}

#[derive(Debug, thiserror::Error)]
#[error(
    "--sandbox bwrap was asked for, but `bwrap` (bubblewrap) is not installed or not on PATH; \
     install bubblewrap or run without --sandbox"
)]
pub struct BwrapMissing;

impl Sandbox {
    /// Bubblewrap from `PATH`, or the error to stop a worker at start.
    pub fn bwrap() -> Result<Self, BwrapMissing> {
        let path = std::env::var_os("PATH").ok_or(BwrapMissing)?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("bwrap"))
            .find(|candidate| candidate.is_file())
            .map(Self::Bwrap)
            .ok_or(BwrapMissing)
    }
}

/// Resource limits of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Address space, KiB.
    pub address_space_kib: u64,
    /// Largest file the command may write, in `ulimit -f` blocks (512 bytes
    /// for dash, 1 KiB for bash: 64 to 128 MiB).
    pub file_size_blocks: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { address_space_kib: 2 * 1024 * 1024, file_size_blocks: 131_072 }
    }
}

/// The shell script: the limits (one `ulimit` each: dash takes one at a
/// time; 125 when one cannot be set), then the configured command. CPU time is
/// capped at the timeout (rounded up) plus one second: a busy loop is
/// stopped by SIGXCPU even if the wall-clock kill were late.
pub fn script(command: &str, timeout: Duration, limits: Limits) -> String {
    let cpu = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0) + 1;
    format!(
        "{{ ulimit -t {cpu} && ulimit -v {} && ulimit -f {}; }} || exit 125\n{command}",
        limits.address_space_kib, limits.file_size_blocks
    )
}

/// Program and arguments that run `script` in `home`.
pub fn argv(sandbox: &Sandbox, home: &Path, script: String) -> (PathBuf, Vec<String>) {
    let shell = ["/bin/sh".to_owned(), "-c".to_owned(), script];
    match sandbox {
        Sandbox::None => (PathBuf::from("/bin/sh"), shell[1..].to_vec()),
        Sandbox::Bwrap(bwrap) => {
            let home = home.display().to_string();
            let mut args: Vec<String> = [
                "--die-with-parent",
                "--unshare-all",
                "--share-net",
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "--tmpfs",
                "/tmp",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            args.extend(["--bind".into(), home.clone(), home.clone(), "--chdir".into(), home, "--".into()]);
            args.extend(shell);
            (bwrap.clone(), args)
        }
    }
}
