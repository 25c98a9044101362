//! `/mcp` with a real MCP client (rmcp's, on the streamable HTTP
//! transport): the tools and resources, their refusals as tool errors in
//! the API's words, 401 without a token, the audit events of the API calls
//! the tools stand for, and no answer that carries a secret's value.
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ErrorCode, ReadResourceRequestParams};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

type Client = RunningService<RoleClient, ()>;

const ORG: &str = "acme";
/// What the vault holds: no answer of the MCP server may carry one.
const VALUES: [&str; 3] = ["pw-7e1c-mcp-canary", "token-93ab-mcp-canary", "cert-55d0-mcp-canary"];
const PROMPT: &str = "Read-only queries against the main database.";

fn config(app: &TestApp, role: Role) -> StreamableHttpClientTransportConfig {
    StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.base))
        .auth_header(app.token(ORG, role))
}

async fn connect(app: &TestApp, role: Role) -> Client {
    ().serve(StreamableHttpClientTransport::from_config(config(app, role))).await.unwrap()
}

async fn call(client: &Client, tool: &'static str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else { panic!("arguments are an object") };
    client.call_tool(CallToolRequestParams::new(tool).with_arguments(arguments)).await.unwrap()
}

/// The result's text, its structured content, and whether it is a tool error.
fn read(result: &CallToolResult) -> (String, Value, bool) {
    let text = result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.as_str()).collect();
    (text, result.structured_content.clone().unwrap_or(Value::Null), result.is_error == Some(true))
}

/// A success: its text and structured content.
async fn ok(client: &Client, tool: &'static str, arguments: Value) -> (String, Value) {
    let (text, structured, is_error) = read(&call(client, tool, arguments).await);
    assert!(!is_error, "{tool}: {text}");
    (text, structured)
}

/// A tool error: its text.
async fn refused(client: &Client, tool: &'static str, arguments: Value) -> String {
    let (text, structured, is_error) = read(&call(client, tool, arguments).await);
    assert!(is_error, "{tool} succeeded: {text}");
    assert_eq!(structured, Value::Null, "an error carries no structured content");
    text
}

/// Secrets with distinctive values, and integrations that read them in
/// every way a config can: an env var template, a listed secret, a file
/// from a secret, a file template.
async fn seed(app: &TestApp) {
    for (name, value) in ["DB_PASSWORD", "API_TOKEN", "CA_CERT"].into_iter().zip(VALUES) {
        app.put_secret(ORG, name, value).await;
    }
    app.create_integration(
        ORG,
        &json!({
            "name": "pg", "integration_type": "postgres", "description": "The main database",
            "tags": ["prod", "db"],
            "config": {
                "env_vars": {"DB_HOST": "db.internal", "DATABASE_URL": "postgres://app:${DB_PASSWORD}@db.internal/app"},
                "secrets": ["DB_PASSWORD"],
                "files": [
                    {"path": "ca.pem", "secret_ref": "CA_CERT", "mode": "0600", "description": "The CA"},
                    {"path": ".pgpass", "content": "db.internal:5432:*:app:${DB_PASSWORD}\n"}
                ],
                "context_prompt": PROMPT,
                "connection_test": {
                    "command": "echo \"url=$DATABASE_URL pw=$DB_PASSWORD\"; cat ca.pem .pgpass",
                    "timeout": 10
                }
            }
        }),
    )
    .await;
    app.create_integration(
        ORG,
        &json!({
            "name": "github", "integration_type": "api", "tags": ["dev"],
            "config": {"env_vars": {"GITHUB_API": "https://api.github.com"}, "secrets": ["API_TOKEN"]}
        }),
    )
    .await;
}

