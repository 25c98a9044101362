//! What a client command says when the server cannot help, and its exit
//! code (README, "Exit codes"):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other failure (bad file, I/O, unexpected answer) |
//! | 2 | wrong command-line usage |
//! | 3 | the server could not be reached |
//! | 4 | not authenticated (401) or not allowed (403) |
//! | 5 | not found (404) |
//! | 6 | conflict (409), e.g. the name is taken |
//! | 7 | invalid input (422, or a file `apply` refuses before sending) |
//! | 127 | `patchbay run`: the command could not be started |
use patchbay_api_types::LocItem;
use patchbay_client::ClientError;
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Wrong usage that clap could not see (a malformed `--server`).
    Usage = 2,
    Unreachable = 3,
    Auth = 4,
    NotFound = 5,
    Conflict = 6,
    Invalid = 7,
    /// A connection test ran and did not pass (failed, timeout, error).
    TestFailed = 8,
    /// A connection test is queued but no result came (no worker online, or too slow).
    TestPending = 9,
}

/// A failure with its exit code; `main` prints the message and exits.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

pub fn failure(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    Failure { exit, message: message.into() }.into()
}

/// The exit code for an error that reached `main`.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    error.downcast_ref::<Failure>().map_or(1, |failure| failure.exit as u8)
}

/// How a command names the fields of its request in messages: by the API's
/// dotted paths (`explain`), or by the flags that set them (`explain_in`).
pub type Words<'a> = &'a dyn Fn(&[LocItem], &str, &Value) -> String;

/// A client error in words that say what to do next.
pub fn explain(error: ClientError) -> anyhow::Error {
    explain_in(error, &|loc, msg, _| problem_line(loc, msg))
}

/// As `explain`, with a 422's problems put in `words`.
pub fn explain_in(error: ClientError, words: Words) -> anyhow::Error {
    match error {
        ClientError::Unreachable { server, source } => failure(
            Exit::Unreachable,
            format!(
                "could not reach the Patchbay server at {server}: {}\n\
                 Start one with `patchbay serve`, or point to yours with --server URL, \
                 PATCHBAY_SERVER or `patchbay login --server URL --token TOKEN`.",
                root_cause(&source)
            ),
        ),
        ClientError::Api { status, body } => {
            let detail = detail_text(&body);
            match status.as_u16() {
                401 => failure(
                    Exit::Auth,
                    format!(
                        "the server refused the token (401): {detail}\n\
                         Log in with `patchbay login --server URL --token TOKEN` (an admin can mint one with \
                         `patchbay token mint --org ORG --role member`), or set --token / PATCHBAY_TOKEN."
                    ),
                ),
                403 => failure(Exit::Auth, format!("not allowed (403): {detail}")),
                404 => failure(Exit::NotFound, detail),
                409 => failure(Exit::Conflict, detail),
                422 => failure(Exit::Invalid, invalid_text(&body, words)),
                _ => anyhow::anyhow!("the server answered {status}: {detail}"),
            }
        }
        other => other.into(),
    }
}

/// A 422 body, one problem a line: `config.env_vars.1X.[key]: message`.
fn invalid_text(body: &Value, words: Words) -> String {
    let problems = body.get("detail").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if problems.is_empty() {
        return format!("the server refused the request: {}", detail_text(body));
    }
    let lines: Vec<String> = problems.iter().map(|p| format!("  {}", problem_in(p, words))).collect();
    format!("the server refused the request:\n{}", lines.join("\n"))
}

/// One problem alone (`--type is required`); several under `header`, one a line.
pub fn listed(header: &str, mut problems: Vec<String>) -> String {
    if problems.len() == 1 {
        return problems.remove(0);
    }
    let lines: Vec<String> = problems.iter().map(|problem| format!("  {problem}")).collect();
    format!("{header}:\n{}", lines.join("\n"))
}

/// `loc: msg`, with `loc` dotted as a path (`body.names.1`).
pub fn problem_line(loc: &[LocItem], msg: &str) -> String {
    let parts: Vec<String> = loc
        .iter()
        .map(|item| match item {
            LocItem::Key(key) => key.clone(),
            LocItem::Index(index) => index.to_string(),
        })
        .collect();
    if parts.is_empty() { msg.to_owned() } else { format!("{}: {msg}", parts.join(".")) }
}

pub fn problem_from_json(problem: &Value) -> String {
    problem_in(problem, &|loc, msg, _| problem_line(loc, msg))
}

fn problem_in(problem: &Value, words: Words) -> String {
    let loc: Vec<LocItem> =
        problem.get("loc").cloned().and_then(|loc| serde_json::from_value(loc).ok()).unwrap_or_default();
    let msg = problem.get("msg").and_then(Value::as_str).map_or_else(|| problem.to_string(), str::to_owned);
    words(&loc, &msg, problem.get("input").unwrap_or(&Value::Null))
}

/// A `{"detail": "..."}` body's message, or the body as it came.
pub fn detail_text(body: &Value) -> String {
    match body.get("detail") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Object(detail)) => detail
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| Value::Object(detail.clone()).to_string(), str::to_owned),
        Some(other) => other.to_string(),
        None => match body {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        },
    }
}

/// reqwest wraps the reason (e.g. "Connection refused") a few levels deep.
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
