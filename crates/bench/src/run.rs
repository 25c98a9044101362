//! One benchmark run: per backend, start the server, seed, measure each
//! scenario, then 1,000 connections with the server's peak memory during
//! them, grow the organization to 40,000 for get by id beside searches and
//! to the scaling size for the lists and a search alone; the ceiling once,
//! with the JSON the server itself returned; the targets from it all.
use crate::client::{Connection, request};
use crate::report::{MemoryReport, Results, Row, ThousandMemory, machine};
use crate::scenarios::{Fixture, Scenario};
use crate::server::{Server, ThrowawayDatabase, patchbay_binary};
use crate::{Args, load, scenarios, seed, targets};
use anyhow::Context;
use patchbay_server::auth::{Claims, JwtSecret, mint};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const SECRET: &str = "patchbay-bench-signing-secret";

fn token(org: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let claims = Claims {
        organization: org.to_owned(),
        exp: now + 24 * 3600,
        email: None,
        user_id: Some("bench".to_owned()),
        sub: None,
        token_id: None,
        role: Some("admin".to_owned()),
        jti: None,
        iat: Some(now),
    };
    mint(&JwtSecret::new(SECRET), &claims).expect("signing a token")
}

struct Bench<'a> {
    args: &'a Args,
    rows: Vec<Row>,
    ceiling_measured: bool,
}

impl Bench<'_> {
    fn selected(&self, scenario: &Scenario) -> bool {
        self.args.only.as_deref().is_none_or(|only| scenario.name.contains(only))
    }

    /// Runs the scenario, and what it runs beside, unless `--only` leaves it out.
    async fn measure(&mut self, backend: &str, address: &str, scenario: Scenario) {
        if !self.selected(&scenario) {
            return;
        }
        let mut parts = vec![scenario];
        while let Some(beside) = parts.last_mut().and_then(|s| s.beside.take()) {
            parts.push(*beside);
        }
        let described: Vec<String> = parts
            .iter()
            .map(|s| {
                format!(
                    "{} ({} connection{})",
                    s.name,
                    s.connections,
                    if s.connections == 1 { "" } else { "s" }
                )
            })
            .collect();
        eprintln!("{backend}: {}...", described.join(", beside "));
        let outcomes = load::run(
            address,
            parts.iter().map(|s| (s.connections, s.make.clone())).collect(),
            Duration::from_secs(1),
            Duration::from_secs(self.args.seconds),
        )
        .await;
        for (scenario, outcome) in parts.into_iter().zip(outcomes) {
            eprintln!(
                "  {}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                scenario.name, outcome.requests_per_second, outcome.p50_ms, outcome.p99_ms, outcome.errors
            );
            self.rows.push(Row {
                backend: backend.to_owned(),
                key: scenario.key,
                scenario: scenario.name,
                connections: scenario.connections,
                integrations_in_org: scenario.org_size,
                outcome,
            });
        }
    }
}

pub async fn all(args: &Args) -> anyhow::Result<Results> {
    let binary = patchbay_binary()?;
    let mut context = Bench { args, rows: Vec::new(), ceiling_measured: false };
    let mut memory = Vec::new();
    if !args.skip_sqlite {
        memory.push(("sqlite".to_owned(), backend(&mut context, &binary, "sqlite", None).await?));
    }
    if let Some(url) = &args.database_url {
        let database = ThrowawayDatabase::create(url).await?;
        let measured = backend(&mut context, &binary, "postgres", Some(&database.url)).await;
        database.drop_now().await?;
        memory.push(("postgres".to_owned(), measured?));
    }
    let targets = targets::evaluate(&context.rows, &memory);
    Ok(Results {
        machine: machine(),
        seconds_per_scenario: args.seconds,
        connections: args.connections,
        scale_to: args.scale_to,
        rows: context.rows,
        memory,
        targets,
    })
}

/// A connection test that does not pass still answers 200 (its result says
/// why), and fails far faster than one that runs: the scenario would
/// measure the failure. One test first, so a missing sandbox stops the run.
async fn test_passes(address: &str, fixture: &Fixture, sandbox: &str) -> anyhow::Result<()> {
    let path = format!("/api/v1/custom-integrations/{}/test", fixture.test_id);
    let mut conn = Connection::open(address).await?;
    let response = conn.send(&request("POST", &path, &fixture.token, None)).await?;
    let result: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    if response.status != 200 || result["status"] != "passed" {
        let body = String::from_utf8_lossy(&response.body);
        anyhow::bail!(
            "the connection test of `true` did not pass with --sandbox {sandbox} (status {}): {body}\n\
             (`bwrap` needs Debian's bubblewrap installed; `--sandbox none` measures without a sandbox)",
            response.status
        );
    }
    Ok(())
}

