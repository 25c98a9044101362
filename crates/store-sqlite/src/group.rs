//! Group commit. With `synchronous=FULL` every commit waits for the disk
//! (one fsync, a fraction of a millisecond to several), and SQLite has one
//! writer, so a commit per write caps writes near the disk's flush rate.
//! Writes that arrive while a group commits queue up; the next group runs
//! them all in one `BEGIN IMMEDIATE … COMMIT`, each inside its own
//! savepoint so a failed write rolls back alone, and answers each only
//! after that commit is durable. A lone write costs what it did before.
use crate::pool::classify;
use patchbay_store::{StoreError, Unavailable};
use rusqlite::Connection;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Writes one group holds at most, so one group's latency stays bounded.
const MOST_PER_GROUP: usize = 256;

/// How a write may share its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// In a group's transaction, with the writes queued beside it.
    Grouped,
    /// Outside any transaction (a checkpoint cannot run inside one).
    Alone,
}

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const CANCELLED: u8 = 2;

/// A queued write, whatever its result type.
pub struct Job {
    state: Arc<AtomicU8>,
    grouping: Grouping,
    work: Box<dyn Work>,
}

/// The submitter's handle on its job: it may withdraw the job while it
/// still waits (it timed out, or its request went away), never once it ran.
pub struct Ticket(Arc<AtomicU8>);

impl Ticket {
    /// Whether the job was withdrawn before it started: then it never runs.
    pub fn cancel(&self) -> bool {
        self.0.compare_exchange(QUEUED, CANCELLED, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Why a group (or the part of it before a failure) did not commit, told
/// to every write in it.
#[derive(Debug, Clone)]
struct Failure {
    reason: Option<Unavailable>,
    message: String,
}

impl Failure {
    /// What a failed write or statement tells the rest of its group: the
    /// same unavailability (a full disk stays a full disk), or its message.
    fn of(error: &StoreError) -> Self {
        let reason = match error {
            StoreError::Unavailable { reason, .. } => Some(*reason),
            other => classify(other),
        };
        Self { reason, message: error.to_string() }
    }

    fn sqlite(context: &'static str, error: rusqlite::Error) -> Self {
        Self::of(&StoreError::other(context, error))
    }

    fn to_error(&self) -> StoreError {
        match self.reason {
            Some(reason) => StoreError::unavailable(reason, self.message.clone()),
            None => StoreError::other("committing a group of writes", self.message.clone()),
        }
    }
}

trait Work: Send {
    /// Runs the write; on failure, why.
    fn run(&mut self, conn: &mut Connection) -> Result<(), Failure>;
    /// Answers the submitter once the fate of the group's commit is known.
    fn answer(self: Box<Self>, commit: Result<(), &Failure>);
}

struct Pending<T, F> {
    write: Option<F>,
    result: Option<Result<T, StoreError>>,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Work for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &mut Connection) -> Result<(), Failure> {
        let Some(write) = self.write.take() else { return Ok(()) };
        // A panicking write must not take the writer down with it: its
        // savepoint is rolled back and its submitter told.
        let result = catch_unwind(AssertUnwindSafe(|| write(conn)))
            .unwrap_or_else(|_| Err(StoreError::other("sqlite write", "the write panicked")));
        let outcome = match &result {
            Ok(_) => Ok(()),
            Err(error) => Err(Failure::of(error)),
        };
        self.result = Some(result);
        outcome
    }

    fn answer(self: Box<Self>, commit: Result<(), &Failure>) {
        let answer = match (self.result, commit) {
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(failure)) => Err(failure.to_error()),
            (None, Ok(())) => Err(StoreError::other("sqlite write", "the write did not run")),
        };
        // The submitter may have gone; its write's fate is the same.
        let _ = self.answer.send(answer);
    }
}

impl Job {
    pub fn new<T, F>(
        write: F,
        answer: oneshot::Sender<Result<T, StoreError>>,
        grouping: Grouping,
    ) -> (Self, Ticket)
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let state = Arc::new(AtomicU8::new(QUEUED));
        let work = Box::new(Pending { write: Some(write), result: None, answer });
        (Self { state: state.clone(), grouping, work }, Ticket(state))
    }

    /// Claims the job for running, unless its submitter withdrew it.
    fn start(&self) -> bool {
        self.state.compare_exchange(QUEUED, STARTED, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }
}

#[derive(Default)]
pub struct Queue {
    inner: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    jobs: VecDeque<Job>,
    /// A drain runs (or is about to): it will see jobs pushed now.
    draining: bool,
}

impl Queue {
    /// Queues a job; true when no drain runs, so the caller starts one.
    pub fn push(&self, job: Job) -> bool {
        let mut waiting = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        waiting.jobs.push_back(job);
        !std::mem::replace(&mut waiting.draining, true)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).jobs.len()
    }