/// The names `list_integrations` answered, from its structured content.
fn listed_names(structured: &Value) -> Vec<&str> {
    structured["integrations"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect()
}

async fn tools_are_listed_with_their_input_schemas(app: TestApp) {
    let client = connect(&app, Role::Viewer).await;
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "create_integration_from_template",
            "get_integration",
            "integration_context",
            "list_integrations",
            "list_templates",
            "test_connection",
        ]
    );
    let schema =
        |name: &str| Value::Object((*tools.iter().find(|t| t.name == name).unwrap().input_schema).clone());
    assert_eq!(schema("get_integration")["required"], json!(["name"]));
    assert_eq!(schema("integration_context")["properties"]["names"]["type"], "array");
    let listing = schema("list_integrations");
    for property in ["type", "tag", "search"] {
        assert!(listing["properties"].get(property).is_some(), "{property}: {listing}");
    }
    assert_eq!(listing.get("required").cloned().unwrap_or(json!([])), json!([]), "every filter is optional");
    let from_template = schema("create_integration_from_template");
    assert_eq!(from_template["required"], json!(["template_id", "name"]));
    for tool in &tools {
        assert!(tool.description.as_ref().is_some_and(|d| !d.is_empty()), "{} says what it does", tool.name);
    }
    client.cancel().await.unwrap();
}

