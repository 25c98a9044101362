//! The performance issue's targets, each checked against figures of the
//! same run: the measured figure, the ratio when the target is relative (to
//! the ceiling, to the list in a small organization), the limit, and whether
//! it holds.
use crate::report::{MemoryReport, Row};
use crate::scenarios::{Key, SEARCHES, grouped};
use serde::Serialize;

/// The ceiling's backend in the rows.
pub const CEILING: &str = "ceiling (axum, from memory)";

/// The connections the targets for get by id and writes name.
const CONNECTIONS: usize = 32;

/// "Cost flat" as a number: the p50 in the large organization at most this
/// many times the p50 with 1,000, a margin for the noise of a shared machine.
pub const FLAT: f64 = 1.5;

/// The organization the no-stall target names, and the one the flat lists
/// and the search alone name.
pub const STALL_ORG: usize = 40_000;
pub const LARGE_ORG: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    AtLeast(f64),
    AtMost(f64),
}

impl Limit {
    fn holds(self, value: f64) -> bool {
        match self {
            Limit::AtLeast(limit) => value >= limit,
            Limit::AtMost(limit) => value <= limit,
        }
    }

    fn text(self, unit: &str) -> String {
        match self {
            Limit::AtLeast(limit) => format!("≥ {limit}{unit}"),
            Limit::AtMost(limit) => format!("≤ {limit}{unit}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Its scenario did not run (`--only`), or its backend was not measured.
    NotMeasured,
    /// Measured, but not under the target's conditions (a smaller
    /// organization, another connection count): `note` says which.
    OtherConditions,
}

#[derive(Debug, Serialize)]
pub struct Target {
    pub backend: String,
    pub target: String,
    /// The figure, in `unit`.
    pub measured: Option<f64>,
    pub unit: &'static str,
    /// For a relative target, the figure it is compared with (the ceiling's
    /// requests/s, the p50 in the small organization) and measured / it.
    pub baseline: Option<f64>,
    pub ratio: Option<f64>,
    /// Bounds `ratio` when there is one, else `measured`.
    pub limit: Limit,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a target reads from the run.
#[derive(Clone, Copy)]
enum Figure {
    RequestsPerSecond(Key),
    /// Requests/s over the ceiling's for the same requests.
    VersusCeiling(Key),
    P99(Key),
    /// Errors plus connections that completed no request.
    Failures(Key),
    /// The p50 of the first over the p50 of the second.
    P50Ratio(Key, Key),
    IdleRss,
    PeakRssAtThousand,
}

#[derive(Clone, Copy)]
enum Condition {
    Any,
    Connections(usize),
    OrgAtLeast(usize),
}

struct Spec {
    /// `None`: every backend measured; else only this one, whether measured or not.
    backend: Option<&'static str>,
    target: String,
    figure: Figure,
    limit: Limit,
    condition: Condition,
}

fn specs() -> Vec<Spec> {
    let spec = |backend, target: String, figure, limit, condition| Spec {
        backend,
        target,
        figure,
        limit,
        condition,
    };
    let c = CONNECTIONS;
    let (large, stall) = (grouped(LARGE_ORG), grouped(STALL_ORG));
    vec![
        spec(
            None,
            format!("get by id, {c} connections: vs the ceiling"),
            Figure::VersusCeiling(Key::GetById),
            Limit::AtLeast(0.5),
            Condition::Connections(c),
        ),
        spec(
            None,
            format!("get by id, {c} connections: p99"),
            Figure::P99(Key::GetById),
            Limit::AtMost(2.0),
            Condition::Connections(c),
        ),
        spec(
            None,
            "get by id, 1,000 connections: errors and stalled connections".into(),
            Figure::Failures(Key::GetById1000),
            Limit::AtMost(0.0),
            Condition::Any,
        ),
        spec(
            None,
            "get by id, 1,000 connections: p99".into(),
            Figure::P99(Key::GetById1000),
            Limit::AtMost(50.0),
            Condition::Any,
        ),
        spec(
            Some("sqlite"),
            "list by tag (50)".into(),
            Figure::RequestsPerSecond(Key::ListByTag),
            Limit::AtLeast(10_000.0),
            Condition::Any,
        ),
        spec(
            Some("postgres"),
            "list by tag (50)".into(),
            Figure::RequestsPerSecond(Key::ListByTag),
            Limit::AtLeast(6_000.0),
            Condition::Any,
        ),
        spec(
            None,
            format!("list by tag (50), cost flat: p50 with {large} in the org vs 1,000"),
            Figure::P50Ratio(Key::ListByTagScaled, Key::ListByTag),
            Limit::AtMost(FLAT),
            Condition::OrgAtLeast(LARGE_ORG),
        ),
        spec(
            Some("postgres"),
            "resolve 5 integrations, 10 secrets".into(),
            Figure::RequestsPerSecond(Key::Resolve),
            Limit::AtLeast(5_000.0),
            Condition::Any,
        ),
        spec(
            None,
            format!(
                "no stall: get by id p99 beside {SEARCHES} searches matching nothing, ≥ {stall} in the org"
            ),
            Figure::P99(Key::GetByIdBesideSearches),
            Limit::AtMost(10.0),
            Condition::OrgAtLeast(STALL_ORG),
        ),
        spec(
            None,
            format!("search matching nothing, {large} in the org, 1 connection: p99"),
            Figure::P99(Key::SearchScaled),
            Limit::AtMost(20.0),
            Condition::OrgAtLeast(LARGE_ORG),
        ),
        spec(
            Some("sqlite"),
            format!("create, {c} connections, synchronous=FULL"),
            Figure::RequestsPerSecond(Key::Create),
            Limit::AtLeast(3_000.0),
            Condition::Connections(c),
        ),
        spec(
            Some("sqlite"),
            format!("update, {c} connections, synchronous=FULL"),
            Figure::RequestsPerSecond(Key::Update),
            Limit::AtLeast(3_000.0),
            Condition::Connections(c),
        ),
        spec(None, "idle RSS".into(), Figure::IdleRss, Limit::AtMost(25.0), Condition::Any),
        spec(
            None,
            "peak RSS during get by id, 1,000 connections".into(),
            Figure::PeakRssAtThousand,
            Limit::AtMost(100.0),
            Condition::Any,
        ),
    ]
}

/// Every target, for every backend measured (`memory` names them), and the
/// backend-specific ones also when their backend was not measured.
pub fn evaluate(rows: &[Row], memory: &[(String, MemoryReport)]) -> Vec<Target> {
    let mut targets = Vec::new();
    for spec in specs() {
        let backends: Vec<&str> = match spec.backend {
            Some(backend) => vec![backend],
            None => memory.iter().map(|(backend, _)| backend.as_str()).collect(),
        };
        for backend in backends {
            let memory = memory.iter().find(|(b, _)| b == backend).map(|(_, m)| m);
            targets.push(check(&spec, backend, rows, memory));
        }
    }
    targets
}

/// A reading: the figure, its baseline for a relative target, the row
/// whose conditions count, and anything a reader must know about it.
struct Reading<'a> {
    measured: f64,
    baseline: Option<f64>,
    row: Option<&'a Row>,
    note: Option<String>,
}

fn read<'a>(
    figure: Figure,
    backend: &str,
    rows: &'a [Row],
    memory: Option<&MemoryReport>,
) -> Option<Reading<'a>> {
    let find = |backend: &str, key: Key| rows.iter().find(|r| r.backend == backend && r.key == key);
    let plain =
        |row: &'a Row, measured: f64| Reading { measured, baseline: None, row: Some(row), note: None };
    match figure {
        Figure::RequestsPerSecond(key) => find(backend, key).map(|r| plain(r, r.outcome.requests_per_second)),
        Figure::P99(key) => find(backend, key).map(|r| plain(r, r.outcome.p99_ms)),
        Figure::Failures(key) => find(backend, key)
            .map(|r| plain(r, (r.outcome.errors + r.outcome.stalled_connections as u64) as f64)),
        Figure::VersusCeiling(key) => {
            let (row, ceiling) = (find(backend, key)?, find(CEILING, key)?);
            Some(Reading {
                measured: row.outcome.requests_per_second,
                baseline: Some(ceiling.outcome.requests_per_second),
                row: Some(row),
                note: None,
            })
        }
        Figure::P50Ratio(key, base) => {
            let (row, base) = (find(backend, key)?, find(backend, base)?);
            Some(Reading {
                measured: row.outcome.p50_ms,
                baseline: Some(base.outcome.p50_ms),
                row: Some(row),
                note: None,
            })
        }
        Figure::IdleRss => {
            memory.map(|m| Reading { measured: m.idle_rss_mib, baseline: None, row: None, note: None })
        }
        Figure::PeakRssAtThousand => memory.and_then(|m| m.thousand).map(|t| Reading {
            measured: t.peak_rss_mib,
            baseline: None,
            row: None,
            note: t.peak_since_start_up.then(|| "peak since start-up, an upper bound".to_owned()),
        }),
    }
}

fn unit(figure: Figure) -> &'static str {
    match figure {
        Figure::RequestsPerSecond(_) | Figure::VersusCeiling(_) => "req/s",
        Figure::P99(_) | Figure::P50Ratio(..) => "ms",
        Figure::Failures(_) => "failures",
        Figure::IdleRss | Figure::PeakRssAtThousand => "MiB",
    }
}