    /// The next group: the queued writes up to the first one that runs
    /// alone, or that one by itself. Empty when nothing waits, and the
    /// drain ends.
    fn next_group(&self) -> Vec<Job> {
        let mut waiting = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut group = Vec::new();
        while let Some(job) = waiting.jobs.front() {
            let alone = job.grouping == Grouping::Alone;
            if group.len() == MOST_PER_GROUP || (alone && !group.is_empty()) {
                break;
            }
            group.extend(waiting.jobs.pop_front());
            if alone {
                break;
            }
        }
        if group.is_empty() {
            waiting.draining = false;
        }
        group
    }
}

/// Runs groups until the queue is empty; on a blocking thread.
pub fn drain(queue: &Queue, writer: &Mutex<Connection>) {
    let mut conn = writer.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let taken = queue.next_group();
        if taken.is_empty() {
            return;
        }
        let alone = taken.first().is_some_and(|job| job.grouping == Grouping::Alone);
        let works: Vec<Box<dyn Work>> = taken.into_iter().filter(Job::start).map(|job| job.work).collect();
        if alone {
            for mut work in works {
                // Its own failure is its answer; there is no commit to wait on.
                let _ = work.run(&mut conn);
                work.answer(Ok(()));
            }
        } else if !works.is_empty() {
            commit_group(&mut conn, works);
        }
    }
}

/// One transaction for the group, a savepoint per write.
fn commit_group(conn: &mut Connection, mut pending: Vec<Box<dyn Work>>) {
    pending.reverse();
    // The writes that ran in the open transaction, waiting on its commit.
    let mut ran: Vec<Box<dyn Work>> = Vec::with_capacity(pending.len());
    let fail_all = |ran: &mut Vec<Box<dyn Work>>, failure: &Failure| {
        for work in ran.drain(..) {
            work.answer(Err(failure));
        }
    };
    while !pending.is_empty() {
        if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
            let failure = Failure::sqlite("starting a group of writes", error);
            fail_all(&mut pending, &failure);
            return;
        }
        while let Some(mut work) = pending.pop() {
            if let Err(error) = conn.execute_batch("SAVEPOINT write") {
                ran.push(work);
                let failure = Failure::sqlite("starting a write", error);
                rollback(conn);
                fail_all(&mut ran, &failure);
                break;
            }
            let outcome = work.run(conn);
            if conn.is_autocommit() {
                // SQLite rolled the whole transaction back (a full disk,
                // an I/O error): the writes before this one are lost too.
                // Those after it get a transaction of their own.
                let failure = outcome.err().unwrap_or_else(|| Failure {
                    reason: None,
                    message: "the transaction ended inside a write".to_owned(),
                });
                ran.push(work);
                fail_all(&mut ran, &failure);
                break;
            }
            let end = if outcome.is_ok() { "RELEASE write" } else { "ROLLBACK TO write; RELEASE write" };
            ran.push(work);
            if let Err(error) = conn.execute_batch(end) {
                let failure = Failure::sqlite("ending a write", error);
                rollback(conn);
                fail_all(&mut ran, &failure);
                break;
            }
        }
        if ran.is_empty() {
            rollback(conn);
            continue;
        }
        match conn.execute_batch("COMMIT") {
            Ok(()) => ran.drain(..).for_each(|work| work.answer(Ok(()))),
            Err(error) => {
                let failure = Failure::sqlite("committing a group of writes", error);
                rollback(conn);
                fail_all(&mut ran, &failure);
            }
        }
    }
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        // Nothing more to tell: every write in it is answered with the
        // failure that got here.
        let _ = conn.execute_batch("ROLLBACK");
    }
}

