//! Running one connection test: the bundle's files in a
//! fresh temporary home, the bundle's environment plus a minimal `PATH` and
//! `HOME` (nothing else of the worker's), stdin closed, its own process
//! group killed whole at the timeout, resource limits, output captured,
//! capped and masked, the home removed afterwards.
use crate::home::TempHome;
use crate::mask::Masker;
use crate::materialize::{FileToWrite, materialize};
use crate::output::{OUTPUT_CAP, capture, finish};
use crate::sandbox::{Limits, Sandbox, argv, script};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The only `PATH` a test gets: the system's standard directories.
pub const TEST_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// How long output may keep arriving after the process group was killed:
/// only a process that left the group (`setsid`) can still hold the pipe.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// One test to run, as a worker received it.
#[derive(Debug, Clone)]
pub struct TestJob {
    /// Shell code from the integration's config. Secrets are never
    /// substituted into it: `$NAME` is expanded by the shell from the
    /// environment, so values never appear in any process's argv.
    pub command: String,
    pub timeout: Duration,
    pub env: Vec<(String, String)>,
    pub files: Vec<FileToWrite>,
    /// Every secret value the bundle holds, to mask in the output.
    pub secrets: Vec<String>,
}

/// Where and how tests run on this worker.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub sandbox: Sandbox,
    pub limits: Limits,
    /// Where temporary homes are made (the system's temp directory).
    pub temp_root: PathBuf,
    /// The `patchbay` binary, to run unsandboxed tests under its reaper
    /// (`reap`); `None` runs the shell directly (in-process tests).
    pub reaper: Option<PathBuf>,
}

/// No sandbox: what in-process tests use. Workers always name theirs.
impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            sandbox: Sandbox::None,
            limits: Limits::default(),
            temp_root: std::env::temp_dir(),
            reaper: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// Exit code 0.
    Passed,
    /// Any other exit (a signal counts as 128 + its number, as in a shell).
    Failed,
    /// Still running at the timeout; the whole process group was killed.
    Timeout,
    /// The test could not be run (home, files, spawn, sandbox unavailable).
    Error,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Error => "error",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub status: TestStatus,
    pub exit_code: Option<i32>,
    pub duration: Duration,
    pub output: String,
    pub started_at: OffsetDateTime,
    pub finished_at: OffsetDateTime,
}

fn failed_to_run(started_at: OffsetDateTime, began: Instant, why: String) -> TestOutcome {
    TestOutcome {
        status: TestStatus::Error,
        exit_code: None,
        duration: began.elapsed(),
        output: why,
        started_at,
        finished_at: OffsetDateTime::now_utc(),
    }
}

/// Ends the test if the run is abandoned midway (the worker shutting down
/// drops the future): nothing of it outlives the worker. A reaper gets
/// SIGTERM, so that it can end the processes that left the group.
struct GroupGuard {
    leader: Option<u32>,
    reaped: bool,
    /// Cleared once the run ended them itself: the pid may be reused after.
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        match self.leader.and_then(|pid| i32::try_from(pid).ok()) {
            Some(pid) if self.reaped => {
                let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            _ => kill_group(self.leader),
        }
    }
}

/// How long a reaper gets to end the test's processes before its group is killed.
const REAPER_GRACE: Duration = Duration::from_secs(2);

/// Ends a test still running: a reaper is asked to stop (it then kills
/// every descendant, wherever they went), anything else is killed with its
/// process group.
async fn stop(leader: Option<u32>, child: &mut tokio::process::Child, reaped: bool) {
    if reaped && let Some(pid) = leader.and_then(|pid| i32::try_from(pid).ok()) {
        let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGTERM);
        if tokio::time::timeout(REAPER_GRACE, child.wait()).await.is_ok() {
            kill_group(leader);
            return;
        }
    }
    kill_group(leader);
    let _ = child.wait().await;
}

