//! One integration, readably: its health, configuration with secret
//! markers, the connection test's schedule and recent results with their
//! output, and the revision history.
use crate::console::api::encode;
use crate::console::session::Session;
use crate::console::{Console, Fields, Posted, SignedIn, layout};
use crate::routes::INTEGRATIONS;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use patchbay_api_types::{
    ConnectionTestResponse, HealthResponse, IntegrationResponse, RevisionResponse, SecretResponse,
};
use patchbay_domain::{ConnectionTest, IntegrationStatus, Role};
use std::collections::BTreeSet;

/// A secret's name with whether the vault holds a value for it.
fn secret_marker(name: &str, present: &BTreeSet<String>, writer: bool) -> Markup {
    html! {
        code { (name) } " "
        @if present.contains(name) {
            span.badge.ok title="A value is stored in the vault" { "present" }
        } @else {
            span.badge.bad.missing title="No value in the vault: resolving this integration will fail" { "missing" }
            @if writer { " " a href={ "/secrets?name=" (encode(name)) "#set" } { "Set " (name) } }
        }
    }
}

/// Text of the config that looks like a reference but is not one, said
/// where each is (the same check as the API's dry run).
fn reference_warnings(integration: &IntegrationResponse, writer: bool) -> Markup {
    let config = &integration.config;
    let warnings = patchbay_resolve::config_warnings(config);
    let place = |loc: &[String]| match loc {
        [env, key] if env == "env_vars" => format!("env var {key}"),
        [files, index, ..] if files == "files" => {
            let path = index.parse::<usize>().ok().and_then(|i| config.files.get(i));
            path.map_or_else(|| "a file".to_owned(), |file| format!("file {}", file.path.as_str()))
        }
        _ => loc.join("."),
    };
    html! {
        @if !warnings.is_empty() {
            div.warnings role="status" {
                p { "Some text looks like a reference but is not one, and is kept as written:" }
                ul { @for found in &warnings { li { strong { (place(&found.loc)) } ": " (found.warning.message) } } }
                @if writer { p { a href={ "/integrations/" (integration.id) "/edit" } { "Correct it in the form" } } }
            }
        }
    }
}

/// The health's state since when, how many failures in a row, and the
/// result that set it; a dash when the API did not answer.
fn health_fact(health: Option<&HealthResponse>) -> Markup {
    let Some(health) = health else { return html! { "—" } };
    let failures = health.consecutive_failures;
    html! {
        (layout::badge(&health.state))
        @match &health.since {
            Some(since) => { " since " (layout::when(since)) }
            None => { " " span.muted { "no test result yet" } }
        }
        @if failures > 0 { " · " (failures) @if failures == 1 { " consecutive failure" } @else { " consecutive failures" } }
        @if let Some(test) = &health.last_test {
            " · last test " (layout::badge(&test.status)) " "
            (layout::when(test.finished_at.as_deref().unwrap_or(&test.created_at)))
        }
    }
}

/// The connection test's command, timeout and schedule.
fn test_summary(test: &ConnectionTest) -> Markup {
    html! {
        p {
            code { (test.command) } " · timeout " (test.timeout.seconds()) " s · "
            @match test.interval_seconds { Some(every) => { "every " (every) " s" }, None => "on demand" }
            @if !test.enabled { " · " span.badge.neutral { "disabled" } }
        }
    }
}

async fn get<T: serde::de::DeserializeOwned>(
    console: &Console,
    session: &Session,
    path: &str,
) -> Result<T, String> {
    console.api.get(path, session).await.into()
}

