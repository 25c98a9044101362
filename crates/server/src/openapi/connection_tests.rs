//! Operations of connection tests and workers. Their bodies
//! are described inline here, beside the operations.
use super::common::vault_unavailable;
use super::{error, json_content, operation_id, response, validation_error};
use crate::jobs::MAX_CLAIM_WAIT;
use crate::routes::DEFAULT_CLAIM_WAIT;
use serde_json::{Value, json};

fn nullable(kind: &str) -> Value {
    json!({"anyOf": [{"type": kind}, {"type": "null"}]})
}

fn test_schema() -> Value {
    json!({"type": "object", "title": "ConnectionTestResponse", "properties": {
        "job_id": {"type": "string", "format": "uuid"},
        "integration_id": {"type": "string", "format": "uuid"},
        "integration_name": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "passed", "failed", "timeout", "error"]},
        "exit_code": nullable("integer"), "duration_ms": nullable("integer"), "output": nullable("string"),
        "started_at": nullable("string"), "finished_at": nullable("string"),
        "revision": {"type": "integer", "description": "The integration revision tested"},
        "worker_id": nullable("string"), "attempts": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"}, "created_by": nullable("string"),
        "message": {"type": "string", "description": "Why a 202 carries no result yet"}
    }, "required": ["job_id", "integration_id", "status", "revision", "attempts", "created_at"]})
}

fn health_schema() -> Value {
    json!({"type": "object", "title": "HealthResponse", "properties": {
        "integration_id": {"type": "string", "format": "uuid"},
        "state": {"type": "string", "enum": ["healthy", "failing", "unknown"]},
        "since": nullable("string"),
        "last_test": {"anyOf": [test_schema(), {"type": "null"}]},
        "consecutive_failures": {"type": "integer", "minimum": 0}
    }, "required": ["integration_id", "state", "since", "last_test", "consecutive_failures"]})
}

fn health_summary_schema() -> Value {
    json!({"type": "object", "title": "HealthSummary", "properties": {
        "integration_id": {"type": "string", "format": "uuid"},
        "state": {"type": "string", "enum": ["healthy", "failing"]},
        "since": {"type": "string", "format": "date-time"},
        "consecutive_failures": {"type": "integer", "minimum": 0},
        "last_job_id": {"type": "string", "format": "uuid"}
    }, "required": ["integration_id", "state", "since", "consecutive_failures", "last_job_id"]})
}

fn worker_schema() -> Value {
    json!({"type": "object", "title": "WorkerResponse", "properties": {
        "id": {"type": "string", "format": "uuid"}, "organization_id": nullable("string"),
        "name": {"type": "string"}, "embedded": {"type": "boolean"},
        "registered_at": {"type": "string"}, "last_heartbeat_at": {"type": "string"},
        "state": {"type": "string", "enum": ["online", "offline"]},
        "heartbeat_interval_secs": {"type": "integer"}
    }})
}

fn job_result_request() -> Value {
    let output_max = patchbay_api_types::RESULT_OUTPUT_MAX_BYTES;
    json!({"type": "object", "title": "JobResultRequest",
        "required": ["attempt", "status", "duration_ms", "output", "started_at", "finished_at"],
        "properties": {
            "attempt": {"type": "integer", "minimum": 1, "maximum": i32::MAX, "description": "The attempt the claim handed out"},
            "status": {"type": "string", "enum": ["passed", "failed", "timeout", "error"]},
            "exit_code": {"anyOf": [{"type": "integer", "minimum": -255, "maximum": 512}, {"type": "null"}]},
            "duration_ms": {"type": "integer", "minimum": 0, "maximum": 86_400_000},
            "output": {"type": "string", "maxLength": output_max, "description": format!("At most {output_max} bytes of UTF-8")},
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": "string", "format": "date-time"}}})
}

fn path_id(name: &str, title: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "title": title}})
}

fn op(tag: &str, summary: &str, description: &str, function: &str, path: &str, method: &str) -> Value {
    json!({"tags": [tag], "summary": summary, "description": description,
           "operationId": operation_id(function, path, method)})
}

fn with(mut operation: Value, parameters: Value, responses: Value) -> Value {
    operation["parameters"] = parameters;
    operation["responses"] = responses;
    operation
}

fn claim_wait() -> Value {
    let (default, max) = (DEFAULT_CLAIM_WAIT.as_secs(), MAX_CLAIM_WAIT.as_secs());
    json!({"name": "wait", "in": "query", "required": false,
           "schema": {"type": "integer", "minimum": 0, "maximum": max, "default": default, "title": "Wait"},
           "description": format!("Seconds to hold the request open waiting for a job, 0 to {max} (default {default}); \
               the client's read timeout must be longer")})
}

fn claim_description() -> String {
    format!(
        "A long poll: holds the request open up to `wait` seconds (default {}, at most {}) for the oldest \
         claimable job of the worker's organization, and answers it with its resolved bundle (environment, \
         files, and the secret values to mask), or 204 when none came. A client's read timeout must outlast \
         `wait`: the default wait is longer than a 10 s timeout. A wait longer than the server's request \
         timeout (--request-timeout, 30 s by default) ends a little before it, with 204.",
        DEFAULT_CLAIM_WAIT.as_secs(),
        MAX_CLAIM_WAIT.as_secs()
    )
}

