use crate::group::{self, Grouping, Job, Queue};
use patchbay_store::{StoreError, Unavailable, WaitGate, WaitLimits};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections for short reads, run inline on the async worker.
const READERS: usize = 4;
/// Connections for reads whose cost grows with the data (lists, search,
/// audit), run on the blocking pool: separate from `readers`, so however
/// long they take, a short read always finds its connection.
const SCANNERS: usize = 2;

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
    /// Writes waiting for the writer; bounded by `gate`.
    queue: Arc<Queue>,
    gate: WaitGate,
    /// A write failed for lack of space; readiness probes until one can succeed.
    full: AtomicBool,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    scanners: Arc<Vec<Mutex<Connection>>>,
    /// A permit per scanner: scans wait for one here, without holding a
    /// thread, before they take a blocking thread.
    scanning: Arc<tokio::sync::Semaphore>,
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
        // Each write runs in a savepoint of its group's transaction, and a
        // savepoint journals the pages it changes; in memory, rather than in
        // a temporary file opened, written and closed for every group.
        writer
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(|e| StoreError::other("keeping temporary data in memory", e))?;
        // A group of creates dirties hundreds of pages (each random id lands
        // on its own index page). Checkpointing at SQLite's default of 1,000
        // WAL pages copied them into the database file, with a second fsync,
        // every other commit; at 10,000 (40 MiB of WAL) a hot page is copied
        // once for many commits.
        writer
            .pragma_update(None, "wal_autocheckpoint", 10_000)
            .map_err(|e| StoreError::other("setting the checkpoint interval", e))?;
        // The pages a write touches (indexes of integrations, revisions,
        // audit events, the text index) outgrew SQLite's default 2 MiB
        // cache: creates read nine pages each back from the file. The
        // cache fills only as pages are used, so an idle server stays small.
        writer
            .pragma_update(None, "cache_size", -16_384)
            .map_err(|e| StoreError::other("sizing the writer's page cache", e))?;
        // WAL is a property of the file: set once, before any reader opens.
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| StoreError::other("enabling WAL", e))?;
        let read_only =
            || open(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map(Mutex::new);
        let readers = (0..READERS).map(|_| read_only()).collect::<Result<_, _>>()?;
        let scanners = (0..SCANNERS).map(|_| read_only()).collect::<Result<_, _>>()?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            queue: Arc::new(Queue::default()),
            gate: WaitGate::new(options.wait),
            full: AtomicBool::new(false),
            readers,
            next_reader: AtomicUsize::new(0),
            scanners: Arc::new(scanners),
            scanning: Arc::new(tokio::sync::Semaphore::new(SCANNERS)),
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

    /// Runs a read whose cost grows with the data (a list, a search, the
    /// audit log) on a scanner connection on the blocking pool, so a slow
    /// one never holds an async worker or a short read's connection.
    pub async fn scan<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = self
            .scanning
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::other("sqlite scanner", e))?;
        let scanners = self.scanners.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            // A permit means a scanner is free; find it.
            let conn = scanners
                .iter()
                .find_map(|scanner| match scanner.try_lock() {
                    Ok(conn) => Some(conn),
                    Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                    Err(std::sync::TryLockError::WouldBlock) => None,
                })
                .unwrap_or_else(|| scanners[0].lock().unwrap_or_else(|e| e.into_inner()));
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::other("sqlite scanner task", e))?
    }

    /// Runs a write on the blocking pool, where waiting on the disk does not
    /// stall the async workers, and answers once the commit that holds it is
    /// durable. Writes that arrive while another group is committing wait
    /// and then commit together (see `group`). Its failure is classified,
    /// and a full disk remembered for readiness.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.submit(f, Grouping::Grouped).await
    }

    /// The same for a write that must run outside any transaction (a
    /// checkpoint): it commits alone.
    pub async fn write_alone<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.submit(f, Grouping::Alone).await
    }

    async fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        grouping: Grouping,
    ) -> Result<T, StoreError> {
        let (answer, mut answered) = tokio::sync::oneshot::channel();
        let (job, ticket) = Job::new(f, answer, grouping);
        // The gate bounds how many writes wait and for how long; a write
        // that timed out is withdrawn, unless it already started, and then
        // its commit is awaited: a client told 503 must not see it land.
        let waited = self
            .gate
            .acquire(async {
                if self.queue.push(job) {
                    let (queue, writer) = (self.queue.clone(), self.writer.clone());
                    tokio::task::spawn_blocking(move || group::drain(&queue, &writer));
                }
                Ok((&mut answered).await)
            })
            .await;
        let answer = match waited {
            Ok(answer) => answer,
            Err(busy) if ticket.cancel() => return Err(busy),
            Err(_) => answered.await,
        };
        let result = answer
            .map_err(|e| StoreError::other("sqlite writer task", e))
            .and_then(|result| result)
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
        let idle_readers =
            self.readers.iter().chain(self.scanners.iter()).filter(|r| r.try_lock().is_ok()).count();
        let idle_writer = usize::from(self.writer.try_lock().is_ok());
        let max = READERS + SCANNERS + 1;
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

#[cfg(test)]
impl Pool {
    /// Holds the writer, so writes submitted meanwhile queue into one group.
    pub fn hold_writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes waiting in the queue.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However many long reads run, short reads keep their connections and
    /// the async workers stay free.
    #[tokio::test(flavor = "current_thread")]
    async fn long_scans_hold_neither_the_readers_nor_the_runtime() {
        let dir = std::env::temp_dir().join(format!("patchbay-scan-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let pool = Arc::new(Pool::open(&dir.join("scan.db"), SqliteOptions::default()).unwrap());
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        // More scans than scanners, each held until released.
        let scans: Vec<_> = (0..SCANNERS + 2)
            .map(|_| {
                let (pool, released) = (pool.clone(), released.clone());
                tokio::spawn(async move {
                    pool.scan(move |conn| {
                        let _ = released.lock().unwrap().recv();
                        conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))
                            .map_err(|e| StoreError::other("scanning", e))
                    })
                    .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        // On a single-threaded runtime this read could not even run if a
        // scan held the thread; it finds a reader though every scanner is busy.
        let one: i64 = pool.read(|conn| conn.query_row("SELECT 1", [], |row| row.get(0))).unwrap();
        assert_eq!(one, 1);
        assert_eq!(pool.stats().in_use, SCANNERS, "the waiting scans hold no connection");
        for _ in 0..scans.len() {
            release.send(()).unwrap();
        }
        for scan in scans {
            assert_eq!(scan.await.unwrap().unwrap(), 1);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
