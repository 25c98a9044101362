//! `patchbay mcp` driven by a real MCP client (rmcp's) over the child's
//! stdin and stdout, against a real `patchbay serve` whose embedded worker
//! runs the connection tests: every tool, the refusals, and a clean exit
//! when stdin closes.
use crate::{Session, text};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ReadResourceRequestParams};
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

type Client = RunningService<RoleClient, ()>;

const SECRET_VALUE: &str = "pw-4d2a-stdio-canary";

/// `patchbay mcp` as an agent's MCP client launches it: the session's
/// saved login, then `env` over it.
fn spawn(session: &Session, env: &[(&str, &str)]) -> Child {
    let mut command = Command::from(session.command(&["mcp"]));
    command
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command.spawn().unwrap()
}

async fn connect(child: &mut Child) -> Client {
    let transport = (child.stdout.take().unwrap(), child.stdin.take().unwrap());
    ().serve(transport).await.unwrap()
}

/// Ends the client, which closes the child's stdin; the child's exit
/// status and what it wrote to stderr.
async fn close(client: Client, mut child: Child) -> (ExitStatus, String) {
    client.cancel().await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("patchbay mcp exits when its stdin closes")
        .unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
    (status, stderr)
}

async fn call(client: &Client, tool: &'static str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else { panic!("arguments are an object") };
    client.call_tool(CallToolRequestParams::new(tool).with_arguments(arguments)).await.unwrap()
}

/// The text of a result, and whether it is a tool error.
fn read(result: &CallToolResult) -> (String, bool) {
    let text = result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.as_str()).collect();
    (text, result.is_error == Some(true))
}

async fn ok(client: &Client, tool: &'static str, arguments: Value) -> (String, Value) {
    let result = call(client, tool, arguments).await;
    let (text, is_error) = read(&result);
    assert!(!is_error, "{tool}: {text}");
    (text, result.structured_content.unwrap_or(Value::Null))
}

async fn refused(client: &Client, tool: &'static str, arguments: Value) -> String {
    let (text, is_error) = read(&call(client, tool, arguments).await);
    assert!(is_error, "{tool} succeeded: {text}");
    text
}

/// An admin's session with a secret and an integration that reads it.
fn seeded() -> Session {
    let session = Session::logged_in();
    let out = session.run_with_stdin(&["secrets", "set", "DB_PASSWORD"], SECRET_VALUE);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = session.write(
        "pg.yaml",
        "name: pg\nintegration_type: postgres\ndescription: The main database\nconfig:\n  \
         env_vars: {DB_HOST: db.internal}\n  secrets: [DB_PASSWORD]\n  \
         context_prompt: Read-only queries.\n  \
         connection_test: {command: 'echo host=$DB_HOST pw=$DB_PASSWORD', timeout: 10}\n",
    );
    session.json(&["integrations", "create", "-f", file.to_str().unwrap()]);
    session
}

#[tokio::test]
async fn every_tool_over_stdio_then_a_clean_exit() {
    let session = seeded();
    let mut child = spawn(&session, &[]);
    let client = connect(&mut child).await;
    assert_eq!(client.peer_info().unwrap().server_info.as_ref().unwrap().name, "patchbay");
    let mut tools: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.into()).collect();
    tools.sort();
    assert_eq!(
        tools,
        [
            "create_integration_from_template",
            "get_integration",
            "integration_context",
            "list_integrations",
            "list_templates",
            "test_connection"
        ]
    );

    let mut answers = Vec::new();
    let (text, listed) = ok(&client, "list_integrations", json!({"type": "postgres"})).await;
    assert_eq!(listed["integrations"][0]["name"], "pg", "{text}");
    answers.push(text);
    let (text, pg) = ok(&client, "get_integration", json!({"name": "pg"})).await;
    assert_eq!((pg["env_vars"].clone(), pg["secrets"].clone()), (json!(["DB_HOST"]), json!(["DB_PASSWORD"])));
    answers.push(text);
    let (text, templates) = ok(&client, "list_templates", json!({"search": "redis"})).await;
    assert!(templates["templates"].as_array().unwrap().iter().any(|t| t["template_id"] == "redis"), "{text}");
    answers.push(text);
    let arguments = json!({"template_id": "redis", "name": "cache", "overrides": {"tags": ["team-a"]}});
    let (text, created) = ok(&client, "create_integration_from_template", arguments).await;
    assert_eq!(created["tags"], json!(["team-a"]));
    answers.push(text);
    let (text, result) = ok(&client, "test_connection", json!({"name": "pg"})).await;
    assert_eq!(result["status"], "passed", "{text}");
    assert_eq!(result["output"], "host=db.internal pw=***\n");
    answers.push(text);
    let (text, _) = ok(&client, "integration_context", json!({"names": ["pg", "cache"]})).await;
    assert!(text.starts_with("## Available Integrations\n") && text.contains("Read-only queries."), "{text}");
    answers.push(text);
    let read =
        client.read_resource(ReadResourceRequestParams::new("patchbay://integrations/pg")).await.unwrap();
    answers.push(serde_json::to_string(&read).unwrap());
    assert!(answers.last().unwrap().contains("Read-only queries."));

    let unknown = refused(&client, "get_integration", json!({"name": "nope"})).await;
    assert!(unknown.starts_with("no integration named \"nope\""), "{unknown}");
    assert!(answers.iter().all(|answer| !answer.contains(SECRET_VALUE)), "{answers:?}");

    let (status, stderr) = close(client, child).await;
    assert!(status.success(), "{status}: {stderr}");
}

#[tokio::test]
async fn a_viewer_is_told_which_role_a_test_needs() {
    let session = seeded();
    let viewer = session.token("viewer");
    let mut child = spawn(&session, &[("PATCHBAY_TOKEN", viewer.as_str())]);
    let client = connect(&mut child).await;
    assert_eq!(
        refused(&client, "test_connection", json!({"name": "pg"})).await,
        "Role 'viewer' cannot run connection tests; a member or admin token is required"
    );
    // Reading is a viewer's right.
    ok(&client, "get_integration", json!({"name": "pg"})).await;
    let (status, stderr) = close(client, child).await;
    assert!(status.success(), "{status}: {stderr}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_tool_error() {
    let session = Session::start();
    let token = session.token("admin");
    // Nothing listens on the discard port.
    let env = [("PATCHBAY_SERVER", "http://127.0.0.1:9"), ("PATCHBAY_TOKEN", token.as_str())];
    let mut child = spawn(&session, &env);
    let client = connect(&mut child).await;
    let why = refused(&client, "list_integrations", json!({})).await;
    assert!(why.starts_with("could not reach the Patchbay server at http://127.0.0.1:9: "), "{why}");
    let (status, stderr) = close(client, child).await;
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
fn without_a_token_it_does_not_start() {
    let session = Session::start();
    let out = session.run(&["mcp", "--server", &session.url]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("patchbay mcp needs a token: pass --token, set PATCHBAY_TOKEN"));
    assert!(out.stdout.is_empty(), "stdout is the protocol's");
}

#[test]
fn stdin_closed_before_a_hello_is_a_clean_exit() {
    let session = Session::logged_in();
    // `run` gives the command an empty stdin.
    let out = session.run(&["mcp"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing but the protocol on stdout");
}
