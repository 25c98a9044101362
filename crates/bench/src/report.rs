//! The results: a table for people, JSON for machines.
use crate::load::Outcome;
use crate::server::Memory;
use serde::Serialize;

#[derive(Serialize)]
pub struct Results {
    pub machine: String,
    pub seconds_per_scenario: u64,
    pub connections: usize,
    pub rows: Vec<Row>,
    pub memory: Vec<(String, MemoryReport)>,
}

#[derive(Serialize)]
pub struct Row {
    pub backend: String,
    pub scenario: String,
    pub connections: usize,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Serialize, Clone, Copy)]
pub struct MemoryReport {
    /// Right after start-up, before any request.
    pub idle_rss_mib: f64,
    /// After every scenario, idle again.
    pub rss_after_mib: f64,
    pub peak_rss_mib: f64,
}

impl MemoryReport {
    pub fn new(idle: Memory, after: Memory) -> Self {
        Self { idle_rss_mib: idle.rss_mib, rss_after_mib: after.rss_mib, peak_rss_mib: after.peak_rss_mib }
    }
}

pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores, {}", std::env::consts::OS)
}

pub fn table(results: &Results) -> String {
    let mut out = format!(
        "\nPatchbay benchmark: {} ({} s per scenario)\n\n| backend | scenario | conns | req/s | p50 ms | p99 ms | errors |\n|---|---|---:|---:|---:|---:|---:|\n",
        results.machine, results.seconds_per_scenario
    );
    for row in &results.rows {
        let o = &row.outcome;
        let stalled = if o.stalled_connections > 0 {
            format!(" ({} stalled)", o.stalled_connections)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {}{stalled} |\n",
            row.backend, row.scenario, row.connections, o.requests_per_second, o.p50_ms, o.p99_ms, o.errors
        ));
    }
    out.push_str("\n| backend | idle RSS MiB | RSS after MiB | peak RSS MiB |\n|---|---:|---:|---:|\n");
    for (backend, m) in &results.memory {
        out.push_str(&format!(
            "| {backend} | {:.1} | {:.1} | {:.1} |\n",
            m.idle_rss_mib, m.rss_after_mib, m.peak_rss_mib
        ));
    }
    for row in results.rows.iter().filter(|r| r.outcome.first_error.is_some()) {
        out.push_str(&format!(
            "\n{} / {}: first error: {}",
            row.backend,
            row.scenario,
            row.outcome.first_error.as_deref().unwrap_or("")
        ));
    }
    out.push('\n');
    out
}
