//! `cargo run --release -p patchbay-bench -- [--database-url URL] [--out results.json]`:
//! starts the release `patchbay` binary, seeds the performance budget's data through
//! its API, drives each scenario over loopback with keep-alive connections
//! for a fixed time, and prints requests/s, p50/p99 latency and the
//! server's memory, for SQLite and (with `--database-url`) PostgreSQL,
//! beside the ceiling of an axum handler answering from memory; then the
//! performance targets, each checked against the same run.
#![forbid(unsafe_code)]

mod ceiling;
mod client;
mod load;
mod report;
mod run;
mod scenarios;
mod seed;
mod server;
mod targets;

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "patchbay-bench", about = "Patchbay's benchmark")]
pub struct Args {
    /// A PostgreSQL server to measure too; the benchmark creates and drops a database of its own there.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measured seconds per scenario (after a 1 s warm-up).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Integrations in the measured organization for the scaling steps (0: skip them);
    /// the step beside searches runs at 40,000, or at this when smaller.
    #[arg(long, default_value_t = 100_000)]
    pub scale_to: usize,
    /// Run only the scenarios whose name contains this (e.g. `list`), for profiling.
    #[arg(long)]
    pub only: Option<String>,
    /// How the embedded worker contains each connection test: `bwrap` as
    /// deployed; `none` only to measure what the sandbox costs.
    #[arg(long, default_value = "bwrap", value_parser = ["bwrap", "none"])]
    pub sandbox: String,
    /// Skip SQLite (measure only the PostgreSQL given).
    #[arg(long)]
    pub skip_sqlite: bool,
    /// Internal: serve the ceiling handler on this address.
    #[arg(long, hide = true)]
    pub ceiling_server: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(address) = &args.ceiling_server {
        return ceiling::serve(address);
    }
    // The load generator's own runtime: two threads, as many as the machine
    // has cores; the server is another process with its own.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let results = runtime.block_on(run::all(&args))?;
    print!("{}", report::table(&results));
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
        eprintln!("results written to {}", path.display());
    }
    Ok(())
}
