//! Workers as real processes: `patchbay serve` alone tests connections with
//! its embedded worker; on PostgreSQL, `patchbay worker` processes share a
//! queue (each job runs once), a worker killed mid-job hands it on, and a
//! worker never gets another organization's jobs. `sandbox.rs`: what a
//! test can see; `services.rs`: the templates against the real services.
mod processes;
mod sandbox;
mod services;
#[path = "../support/mod.rs"]
mod support;

use patchbay_api_types::CreateIntegrationRequest;
use patchbay_client::{Client, TestStarted};
use processes::{Server, TempDir, Worker};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

fn integration(name: &str, command: &str, timeout: u64) -> CreateIntegrationRequest {
    serde_json::from_value(serde_json::json!({
        "name": name, "integration_type": "shell", "description": null, "tags": [],
        "config": {"env_vars": {}, "secrets": [], "files": [], "context_prompt": null,
                   "connection_test": {"enabled": true, "command": command, "timeout": timeout}}
    }))
    .unwrap()
}

async fn wait_until<F: Fn() -> Fut, Fut: Future<Output = bool>>(limit: Duration, what: &str, check: F) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn online_workers(client: &Client) -> usize {
    client.list_workers().await.unwrap().iter().filter(|w| w.state == "online" && !w.embedded).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_alone_tests_connections_with_its_embedded_worker() {
    let dir = TempDir::new("workers");
    let mut server = Server::start(&dir, None, &[]);
    let admin = server.client("acme", "admin");
    let created = admin.create_integration(&integration("echo", "echo hello from $HOME", 5)).await.unwrap();
    let mut overhead = Vec::new();
    let fast = admin.create_integration(&integration("true", "true", 5)).await.unwrap();
    // The embedded worker registers shortly after the server starts.
    wait_until(Duration::from_secs(10), "the embedded worker", || async {
        admin.list_workers().await.unwrap().iter().any(|w| w.embedded && w.state == "online")
    })
    .await;
    let TestStarted::Finished(result) = admin.test_integration(&created.id, true).await.unwrap() else {
        panic!("the embedded worker is online")
    };
    assert_eq!(result.status, "passed", "{result:?}");
    assert!(result.output.as_deref().unwrap().starts_with("hello from /"), "{result:?}");

    // Measured, not asserted tightly: request to result, for `true`.
    for _ in 0..20 {
        let began = Instant::now();
        let TestStarted::Finished(result) = admin.test_integration(&fast.id, true).await.unwrap() else {
            panic!()
        };
        overhead.push((began.elapsed(), result.duration_ms.unwrap()));
    }
    overhead.sort();
    let (median, run_ms) = overhead[overhead.len() / 2];
    println!("POST /test of `true`, request to result: median {median:?} (command itself {run_ms} ms)");
    assert!(median < Duration::from_secs(1));

    // The child follows its server, even one killed with SIGKILL.
    let children = server.children();
    assert_eq!(children.len(), 1, "one embedded worker process: {children:?}");
    server.kill();
    wait_until(Duration::from_secs(5), "the embedded worker to exit", || async {
        !std::path::Path::new(&format!("/proc/{}", children[0])).exists()
            || std::fs::read_to_string(format!("/proc/{}/stat", children[0])).is_ok_and(|s| s.contains(") Z"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_run_each_of_100_jobs_once() {
    let Some(database) = patchbay_store_postgres::testing::TestDatabase::from_env().await else { return };
    let dir = TempDir::new("workers");
    let server = Server::start(&dir, Some(database.url()), &["--job-lease-secs", "2"]);
    let admin = server.client("acme", "admin");
    let counter = dir.0.join("runs.log");
    let command = format!("echo ran >> '{}'", counter.display());
    let created = admin.create_integration(&integration("count", &command, 5)).await.unwrap();
    let globex = server.client("globex", "admin");
    // Unsandboxed, so each run can append to a file of this test.
    let _workers: Vec<Worker> =
        (0..2).map(|_| Worker::start_with(&server, "acme", &["--sandbox", "none"])).collect();
    let other_org = Worker::start(&server, "globex");
    wait_until(Duration::from_secs(10), "two workers", || async { online_workers(&admin).await == 2 }).await;
    wait_until(Duration::from_secs(10), "globex's worker", || async { online_workers(&globex).await == 1 })
        .await;

    let began = Instant::now();
    for _ in 0..100 {
        admin.test_integration(&created.id, false).await.unwrap();
    }
    let queued = began.elapsed();
    let mut jobs = Vec::new();
    wait_until(Duration::from_secs(30), "100 results", || async {
        let history = admin.list_connection_tests(&created.id, Some(500)).await.unwrap();
        history.iter().all(|job| job.status != "queued" && job.status != "running")
    })
    .await;
    let drained = began.elapsed();
    jobs.extend(admin.list_connection_tests(&created.id, Some(500)).await.unwrap());
    println!("100 `true`-like jobs on 2 worker processes: queued in {queued:?}, all done after {drained:?}");

    assert_eq!(jobs.len(), 100);
    assert!(jobs.iter().all(|job| job.status == "passed" && job.attempts == 1), "{jobs:?}");
    let runs = std::fs::read_to_string(&counter).unwrap().lines().count();
    assert_eq!(runs, 100, "each job ran exactly once");
    let mut per_worker: HashMap<&str, usize> = HashMap::new();
    for job in &jobs {
        *per_worker.entry(job.worker_id.as_deref().unwrap()).or_default() += 1;
    }
    println!("jobs per worker: {:?}", per_worker.values().collect::<Vec<_>>());
    let theirs: HashSet<String> = globex.list_workers().await.unwrap().into_iter().map(|w| w.id).collect();
    assert!(
        jobs.iter().all(|job| !theirs.contains(job.worker_id.as_deref().unwrap())),
        "globex ran acme's jobs"
    );
    drop(other_org);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_hands_it_to_the_other() {
    let Some(database) = patchbay_store_postgres::testing::TestDatabase::from_env().await else { return };
    let dir = TempDir::new("workers");
    let server = Server::start(&dir, Some(database.url()), &["--job-lease-secs", "2"]);
    let admin = server.client("acme", "admin");
    let created = admin.create_integration(&integration("slow", "sleep 2; echo finished", 10)).await.unwrap();
    let mut first = Worker::start(&server, "acme");
    wait_until(Duration::from_secs(10), "the first worker", || async { online_workers(&admin).await == 1 })
        .await;
    let TestStarted::Queued(job) = admin.test_integration(&created.id, false).await.unwrap() else {
        panic!()
    };
    wait_until(Duration::from_secs(10), "the job to start", || async {
        admin.get_connection_test(&job.job_id).await.unwrap().status == "running"
    })
    .await;
    let running = admin.get_connection_test(&job.job_id).await.unwrap();
    let _second = Worker::start(&server, "acme");
    first.kill();
    wait_until(Duration::from_secs(20), "the job to finish on the other worker", || async {
        let now = admin.get_connection_test(&job.job_id).await.unwrap();
        now.status != "queued" && now.status != "running"
    })
    .await;
    let finished = admin.get_connection_test(&job.job_id).await.unwrap();
    assert_eq!((finished.status.as_str(), finished.attempts), ("passed", 2), "{finished:?}");
    assert_eq!(finished.output.as_deref(), Some("finished\n"));
    assert!(running.worker_id.is_some());
    assert_ne!(finished.worker_id, running.worker_id, "finished on the other worker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_setting_a_start_up_variable_ends_as_error_unless_allowed() {
    let dir = TempDir::new("workers");
    let server = Server::start(&dir, None, &["--no-embedded-worker"]);
    let admin = server.client("acme", "admin");
    let marker = dir.0.join("ran");
    let mut request = integration("evil", &format!("touch '{}'", marker.display()), 5);
    let name = patchbay_domain::EnvVarName::parse("BASH_ENV").unwrap();
    request.config.env_vars.insert(name, "$(id > f)".to_owned());
    let created = admin.create_integration(&request).await.unwrap();
    // Unsandboxed, so an accepted test can leave its marker where this one looks.
    let worker = Worker::start_with(&server, "acme", &["--sandbox", "none"]);
    wait_until(Duration::from_secs(10), "the worker", || async { online_workers(&admin).await == 1 }).await;
    let TestStarted::Finished(result) = admin.test_integration(&created.id, true).await.unwrap() else {
        panic!("the worker is online")
    };
    assert_eq!(result.status, "error", "{result:?}");
    let output = result.output.as_deref().unwrap_or_default();
    assert!(output.contains("BASH_ENV, set by integration \"evil\""), "{output}");
    assert!(!marker.exists(), "the command must not run");
    drop(worker);

    let refusing: Vec<String> = admin.list_workers().await.unwrap().into_iter().map(|w| w.id).collect();
    let _accepting = Worker::start_with(&server, "acme", &["--sandbox", "none", "--allow-env", "BASH_ENV"]);
    wait_until(Duration::from_secs(10), "the accepting worker", || async {
        admin.list_workers().await.unwrap().iter().any(|w| !refusing.contains(&w.id) && w.state == "online")
    })
    .await;
    let TestStarted::Finished(result) = admin.test_integration(&created.id, true).await.unwrap() else {
        panic!("the worker is online")
    };
    assert_eq!(result.status, "passed", "{result:?}");
    assert!(marker.exists());
}

#[test]
fn a_worker_refuses_to_start_without_what_it_needs() {
    let run = |args: &[&str], path: &str| {
        std::process::Command::new(processes::BIN)
            .args(["worker", "--server", "http://127.0.0.1:9"])
            .args(args)
            .env_remove("PATCHBAY_TOKEN")
            .env_remove("PATCHBAY_EMBEDDED_WORKER_CREDENTIAL")
            .env("PATH", path)
            .output()
            .unwrap()
    };
    let output = run(&[], "/usr/bin:/bin");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("--token"), "{stderr}");
    let output = run(&["--token", "t", "--concurrency", "0"], "/usr/bin:/bin");
    assert!(String::from_utf8_lossy(&output.stderr).contains("concurrency"));
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_leaves_no_test_process_behind() {
    let dir = TempDir::new("workers");
    let server = Server::start(&dir, None, &["--no-embedded-worker"]);
    let admin = server.client("acme", "admin");
    let pid_file = dir.0.join("background.pid");
    let command = format!("sleep 300 & echo $! > '{}'; sleep 30", pid_file.display());
    let created = admin.create_integration(&integration("stuck", &command, 60)).await.unwrap();
    // Unsandboxed, so the test can write its pid where this one reads it
    // (`sandbox.rs` checks the same inside bubblewrap).
    let worker = Worker::start_with(&server, "acme", &["--sandbox", "none"]);
    wait_until(Duration::from_secs(10), "the worker", || async { online_workers(&admin).await == 1 }).await;
    admin.test_integration(&created.id, false).await.unwrap();
    wait_until(Duration::from_secs(10), "the test to start", || async {
        std::fs::read_to_string(&pid_file).is_ok_and(|text| text.ends_with('\n'))
    })
    .await;
    let background: u32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    assert!(alive(background));
    worker.terminate();
    wait_until(Duration::from_secs(5), "the test's processes to be killed", || async { !alive(background) })
        .await;
}

/// A killed embedded worker is not left listed as online: the server sees
/// its child exit, forgets it, and the restarted one takes its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_embedded_worker_is_not_listed_as_online() {
    let dir = TempDir::new("workers");
    let server = Server::start(&dir, None, &[]);
    let admin = server.client("acme", "admin");
    let embedded = |workers: Vec<patchbay_api_types::WorkerResponse>| {
        workers.into_iter().filter(|w| w.embedded).map(|w| (w.id, w.state)).collect::<Vec<_>>()
    };
    wait_until(Duration::from_secs(10), "the embedded worker", || async {
        embedded(admin.list_workers().await.unwrap()).len() == 1
    })
    .await;
    let first = embedded(admin.list_workers().await.unwrap())[0].0.clone();
    let children = server.children();
    assert_eq!(children.len(), 1, "{children:?}");
    let pid = nix::unistd::Pid::from_raw(children[0] as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    // Well within the 15 s lease that would otherwise keep it "online".
    wait_until(Duration::from_secs(5), "the killed worker to be replaced", || async {
        let now = embedded(admin.list_workers().await.unwrap());
        now.len() == 1 && now[0].0 != first && now[0].1 == "online"
    })
    .await;
}