/// Why `row` was not measured under the target's conditions, if it was not.
fn off_conditions(condition: Condition, row: Option<&Row>) -> Option<String> {
    let row = row?;
    match condition {
        Condition::Any => None,
        Condition::Connections(n) => (row.connections != n)
            .then(|| format!("measured with {} connections, the target names {n}", row.connections)),
        Condition::OrgAtLeast(n) => {
            let size = row.integrations_in_org.unwrap_or(0);
            (size < n).then(|| {
                format!("measured with {} in the org, the target names {}", grouped(size), grouped(n))
            })
        }
    }
}

fn check(spec: &Spec, backend: &str, rows: &[Row], memory: Option<&MemoryReport>) -> Target {
    let mut target = Target {
        backend: backend.to_owned(),
        target: spec.target.clone(),
        measured: None,
        unit: unit(spec.figure),
        baseline: None,
        ratio: None,
        limit: spec.limit,
        verdict: Verdict::NotMeasured,
        note: None,
    };
    let Some(reading) = read(spec.figure, backend, rows, memory) else { return target };
    let ratio = reading.baseline.map(|baseline| reading.measured / baseline);
    let held = spec.limit.holds(ratio.unwrap_or(reading.measured));
    let off = off_conditions(spec.condition, reading.row);
    target.verdict = match (&off, held) {
        (Some(_), _) => Verdict::OtherConditions,
        (None, true) => Verdict::Pass,
        (None, false) => Verdict::Fail,
    };
    target.measured = Some(reading.measured);
    target.baseline = reading.baseline;
    target.ratio = ratio;
    target.note = off.or(reading.note);
    target
}