async fn backend(
    context: &mut Bench<'_>,
    binary: &Path,
    name: &str,
    url: Option<&str>,
) -> anyhow::Result<MemoryReport> {
    let master_key = patchbay_vault::MasterKey::generate().to_base64().to_string();
    let server = Server::patchbay(binary, SECRET, &master_key, url, &context.args.sandbox)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server.memory();
    let address = server.address.clone();

    eprintln!("{name}: seeding 10,000 integrations in other organizations, 1,000 in the measured one...");
    seed::apply(&address, token, seed::others()).await?;
    let ids = seed::apply(&address, token, seed::measured()).await?;
    let (secrets, resolvable) = seed::resolvable();
    seed::apply(&address, token, secrets).await?;
    seed::apply(&address, token, resolvable).await?;
    let test_id = seed::apply(&address, token, seed::testable()).await?.remove(0);
    let fixture = Fixture { token: token(seed::ORG), ids: Arc::new(ids), test_id };
    let connections = context.args.connections;
    test_passes(&address, &fixture, &context.args.sandbox).await?;

    if !context.ceiling_measured {
        let mut conn = Connection::open(&address).await?;
        let path = format!("/api/v1/custom-integrations/{}", fixture.ids[0]);
        let body = conn.send(&request("GET", &path, &fixture.token, None)).await?.body;
        let ceiling = Server::ceiling(std::str::from_utf8(&body)?)?;
        context.measure(targets::CEILING, &ceiling.address, scenarios::ceiling(&fixture, connections)).await;
        context.ceiling_measured = true;
    }

    for scenario in scenarios::standard(&fixture, connections) {
        context.measure(name, &address, scenario).await;
    }

    // The peak during 1,000 connections alone: reset just before, read
    // right after, the whole run's peak kept aside.
    let mut run_peak = 0.0_f64;
    let mut thousand = None;
    let scenario = scenarios::thousand(&fixture);
    if context.selected(&scenario) {
        run_peak = server.memory().peak_rss_mib;
        let reset = server.reset_peak();
        let before = server.memory().rss_mib;
        context.measure(name, &address, scenario).await;
        thousand = Some(ThousandMemory {
            rss_before_mib: before,
            peak_rss_mib: server.memory().peak_rss_mib,
            peak_since_start_up: !reset,
        });
    }

    let scale_to = context.args.scale_to;
    if scale_to > 0 {
        // The no-stall target names 40,000 integrations, the lists and the
        // search alone 100,000: the organization grows in two steps.
        type Step = fn(&Fixture, usize, usize) -> Vec<Scenario>;
        let stall: Step =
            |fixture, connections, size| vec![scenarios::beside_searches(fixture, connections, size)];
        let steps: [(usize, Step); 2] =
            [(scale_to.min(targets::STALL_ORG), stall), (scale_to, scenarios::scaled)];
        let mut present = None;
        let mut bulk = 0;
        for (size, step) in steps {
            if !step(&fixture, connections, size).iter().any(|s| context.selected(s)) {
                continue;
            }
            let before = match present {
                Some(before) => before,
                None => count(&address, &fixture.token).await?,
            };
            let size = size.max(before);
            if before < size {
                eprintln!("{name}: growing the organization from {before} to {size} integrations...");
                seed::apply(&address, token, seed::bulk(bulk, size - before)).await?;
                bulk += size - before;
            }
            present = Some(size);
            for scenario in step(&fixture, connections, size) {
                context.measure(name, &address, scenario).await;
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.memory();
    Ok(MemoryReport {
        idle_rss_mib: idle.rss_mib,
        rss_after_mib: after.rss_mib,
        peak_rss_mib: run_peak.max(after.peak_rss_mib),
        thousand,
    })
}

/// The measured organization's integrations, counted through the API.
async fn count(address: &str, token: &str) -> anyhow::Result<usize> {
    let mut conn = Connection::open(address).await?;
    let response = conn.send(&request("GET", "/api/v1/custom-integrations", token, None)).await?;
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(&response.body).context("listing the organization")?;
    Ok(list.len())
}
