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
