//! How a test command is started: under `/bin/sh` with resource limits,
//! inside bubblewrap unless the operator chose otherwise.
//!
//! `Sandbox` is the one trust boundary between a test command (code written
//! by whoever may edit an integration) and the machine that runs it. A
//! worker that asked for bubblewrap but cannot use it never falls back to a
//! bare process: its tests end as `error` with the reason and the fix.
//!
//! Limits are set by the shell's `ulimit` before the command runs, in the
//! same shell process (`ulimit` sets the soft and the hard limit, so the
//! command cannot raise them again). This needs no `pre_exec` hook (which
//! would be unsafe code) and no external tool: every POSIX system has
//! `/bin/sh`.
use crate::home::TempHome;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Where the command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    /// A plain child process of the worker (own process group, limits): it
    /// runs as the worker's user and sees what that user sees. Only ever an
    /// explicit choice of the operator.
    None,
    /// Under `bwrap` at this path (see [`bwrap_args`]).
    Bwrap(PathBuf),
    /// Bubblewrap was asked for but cannot run here: why, and how to fix it.
    /// Every test ends as `error` with this message.
    Unavailable(String),
}

/// Where bubblewrap is looked for when it is not on `PATH`: a service
/// manager may start the worker with a short `PATH`.
const FALLBACK: &str = "/usr/bin/bwrap";

/// The remedies, appended to every reason bubblewrap is unavailable.
const FIX: &str = "connection tests are not run. Fix: install bubblewrap (Debian/Ubuntu: \
     `apt-get install bubblewrap`) on a host that allows unprivileged user namespaces; or run \
     `patchbay worker`s on separate hosts; or, on a single-tenant install only, choose \
     `--sandbox none` knowingly (every test then runs as this worker's user and can read its files)";

fn unavailable(reason: &str) -> Sandbox {
    Sandbox::Unavailable(format!("the bubblewrap sandbox is unavailable: {reason}; {FIX}"))
}

