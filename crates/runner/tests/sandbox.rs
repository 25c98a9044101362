//! What a test command can and cannot see inside bubblewrap (which these
//! tests require), and that an unavailable sandbox never runs it bare.
use patchbay_runner::{RunnerConfig, Sandbox, TestJob, TestOutcome, TestStatus, run_test};
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

fn job(command: &str) -> TestJob {
    TestJob {
        command: command.to_owned(),
        timeout: Duration::from_secs(10),
        env: Vec::new(),
        files: Vec::new(),
        secrets: Vec::new(),
    }
}

async fn sandboxed(command: &str) -> TestOutcome {
    let sandbox = Sandbox::bwrap();
    assert!(matches!(sandbox, Sandbox::Bwrap(_)), "these tests need bubblewrap: {sandbox:?}");
    run_test(&job(command), &RunnerConfig { sandbox, ..RunnerConfig::default() }).await
}

/// A directory of the host's temp dir, removed on drop.
struct HostDir(PathBuf);

impl HostDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for HostDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_host_files_outside_the_named_ones_are_invisible() {
    let host = HostDir::new("patchbay-sandbox-canary");
    std::fs::write(host.0.join("key"), "host-canary-51c2").unwrap();
    let command = format!(
        "cat '{}/key'; case \"$(ls -A /tmp)\" in ''|\"${{HOME##*/}}\") echo tmp-is-fresh;; esac; cat /etc/shadow; ls /root /home /var /srv /opt; \
         echo written > note && cat note && echo tmp > /tmp/t && cat /tmp/t; touch /usr/x; \
         grep CapEff /proc/self/status",
        host.0.display()
    );
    let outcome = sandboxed(&command).await;
    let out = &outcome.output;
    assert!(!out.contains("host-canary-51c2"), "{out}");
    assert!(out.contains("/key: No such file or directory"), "{out}");
    // At most the test's own home, when it is made in /tmp.
    assert!(out.contains("\ntmp-is-fresh\n"), "the host's /tmp is not listed: {out}");
    assert!(out.contains("/etc/shadow: No such file"), "{out}");
    for dir in ["/root", "/home", "/var", "/srv", "/opt"] {
        assert!(out.contains(&format!("cannot access '{dir}'")), "{dir}: {out}");
    }
    assert!(out.contains("written\ntmp\n"), "the home and /tmp are writable: {out}");
    assert!(out.contains("touch: cannot touch '/usr/x': Read-only file system"), "{out}");
    assert!(out.contains("CapEff:\t0000000000000000"), "{out}");
    assert!(!host.0.join("note").exists());
}

#[tokio::test]
async fn only_the_tests_own_processes_are_visible() {
    let me = std::process::id();
    let outcome = sandboxed("ps -eo pid,args; ls /proc").await;
    let out = &outcome.output;
    let mut lines = out.lines();
    assert_eq!(lines.next().map(str::trim), Some("PID COMMAND"), "{out}");
    let processes: Vec<&str> = lines.by_ref().take(3).collect();
    let ours = ["bwrap --die-with-parent", "/bin/sh -c", "ps -eo pid,args"];
    assert!(ours.iter().zip(&processes).all(|(what, line)| line.contains(what)), "{out}");
    let pids: Vec<&str> = lines.filter(|entry| entry.bytes().all(|b| b.is_ascii_digit())).collect();
    assert!(pids.len() <= 3 && !pids.contains(&me.to_string().as_str()), "{out}");
    let exe = std::env::current_exe().unwrap();
    assert!(!out.contains(exe.file_name().unwrap().to_str().unwrap()), "this process's argv: {out}");
}

#[tokio::test]
async fn the_network_is_shared() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::thread::spawn(move || {
        let mut text = String::new();
        listener.accept().unwrap().0.read_to_string(&mut text).unwrap();
        text
    });
    let outcome = sandboxed(&format!("bash -c 'echo hello > /dev/tcp/127.0.0.1/{port}'")).await;
    assert_eq!(outcome.status, TestStatus::Passed, "{}", outcome.output);
    assert_eq!(accepted.join().unwrap(), "hello\n");
}

#[tokio::test]
async fn an_unavailable_sandbox_ends_the_test_as_an_error_without_running_it() {
    let host = HostDir::new("patchbay-sandbox-unavailable");
    let marker = host.0.join("ran");
    let sandbox = Sandbox::bwrap_at(&host.0.join("bwrap"));
    let Sandbox::Unavailable(why) = &sandbox else { panic!("{sandbox:?}") };
    let config = RunnerConfig { sandbox: sandbox.clone(), ..RunnerConfig::default() };
    let outcome = run_test(&job(&format!("touch '{}'", marker.display())), &config).await;
    assert_eq!((outcome.status, outcome.exit_code), (TestStatus::Error, None));
    assert_eq!(&outcome.output, why);
    assert!(why.contains("does not exist") && why.contains("apt-get install bubblewrap"), "{why}");
    assert!(!marker.exists(), "the command ran bare");
}
