//! The connection-test runner, end to end on this machine, with no sandbox
//! and inside bubblewrap (which these tests require): statuses, timeouts
//! that take the whole process group, the output cap, masking, files and
//! environment.
use base64::Engine;
use patchbay_runner::{
    FileToWrite, OUTPUT_CAP, RunnerConfig, Sandbox, TRUNCATED, TestJob, TestOutcome, TestStatus, run_test,
};
use std::time::{Duration, Instant};

fn job(command: &str) -> TestJob {
    TestJob {
        command: command.to_owned(),
        timeout: Duration::from_secs(10),
        env: Vec::new(),
        files: Vec::new(),
        secrets: Vec::new(),
    }
}

/// Both ways a worker runs tests; bubblewrap must work here.
fn configs() -> [(&'static str, RunnerConfig); 2] {
    let sandbox = Sandbox::bwrap();
    assert!(matches!(sandbox, Sandbox::Bwrap(_)), "these tests need bubblewrap: {sandbox:?}");
    [("none", RunnerConfig::default()), ("bwrap", RunnerConfig { sandbox, ..RunnerConfig::default() })]
}

/// The outcome of `job` under each sandbox, labelled.
async fn run(job: &TestJob) -> Vec<(&'static str, TestOutcome)> {
    let mut outcomes = Vec::new();
    for (name, config) in configs() {
        outcomes.push((name, run_test(job, &config).await));
    }
    outcomes
}

/// Whether a live process runs exactly `argv`, seen from the host: a pid
/// printed inside the sandbox's pid namespace means nothing out here.
fn running(argv: &[&str]) -> bool {
    let wanted: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
    std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).any(|entry| {
        let dir = entry.path();
        std::fs::read(dir.join("cmdline")).is_ok_and(|cmdline| cmdline == wanted)
            && std::fs::read_to_string(dir.join("stat"))
                .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
    })
}

#[tokio::test]
async fn exit_zero_passes_and_output_interleaves() {
    for (sandbox, outcome) in run(&job("echo one; echo two >&2; echo three")).await {
        assert_eq!(outcome.status, TestStatus::Passed, "{sandbox}: {}", outcome.output);
        assert_eq!(outcome.exit_code, Some(0));
        assert_eq!(outcome.output, "one\ntwo\nthree\n", "{sandbox}");
        assert!(outcome.finished_at >= outcome.started_at);
    }
}

#[tokio::test]
async fn exit_three_fails_with_its_code() {
    for (sandbox, outcome) in run(&job("echo refused; exit 3")).await {
        assert_eq!((outcome.status, outcome.exit_code), (TestStatus::Failed, Some(3)), "{sandbox}");
        assert_eq!(outcome.output, "refused\n", "{sandbox}");
    }
}

#[tokio::test]
async fn timeout_kills_the_whole_group() {
    for (sandbox, config) in configs() {
        let mut slow = job("sleep 311 & sleep 30");
        slow.timeout = Duration::from_secs(1);
        let began = Instant::now();
        let outcome = run_test(&slow, &config).await;
        let took = began.elapsed();
        assert_eq!((outcome.status, outcome.exit_code), (TestStatus::Timeout, None), "{sandbox}");
        assert!(took < Duration::from_secs(3), "{sandbox}: took {took:?}");
        assert!(outcome.duration >= Duration::from_secs(1));
        // Killed: gone, or a zombie waiting for its new parent to reap it.
        std::thread::sleep(Duration::from_millis(100));
        assert!(!running(&["sleep", "311"]), "{sandbox}: the background sleep survived the timeout");
    }
}

#[tokio::test]
async fn background_children_do_not_outlive_a_finished_test() {
    for (sandbox, outcome) in run(&job("sleep 312 &")).await {
        assert_eq!(outcome.status, TestStatus::Passed, "{sandbox}");
        std::thread::sleep(Duration::from_millis(100));
        assert!(!running(&["sleep", "312"]), "{sandbox}: the background sleep outlived the test");
    }
}