impl Sandbox {
    /// Bubblewrap from `PATH` (else `/usr/bin/bwrap`), proven to work.
    pub fn bwrap() -> Self {
        let on_path = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).map(|dir| dir.join("bwrap")).collect::<Vec<_>>())
            .unwrap_or_default();
        match on_path.into_iter().chain([PathBuf::from(FALLBACK)]).find(|c| c.is_file()) {
            Some(found) => Self::bwrap_at(&found),
            None => unavailable(&format!("`bwrap` is neither on PATH nor at {FALLBACK}")),
        }
    }

    /// Bubblewrap at exactly `path` (no lookup), proven to work once by
    /// running `/bin/true` with the flags every test gets: user namespaces
    /// are disabled on some hosts, and that must show at start, not as a
    /// puzzling failure of each test.
    pub fn bwrap_at(path: &Path) -> Self {
        if !path.is_file() {
            return unavailable(&format!("{} does not exist", path.display()));
        }
        let home = match TempHome::create_in(&std::env::temp_dir()) {
            Ok(home) => home,
            Err(error) => return unavailable(&format!("could not create a home to try it in: {error}")),
        };
        let mut args = bwrap_args(home.path(), &host_entry);
        args.push("/bin/true".to_owned());
        let tried = Command::new(path)
            .args(&args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        match tried {
            Ok(output) if output.status.success() => Self::Bwrap(path.to_owned()),
            Ok(output) => unavailable(&format!(
                "`{} ... -- /bin/true` failed ({}): {}",
                path.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(error) => unavailable(&format!("could not run {}: {error}", path.display())),
        }
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

/// Program and arguments that run `script` in `home`, or the reason the
/// sandbox cannot: there is deliberately no way to get a bare command out
/// of an unavailable sandbox.
///
/// Without a sandbox, `reaper` (the `patchbay` binary) runs the shell as
/// `patchbay __reap -- /bin/sh -c SCRIPT`, so that descendants that left the
/// process group end with the test too (see `reap`).
pub fn argv(
    sandbox: &Sandbox,
    home: &Path,
    script: String,
    reaper: Option<&Path>,
) -> Result<(PathBuf, Vec<String>), String> {
    let shell = ["/bin/sh".to_owned(), "-c".to_owned(), script];
    match sandbox {
        Sandbox::None => match reaper {
            Some(reaper) => {
                let mut args = vec![crate::reap::SUBCOMMAND.to_owned(), "--".to_owned()];
                args.extend(shell);
                Ok((reaper.to_path_buf(), args))
            }
            None => Ok((PathBuf::from("/bin/sh"), shell[1..].to_vec())),
        },
        Sandbox::Bwrap(bwrap) => {
            let mut args = bwrap_args(home, &host_entry);
            args.extend(shell);
            Ok((bwrap.clone(), args))
        }
        Sandbox::Unavailable(why) => Err(why.clone()),
    }
}

/// What a top-level path is on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostEntry {
    Symlink(PathBuf),
    Dir,
    Absent,
}

fn host_entry(path: &Path) -> HostEntry {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::read_link(path).map_or(HostEntry::Absent, HostEntry::Symlink)
        }
        Ok(meta) if meta.is_dir() => HostEntry::Dir,
        _ => HostEntry::Absent,
    }
}

/// Program directories besides `/usr`: on merged-/usr systems they are
/// symlinks into it, elsewhere real directories.
const PROGRAM_DIRS: [&str; 6] = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// What of `/etc` a database or HTTP client needs: TLS roots, name
/// resolution, users, time zone, the dynamic linker's cache, Debian's
/// alternatives (client binaries link through them) and clients' own
/// configuration. Not the rest: no host keys, no shadow file, no service
/// configuration.
const ETC: [&str; 19] = [
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/localtime",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/mysql",
    "/etc/postgresql-common",
    "/etc/redis",
];

/// bwrap's flags up to and including `--`: new user, pid, ipc, uts and
/// cgroup namespaces (the network is shared: a test must reach the system
/// it tests), no capabilities, a new session (no terminal to inject into),
/// killed with the worker; `/usr` and the program directories read-only,
/// the few files of `/etc` clients need, a fresh `/proc` (this test's
/// processes only), `/dev` and `/tmp`, and the test's home read-write at its
/// own path. Nothing else of the host: not the server's data directory, not
/// other homes, not other processes. `entry` says what a path is on the host.
fn bwrap_args(home: &Path, entry: &dyn Fn(&Path) -> HostEntry) -> Vec<String> {
    let mut args: Vec<String> = [
        "--die-with-parent",
        "--new-session",
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup",
        "--share-net",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    .map(str::to_owned)
    .to_vec();
    for dir in PROGRAM_DIRS {
        match entry(Path::new(dir)) {
            HostEntry::Symlink(target) => {
                args.extend(["--symlink".into(), target.display().to_string(), dir.into()]);
            }
            HostEntry::Dir => args.extend(["--ro-bind".into(), dir.into(), dir.into()]),
            HostEntry::Absent => {}
        }
    }
    for file in ETC {
        args.extend(["--ro-bind-try".into(), file.into(), file.into()]);
    }
    let home = home.display().to_string();
    args.extend(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"].map(str::to_owned));
    // After `--tmpfs /tmp`: a home under /tmp is mounted over the fresh one.
    args.extend(["--bind".into(), home.clone(), home.clone(), "--chdir".into(), home.clone()]);
    args.extend(["--setenv".into(), "HOME".into(), home, "--".into()]);
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged_usr(path: &Path) -> HostEntry {
        match path.to_str().unwrap() {
            "/bin" => HostEntry::Symlink("usr/bin".into()),
            "/lib" => HostEntry::Symlink("usr/lib".into()),
            "/lib64" => HostEntry::Dir,
            _ => HostEntry::Absent,
        }
    }

    fn after<'a>(args: &'a [String], flag: &str) -> Vec<(&'a str, &'a str)> {
        args.windows(3).filter(|w| w[0] == flag).map(|w| (w[1].as_str(), w[2].as_str())).collect()
    }

    #[test]
    fn program_dirs_follow_the_host() {
        let args = bwrap_args(Path::new("/tmp/h"), &merged_usr);
        assert_eq!(after(&args, "--symlink"), [("usr/bin", "/bin"), ("usr/lib", "/lib")]);
        assert_eq!(after(&args, "--ro-bind"), [("/usr", "/usr"), ("/lib64", "/lib64")]);
        assert!(!args.iter().any(|a| a == "/sbin" || a == "/lib32"), "absent dirs are skipped");
    }

    #[test]
    fn only_named_parts_of_the_host_are_visible() {
        let args = bwrap_args(Path::new("/tmp/h"), &merged_usr);
        let flags = ["--die-with-parent", "--new-session", "--unshare-user", "--unshare-pid"];
        assert_eq!(args[..4], flags);
        for flag in ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup", "--share-net"] {
            assert!(args.contains(&flag.to_owned()), "{flag}");
        }
        assert_eq!(after(&args, "--cap-drop").len(), 1);
        assert!(!args.iter().any(|a| a == "/" || a == "/etc" || a == "--unshare-all" || a == "--bind-try"));
        let etc = after(&args, "--ro-bind-try");
        assert!(etc.iter().all(|(from, to)| from == to && from.starts_with("/etc/")), "{etc:?}");
        assert!(etc.contains(&("/etc/resolv.conf", "/etc/resolv.conf")));
        assert!(etc.contains(&("/etc/alternatives", "/etc/alternatives")));
        assert!(!etc.iter().any(|(from, _)| from.contains("shadow")));
    }

    #[test]
    fn the_home_is_the_only_writable_bind_and_comes_after_tmp() {
        let args = bwrap_args(Path::new("/tmp/h"), &merged_usr);
        let tail: Vec<&str> = args.iter().map(String::as_str).skip_while(|a| *a != "--proc").collect();
        let expected = "--proc /proc --dev /dev --tmpfs /tmp --bind /tmp/h /tmp/h --chdir /tmp/h \
                        --setenv HOME /tmp/h --";
        assert_eq!(tail.join(" "), expected);
        assert_eq!(args.iter().filter(|a| *a == "--bind").count(), 1);
    }

    #[test]
    fn argv_runs_the_script_under_sh_and_never_bare_when_unavailable() {
        let home = Path::new("/tmp/h");
        let (program, args) = argv(&Sandbox::None, home, "true".into(), None).unwrap();
        assert_eq!((program.to_str().unwrap(), args), ("/bin/sh", vec!["-c".to_owned(), "true".into()]));
        let (program, args) =
            argv(&Sandbox::None, home, "true".into(), Some(Path::new("/p/patchbay"))).unwrap();
        assert_eq!(program, Path::new("/p/patchbay"));
        assert_eq!(args, ["__reap", "--", "/bin/sh", "-c", "true"]);
        let (program, args) =
            argv(&Sandbox::Bwrap("/b/bwrap".into()), home, "true".into(), Some(Path::new("/p/patchbay")))
                .unwrap();
        assert_eq!(program, Path::new("/b/bwrap"));
        assert_eq!(args[args.len() - 4..], ["--", "/bin/sh", "-c", "true"]);
        let refused = argv(&unavailable("no bwrap"), home, "true".into(), None).unwrap_err();
        assert!(refused.contains("no bwrap") && refused.contains("--sandbox none"), "{refused}");
    }

    #[test]
    fn a_missing_binary_is_unavailable_with_the_fix() {
        let Sandbox::Unavailable(why) = Sandbox::bwrap_at(Path::new("/nonexistent/bwrap")) else { panic!() };
        assert!(why.contains("/nonexistent/bwrap does not exist"), "{why}");
        assert!(why.contains("apt-get install bubblewrap") && why.contains("patchbay worker"), "{why}");
    }
}