async fn mcp_needs_a_valid_token(app: TestApp) {
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = || {
        app.request(Method::POST, "/mcp")
            .header("accept", "application/json, text/event-stream")
            .json(&initialize)
    };
    for request in
        [post(), post().bearer_auth("not-a-token"), post().bearer_auth(app.token(ORG, Role::Admin) + "x")]
    {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    // The same request with a token is answered.
    let response = post().bearer_auth(app.token(ORG, Role::Viewer)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let mut without_token = config(&app, Role::Viewer);
    without_token.auth_header = None;
    let refused = ().serve(StreamableHttpClientTransport::from_config(without_token)).await;
    assert!(refused.is_err(), "a client without a token cannot even start");
}

async fn the_tools_answer_from_the_api(app: TestApp) {
    seed(&app).await;
    let viewer = connect(&app, Role::Viewer).await;

    let (text, listed) = ok(&viewer, "list_integrations", json!({})).await;
    assert_eq!(listed_names(&listed), ["github", "pg"], "newest first");
    assert!(text.contains("**pg** (postgres, active): The main database. Tags: prod, db"), "{text}");
    assert_eq!(listed["integrations"][1]["last_test"], Value::Null);
    assert!(text.contains("Last test: never tested"), "{text}");
    for (filter, expected) in [
        (json!({"type": "api"}), ["github"]),
        (json!({"tag": "prod"}), ["pg"]),
        (json!({"search": "MAIN database"}), ["pg"]),
    ] {
        let (_, listed) = ok(&viewer, "list_integrations", filter.clone()).await;
        assert_eq!(listed_names(&listed), expected, "{filter}");
    }
    let (text, listed) = ok(&viewer, "list_integrations", json!({"tag": "none"})).await;
    assert_eq!((text.as_str(), listed), ("No integrations match.\n", json!({"integrations": []})));

    let (text, pg) = ok(&viewer, "get_integration", json!({"name": "pg"})).await;
    assert_eq!(pg["env_vars"], json!(["DB_HOST", "DATABASE_URL"]));
    assert_eq!(pg["secrets"], json!(["DB_PASSWORD"]));
    assert_eq!(
        pg["files"][0],
        json!({"path": "ca.pem", "mode": "0600", "description": "The CA", "secret": "CA_CERT"})
    );
    assert_eq!(pg["files"][1]["path"], ".pgpass");
    assert_eq!(pg["connection_test"]["timeout_seconds"], 10);
    assert_eq!(pg["context_prompt"], PROMPT);
    for shown in [
        "# pg",
        "DB_HOST, DATABASE_URL",
        "DB_PASSWORD",
        "`ca.pem` (mode 0600, content from secret CA_CERT): The CA",
        "cat ca.pem .pgpass",
        PROMPT,
    ] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    assert!(!text.contains("db.internal"), "no env var value: {text}");

    let (text, templates) = ok(&viewer, "list_templates", json!({"category": "database"})).await;
    let templates = templates["templates"].as_array().unwrap();
    assert!(!templates.is_empty() && templates.iter().all(|t| t["category"] == "database"), "{templates:?}");
    assert!(text.contains("`postgres`: **"), "{text}");
    let (_, found) = ok(&viewer, "list_templates", json!({"search": "postgres"})).await;
    assert!(found["templates"].as_array().unwrap().iter().any(|t| t["template_id"] == "postgres"), "{found}");

    let (text, context) = ok(&viewer, "integration_context", json!({"names": ["pg", "github"]})).await;
    assert!(text.starts_with("## Available Integrations\n"), "{text}");
    assert!(
        text.contains("### pg (postgres)") && text.contains("### github (api)") && text.contains(PROMPT),
        "{text}"
    );
    assert_eq!(context["context_prompt"], text.as_str());

    let member = connect(&app, Role::Member).await;
    let arguments = json!({"template_id": "postgres", "name": "analytics",
                           "overrides": {"description": "Analytics", "secret_prefix": "ANALYTICS_"}});
    let (text, created) = ok(&member, "create_integration_from_template", arguments).await;
    assert!(text.starts_with("Created from template `postgres`."), "{text}");
    assert_eq!((created["name"].as_str(), created["type"].as_str()), (Some("analytics"), Some("postgres")));
    assert!(
        created["secrets"].as_array().unwrap().iter().all(|s| s.as_str().unwrap().starts_with("ANALYTICS_"))
    );
    let (status, stored) = app
        .get(ORG, Role::Viewer, &format!("/api/v1/custom-integrations/{}", created["id"].as_str().unwrap()))
        .await;
    assert_eq!((status, stored["description"].as_str()), (200, Some("Analytics")));
    for client in [viewer, member] {
        client.cancel().await.unwrap();
    }
}

async fn test_connection_runs_on_a_worker(app: TestApp) {
    seed(&app).await;
    let worker = app.worker(ORG, 10).await;
    let running = tokio::spawn(async move { worker.try_run_one().await.unwrap() });
    let member = connect(&app, Role::Member).await;
    let (text, result) = ok(&member, "test_connection", json!({"name": "pg"})).await;
    running.await.unwrap();
    assert_eq!(
        (result["status"].as_str(), result["exit_code"].as_i64()),
        (Some("passed"), Some(0)),
        "{text}"
    );
    assert!(result["duration_ms"].is_i64(), "{result}");
    assert!(text.starts_with("Connection test of pg: passed, exit code 0, "), "{text}");
    let output = result["output"].as_str().unwrap();
    assert!(output.starts_with("url=postgres://app:***@db.internal/app pw=***\n"), "masked: {output}");
    assert!(text.contains(output.trim_end()), "{text}");

    let (text, listed) = ok(&member, "list_integrations", json!({"tag": "prod"})).await;
    assert_eq!(listed["integrations"][0]["last_test"], "passed");
    assert!(text.contains("Last test: passed."), "{text}");
    member.cancel().await.unwrap();
}

async fn refusals_are_tool_errors_in_the_apis_words(app: TestApp) {
    seed(&app).await;
    let viewer = connect(&app, Role::Viewer).await;
    let member = connect(&app, Role::Member).await;
    let unknown = "no integration named \"nope\"; list_integrations shows the names there are";
    assert_eq!(refused(&viewer, "get_integration", json!({"name": "nope"})).await, unknown);
    assert_eq!(refused(&member, "test_connection", json!({"name": "nope"})).await, unknown);
    assert_eq!(
        refused(&viewer, "integration_context", json!({"names": ["pg", "nope"]})).await,
        "No custom integration 'nope' in this organization"
    );
    let empty = refused(&viewer, "integration_context", json!({"names": []})).await;
    assert!(empty.starts_with("names: Value error, give a non-empty list"), "{empty}");

    assert_eq!(
        refused(&member, "test_connection", json!({"name": "github"})).await,
        "Custom integration 'github' has no connection_test configured"
    );
    assert_eq!(
        refused(&viewer, "test_connection", json!({"name": "pg"})).await,
        "Role 'viewer' cannot run connection tests; a member or admin token is required"
    );
    assert_eq!(
        refused(&viewer, "create_integration_from_template", json!({"template_id": "postgres", "name": "x"}))
            .await,
        "Role 'viewer' cannot create custom integrations; a member or admin token is required"
    );
    assert_eq!(
        refused(&member, "create_integration_from_template", json!({"template_id": "nope", "name": "x"}))
            .await,
        "Integration template 'nope' not found"
    );
    let taken = refused(
        &member,
        "create_integration_from_template",
        json!({"template_id": "postgres", "name": "pg"}),
    )
    .await;
    assert!(taken.contains("'pg'") && taken.contains("already exists"), "{taken}");
    let invalid = json!({"template_id": "postgres", "name": "y", "overrides": {"secrets": ["not a name"]}});
    let invalid = refused(&member, "create_integration_from_template", invalid).await;
    assert!(invalid.starts_with("overrides.secrets.0: "), "the field is named as the tool's: {invalid}");

    // Arguments that do not fit the schema are refused by the SDK, naming the field.
    let missing = refused(&member, "get_integration", json!({})).await;
    assert!(missing.contains("missing field `name`"), "{missing}");
    for client in [viewer, member] {
        client.cancel().await.unwrap();
    }
}

async fn context_prompts_are_resources(app: TestApp) {
    seed(&app).await;
    let viewer = connect(&app, Role::Viewer).await;
    let resources = viewer.list_all_resources().await.unwrap();
    let listed: Vec<(&str, &str, Option<&str>)> =
        resources.iter().map(|r| (r.uri.as_str(), r.name.as_str(), r.mime_type.as_deref())).collect();
    assert_eq!(listed, [("patchbay://integrations/pg", "pg", Some("text/markdown"))], "github has no prompt");
    let templates = viewer.list_all_resource_templates().await.unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].uri_template, "patchbay://integrations/{name}");

    let read =
        viewer.read_resource(ReadResourceRequestParams::new("patchbay://integrations/pg")).await.unwrap();
    let text = serde_json::to_value(&read.contents).unwrap();
    assert_eq!(
        text,
        json!([{"uri": "patchbay://integrations/pg", "mimeType": "text/markdown", "text": PROMPT}])
    );

    for (uri, message) in [
        ("patchbay://integrations/nope", "no integration named \"nope\""),
        ("patchbay://integrations/github", "the integration \"github\" has no context prompt"),
        (
            "file:///etc/passwd",
            "no resource file:///etc/passwd; Patchbay's are patchbay://integrations/{name}",
        ),
    ] {
        let error = viewer.read_resource(ReadResourceRequestParams::new(uri)).await.unwrap_err();
        let ServiceError::McpError(error) = error else { panic!("{uri}: {error}") };
        assert_eq!(error.code, ErrorCode::RESOURCE_NOT_FOUND, "{uri}");
        assert!(error.message.starts_with(message), "{uri}: {}", error.message);
    }
    viewer.cancel().await.unwrap();
}