#[cfg(test)]
mod tests {
    use crate::pool::{Pool, SqliteOptions};
    use patchbay_store::{StoreError, Unavailable, WaitLimits};
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::Duration;

    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn pool(wait: WaitLimits) -> (Arc<Pool>, Scratch) {
        let dir = std::env::temp_dir().join(format!("patchbay-group-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let pool = Pool::open(&dir.join("group.db"), SqliteOptions { wait, ..Default::default() }).unwrap();
        pool.write_blocking(|conn| {
            conn.execute_batch("CREATE TABLE notes (name TEXT PRIMARY KEY)")
                .map_err(|e| StoreError::other("creating notes", e))
        })
        .unwrap();
        (Arc::new(pool), Scratch(dir))
    }

    fn insert(name: &'static str) -> impl FnOnce(&mut rusqlite::Connection) -> Result<(), StoreError> {
        move |conn| {
            conn.execute("INSERT INTO notes (name) VALUES (?1)", [name])
                .map(drop)
                .map_err(|e| StoreError::other("inserting a note", e))
        }
    }

    fn notes(pool: &Pool) -> Vec<String> {
        pool.read(|conn| {
            let mut statement = conn.prepare("SELECT name FROM notes ORDER BY name")?;
            statement.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<Vec<String>>>()
        })
        .unwrap()
    }

    type Write<T> = Box<dyn FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send>;

    /// Submits each write on its own task while the writer is held, so all
    /// of them queue into one group, then lets the group run.
    // Holding the writer's lock across the awaits is the point: the writes
    // must queue behind it.
    #[allow(clippy::await_holding_lock)]
    async fn one_group<T: Send + 'static>(
        pool: &Arc<Pool>,
        writes: Vec<Write<T>>,
    ) -> Vec<Result<T, StoreError>> {
        let held = pool.hold_writer();
        let mut tasks = Vec::new();
        for write in writes {
            let submitter = pool.clone();
            tasks.push(tokio::spawn(async move { submitter.write(write).await }));
            // One at a time, so the group holds them in this order.
            while pool.queued() < tasks.len() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        drop(held);
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_write_rolls_back_alone_and_the_rest_of_its_group_commits() {
        let (pool, _scratch) = pool(WaitLimits::default());
        let results = one_group(
            &pool,
            vec![
                Box::new(insert("a")),
                Box::new(|conn: &mut rusqlite::Connection| {
                    insert("b")(conn)?;
                    Err(StoreError::other("refusing", "the second write fails after writing"))
                }),
                Box::new(insert("a")),
                Box::new(insert("c")),
            ],
        )
        .await;
        assert!(results[0].is_ok());
        assert!(results[1].as_ref().unwrap_err().to_string().contains("the second write fails"));
        assert!(results[2].as_ref().unwrap_err().to_string().contains("UNIQUE"), "{:?}", results[2]);
        assert!(results[3].is_ok());
        assert_eq!(notes(&pool), ["a", "c"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_fails_alone_and_the_writer_goes_on() {
        let (pool, _scratch) = pool(WaitLimits::default());
        let results = one_group(
            &pool,
            vec![
                Box::new(insert("a")),
                Box::new(|conn: &mut rusqlite::Connection| {
                    insert("b")(conn)?;
                    panic!("a bug in a write");
                }),
                Box::new(insert("c")),
            ],
        )
        .await;
        assert!(results[0].is_ok() && results[2].is_ok());
        assert!(results[1].as_ref().unwrap_err().to_string().contains("panicked"));
        pool.write(insert("d")).await.unwrap();
        assert_eq!(notes(&pool), ["a", "c", "d"]);
    }

    /// A write that ends the group's transaction (as SQLite does itself on
    /// some I/O errors) loses the writes before it: they must be told, and
    /// those after it still commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_lost_with_their_transaction_are_told_so() {
        let (pool, _scratch) = pool(WaitLimits::default());
        let results = one_group(
            &pool,
            vec![
                Box::new(insert("a")),
                Box::new(|conn: &mut rusqlite::Connection| {
                    conn.execute_batch("ROLLBACK").map_err(|e| StoreError::other("rolling back", e))
                }),
                Box::new(insert("c")),
            ],
        )
        .await;
        assert!(
            results[0].as_ref().unwrap_err().to_string().contains("transaction ended"),
            "{:?}",
            results[0]
        );
        assert!(results[1].is_err());
        assert!(results[2].is_ok());
        assert_eq!(notes(&pool), ["c"]);
    }

    /// A write refused for waiting too long never lands later: the client
    /// was told 503 and may retry it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(clippy::await_holding_lock)] // the held writer makes the write wait
    async fn a_write_that_timed_out_in_the_queue_never_runs() {
        let wait = WaitLimits { acquire_timeout: Duration::from_millis(50), max_waiting: 8 };
        let (pool, _scratch) = pool(wait);
        let held = pool.hold_writer();
        let refused = pool.write(insert("late")).await.unwrap_err();
        assert!(matches!(refused, StoreError::Unavailable { reason: Unavailable::Busy, .. }), "{refused:?}");
        drop(held);
        pool.write(insert("next")).await.unwrap();
        assert_eq!(notes(&pool), ["next"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_writes_all_land() {
        let (pool, _scratch) = pool(WaitLimits::default());
        let tasks: Vec<_> = (0..100)
            .map(|n| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    pool.write(move |conn| {
                        conn.execute("INSERT INTO notes (name) VALUES (?1)", [format!("{n:03}")])
                            .map_err(|e| StoreError::other("inserting a note", e))
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), 1);
        }
        assert_eq!(notes(&pool).len(), 100);
    }
}
