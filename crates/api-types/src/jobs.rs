//! Bodies of the connection-test and worker API.
use crate::lax::{Checker, at};
use crate::{FieldError, LocItem};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A worker may report at most this much output (the runner keeps 64 KiB,
/// plus its truncation marker and masking slack).
pub const RESULT_OUTPUT_MAX_BYTES: usize = 128 * 1024;

/// One connection test: `GET /connection-tests/{job_id}`, the history, and
/// `POST /custom-integrations/{id}/test` (which adds `message` when it
/// answers 202 without a result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTestResponse {
    pub job_id: String,
    pub integration_id: String,
    pub integration_name: String,
    /// `queued` | `running` | `passed` | `failed` | `timeout` | `error`.
    pub status: String,
    pub exit_code: Option<i32>,
    pub duration_ms: Option<i64>,
    pub output: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The integration revision tested.
    pub revision: i64,
    pub worker_id: Option<String>,
    pub attempts: i32,
    pub created_at: String,
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /workers/register`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterWorkerRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A worker, as registered and as `GET /workers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerResponse {
    pub id: String,
    /// `null` for the server's embedded worker, which serves every organization.
    pub organization_id: Option<String>,
    pub name: String,
    pub embedded: bool,
    pub registered_at: String,
    pub last_heartbeat_at: String,
    /// `online` while heartbeats arrive, `offline` after they stopped.
    pub state: String,
    /// How often the worker should heartbeat.
    pub heartbeat_interval_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedFile {
    pub path: String,
    pub content: String,
    /// Octal, e.g. `0600`.
    pub mode: String,
}

/// A job handed to a worker: what to run and the resolved bundle. Carries
/// secret values: only a worker (or admin) of the job's organization, or
/// the embedded worker, ever receives one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedJob {
    pub job_id: String,
    pub attempt: i32,
    pub organization_id: String,
    pub integration_id: String,
    pub integration_name: String,
    pub revision: i64,
    pub command: String,
    pub timeout_secs: u64,
    pub env: IndexMap<String, String>,
    pub files: Vec<ClaimedFile>,
    /// Every secret value of the bundle, to mask in the output.
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for ClaimedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedJob")
            .field("job_id", &self.job_id)
            .field("attempt", &self.attempt)
            .field("integration_name", &self.integration_name)
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

/// `POST /workers/{id}/jobs/{job_id}/result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobResultRequest {
    pub attempt: i32,
    /// `passed` | `failed` | `timeout` | `error`.
    pub status: String,
    pub exit_code: Option<i32>,
    pub duration_ms: i64,
    pub output: String,
    pub started_at: String,
    pub finished_at: String,
}

pub const RESULT_STATUSES: [&str; 4] = ["passed", "failed", "timeout", "error"];

fn required<'v>(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &'v serde_json::Map<String, Value>,
    name: &str,
) -> Option<&'v Value> {
    let value = fields.get(name);
    if value.is_none() {
        checker.missing(at(loc, name), fields);
    }
    value
}

fn timestamp(checker: &mut Checker, loc: Vec<LocItem>, value: &Value) -> Option<String> {
    let text = checker.string(&loc, value)?;
    if OffsetDateTime::parse(&text, &Rfc3339).is_err() {
        checker.push(FieldError::new(
            "datetime_from_date_parsing",
            loc,
            "Input should be a valid datetime (RFC 3339, with an offset)",
            value.clone(),
        ));
        return None;
    }
    Some(text)
}

fn int_in(checker: &mut Checker, loc: Vec<LocItem>, value: &Value, min: i64, max: i64) -> Option<i64> {
    let number = checker.int(&loc, value)?;
    if !(min..=max).contains(&number) {
        checker.push(
            FieldError::new(
                "value_error",
                loc,
                format!("Value error, must be between {min} and {max}"),
                value.clone(),
            )
            .with_ctx(json!({"min": min, "max": max})),
        );
        return None;
    }
    Some(number)
}

