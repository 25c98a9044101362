//! Driving one scenario: N keep-alive connections, each sending its next
//! request as soon as the previous answered, for a fixed duration after a
//! short warm-up; optionally beside other groups of connections sending
//! other requests in the same window. Bounded: every loop ends at the deadline.
use crate::client::Connection;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Makes the request a connection sends on its `n`th turn: (bytes, the
/// status that counts as success).
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> (Vec<u8>, u16) + Send + Sync>;

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Connections that completed no request in the measured window.
    pub stalled_connections: usize,
    pub first_error: Option<String>,
}

/// Drives each group's connections in one shared window (warm-up, then
/// `duration`), so a group's figures show what it suffered beside the
/// others; one outcome per group, in order.
pub async fn run(
    address: &str,
    groups: Vec<(usize, MakeRequest)>,
    warm_up: Duration,
    duration: Duration,
) -> Vec<Outcome> {
    let start = Instant::now() + warm_up;
    let end = start + duration;
    let tasks: Vec<Vec<_>> = groups
        .into_iter()
        .map(|(connections, make)| {
            (0..connections)
                .map(|index| {
                    let (address, make) = (address.to_owned(), make.clone());
                    tokio::spawn(async move { drive(&address, index, start, end, make).await })
                })
                .collect()
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for group in tasks {
        let mut results = Vec::with_capacity(group.len());
        for task in group {
            results.push(task.await.expect("a load task panicked"));
        }
        outcomes.push(summarize(results, duration));
    }
    outcomes
}

fn summarize(results: Vec<ConnectionResult>, duration: Duration) -> Outcome {
    let mut latencies = Vec::new();
    let (mut errors, mut stalled, mut first_error) = (0u64, 0usize, None);
    for result in results {
        if result.latencies_us.is_empty() {
            stalled += 1;
        }
        latencies.extend(result.latencies_us);
        errors += result.errors;
        if first_error.is_none() {
            first_error = result.first_error;
        }
    }
    latencies.sort_unstable();
    let percentile = |p: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        f64::from(latencies[i]) / 1e3
    };
    let requests = latencies.len() as u64;
    Outcome {
        requests,
        errors,
        requests_per_second: requests as f64 / duration.as_secs_f64(),
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        max_ms: latencies.last().map_or(0.0, |l| f64::from(*l) / 1e3),
        stalled_connections: stalled,
        first_error,
    }
}

struct ConnectionResult {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

async fn drive(
    address: &str,
    index: usize,
    start: Instant,
    end: Instant,
    make: MakeRequest,
) -> ConnectionResult {
    let mut result = ConnectionResult { latencies_us: Vec::new(), errors: 0, first_error: None };
    let mut connection = None;
    let mut turn = 0u64;
    while Instant::now() < end {
        let conn = match &mut connection {
            Some(conn) => conn,
            None => match Connection::open(address).await {
                Ok(conn) => connection.insert(conn),
                Err(error) => {
                    result.errors += 1;
                    result.first_error.get_or_insert_with(|| format!("{error:#}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let (request, expected) = make(index, turn);
        turn += 1;
        let sent = Instant::now();
        let response = conn.send(&request).await;
        let done = Instant::now();
        let measured = sent >= start && done <= end;
        match response {
            Ok(response) if response.status == expected => {
                if measured {
                    result
                        .latencies_us
                        .push(done.duration_since(sent).as_micros().min(u128::from(u32::MAX)) as u32);
                }
            }
            Ok(response) => {
                result.errors += 1;
                let body = String::from_utf8_lossy(&response.body).chars().take(200).collect::<String>();
                result.first_error.get_or_insert_with(|| {
                    format!("status {} (expected {expected}): {body}", response.status)
                });
            }
            Err(error) => {
                result.errors += 1;
                result.first_error.get_or_insert_with(|| format!("{error:#}"));
                connection = None;
            }
        }
    }
    result
}
