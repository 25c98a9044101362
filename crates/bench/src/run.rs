//! One benchmark run: per backend, start the server, seed, measure each
//! scenario, grow the organization to the scaling size, measure the lists
//! again; the ceiling once, with the JSON the server itself returned.
use crate::client::{Connection, request};
use crate::report::{MemoryReport, Results, Row, machine};
use crate::scenarios::{Fixture, Scenario, get_by_id, list_by_type, standard};
use crate::server::{Server, ThrowawayDatabase, patchbay_binary};
use crate::{Args, load, seed};
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
    async fn measure(&mut self, backend: &str, address: &str, scenario: Scenario) {
        if self.args.only.as_deref().is_some_and(|only| !scenario.name.contains(only)) {
            return;
        }
        eprintln!("{backend}: {} ({} connections)...", scenario.name, scenario.connections);
        let outcome = load::run(
            address,
            scenario.connections,
            Duration::from_secs(1),
            Duration::from_secs(self.args.seconds),
            scenario.make,
        )
        .await;
        eprintln!(
            "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            outcome.requests_per_second, outcome.p50_ms, outcome.p99_ms, outcome.errors
        );
        self.rows.push(Row {
            backend: backend.to_owned(),
            scenario: scenario.name.to_owned(),
            connections: scenario.connections,
            outcome,
        });
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
    Ok(Results {
        machine: machine(),
        seconds_per_scenario: args.seconds,
        connections: args.connections,
        rows: context.rows,
        memory,
    })
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

    if !context.ceiling_measured {
        let mut conn = Connection::open(&address).await?;
        let path = format!("/api/v1/custom-integrations/{}", fixture.ids[0]);
        let body = conn.send(&request("GET", &path, &fixture.token, None)).await?.body;
        let ceiling = Server::ceiling(std::str::from_utf8(&body)?)?;
        context
            .measure(
                "ceiling (axum, from memory)",
                &ceiling.address,
                get_by_id(&fixture, connections, "get by id"),
            )
            .await;
        context.ceiling_measured = true;
    }

    for scenario in standard(&fixture, connections) {
        context.measure(name, &address, scenario).await;
    }

    let scale_to = context.args.scale_to;
    if scale_to > 0 {
        let present = count(&address, &fixture.token).await?;
        if present < scale_to {
            eprintln!("{name}: growing the organization from {present} to {scale_to} integrations...");
            seed::apply(&address, token, seed::bulk(0, scale_to - present)).await?;
        }
        let label = "list by type (50), 100,000 in the org";
        let label = if scale_to == 100_000 { label } else { "list by type (50), scaled org" };
        context.measure(name, &address, list_by_type(&fixture, connections, label)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(MemoryReport::new(idle, server.memory()))
}

/// The measured organization's integrations, counted through the API.
async fn count(address: &str, token: &str) -> anyhow::Result<usize> {
    let mut conn = Connection::open(address).await?;
    let response = conn.send(&request("GET", "/api/v1/custom-integrations", token, None)).await?;
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(&response.body).context("listing the organization")?;
    Ok(list.len())
}
