//! Conformance cases for connection-test jobs and workers.
use super::integrations::{full_config, new_integration, org};
use crate::{ATTEMPTS_EXHAUSTED, Conflict, JobResult, JobStatus, Store, StoreError, WorkerScope};
use patchbay_domain::{Integration, OrganizationId, now_utc};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(30);

async fn integration(store: &Arc<dyn Store>, org: &OrganizationId, name: &str) -> Integration {
    let mut new = new_integration(name, "postgres", &[]);
    new.config = full_config();
    store.create_integration(org, new).await.unwrap()
}

fn passed() -> JobResult {
    let now = now_utc();
    JobResult {
        status: JobStatus::Passed,
        exit_code: Some(0),
        duration_ms: 12,
        output: "ok\n".into(),
        started_at: now,
        finished_at: now,
    }
}

fn scope(name: &str) -> WorkerScope {
    WorkerScope::Organization(org(name))
}

pub async fn jobs_snapshot_claim_and_finish(store: Arc<dyn Store>) {
    let acme = org("acme");
    let pg = integration(&store, &acme, "pg").await;
    let job = store.enqueue_job(&acme, &pg, Some("user-1".into())).await.unwrap();
    assert_eq!((job.status, job.attempts, job.revision), (JobStatus::Queued, 0, pg.revision));
    assert_eq!(job.config, pg.config);
    assert_eq!(store.get_job(&acme, job.id).await.unwrap(), job);

    let worker = store.register_worker(&scope("acme"), "box-1").await.unwrap();
    let claimed = store.claim_job(&scope("acme"), worker.id, LEASE).await.unwrap().expect("a job");
    assert_eq!((claimed.id, claimed.status, claimed.attempts), (job.id, JobStatus::Running, 1));
    assert_eq!(claimed.worker_id, Some(worker.id));
    assert!(store.claim_job(&scope("acme"), worker.id, LEASE).await.unwrap().is_none(), "claimed once");

    let done = store.finish_job(&scope("acme"), worker.id, job.id, 1, passed()).await.unwrap();
    assert_eq!((done.status, done.exit_code, done.duration_ms), (JobStatus::Passed, Some(0), Some(12)));
    assert_eq!(done.output.as_deref(), Some("ok\n"));
    assert!(done.finished_at.is_some());
    let again = store.finish_job(&scope("acme"), worker.id, job.id, 1, passed()).await;
    assert!(matches!(again, Err(StoreError::Conflict(Conflict::JobNotHeld))), "{again:?}");
}

