//! The results: tables for people, JSON for machines.
use crate::load::Outcome;
use crate::scenarios::Key;
use crate::targets::Target;
use serde::Serialize;

#[derive(Serialize)]
pub struct Results {
    pub machine: String,
    pub seconds_per_scenario: u64,
    pub connections: usize,
    pub scale_to: usize,
    pub rows: Vec<Row>,
    pub memory: Vec<(String, MemoryReport)>,
    pub targets: Vec<Target>,
}

#[derive(Serialize)]
pub struct Row {
    pub backend: String,
    pub key: Key,
    pub scenario: String,
    pub connections: usize,
    /// Integrations in the measured organization, for the scaling steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrations_in_org: Option<usize>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Serialize, Clone, Copy, Default)]
pub struct MemoryReport {
    /// Right after start-up, before any request.
    pub idle_rss_mib: f64,
    /// After every scenario, idle again.
    pub rss_after_mib: f64,
    /// The highest over the whole run.
    pub peak_rss_mib: f64,
    /// During the 1,000-connection scenario, when it ran.
    pub thousand: Option<ThousandMemory>,
}

#[derive(Serialize, Clone, Copy)]
pub struct ThousandMemory {
    /// Right before it, what the connections came on top of.
    pub rss_before_mib: f64,
    /// The highest while it ran: the peak is reset to the current RSS just
    /// before it (`/proc/PID/clear_refs`), then read right after.
    pub peak_rss_mib: f64,
    /// The kernel refused the reset: the peak is the whole run's so far, an upper bound.
    pub peak_since_start_up: bool,
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
    out.push_str(
        "\n| backend | idle RSS MiB | before 1,000 conns MiB | peak at 1,000 conns MiB | RSS after MiB | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (backend, m) in &results.memory {
        let (before, thousand) = match &m.thousand {
            Some(t) => (
                format!("{:.1}", t.rss_before_mib),
                format!(
                    "{:.1}{}",
                    t.peak_rss_mib,
                    if t.peak_since_start_up { " (since start-up)" } else { "" }
                ),
            ),
            None => ("-".to_owned(), "-".to_owned()),
        };
        out.push_str(&format!(
            "| {backend} | {:.1} | {before} | {thousand} | {:.1} | {:.1} |\n",
            m.idle_rss_mib, m.rss_after_mib, m.peak_rss_mib
        ));
    }
    out.push_str(&crate::targets::table(&results.targets));
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
