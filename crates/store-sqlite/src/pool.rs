use patchbay_store::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const READERS: usize = 4;

/// The connections of one database file.
pub struct Pool {
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

impl Pool {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open = |flags| {
            let conn = Connection::open_with_flags(path, flags)
                .map_err(|e| StoreError::other("opening the sqlite database", e))?;
            configure(&conn).map_err(|e| StoreError::other("configuring sqlite", e))?;
            Ok::<_, StoreError>(conn)
        };
        let mut writer = open(OpenFlags::default())?;
        // Every write transaction takes the write lock when it begins. A
        // deferred one starts as a reader and, in WAL mode, fails at once
        // ("database is locked") if another process (`patchbay keys rotate`,
        // a second server) wrote meanwhile; an immediate one waits for the
        // lock under the busy timeout instead.
        writer.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // WAL is a property of the file: set once, before any reader opens.
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| StoreError::other("enabling WAL", e))?;
        let readers = (0..READERS)
            .map(|_| open(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        Ok(Self { writer: Arc::new(Mutex::new(writer)), readers, next_reader: AtomicUsize::new(0) })
    }

    /// Runs a short read inline on a free reader connection (waiting for the
    /// next one only when all are busy, which lasts microseconds).
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for offset in 0..READERS {
            if let Ok(conn) = self.readers[(start + offset) % READERS].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start % READERS].lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    /// Runs a write on the blocking pool, where waiting on the disk does not
    /// stall the async workers.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::other("sqlite writer task", e))?
    }

    /// Reader and writer connections busy and free right now.
    pub fn stats(&self) -> patchbay_store::PoolStats {
        let idle_readers = self.readers.iter().filter(|r| r.try_lock().is_ok()).count();
        let idle_writer = usize::from(self.writer.try_lock().is_ok());
        let max = READERS + 1;
        let idle = idle_readers + idle_writer;
        patchbay_store::PoolStats { in_use: max - idle, idle, max }
    }

    /// The same, from synchronous code (start-up).
    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn)
    }
}