pub async fn jobs_and_workers_are_per_organization(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let pg = integration(&store, &acme, "pg").await;
    let job = store.enqueue_job(&acme, &pg, None).await.unwrap();
    assert!(matches!(store.get_job(&globex, job.id).await, Err(StoreError::NotFound(_))));
    assert!(store.list_jobs(&globex, pg.id, 10).await.unwrap().is_empty());

    let theirs = store.register_worker(&scope("globex"), "other").await.unwrap();
    assert!(store.claim_job(&scope("globex"), theirs.id, LEASE).await.unwrap().is_none());
    assert!(matches!(store.get_worker(&scope("acme"), theirs.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.heartbeat_worker(&scope("acme"), theirs.id, LEASE).await,
        Err(StoreError::NotFound(_))
    ));
    let ours = store.register_worker(&scope("acme"), "ours").await.unwrap();
    let embedded = store.register_worker(&WorkerScope::Embedded, "embedded").await.unwrap();
    let listed: HashSet<_> = store.list_workers(&acme).await.unwrap().into_iter().map(|w| w.id).collect();
    assert_eq!(listed, HashSet::from([ours.id, embedded.id]));

    // A result from the other organization's scope finds no job at all.
    let claimed = store.claim_job(&WorkerScope::Embedded, embedded.id, LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.organization_id, acme);
    let foreign = store.finish_job(&scope("globex"), embedded.id, job.id, 1, passed()).await;
    assert!(matches!(foreign, Err(StoreError::NotFound(_))), "{foreign:?}");
}

pub async fn concurrent_claims_hand_out_each_job_once(store: Arc<dyn Store>) {
    let acme = org("acme");
    let pg = integration(&store, &acme, "pg").await;
    for _ in 0..40 {
        store.enqueue_job(&acme, &pg, None).await.unwrap();
    }
    let mut tasks = Vec::new();
    for n in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let worker = store.register_worker(&scope("acme"), &format!("w{n}")).await.unwrap();
            let mut got = Vec::new();
            while let Some(job) = store.claim_job(&scope("acme"), worker.id, LEASE).await.unwrap() {
                got.push(job.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (40, 40));
}

pub async fn expired_leases_are_handed_on_then_end_as_error(store: Arc<dyn Store>) {
    let acme = org("acme");
    let pg = integration(&store, &acme, "pg").await;
    let job = store.enqueue_job(&acme, &pg, None).await.unwrap();
    let short = Duration::from_millis(1);
    let mut workers = Vec::new();
    for attempt in 1..=3 {
        let worker = store.register_worker(&scope("acme"), "flaky").await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let claimed = store.claim_job(&scope("acme"), worker.id, short).await.unwrap().expect("handed on");
        assert_eq!((claimed.id, claimed.attempts, claimed.worker_id), (job.id, attempt, Some(worker.id)));
        workers.push(worker);
    }
    // The first worker's late result is refused: the job moved on.
    let late = store.finish_job(&scope("acme"), workers[0].id, job.id, 1, passed()).await;
    assert!(matches!(late, Err(StoreError::Conflict(Conflict::JobNotHeld))), "{late:?}");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let fourth = store.register_worker(&scope("acme"), "last").await.unwrap();
    assert!(store.claim_job(&scope("acme"), fourth.id, LEASE).await.unwrap().is_none());
    let ended = store.get_job(&acme, job.id).await.unwrap();
    assert_eq!((ended.status, ended.attempts), (JobStatus::Error, 3));
    assert_eq!(ended.output.as_deref(), Some(ATTEMPTS_EXHAUSTED));
}

pub async fn heartbeats_keep_a_lease(store: Arc<dyn Store>) {
    let acme = org("acme");
    let pg = integration(&store, &acme, "pg").await;
    store.enqueue_job(&acme, &pg, None).await.unwrap();
    let holder = store.register_worker(&scope("acme"), "holder").await.unwrap();
    store.claim_job(&scope("acme"), holder.id, Duration::from_millis(1)).await.unwrap().unwrap();
    let before = holder.last_heartbeat_at;
    let beat = store.heartbeat_worker(&scope("acme"), holder.id, LEASE).await.unwrap();
    assert!(beat.last_heartbeat_at >= before);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let other = store.register_worker(&scope("acme"), "other").await.unwrap();
    assert!(store.claim_job(&scope("acme"), other.id, LEASE).await.unwrap().is_none(), "lease extended");
}

/// A retired worker is no longer listed and its job is claimable at once,
/// though its lease has not run out.
pub async fn a_retired_workers_jobs_are_handed_on_at_once(store: Arc<dyn Store>) {
    let acme = org("acme");
    let pg = integration(&store, &acme, "pg").await;
    let job = store.enqueue_job(&acme, &pg, None).await.unwrap();
    let gone = store.register_worker(&WorkerScope::Embedded, "embedded").await.unwrap();
    store.claim_job(&WorkerScope::Embedded, gone.id, LEASE).await.unwrap().unwrap();
    let other = store.register_worker(&scope("acme"), "other").await.unwrap();
    assert!(store.claim_job(&scope("acme"), other.id, LEASE).await.unwrap().is_none(), "still leased");
    // Only within its scope.
    assert!(matches!(store.retire_worker(&scope("acme"), gone.id).await, Err(StoreError::NotFound(_))));
    store.retire_worker(&WorkerScope::Embedded, gone.id).await.unwrap();
    let listed: Vec<Uuid> = store.list_workers(&acme).await.unwrap().iter().map(|w| w.id).collect();
    assert_eq!(listed, [other.id]);
    let claimed = store.claim_job(&scope("acme"), other.id, LEASE).await.unwrap().expect("handed on");
    assert_eq!((claimed.id, claimed.attempts), (job.id, 2));
    assert!(matches!(
        store.retire_worker(&WorkerScope::Embedded, gone.id).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn job_history_is_newest_first(store: Arc<dyn Store>) {
    let acme = org("acme");
    let pg = integration(&store, &acme, "pg").await;
    let other = integration(&store, &acme, "other").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(store.enqueue_job(&acme, &pg, None).await.unwrap().id);
    }
    store.enqueue_job(&acme, &other, None).await.unwrap();
    ids.reverse();
    let listed: Vec<_> = store.list_jobs(&acme, pg.id, 10).await.unwrap().into_iter().map(|j| j.id).collect();
    assert_eq!(listed, ids);
    assert_eq!(store.list_jobs(&acme, pg.id, 2).await.unwrap().len(), 2);
}
