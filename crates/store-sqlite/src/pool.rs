use patchbay_store::{StoreError, Unavailable, WaitGate, WaitLimits};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const READERS: usize = 4;

/// How a commit reaches the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// Every commit is on the disk before it returns: it survives a power
    /// loss. The default, for a store of secrets.
    #[default]
    Full,
    /// In WAL mode, commits since the last checkpoint may be lost on a
    /// power loss (never on a crash of the process), for faster writes.
    Normal,
}

/// How the database is opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteOptions {
    pub synchronous: Synchronous,
    /// How long and how many writes may wait for the writer.
    pub wait: WaitLimits,
}

/// The connections of one database file.
pub struct Pool {
    writer: Arc<Mutex<Connection>>,
    /// One write at a time, awaited rather than blocking a thread each, so
    /// waiting writes are bounded by `gate`.
    writing: Arc<tokio::sync::Semaphore>,
    gate: WaitGate,
    /// A write failed for lack of space; readiness probes until one can succeed.
    full: AtomicBool,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

fn configure(conn: &Connection, synchronous: Synchronous) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let synchronous = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(())
}

/// What SQLite's error code says about the database as a whole: out of
/// space, locked by another process beyond the busy timeout, or its file
/// unusable.
pub fn classify(error: &StoreError) -> Option<Unavailable> {
    let rusqlite::Error::SqliteFailure(failure, _) = error.find_source::<rusqlite::Error>()? else {
        return None;
    };
    match failure.code {
        ErrorCode::DiskFull => Some(Unavailable::Full),
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(Unavailable::Busy),
        ErrorCode::SystemIoFailure | ErrorCode::CannotOpen => Some(Unavailable::Unreachable),
        _ => None,
    }
}

impl Pool {
    pub fn open(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let open = |flags| {
            let conn = Connection::open_with_flags(path, flags)
                .map_err(|e| StoreError::other("opening the sqlite database", e))?;
            configure(&conn, options.synchronous).map_err(|e| StoreError::other("configuring sqlite", e))?;
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
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            writing: Arc::new(tokio::sync::Semaphore::new(1)),
            gate: WaitGate::new(options.wait),
            full: AtomicBool::new(false),
            readers,
            next_reader: AtomicUsize::new(0),
        })
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
    /// stall the async workers. Its failure is classified, and a full disk
    /// remembered for readiness.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let turn = self.gate.acquire(async {
            self.writing.clone().acquire_owned().await.map_err(|e| StoreError::other("sqlite writer", e))
        });
        let turn = turn.await?;
        let writer = self.writer.clone();
        let result = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let mut conn = writer.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::other("sqlite writer task", e))?
        .map_err(|e| e.classify(classify));
        if let Err(StoreError::Unavailable { reason: Unavailable::Full, .. }) = &result {
            self.full.store(true, Ordering::SeqCst);
        }
        result
    }

    /// Whether a write failed for lack of space since the last `clear_full`.
    /// A small write that still fits proves nothing, so only the readiness
    /// probe clears it.
    pub fn ran_out_of_space(&self) -> bool {
        self.full.load(Ordering::SeqCst)
    }

    pub fn clear_full(&self) {
        self.full.store(false, Ordering::SeqCst);
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

    /// Test support: with `full`, the database may not grow past its
    /// current size, so a write that needs more fails as on a full disk.
    #[cfg(feature = "testing")]
    pub fn cap_size(&self, full: bool) -> Result<(), StoreError> {
        self.write_blocking(|conn| {
            let pages: i64 = if full {
                conn.query_row("PRAGMA page_count", [], |row| row.get(0))
                    .map_err(|e| StoreError::other("reading the page count", e))?
            } else {
                i64::from(u32::MAX - 1)
            };
            conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
                .map_err(|e| StoreError::other("capping the page count", e))
        })
    }
}