#[tokio::test]
async fn output_is_capped_with_a_marker() {
    for (sandbox, outcome) in run(&job("head -c 200000 /dev/zero | tr '\\0' x; echo; echo tail")).await {
        let out = &outcome.output;
        assert_eq!(outcome.status, TestStatus::Passed, "{sandbox}");
        assert!(out.ends_with(TRUNCATED), "{sandbox}: {}", &out[out.len() - 80..]);
        assert_eq!(out.len(), OUTPUT_CAP + TRUNCATED.len());
        assert!(!out.contains("tail"));
    }
}

#[tokio::test]
async fn secrets_are_masked_in_every_form() {
    let secret = "s3cr3t p@ss/word";
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let mut test =
        job("echo \"plain=$DB_PASSWORD\"; printf '%s' \"$DB_PASSWORD\" | base64; echo \"url=$URL_FORM\"; \
         echo \"json=$JSON_FORM\"");
    test.env = vec![
        ("DB_PASSWORD".into(), secret.into()),
        ("URL_FORM".into(), "s3cr3t%20p%40ss%2Fword".into()),
        ("JSON_FORM".into(), "{\"password\":\"s3cr3t p@ss\\/word\"}".into()),
    ];
    test.secrets = vec![secret.into()];
    for (sandbox, outcome) in run(&test).await {
        assert_eq!(outcome.status, TestStatus::Passed, "{sandbox}: {}", outcome.output);
        let out = &outcome.output;
        assert!(!out.contains(secret) && !out.contains(&b64) && !out.contains("s3cr3t%20p%40ss"), "{out}");
        assert!(out.contains("plain=***\n***\nurl=***\n"), "{sandbox}: {out}");
        assert!(out.contains("json={\"password\":\"***\"}"), "{sandbox}: {out}");
    }
}

#[tokio::test]
async fn files_exist_with_their_modes_during_the_test_only() {
    let mut test = job("stat -c '%a %n' .pgpass conf/app.ini; cat conf/app.ini; echo \"home=$HOME\"; pwd");
    test.files = vec![
        FileToWrite { path: "~/.pgpass".into(), content: b"db:5432:*:app:pw\n".to_vec(), mode: 0o600 },
        FileToWrite { path: "conf/app.ini".into(), content: b"[app]\n".to_vec(), mode: 0o644 },
    ];
    for (sandbox, outcome) in run(&test).await {
        let out = &outcome.output;
        assert_eq!(outcome.status, TestStatus::Passed, "{sandbox}: {out}");
        assert!(out.starts_with("600 .pgpass\n644 conf/app.ini\n[app]\n"), "{sandbox}: {out}");
        let home = out.lines().find_map(|l| l.strip_prefix("home=")).unwrap();
        assert!(out.ends_with(&format!("{home}\n")), "{sandbox}: runs in its home");
        assert!(!std::path::Path::new(home).exists(), "the temporary home is removed");
    }
}

#[tokio::test]
async fn environment_is_the_bundle_path_and_home_only() {
    // The test process's own environment has at least PATH; none of it may
    // reach the command but what the runner sets.
    let mut test = job("env | sort");
    test.env = vec![("DB_HOST".into(), "db.internal".into())];
    for (sandbox, outcome) in run(&test).await {
        let names: Vec<&str> = outcome.output.lines().filter_map(|l| l.split('=').next()).collect();
        assert!(
            names.iter().all(|n| ["DB_HOST", "HOME", "PATH", "PWD", "SHLVL", "_", "OLDPWD"].contains(n)),
            "{sandbox}: {names:?}"
        );
        assert!(outcome.output.contains("DB_HOST=db.internal\n"), "{sandbox}");
        assert!(outcome.output.contains(&format!("PATH={}\n", patchbay_runner::TEST_PATH)), "{sandbox}");
    }
}

