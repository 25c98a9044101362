//! Audit events appended on their own: a resolution's or a secret read's
//! record, which must be committed before the values leave, and the
//! best-effort records of everything else. Each one alone cost a round
//! trip, a statement and a WAL flush; at 32 concurrent resolutions that was
//! a third of the database's work. Events that arrive while a batch is
//! being written wait, and the next batch writes them all with one INSERT
//! in one commit. Each caller is answered only once the commit that holds
//! its event is done, so "recorded" still means committed. A lone event
//! costs what it did before.
use crate::audit::insert_audit_events;
use crate::pool::{Db, client};
use patchbay_domain::AuditEvent;
use patchbay_store::StoreError;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Events one batch holds at most, so one statement's size stays bounded.
const MOST_PER_BATCH: usize = 256;

type Answer = oneshot::Sender<Result<(), StoreError>>;

#[derive(Default)]
pub struct AuditBatcher {
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<(AuditEvent, Answer)>,
    /// A writer task is running: it takes what waits when its batch is done.
    writing: bool,
}

impl AuditBatcher {
    /// Appends `event` with the others waiting, once it is committed.
    pub async fn append(self: &Arc<Self>, db: &Arc<Db>, event: AuditEvent) -> Result<(), StoreError> {
        let (answer, answered) = oneshot::channel();
        let start_writer = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.waiting.push((event, answer));
            !std::mem::replace(&mut queue.writing, true)
        };
        if start_writer {
            // A task of its own, not the caller's future: a request that
            // goes away must not strand the events queued behind it.
            tokio::spawn(write_while_waiting(self.clone(), db.clone()));
        }
        answered.await.unwrap_or_else(|_| {
            Err(StoreError::other("writing an audit event", "the audit writer stopped before writing it"))
        })
    }

    /// The events waiting, up to a batch; none means the writer stops,
    /// decided under the lock an `append` takes, so no event is left
    /// queued with no writer.
    fn next_batch(&self) -> Option<Vec<(AuditEvent, Answer)>> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.waiting.is_empty() {
            queue.writing = false;
            return None;
        }
        let take = queue.waiting.len().min(MOST_PER_BATCH);
        Some(queue.waiting.drain(..take).collect())
    }
}

/// Marks the writer stopped if it ends any other way (a panic would
/// otherwise leave every later event waiting forever); the events it
/// leaves behind hear an error when their answers are dropped.
struct Writing {
    batcher: Arc<AuditBatcher>,
    /// Stopped by `next_batch`, under the lock: nothing to undo.
    stopped: bool,
}

impl Drop for Writing {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        let mut queue = self.batcher.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.writing = false;
        queue.waiting.clear();
    }
}

async fn write_while_waiting(batcher: Arc<AuditBatcher>, db: Arc<Db>) {
    let mut writing = Writing { batcher, stopped: false };
    while let Some(batch) = writing.batcher.next_batch() {
        let (events, answers): (Vec<AuditEvent>, Vec<Answer>) = batch.into_iter().unzip();
        match insert_all(&db, &events).await {
            Ok(()) => answers.into_iter().for_each(|answer| drop(answer.send(Ok(())))),
            // The database cannot serve: every event in the batch hears so.
            Err(StoreError::Unavailable { reason, source }) => {
                let message = source.to_string();
                for answer in answers {
                    let source = message.clone().into();
                    let _ = answer.send(Err(StoreError::Unavailable { reason, source }));
                }
            }
            // One event the database refuses must not fail the rest: each is
            // written alone and answered for itself.
            Err(_) => {
                for (event, answer) in events.into_iter().zip(answers) {
                    let _ = answer.send(insert_all(&db, std::slice::from_ref(&event)).await);
                }
            }
        }
    }
    writing.stopped = true;
}

/// One INSERT, one commit, for all of `events`.
async fn insert_all(db: &Db, events: &[AuditEvent]) -> Result<(), StoreError> {
    insert_audit_events(&client(db).await?, events).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PostgresStore;
    use crate::testing::TestDatabase;
    use patchbay_domain::{AuditAction, AuditOutcome, OrganizationId, now_utc};
    use patchbay_store::{Unavailable, WaitLimits};

    fn event(detail: &str) -> AuditEvent {
        AuditEvent {
            organization_id: OrganizationId::parse("acme").unwrap(),
            occurred_at: now_utc(),
            actor: Some("user-1".into()),
            actor_role: Some("worker".into()),
            action: AuditAction::Resolve,
            resource_type: "bundle".into(),
            resource_id: None,
            outcome: AuditOutcome::Success,
            request_id: None,
            detail: detail.to_owned(),
        }
    }

    /// Queues `details` as one batch, as if they had arrived while another
    /// was being written, then runs the writer until the queue is empty.
    async fn write_as_one_batch(db: Arc<Db>, details: &[&str]) -> Vec<Result<(), StoreError>> {
        let batcher = Arc::new(AuditBatcher::default());
        let mut answered = Vec::new();
        {
            let mut queue = batcher.queue.lock().unwrap();
            queue.writing = true;
            for detail in details {
                let (answer, receiver) = oneshot::channel();
                queue.waiting.push((event(detail), answer));
                answered.push(receiver);
            }
        }
        write_while_waiting(batcher.clone(), db).await;
        assert!(!batcher.queue.lock().unwrap().writing, "the writer says it stopped");
        let mut results = Vec::new();
        for receiver in answered {
            results.push(receiver.await.expect("every event is answered"));
        }
        results
    }

    /// PostgreSQL refuses a NUL in text: that event fails, alone, and the
    /// rest of its batch is written.
    #[tokio::test]
    async fn an_event_the_database_refuses_fails_alone() {
        let Some(database) = TestDatabase::from_env().await else { return };
        let store = PostgresStore::connect(database.url()).await.unwrap();
        let results =
            write_as_one_batch(store.pool.clone(), &["{\"a\":1}", "nul \0 here", "{\"b\":2}"]).await;
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert!(matches!(results[1], Err(StoreError::Other { .. })), "{results:?}");
        let client = client(&store.pool).await.unwrap();
        let details: Vec<String> = client
            .query("SELECT detail FROM audit_events ORDER BY seq", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(details, ["{\"a\":1}", "{\"b\":2}"]);
    }

    /// An unreachable database: every event of the batch hears that it is
    /// unavailable (so each request answers 503), none an unrelated error.
    #[tokio::test]
    async fn an_unreachable_database_fails_the_whole_batch_as_unavailable() {
        let url = "postgres://postgres@127.0.0.1:1/none?connect_timeout=1";
        let db = Arc::new(crate::pool::build(url, WaitLimits::default()).unwrap());
        let results = write_as_one_batch(db, &["{}", "{}"]).await;
        for result in results {
            assert!(
                matches!(result, Err(StoreError::Unavailable { reason: Unavailable::Unreachable, .. })),
                "{result:?}"
            );
        }
    }
}
