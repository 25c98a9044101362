//! Connection tests inside bubblewrap, through the real binary: a member's
//! test command cannot read the server's keys, the embedded worker's
//! credential or any other process; an unavailable sandbox ends tests as
//! `error` with the fix instead of running them bare; `--sandbox none`
//! (single-tenant installs) still runs them, unconfined.
use super::{integration, wait_until};
use crate::processes::{BIN, Server, TempDir, Worker};
use patchbay_client::{Client, TestStarted};
use patchbay_server::config::JWT_SECRET_FILE;
use std::time::Duration;

/// The master key file in the data directory (`patchbay serve` creates it).
const MASTER_KEY_FILE: &str = "master.key";

async fn embedded_worker_online(client: &Client) {
    wait_until(Duration::from_secs(10), "the embedded worker", || async {
        client.list_workers().await.unwrap().iter().any(|w| w.embedded && w.state == "online")
    })
    .await;
}

/// Creates an integration testing `command` and runs its test, waiting.
async fn test_output(client: &Client, name: &str, command: &str) -> (String, String) {
    let created = client.create_integration(&integration(name, command, 10)).await.unwrap();
    let TestStarted::Finished(result) = client.test_integration(&created.id, true).await.unwrap() else {
        panic!("a worker is online")
    };
    (result.status, result.output.unwrap_or_default())
}

fn proc_text(pid: u32, file: &str) -> String {
    String::from_utf8(std::fs::read(format!("/proc/{pid}/{file}")).unwrap()).unwrap().replace('\0', " ")
}