/// Kills every process of the group `leader` started (its pid is the group id).
fn kill_group(leader: Option<u32>) {
    if let Some(pid) = leader.and_then(|pid| i32::try_from(pid).ok()) {
        // ESRCH (nobody left) is the common, fine case.
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

pub async fn run_test(job: &TestJob, config: &RunnerConfig) -> TestOutcome {
    let started_at = OffsetDateTime::now_utc();
    let began = Instant::now();
    let masker = Masker::new(job.secrets.iter().map(String::as_str));
    // Dropped at the end of this function: the home goes with everything in it.
    let home = match TempHome::create_in(&config.temp_root) {
        Ok(home) => home,
        Err(error) => {
            return failed_to_run(started_at, began, format!("could not create a temporary home: {error}"));
        }
    };
    if let Err(error) = materialize(home.path(), &job.files, false) {
        return failed_to_run(
            started_at,
            began,
            masker.mask(&format!("could not write the bundle's files: {error}")),
        );
    }
    let (reader, writer) = match std::io::pipe() {
        Ok(pair) => pair,
        Err(error) => {
            return failed_to_run(started_at, began, format!("could not create the output pipe: {error}"));
        }
    };
    let stderr = match writer.try_clone() {
        Ok(stderr) => stderr,
        Err(error) => {
            return failed_to_run(started_at, began, format!("could not create the output pipe: {error}"));
        }
    };

    let (program, args) = match argv(
        &config.sandbox,
        home.path(),
        script(&job.command, job.timeout, config.limits),
        config.reaper.as_deref(),
    ) {
        Ok(argv) => argv,
        // Never run bare instead: the operator asked for a sandbox.
        Err(why) => return failed_to_run(started_at, began, why),
    };
    let reaped = config.sandbox == Sandbox::None && config.reaper.is_some();
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&args)
        .env_clear()
        .env("PATH", TEST_PATH)
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .env("HOME", home.path())
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(stderr)
        .process_group(0)
        // A reaper is stopped with SIGTERM (see `GroupGuard`), so that it
        // can end the processes that left the group; SIGKILL would orphan them.
        .kill_on_drop(!reaped);
    let spawned = Instant::now();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return failed_to_run(
                started_at,
                began,
                format!("could not start {}: {error}", program.display()),
            );
        }
    };
    // The parent's copies of the write end went into `command`; drop it so
    // the pipe ends when the test's processes are gone.
    drop(command);
    let output = capture(reader, OUTPUT_CAP + masker.longest());
    let leader = child.id();
    let mut guard = GroupGuard { leader, reaped, armed: true };

    let waited = tokio::time::timeout(job.timeout, child.wait()).await;
    let (status, exit_code) = match waited {
        Ok(Ok(exit)) => {
            let code = exit.code().or_else(|| exit.signal().map(|signal| 128 + signal));
            (if code == Some(0) { TestStatus::Passed } else { TestStatus::Failed }, code)
        }
        Ok(Err(error)) => {
            stop(leader, &mut child, reaped).await;
            return failed_to_run(started_at, began, format!("waiting for the command failed: {error}"));
        }
        Err(_elapsed) => {
            stop(leader, &mut child, reaped).await;
            (TestStatus::Timeout, None)
        }
    };
    let duration = spawned.elapsed();
    // Whatever the command left running in the background goes too.
    kill_group(leader);
    guard.armed = false;
    let captured = tokio::time::timeout(DRAIN_GRACE, output).await.ok().and_then(Result::ok);
    let mut text = captured.map(|c| finish(c, |t| masker.mask(t))).unwrap_or_default();
    if status == TestStatus::Timeout {
        text.push_str(&format!(
            "\n[timed out after {} s; the process group was killed]\n",
            job.timeout.as_secs_f64()
        ));
    }
    TestOutcome {
        status,
        exit_code,
        duration,
        output: text,
        started_at,
        finished_at: OffsetDateTime::now_utc(),
    }
}
