//! `patchbay serve` options that keep the server answering under trouble:
//! connection limits, how long and how many requests wait for the
//! database, and how durably SQLite commits.
use clap::{Args, ValueEnum};
use patchbay_server::ConnectionLimits;
use patchbay_server::limits::parse_duration;
use patchbay_store::WaitLimits;
use std::time::Duration;

#[derive(Args)]
pub struct ConnectionArgs {
    /// Longest a client may take to send a request's head, from its first byte.
    #[arg(long, env = "PATCHBAY_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = positive_duration)]
    pub header_read_timeout: Duration,
    /// A connection with no request in progress and no traffic closes after this.
    #[arg(long, env = "PATCHBAY_IDLE_TIMEOUT", default_value = "60s", value_parser = positive_duration)]
    pub idle_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog (default:
    /// what the process's file-descriptor limit leaves room for, at most 10,000).
    #[arg(long, env = "PATCHBAY_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
}

/// File descriptors kept for everything but client connections: the
/// database, the embedded worker and its tests, logs.
const RESERVED_DESCRIPTORS: u64 = 256;
const MAX_DEFAULT_CONNECTIONS: u64 = 10_000;

impl ConnectionArgs {
    pub fn limits(&self) -> ConnectionLimits {
        let max_connections = match self.max_connections {
            Some(max) => max as usize,
            None => default_max_connections(),
        };
        ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections,
        }
    }
}

/// Raises the soft limit on open files to the hard one (a default soft
/// limit of 1,024 would cap a busy server far below what the host allows),
/// and leaves room under it for the descriptors that are not connections:
/// past the limit, `accept` fails and even `/health` stops answering.
fn default_max_connections() -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let soft = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(error) => {
                tracing::warn!(%error, soft, "could not raise the open-file limit");
                soft
            }
        },
        Ok((soft, _)) => soft,
        Err(_) => 1_024,
    };
    let room = soft.saturating_sub(RESERVED_DESCRIPTORS).clamp(16, MAX_DEFAULT_CONNECTIONS);
    tracing::info!(max_connections = room, open_file_limit = soft, "connection limit");
    room as usize
}

#[derive(Args)]
pub struct StoreArgs {
    /// Longest a request waits for a database connection (PostgreSQL) or the
    /// writer (SQLite) before it is answered 503.
    #[arg(long, env = "PATCHBAY_DB_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = positive_duration)]
    pub db_acquire_timeout: Duration,
    /// Requests that may wait for the database at once; more are answered 503
    /// at once. Waiting for a pooled connection is normal under load (1,000
    /// concurrent requests share a few connections); the cap and the
    /// acquire timeout shed load only when the database stops answering.
    #[arg(long, env = "PATCHBAY_DB_MAX_WAITING", default_value_t = 2048, value_parser = clap::value_parser!(u32).range(1..))]
    pub db_max_waiting: u32,
    /// `full`: a commit survives power loss. `normal`: faster writes, but the
    /// last commits before a power loss (not a crash) may be lost.
    #[arg(long, env = "PATCHBAY_SQLITE_SYNCHRONOUS", value_enum, default_value = "full")]
    pub sqlite_synchronous: SqliteSynchronous,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

impl StoreArgs {
    pub fn wait(&self) -> WaitLimits {
        WaitLimits { acquire_timeout: self.db_acquire_timeout, max_waiting: self.db_max_waiting as usize }
    }

    pub fn synchronous(&self) -> patchbay_store_sqlite::Synchronous {
        match self.sqlite_synchronous {
            SqliteSynchronous::Full => patchbay_store_sqlite::Synchronous::Full,
            SqliteSynchronous::Normal => patchbay_store_sqlite::Synchronous::Normal,
        }
    }
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err(format!("`{text}`: must be more than 0")),
        d => Ok(d),
    }
}