/// Whether some live process on the host runs exactly `argv`.
fn running(argv: &[&str]) -> bool {
    let wanted: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
    std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).any(|entry| {
        let dir = entry.path();
        std::fs::read(dir.join("cmdline")).is_ok_and(|cmdline| cmdline == wanted)
            && std::fs::read_to_string(dir.join("stat"))
                .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_test_sees_neither_the_servers_keys_nor_other_processes() {
    let dir = TempDir::new("workers");
    let server = Server::start(&dir, None, &[]);
    let member = server.client("acme", "member");
    embedded_worker_online(&member).await;
    let data = server.data_dir().display().to_string();
    let command = format!(
        "cat '{data}/{MASTER_KEY_FILE}' '{data}/{JWT_SECRET_FILE}'; cat /proc/$PPID/environ; echo; \
         cat /proc/1/cmdline; echo; ls /proc; ps ax; ls -la /"
    );
    let (status, out) = test_output(&member, "snoop", &command).await;
    assert_eq!(status, "passed", "the last command, `ls`, succeeds: {out}");
    assert!(out.contains(&format!("{data}/{MASTER_KEY_FILE}: No such file or directory")), "{out}");
    assert!(out.contains(&format!("{data}/{JWT_SECRET_FILE}: No such file or directory")), "{out}");

    let master_key = std::fs::read_to_string(server.data_dir().join(MASTER_KEY_FILE)).unwrap();
    let jwt_secret = std::fs::read_to_string(server.data_dir().join(JWT_SECRET_FILE)).unwrap();
    let children = server.children();
    assert_eq!(children.len(), 1, "one embedded worker: {children:?}");
    let worker_env = proc_text(children[0], "environ");
    let credential = worker_env
        .split(' ')
        .find_map(|var| var.strip_prefix("PATCHBAY_EMBEDDED_WORKER_CREDENTIAL="))
        .expect("the child's credential");
    for (what, secret) in
        [("master key", master_key.trim()), ("jwt secret", jwt_secret.trim()), ("credential", credential)]
    {
        assert!(secret.len() >= 16, "{what} is read: {secret:?}");
        assert!(!out.contains(secret), "the test read the {what}: {out}");
    }
    let server_cmdline = proc_text(server.pid(), "cmdline");
    let worker_cmdline = proc_text(children[0], "cmdline");
    assert!(server_cmdline.contains("--listen") && worker_cmdline.contains("--name embedded"));
    let address = server.base.trim_start_matches("http://");
    for seen in [BIN, "--listen", "--name embedded", address, "PATCHBAY_"] {
        assert!(!out.contains(seen), "the test saw {seen:?} of another process: {out}");
    }
    let numbers: Vec<&str> = out.split(|c: char| !c.is_ascii_digit()).collect();
    for pid in [server.pid(), children[0]] {
        assert!(!numbers.contains(&pid.to_string().as_str()), "the test saw pid {pid}: {out}");
    }

    let (status, out) = test_output(&member, "hi", "echo hi").await;
    assert_eq!((status.as_str(), out.as_str()), ("passed", "hi\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_bubblewrap_every_test_is_an_error_with_the_fix() {
    let dir = TempDir::new("workers");
    // No `bwrap` on PATH, and no fallback: the override names a missing file.
    let env = [("PATH", "/nonexistent"), ("PATCHBAY_BWRAP", "/nonexistent/bwrap")];
    let server = Server::start_with_env(&dir, None, &[], &env);
    let member = server.client("acme", "member");
    embedded_worker_online(&member).await;
    let marker = dir.0.join("ran");
    for name in ["first", "second"] {
        let (status, out) = test_output(&member, name, &format!("touch '{}'", marker.display())).await;
        assert_eq!(status, "error", "{out}");
        assert!(out.starts_with("the bubblewrap sandbox is unavailable: /nonexistent/bwrap does not exist"));
        assert!(out.contains("apt-get install bubblewrap") && out.contains("--sandbox none"), "{out}");
    }
    assert!(!marker.exists(), "a test ran bare");
    let logged = server.logged("the bubblewrap sandbox is unavailable");
    assert_eq!(logged.len(), 1, "logged once, at start: {logged:?}");
    assert!(logged[0].contains("ERROR"), "{logged:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_none_runs_tests_unconfined_and_says_so() {
    let dir = TempDir::new("workers");
    let server = Server::start_with_env(&dir, None, &[], &[("PATCHBAY_SANDBOX", "none")]);
    let member = server.client("acme", "member");
    embedded_worker_online(&member).await;
    let key = server.data_dir().join(MASTER_KEY_FILE);
    let (status, out) = test_output(&member, "unconfined", &format!("cat '{}'", key.display())).await;
    assert_eq!(status, "passed", "{out}");
    assert_eq!(out.trim(), std::fs::read_to_string(&key).unwrap().trim(), "what `none` means");
    let warned = server.logged("--sandbox none: for single-tenant installs only");
    assert!(warned.len() == 1 && warned[0].contains("WARN"), "{warned:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_leaves_no_sandboxed_process_behind() {
    let dir = TempDir::new("workers");
    let server = Server::start(&dir, None, &["--no-embedded-worker"]);
    let admin = server.client("acme", "admin");
    let created = admin.create_integration(&integration("stuck", "sleep 3001 & sleep 30", 60)).await.unwrap();
    let mut worker = Worker::start(&server, "acme");
    wait_until(Duration::from_secs(10), "the worker", || async {
        admin.list_workers().await.unwrap().iter().any(|w| w.state == "online" && !w.embedded)
    })
    .await;
    admin.test_integration(&created.id, false).await.unwrap();
    wait_until(Duration::from_secs(10), "the test to start", || async { running(&["sleep", "3001"]) }).await;
    // SIGKILL: the worker cannot clean up; bubblewrap dies with its parent,
    // and its pid namespace with it.
    worker.kill();
    wait_until(Duration::from_secs(5), "the sandbox to die", || async { !running(&["sleep", "3001"]) }).await;
}

/// Without a sandbox, a test's processes end with it even when they left its
/// process group and session (`setsid`): the worker runs tests under its
/// reaper, which ends every descendant, at the end and at the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_sandbox_nothing_a_test_starts_outlives_it() {
    let dir = TempDir::new("workers");
    let server = Server::start_with_env(&dir, None, &["--sandbox", "none"], &[]);
    let admin = server.client("acme", "admin");
    embedded_worker_online(&admin).await;
    let (status, out) =
        test_output(&admin, "escape", "setsid sleep 81.25 & (setsid sh -c 'sleep 81.5 &'); echo started")
            .await;
    assert_eq!((status.as_str(), out.as_str()), ("passed", "started\n"));
    wait_until(Duration::from_secs(5), "the escaped sleeps to end", || async {
        !running(&["sleep", "81.25"]) && !running(&["sleep", "81.5"])
    })
    .await;

    let created =
        admin.create_integration(&integration("slow", "setsid sleep 82.25 & sleep 60.75", 1)).await.unwrap();
    let TestStarted::Finished(result) = admin.test_integration(&created.id, true).await.unwrap() else {
        panic!()
    };
    assert_eq!(result.status, "timeout", "{result:?}");
    wait_until(Duration::from_secs(5), "the sleeps of a timed-out test to end", || async {
        !running(&["sleep", "82.25"]) && !running(&["sleep", "60.75"])
    })
    .await;
}