async fn no_answer_carries_a_secret_value(app: TestApp) {
    seed(&app).await;
    let worker = app.worker(ORG, 10).await;
    let running = tokio::spawn(async move { worker.try_run_one().await.unwrap() });
    // An admin: the role that may do the most, workers' secret reads aside
    // (no tool reads a value).
    let admin = connect(&app, Role::Admin).await;
    let mut answers = Vec::new();
    let calls = [
        ("list_integrations", json!({})),
        ("get_integration", json!({"name": "pg"})),
        ("get_integration", json!({"name": "github"})),
        ("list_templates", json!({})),
        ("integration_context", json!({"names": ["pg", "github"]})),
        ("test_connection", json!({"name": "pg"})),
        (
            "create_integration_from_template",
            json!({"template_id": "postgres", "name": "copy",
            "overrides": {"secret_names": {"PGPASSWORD": "DB_PASSWORD"}}}),
        ),
        ("get_integration", json!({"name": "copy"})),
        ("get_integration", json!({"name": "nope"})),
    ];
    for (tool, arguments) in calls {
        answers.push(serde_json::to_string(&call(&admin, tool, arguments).await).unwrap());
    }
    running.await.unwrap();
    for resource in admin.list_all_resources().await.unwrap() {
        answers.push(serde_json::to_string(&resource).unwrap());
        let read = admin.read_resource(ReadResourceRequestParams::new(resource.uri.clone())).await.unwrap();
        answers.push(serde_json::to_string(&read).unwrap());
    }
    let everything = answers.join("\n");
    assert!(everything.contains("DB_PASSWORD") && everything.contains("pw=***"), "the answers were read");
    for value in VALUES {
        assert!(!everything.contains(value), "an answer carries the value {value}: {everything}");
    }
    admin.cancel().await.unwrap();
}