fn figure(value: f64, unit: &str) -> String {
    match unit {
        "ms" => format!("{value:.2} ms"),
        "MiB" => format!("{value:.1} MiB"),
        _ => format!("{value:.0} {unit}"),
    }
}

pub fn table(targets: &[Target]) -> String {
    let mut out =
        "\nTargets\n\n| backend | target | measured | ratio | limit | result |\n|---|---|---:|---:|---:|---|\n".to_owned();
    for t in targets {
        let measured = t.measured.map_or("-".to_owned(), |m| figure(m, t.unit));
        let (ratio, limit) = match (t.ratio, t.baseline) {
            (Some(ratio), Some(baseline)) => {
                (format!("{ratio:.2} of {}", figure(baseline, t.unit)), t.limit.text(""))
            }
            _ => (String::new(), t.limit.text(&format!(" {}", t.unit))),
        };
        let result = match t.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::NotMeasured => "not measured",
            Verdict::OtherConditions => "n/a",
        };
        let note = t.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {measured} | {ratio} | {limit} | {result}{note} |\n",
            t.backend, t.target
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Outcome;
    use crate::report::ThousandMemory;

    fn row(
        backend: &str,
        key: Key,
        connections: usize,
        org: Option<usize>,
        rps: f64,
        p50: f64,
        p99: f64,
    ) -> Row {
        Row {
            backend: backend.to_owned(),
            key,
            scenario: format!("{key:?}"),
            connections,
            integrations_in_org: org,
            outcome: Outcome {
                requests: 1,
                errors: 0,
                requests_per_second: rps,
                p50_ms: p50,
                p99_ms: p99,
                max_ms: p99,
                stalled_connections: 0,
                first_error: None,
            },
        }
    }

    fn memory(idle: f64, thousand: Option<(f64, bool)>) -> MemoryReport {
        MemoryReport {
            idle_rss_mib: idle,
            rss_after_mib: idle,
            peak_rss_mib: 150.0,
            thousand: thousand.map(|(peak, since_start_up)| ThousandMemory {
                rss_before_mib: idle,
                peak_rss_mib: peak,
                peak_since_start_up: since_start_up,
            }),
        }
    }

    fn find<'a>(targets: &'a [Target], backend: &str, prefix: &str) -> &'a Target {
        targets
            .iter()
            .find(|t| t.backend == backend && t.target.starts_with(prefix))
            .unwrap_or_else(|| panic!("no target {prefix} for {backend}"))
    }

    #[test]
    fn get_by_id_is_compared_with_the_ceiling_of_the_same_run() {
        let rows = [
            row(CEILING, Key::GetById, 32, None, 100_000.0, 0.2, 0.5),
            row("sqlite", Key::GetById, 32, None, 40_000.0, 0.8, 1.5),
            row("postgres", Key::GetById, 32, None, 60_000.0, 0.5, 2.5),
        ];
        let memory = [("sqlite".to_owned(), memory(20.0, None)), ("postgres".to_owned(), memory(20.0, None))];
        let targets = evaluate(&rows, &memory);
        let sqlite = find(&targets, "sqlite", "get by id, 32 connections: vs");
        assert_eq!(sqlite.ratio, Some(0.4));
        assert_eq!(sqlite.baseline, Some(100_000.0));
        assert_eq!(sqlite.verdict, Verdict::Fail);
        assert_eq!(find(&targets, "postgres", "get by id, 32 connections: vs").verdict, Verdict::Pass);
        assert_eq!(find(&targets, "sqlite", "get by id, 32 connections: p99").verdict, Verdict::Pass);
        assert_eq!(find(&targets, "postgres", "get by id, 32 connections: p99").verdict, Verdict::Fail);
    }

    #[test]
    fn another_connection_count_or_a_smaller_org_is_not_a_verdict() {
        let rows = [
            row(CEILING, Key::GetById, 8, None, 100_000.0, 0.2, 0.5),
            row("sqlite", Key::GetById, 8, None, 90_000.0, 0.1, 0.3),
            row("sqlite", Key::ListByTag, 8, None, 12_000.0, 2.0, 4.0),
            row("sqlite", Key::ListByTagScaled, 8, Some(3_000), 12_000.0, 2.0, 4.0),
            row("sqlite", Key::GetByIdBesideSearches, 4, Some(40_000), 9_000.0, 1.0, 30.0),
        ];
        let targets = evaluate(&rows, &[("sqlite".to_owned(), memory(20.0, None))]);
        let versus = find(&targets, "sqlite", "get by id, 32 connections: vs");
        assert_eq!(versus.verdict, Verdict::OtherConditions);
        assert_eq!(versus.note.as_deref(), Some("measured with 8 connections, the target names 32"));
        let flat = find(&targets, "sqlite", "list by tag (50), cost flat");
        assert_eq!((flat.verdict, flat.ratio), (Verdict::OtherConditions, Some(1.0)));
        assert_eq!(flat.note.as_deref(), Some("measured with 3,000 in the org, the target names 100,000"));
        // The list's throughput target names no connection count: judged as run.
        assert_eq!(find(&targets, "sqlite", "list by tag (50)").verdict, Verdict::Pass);
        assert_eq!(find(&targets, "sqlite", "no stall").verdict, Verdict::Fail);
    }

    #[test]
    fn a_backend_specific_target_without_its_backend_is_not_measured() {
        let rows = [row("sqlite", Key::Resolve, 32, None, 9_000.0, 3.0, 6.0)];
        let targets = evaluate(&rows, &[("sqlite".to_owned(), memory(20.0, None))]);
        let resolve = find(&targets, "postgres", "resolve");
        assert_eq!((resolve.verdict, resolve.measured), (Verdict::NotMeasured, None));
        assert!(targets.iter().all(|t| t.backend == "sqlite" || t.backend == "postgres"));
        assert_eq!(targets.iter().filter(|t| t.backend == "postgres").count(), 2);
        // Scenarios left out by `--only` are not measured either.
        assert_eq!(find(&targets, "sqlite", "create").verdict, Verdict::NotMeasured);
    }

    #[test]
    fn failures_at_1000_connections_count_stalled_connections() {
        let mut thousand = row("sqlite", Key::GetById1000, 1000, None, 20_000.0, 20.0, 40.0);
        thousand.outcome.stalled_connections = 3;
        let targets = evaluate(&[thousand], &[("sqlite".to_owned(), memory(20.0, None))]);
        let failures = find(&targets, "sqlite", "get by id, 1,000 connections: errors");
        assert_eq!((failures.measured, failures.verdict), (Some(3.0), Verdict::Fail));
        assert_eq!(find(&targets, "sqlite", "get by id, 1,000 connections: p99").verdict, Verdict::Pass);
    }

    #[test]
    fn memory_targets_read_idle_and_the_peak_during_1000_connections() {
        let memory = [
            ("sqlite".to_owned(), memory(22.0, Some((90.0, true)))),
            ("postgres".to_owned(), memory(26.0, Some((120.0, false)))),
        ];
        let targets = evaluate(&[], &memory);
        let peak = find(&targets, "sqlite", "peak RSS");
        assert_eq!(peak.verdict, Verdict::Pass);
        assert_eq!(peak.note.as_deref(), Some("peak since start-up, an upper bound"));
        assert_eq!(find(&targets, "postgres", "peak RSS").verdict, Verdict::Fail);
        assert_eq!(find(&targets, "sqlite", "idle RSS").verdict, Verdict::Pass);
        assert_eq!(find(&targets, "postgres", "idle RSS").verdict, Verdict::Fail);
        let table = table(&targets);
        assert!(table.contains("| sqlite | peak RSS during get by id, 1,000 connections | 90.0 MiB |  | ≤ 100 MiB | pass (peak since start-up, an upper bound) |"), "{table}");
    }
}
