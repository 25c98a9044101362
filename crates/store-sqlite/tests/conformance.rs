//! The store conformance suite on SQLite, one database file per case.
use patchbay_store::Store;
use patchbay_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;

/// Removes the case's database directory when the case ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn fresh_store() -> Option<(Arc<dyn Store>, TempDir)> {
    let dir = std::env::temp_dir().join(format!("patchbay-sqlite-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("patchbay.db")).unwrap();
    Some((Arc::new(store), TempDir(dir)))
}

patchbay_store::conformance_tests!(fresh_store);

/// Two stores on one file, as a server and `patchbay keys rotate` (or a
/// second server) are: read-then-write transactions of both must wait for
/// each other under the busy timeout, never fail with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_write_without_locking_errors() {
    use patchbay_domain::IntegrationPatch;
    use patchbay_store::testing::{new_integration, org};

    let Some((first, guard)) = fresh_store().await else { return };
    let path = guard.0.join("patchbay.db");
    let second: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let a = org("org-a");
    let created = first.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    let writers: Vec<_> = [first, second]
        .into_iter()
        .enumerate()
        .map(|(n, store)| {
            let a = a.clone();
            tokio::spawn(async move {
                for i in 0..40 {
                    let patch = IntegrationPatch {
                        description: Some(format!("store {n}, write {i}")),
                        ..Default::default()
                    };
                    store.update_integration(&a, created.id, patch).await.expect("no locking error");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
}