/// The audit events of `action`, newest first.
async fn events(app: &TestApp, action: &str) -> Vec<Value> {
    let (status, page) = app.get(ORG, Role::Admin, &format!("/api/v1/audit-events?action={action}")).await;
    assert_eq!(status, 200, "{page}");
    page["events"].as_array().unwrap().clone()
}

/// An event without what differs between two calls of one operation.
fn comparable(event: &Value) -> Value {
    let mut event = event.clone();
    for varying in ["id", "occurred_at", "request_id", "detail"] {
        event.as_object_mut().unwrap().remove(varying);
    }
    event
}

async fn a_tool_call_is_audited_as_its_api_call(app: TestApp) {
    seed(&app).await;
    let worker = app.worker(ORG, 10).await;
    let running = tokio::spawn(async move {
        worker.try_run_one().await.unwrap();
        worker
    });
    let mut traced = config(&app, Role::Member);
    traced
        .custom_headers
        .insert(HeaderName::from_static("x-request-id"), HeaderValue::from_static("mcp-call-1"));
    let member = ().serve(StreamableHttpClientTransport::from_config(traced)).await.unwrap();
    ok(&member, "test_connection", json!({"name": "pg"})).await;
    let worker = running.await.unwrap();

    let running = tokio::spawn(async move { worker.try_run_one().await.unwrap() });
    let (_, pg) = ok(&member, "get_integration", json!({"name": "pg"})).await;
    let path = format!("/api/v1/custom-integrations/{}/test", pg["id"].as_str().unwrap());
    let (status, body) = app.call(ORG, Role::Member, Method::POST, &path, None).await;
    assert_eq!(status, 200, "{body}");
    running.await.unwrap();

    let tested = events(&app, "integration.test").await;
    assert_eq!(tested.len(), 2, "{tested:?}");
    let (by_api, by_tool) = (&tested[0], &tested[1]);
    assert_eq!(comparable(by_tool), comparable(by_api));
    assert_eq!(
        by_tool["detail"].as_object().unwrap().keys().collect::<Vec<_>>(),
        by_api["detail"].as_object().unwrap().keys().collect::<Vec<_>>()
    );
    assert_eq!(
        (by_tool["outcome"].as_str(), by_tool["actor_role"].as_str()),
        (Some("success"), Some("member"))
    );
    assert_eq!(by_tool["request_id"], "mcp-call-1", "the MCP request's id, as the API call's own");

    // A refused call is on record too, as the API's refusal is.
    let viewer = connect(&app, Role::Viewer).await;
    refused(&viewer, "test_connection", json!({"name": "pg"})).await;
    let (status, _) = app.call(ORG, Role::Viewer, Method::POST, &path, None).await;
    assert_eq!(status, 403);
    let tested = events(&app, "integration.test").await;
    assert_eq!(tested.len(), 4, "{tested:?}");
    assert_eq!(comparable(&tested[1]), comparable(&tested[0]));
    assert_eq!(tested[1]["actor_role"], "viewer");
    assert_ne!(tested[1]["outcome"], "success");
    for client in [member, viewer] {
        client.cancel().await.unwrap();
    }
}

crate::both_backends!(
    tools_are_listed_with_their_input_schemas,
    mcp_needs_a_valid_token,
    the_tools_answer_from_the_api,
    test_connection_runs_on_a_worker,
    refusals_are_tool_errors_in_the_apis_words,
    context_prompts_are_resources,
    no_answer_carries_a_secret_value,
    a_tool_call_is_audited_as_its_api_call,
);