pub fn paths() -> Value {
    let test = "/api/v1/custom-integrations/{integration_id}/test";
    let tests = "/api/v1/custom-integrations/{integration_id}/tests";
    let one = "/api/v1/connection-tests/{job_id}";
    let workers = "/api/v1/workers";
    let register = "/api/v1/workers/register";
    let heartbeat = "/api/v1/workers/{worker_id}/heartbeat";
    let claim = "/api/v1/workers/{worker_id}/jobs/claim";
    let result = "/api/v1/workers/{worker_id}/jobs/{job_id}/result";
    let health = "/api/v1/custom-integrations/{integration_id}/health";
    let all_health = "/api/v1/integration-health";
    let integration = path_id("integration_id", "Integration Id");
    let worker = path_id("worker_id", "Worker Id");
    let job = path_id("job_id", "Job Id");
    let t = "connection-tests";
    json!({
        test: {"post": with(
            op(t, "Test Custom Integration", "Queue a connection test of the integration's current revision; it runs on a worker, never in the server. Waits for the result (up to the test's timeout plus a margin) unless `wait=false`; answers 202 with the job id and a `message` when it does not wait or no worker is online. Members and admins.", "test_custom_integration", test, "post"),
            json!([integration, {"name": "wait", "in": "query", "required": false, "schema": {"type": "boolean", "default": true}}]),
            json!({"200": response("The result", test_schema()), "202": response("Queued", test_schema()),
                   "403": error("Viewers and workers cannot start tests"),
                   "404": error("Custom integration not found"),
                   "409": error("No connection_test, enabled: false, not active, or tests disabled on the server"),
                   "422": validation_error()}))},
        tests: {"get": with(
            op(t, "List Connection Tests", "The integration's tests, newest first (`limit`, default 50, at most 500).", "list_connection_tests", tests, "get"),
            json!([integration, {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500}}]),
            json!({"200": response("Tests", json!({"type": "array", "items": test_schema()})),
                   "404": error("Custom integration not found"), "422": validation_error()}))},
        one: {"get": with(
            op(t, "Get Connection Test", "One test and its result.", "get_connection_test", one, "get"),
            json!([job]),
            json!({"200": response("The test", test_schema()),
                   "404": error("Connection test not found")}))},
        health: {"get": with(
            op(t, "Get Integration Health", "What the integration's latest connection tests say: `healthy` (the latest passed), `failing` (it failed, timed out or could not run; with how many in a row) or `unknown` (no result yet), since when, and the result that set it. Every role.", "get_integration_health", health, "get"),
            json!([integration.clone()]),
            json!({"200": response("The health", health_schema()),
                   "404": error("Custom integration not found")}))},
        all_health: {"get": with(
            op(t, "List Integration Health", "The health of each of the organization's integrations that has a test result; any other is `unknown`. Every role.", "list_integration_health", all_health, "get"),
            json!([]),
            json!({"200": response("Health by integration", json!({"type": "array", "items": health_summary_schema()}))}))},
        workers: {"get": with(
            op("workers", "List Workers", "The organization's workers and the embedded one, with their last heartbeat and state.", "list_workers", workers, "get"),
            json!([]),
            json!({"200": response("Workers", json!({"type": "array", "items": worker_schema()}))}))},
        register: {"post": {
            "tags": ["workers"], "summary": "Register Worker",
            "description": "Register a worker for the token's organization. Worker and admin tokens.",
            "operationId": operation_id("register_worker", register, "post"),
            "requestBody": {"required": true, "content": json_content(json!({"type": "object", "title": "RegisterWorkerRequest", "properties": {"name": {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 200}, {"type": "null"}]}}}))},
            "responses": {"201": response("Registered", worker_schema()),
                          "403": error("Worker and admin tokens only"), "422": validation_error()}}},
        heartbeat: {"post": with(
            op("workers", "Worker Heartbeat", "Records a heartbeat and extends the lease of the worker's running jobs.", "worker_heartbeat", heartbeat, "post"),
            json!([worker]),
            json!({"200": response("The worker", worker_schema()),
                   "403": error("Worker and admin tokens only"), "404": error("Worker not found")}))},
        claim: {"post": with(
            op("workers", "Claim Job", &claim_description(), "claim_job", claim, "post"),
            json!([worker, claim_wait()]),
            json!({"200": response("A job", json!({"type": "object", "title": "ClaimedJob"})),
                   "204": {"description": "No job came within `wait` seconds (or the server is shutting down)"},
                   "403": error("Worker and admin tokens only"),
                   "404": error("Worker not found"), "422": validation_error(), "503": vault_unavailable()}))},
        result: {"post": {
            "tags": ["workers"], "summary": "Post Job Result",
            "description": "The result of the attempt the worker holds; 409 when the job already has a result or was handed to another worker.",
            "operationId": operation_id("post_job_result", result, "post"),
            "parameters": [worker, job],
            "requestBody": {"required": true, "content": json_content(job_result_request())},
            "responses": {"200": response("Recorded", test_schema()),
                          "403": error("Worker and admin tokens only"), "404": error("Worker or connection test not found"),
                          "409": error("The worker no longer holds the job"), "422": validation_error()}}}
    })
}