#[tokio::test]
async fn stdin_is_closed() {
    for (sandbox, outcome) in run(&job("cat; echo done")).await {
        assert_eq!((outcome.status, outcome.output.as_str()), (TestStatus::Passed, "done\n"), "{sandbox}");
    }
}

#[tokio::test]
async fn secrets_never_appear_in_argv() {
    let secret = "argv-canary-7f3a91";
    let mut test = job(": \"$DB_PASSWORD\"; sleep 2");
    test.env = vec![("DB_PASSWORD".into(), secret.into())];
    test.secrets = vec![secret.into()];
    for (sandbox, config) in configs() {
        let test = test.clone();
        let running = tokio::spawn(async move { run_test(&test, &config).await });
        tokio::time::sleep(Duration::from_millis(700)).await;
        let ps = std::process::Command::new("ps").args(["-eo", "args"]).output().unwrap();
        let listing = String::from_utf8_lossy(&ps.stdout);
        assert!(
            listing.contains("$DB_PASSWORD"),
            "{sandbox}: the shell's argv holds the reference:\n{listing}"
        );
        assert!(!listing.contains(secret), "{sandbox}: a secret value is in some process's argv:\n{listing}");
        assert_eq!(running.await.unwrap().status, TestStatus::Passed);
    }
}

#[tokio::test]
async fn a_missing_command_fails_and_bad_files_are_an_error() {
    for (sandbox, outcome) in run(&job("no-such-command-xyz")).await {
        assert_eq!((outcome.status, outcome.exit_code), (TestStatus::Failed, Some(127)), "{sandbox}");
    }
    let mut test = job("true");
    test.files = vec![FileToWrite { path: "/etc/evil".into(), content: Vec::new(), mode: 0o600 }];
    for (sandbox, outcome) in run(&test).await {
        assert_eq!(outcome.status, TestStatus::Error, "{sandbox}");
        assert!(outcome.output.contains("/etc/evil"), "{sandbox}: {}", outcome.output);
    }
}

#[tokio::test]
async fn cpu_time_is_limited() {
    let mut busy = job("while :; do :; done");
    busy.timeout = Duration::from_secs(1);
    // Either the CPU limit (2 s) or the timeout (1 s) stops it; never runs on.
    for (sandbox, outcome) in run(&busy).await {
        assert!(matches!(outcome.status, TestStatus::Timeout | TestStatus::Failed), "{sandbox}");
        assert!(outcome.duration < Duration::from_secs(3), "{sandbox}");
    }
}

#[tokio::test]
async fn address_space_is_limited() {
    // 2 GiB limit: a 3 GiB allocation fails inside the command.
    for (sandbox, outcome) in
        run(&job("head -c 3000000000 /dev/zero | tail -c 1 >/dev/null; ulimit -v")).await
    {
        assert!(outcome.output.trim_end().ends_with("2097152"), "{sandbox}: {}", outcome.output);
    }
}

/// Measured, not a benchmark: what the runner adds around `true` (temp
/// home, pipe, limits, group kill, cleanup; and bubblewrap's namespaces and
/// mounts) against `sh -c true` alone.
#[tokio::test]
async fn the_runner_adds_little_around_the_command() {
    let mut bare = Vec::new();
    for _ in 0..30 {
        let began = Instant::now();
        std::process::Command::new("/bin/sh").args(["-c", "true"]).status().unwrap();
        bare.push(began.elapsed());
    }
    bare.sort();
    let bare = bare[15];
    for (sandbox, config) in configs() {
        let mut wrapped = Vec::new();
        for _ in 0..30 {
            let began = Instant::now();
            assert_eq!(run_test(&job("true"), &config).await.status, TestStatus::Passed);
            wrapped.push(began.elapsed());
        }
        wrapped.sort();
        let wrapped = wrapped[15];
        let added = wrapped.saturating_sub(bare);
        println!(
            "median: sh -c true {bare:?}, run_test(true) with sandbox {sandbox} {wrapped:?}, added {added:?}"
        );
        assert!(wrapped < bare + Duration::from_millis(500), "generous bound only");
    }
}