/// Checks every field and names each bad one.
pub fn parse_job_result(value: &Value) -> Result<JobResultRequest, Vec<FieldError>> {
    let mut checker = Checker::new();
    let loc: Vec<LocItem> = vec!["body".into()];
    let Some(fields) = checker.model(&loc, value) else { return checker.finish(|| unreachable!()) };
    let attempt = required(&mut checker, &loc, fields, "attempt")
        .and_then(|v| int_in(&mut checker, at(&loc, "attempt"), v, 1, i64::from(i32::MAX)));
    let status = required(&mut checker, &loc, fields, "status").and_then(|v| {
        let text = checker.string(&at(&loc, "status"), v)?;
        if RESULT_STATUSES.contains(&text.as_str()) {
            return Some(text);
        }
        checker.push(
            FieldError::new(
                "enum",
                at(&loc, "status"),
                "Input should be 'passed', 'failed', 'timeout' or 'error'",
                v.clone(),
            )
            .with_ctx(json!({"expected": "'passed', 'failed', 'timeout' or 'error'"})),
        );
        None
    });
    let exit_code = match fields.get("exit_code") {
        None | Some(Value::Null) => Some(None),
        Some(v) => int_in(&mut checker, at(&loc, "exit_code"), v, -255, 512).map(Some),
    };
    let duration_ms = required(&mut checker, &loc, fields, "duration_ms")
        .and_then(|v| int_in(&mut checker, at(&loc, "duration_ms"), v, 0, 86_400_000));
    let output = required(&mut checker, &loc, fields, "output").and_then(|v| {
        let text = checker.string(&at(&loc, "output"), v)?;
        if text.len() <= RESULT_OUTPUT_MAX_BYTES {
            return Some(text);
        }
        checker.push(
            FieldError::new(
                "string_too_long",
                at(&loc, "output"),
                format!("Output is at most {RESULT_OUTPUT_MAX_BYTES} bytes"),
                json!("[too long]"),
            )
            .with_ctx(json!({"max_length": RESULT_OUTPUT_MAX_BYTES})),
        );
        None
    });
    let started_at = required(&mut checker, &loc, fields, "started_at")
        .and_then(|v| timestamp(&mut checker, at(&loc, "started_at"), v));
    let finished_at = required(&mut checker, &loc, fields, "finished_at")
        .and_then(|v| timestamp(&mut checker, at(&loc, "finished_at"), v));
    checker.finish(|| JobResultRequest {
        attempt: i32::try_from(attempt.unwrap_or_default()).unwrap_or(i32::MAX),
        status: status.unwrap_or_default(),
        exit_code: exit_code.flatten().map(|c| i32::try_from(c).unwrap_or_default()),
        duration_ms: duration_ms.unwrap_or_default(),
        output: output.unwrap_or_default(),
        started_at: started_at.unwrap_or_default(),
        finished_at: finished_at.unwrap_or_default(),
    })
}

/// A register body: `{}` or `{"name": "..."}` (1 to 200 characters).
pub fn parse_register_worker(value: &Value) -> Result<RegisterWorkerRequest, Vec<FieldError>> {
    let mut checker = Checker::new();
    let loc: Vec<LocItem> = vec!["body".into()];
    let Some(fields) = checker.model(&loc, value) else { return checker.finish(|| unreachable!()) };
    let name = match fields.get("name") {
        None | Some(Value::Null) => None,
        Some(v) => checker.bounded_string(&at(&loc, "name"), v, 1, 200),
    };
    checker.finish(|| RegisterWorkerRequest { name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named() {
        let errors = parse_job_result(&json!({
            "attempt": 0, "status": "done", "exit_code": "x", "duration_ms": -1,
            "output": 5, "started_at": "yesterday"
        }))
        .unwrap_err();
        let locs: Vec<String> = errors.iter().map(|e| format!("{:?}", e.loc.last().unwrap())).collect();
        assert_eq!(errors.len(), 7, "{locs:?}");
        for name in ["attempt", "status", "exit_code", "duration_ms", "output", "started_at", "finished_at"] {
            assert!(locs.iter().any(|l| l.contains(name)), "{name} in {locs:?}");
        }
    }

    #[test]
    fn a_good_result_parses() {
        let parsed = parse_job_result(&json!({
            "attempt": 1, "status": "failed", "exit_code": 3, "duration_ms": 12, "output": "no",
            "started_at": "2026-11-28T10:00:00+00:00", "finished_at": "2026-11-28T10:00:00.012+00:00"
        }))
        .unwrap();
        assert_eq!((parsed.status.as_str(), parsed.exit_code), ("failed", Some(3)));
    }

    #[test]
    fn register_names_are_bounded() {
        assert!(parse_register_worker(&json!({})).unwrap().name.is_none());
        assert!(parse_register_worker(&json!({"name": ""})).is_err());
        assert!(parse_register_worker(&json!([])).is_err());
    }
}

/// `GET /custom-integrations/{id}/health`: what its tests' results say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    pub integration_id: String,
    /// `healthy` | `failing` | `unknown` (no result yet).
    pub state: String,
    /// When it entered `state` (`null` while `unknown`).
    pub since: Option<String>,
    /// The result that set the state.
    pub last_test: Option<ConnectionTestResponse>,
    pub consecutive_failures: i64,
}

/// One entry of `GET /integration-health`: every integration of the
/// organization that has a result (the others are `unknown`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSummary {
    pub integration_id: String,
    pub state: String,
    pub since: String,
    pub consecutive_failures: i64,
    pub last_job_id: String,
}
