//! The answers every operation shares, added to each from what it takes.
//! They come from the middleware and extractors all routes pass through
//! (authentication, limits, the body and header parsers, the router), so
//! they are declared once here rather than beside each operation, where one
//! would be forgotten; each operation lists only the answers of its handler.
use super::{error, response, schema_ref, validation_error};
use serde_json::{Map, Value, json};

/// What `If-Match` accepts: `*`, or a comma-separated list of entity tags
/// (`"3"`, or weak `W/"3"`, which never matches); anything else is a 400.
pub(super) const IF_MATCH_PATTERN: &str =
    r#"^[ \t]*(\*|(W/)?"[\t !#-~]*"([ \t]*,[ \t]*(W/)?"[\t !#-~]*")*)[ \t]*$"#;

/// Paths whose handlers never reach the database (the template catalogue is
/// built into the binary), so never answer its 503.
fn without_database(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics") || path.starts_with("/api/v1/integration-templates")
}

fn header(description: &str, required: bool) -> Value {
    json!({"description": description, "required": required, "schema": {"type": "string"}})
}

fn with_header(mut answer: Value, name: &str, header: Value) -> Value {
    answer["headers"] = json!({name: header});
    answer
}

fn has_parameter(operation: &Value, location: &str, names: &[&str]) -> bool {
    operation["parameters"].as_array().is_some_and(|parameters| {
        parameters.iter().any(|p| {
            p["in"] == location && (names.is_empty() || names.iter().any(|n| p["name"].as_str() == Some(n)))
        })
    })
}

fn unavailable(description: &str) -> Value {
    let retry = header("Seconds to wait; absent when an operator must act first", false);
    with_header(error(description), "Retry-After", retry)
}

/// The 503 of an operation that reads or writes the vault, which also
/// refuses to work when its master key changed under the running server.
pub(super) fn vault_unavailable() -> Value {
    unavailable(
        "The database cannot serve now (unreachable, too slow, or full), or the vault's master key changed \
         while the server ran (restart it with the new key)",
    )
}

/// The shared answers of one operation, in status order.
fn shared(path: &str, operation: &Value) -> Vec<(&'static str, Value)> {
    let secured = operation.get("security") != Some(&json!([]));
    let body = operation.get("requestBody").is_some();
    let precondition = has_parameter(operation, "header", &["If-Match", "If-None-Match"])
        || operation["responses"].get("412").is_some();
    let mut answers = Vec::new();
    if body || precondition {
        let why = match (body, precondition) {
            (true, true) => "The JSON body is not UTF-8, or a precondition header is malformed",
            (true, false) => "The JSON body is not UTF-8 (\"There was an error parsing the body\")",
            _ => "A precondition header is malformed",
        };
        answers.push(("400", error(why)));
    }
    if secured {
        let refused = response(
            "Not authenticated: the token is missing, invalid or expired",
            schema_ref("HTTPUnauthorizedError"),
        );
        answers.push(("401", with_header(refused, "WWW-Authenticate", header("Bearer", true))));
    }
    if has_parameter(operation, "path", &[]) {
        answers.push(("404", error("Not found")));
    }
    if body {
        answers.push(("413", error("The body is larger than 1 MiB")));
        answers.push(("422", validation_error()));
    }
    let limited = error("Over the token's rate limit (only when the server sets one: --rate-limit)");
    answers.push(("429", with_header(limited, "Retry-After", header("Seconds to wait", true))));
    if !without_database(path) {
        answers.push(("503", unavailable("The database cannot serve now: unreachable, too slow, or full")));
    }
    answers
        .push(("504", error("The request ran longer than the server's request timeout (--request-timeout)")));
    answers
}

/// Adds the shared answers to every operation of `paths`. An operation's own
/// declaration of a status wins (its description is more precise), except
/// for 401, whose body is always the same object.
pub fn complete(paths: &mut Value) {
    let Some(paths) = paths.as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for operation in item.values_mut() {
            let answers = shared(path, operation);
            let responses = operation["responses"].as_object_mut().expect("every operation has responses");
            for (status, answer) in answers {
                if status == "401" || !responses.contains_key(status) {
                    responses.insert(status.to_owned(), answer);
                }
            }
            sort_by_status(responses);
        }
    }
}

/// Statuses in numeric order, as FastAPI lists them.
fn sort_by_status(responses: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    entries.sort_by(|(a, _), (b, _)| a.cmp(b));
    responses.extend(entries);
}