pub async fn page(
    State(console): State<Console>,
    user: SignedIn,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let session = &user.session;
    let base = format!("{INTEGRATIONS}/{}", encode(&id));
    // `current` is the revision this page shows: restore and delete send it back.
    let (integration, current) = match super::integration(&console, session, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let secrets: Vec<SecretResponse> = get(&console, session, "/api/v1/secrets").await.unwrap_or_default();
    let present: BTreeSet<String> = secrets.into_iter().map(|s| s.name).collect();
    let tests: Vec<ConnectionTestResponse> =
        get(&console, session, &format!("{base}/tests?limit=5")).await.unwrap_or_default();
    let health: Option<HealthResponse> = get(&console, session, &format!("{base}/health")).await.ok();
    let revisions: Vec<RevisionResponse> =
        get(&console, session, &format!("{base}/revisions?limit=20")).await.unwrap_or_default();
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    let role = session.actor.role;
    let writer = role.can_write_integrations();
    let deleted = integration.status == IntegrationStatus::Deleted.as_str();
    let config = &integration.config;
    let content = html! {
        p.crumbs { a href="/integrations" { "← Integrations" } }
        div.title-row {
            h1 { (integration.name) " " (layout::badge(&integration.status)) }
            @if writer && !deleted {
                div.buttons {
                    a.button href={ "/integrations/" (integration.id) "/edit" } { "Edit" }
                    form method="post" action={ "/integrations/" (integration.id) "/test" } data-busy="Running…" {
                        (layout::csrf(session))
                        button type="submit" { "Run test" }
                    }
                    a.button.danger href={ "/integrations/" (integration.id) "/delete" } { "Delete" }
                }
            }
        }
        @if deleted {
            div.deleted role="status" {
                p { "This integration is deleted: agents and connection tests do not use it." }
                @if writer {
                    form method="post" action={ "/integrations/" (integration.id) "/undelete" } {
                        (layout::csrf(session))
                        input type="hidden" name="revision" value=(current.unwrap_or_default());
                        button type="submit" { "Restore " (integration.name) }
                    }
                }
            }
        }
        (layout::notice(Some(params.get("notice"))))
        (reference_warnings(&integration, writer && !deleted))
        dl.facts {
            dt { "Health" } dd.health { (health_fact(health.as_ref())) }
            dt { "Type" } dd { (integration.integration_type) }
            dt { "Description" } dd { (integration.description.as_deref().unwrap_or("—")) }
            dt { "Tags" } dd { @for tag in &integration.tags { span.tag { (tag) } " " } @if integration.tags.is_empty() { "—" } }
            dt { "Updated" } dd { (layout::when(&integration.updated_at)) @if let Some(by) = &integration.created_by { " · created by " (by) } }
        }
        section aria-labelledby="env-h" {
            h2 id="env-h" { "Environment variables" }
            @if config.env_vars.is_empty() { p.muted { "None." } } @else {
                table.kv { tbody { @for (key, value) in &config.env_vars { tr { th scope="row" { code { (key.as_str()) } } td { code { (value) } } } } } }
            }
        }
        section aria-labelledby="secrets-h" {
            h2 id="secrets-h" { "Secrets" }
            @if config.secrets.is_empty() { p.muted { "None." } } @else {
                ul.secrets { @for name in &config.secrets { li { (secret_marker(name.as_str(), &present, writer)) } } }
                @if config.secrets.iter().any(|s| !present.contains(s.as_str())) {
                    p.hint { "Set missing values on the " a href="/secrets" { "Secrets" } " page." }
                }
            }
        }
        section aria-labelledby="files-h" {
            h2 id="files-h" { "Files" }
            @if config.files.is_empty() { p.muted { "None." } } @else {
                table.list {
                    thead { tr { th { "Path" } th { "Mode" } th { "Source" } } }
                    tbody { @for file in &config.files { tr {
                        td data-label="Path" { code { (file.path.as_str()) } @if let Some(d) = &file.description { div.muted { (d) } } }
                        td data-label="Mode" { code { (file.mode.as_ref().map_or("—", |m| m.as_str())) } }
                        td data-label="Source" {
                            @if let Some(secret) = &file.secret_ref { "secret " (secret_marker(secret, &present, writer)) }
                            @else if let Some(content) = &file.content { details { summary { "inline text, " (content.len()) " bytes" } pre { (content) } } }
                        }
                    } } }
                }
            }
        }
        section aria-labelledby="prompt-h" {
            h2 id="prompt-h" { "Context prompt" }
            @match &config.context_prompt { Some(prompt) => pre.prompt { (prompt) }, None => p.muted { "None." } }
        }
        section aria-labelledby="test-h" {
            h2 id="test-h" { "Connection test" }
            @match &config.connection_test {
                Some(test) => (test_summary(test)),
                None => p.muted { "No connection test is configured." },
            }
            @if !tests.is_empty() {
                @let pending = matches!(tests[0].status.as_str(), "queued" | "running");
                table.list.tests data-pending[pending] {
                    thead { tr { th { "Result" } th { "Exit" } th { "Duration" } th { "Revision" } th { "Started" } th { "Output" } } }
                    tbody { @for test in &tests { tr {
                        td data-label="Result" { (layout::badge(&test.status)) }
                        td data-label="Exit" { (test.exit_code.map_or("—".to_owned(), |c| c.to_string())) }
                        td data-label="Duration" { (test.duration_ms.map_or("—".to_owned(), |d| format!("{d} ms"))) }
                        td data-label="Revision" { (test.revision) }
                        td data-label="Started" { @match &test.started_at { Some(t) => (layout::when(t)), None => "—" } }
                        td data-label="Output" {
                            @match &test.output { Some(output) if !output.is_empty() => details open[test.job_id == tests[0].job_id] { summary { "output" } pre.output { (output) } }, _ => span.muted { "—" } }
                        }
                    } } }
                }
            }
        }
        section aria-labelledby="history-h" {
            h2 id="history-h" { "History" }
            table.list {
                thead { tr { th { "Revision" } th { "Change" } th { "By" } th { "When" } th { "Approval" } th { span.visually-hidden { "Actions" } } } }
                tbody { @for revision in &revisions { tr {
                    td data-label="Revision" { (revision.revision) @if let Some(from) = revision.restored_from { " (from " (from) ")" } }
                    td data-label="Change" { (revision.kind) }
                    td data-label="By" { (revision.actor.as_deref().unwrap_or("—")) }
                    td data-label="When" { (layout::when(&revision.created_at)) }
                    td data-label="Approval" { @match &revision.approval { Some(a) => (a.kind), None => span.muted { "needs approval" } } }
                    td.buttons {
                        a href={ "/integrations/" (integration.id) "/revisions/" (revision.revision) } { "Changes" }
                        @if role == Role::Admin && Some(revision.revision) != current {
                            form method="post" action={ "/integrations/" (integration.id) "/revisions/" (revision.revision) "/restore" } {
                                (layout::csrf(session))
                                input type="hidden" name="current" value=(current.unwrap_or_default());
                                button.secondary type="submit" { "Restore " (revision.revision) }
                            }
                        }
                    }
                } } }
            }
        }
    };
    layout::page(&integration.name, session, "Integrations", content).into_response()
}

/// Runs the connection test, waiting for its result as the API does.
pub async fn run_test(State(console): State<Console>, Path(id): Path<String>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let path = format!("{INTEGRATIONS}/{}/test", encode(&id));
    let reply = console.api.call(Method::POST, &path, session, None).await;
    let notice = match reply.status {
        StatusCode::OK => "tested",
        StatusCode::ACCEPTED => "queued",
        _ => return layout::failure(session, "The test could not start", &reply.message()).into_response(),
    };
    Redirect::to(&format!("/integrations/{}?notice={notice}#test-h", encode(&id))).into_response()
}
