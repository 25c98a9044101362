//! The integrations list: search, filters, pagination, health, last test result.
use crate::console::api::encode;
use crate::console::{Console, Fields, SignedIn, layout};
use crate::routes::INTEGRATIONS;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use patchbay_api_types::{ConnectionTestResponse, HealthSummary, IntegrationResponse};
use std::collections::HashMap;

pub const PAGE_SIZE: usize = 20;

const HEALTH: &str = "/api/v1/integration-health";

/// The filter fields, in the list's query string and the API's names.
const FILTERS: [&str; 4] = ["q", "integration_type", "status", "tags"];

pub async fn page(State(console): State<Console>, user: SignedIn, RawQuery(query): RawQuery) -> Response {
    let session = &user.session;
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    let page: usize = params.get("page").parse().unwrap_or(1).max(1);
    let mut api_query: String = FILTERS
        .iter()
        .filter(|f| !params.get(f).is_empty())
        .map(|f| format!("{f}={}&", encode(params.get(f))))
        .collect();
    let filtered = !api_query.is_empty();
    api_query.push_str(&format!("limit={}&offset={}", PAGE_SIZE + 1, (page - 1) * PAGE_SIZE));
    let reply = console.api.get(&format!("{INTEGRATIONS}?{api_query}"), session).await;
    let listed: Result<Vec<IntegrationResponse>, String> = reply.into();
    let (mut items, error) = match listed {
        Ok(items) => (items, None),
        Err(message) => (Vec::new(), Some(message)),
    };
    let more = items.len() > PAGE_SIZE;
    items.truncate(PAGE_SIZE);
    let mut last_tests = Vec::with_capacity(items.len());
    for item in &items {
        let path = format!("{INTEGRATIONS}/{}/tests?limit=1", item.id);
        let tests: Vec<ConnectionTestResponse> =
            console.api.get(&path, session).await.into().unwrap_or_default();
        last_tests.push(tests.into_iter().next());
    }
    // One call for the whole organization; an integration it leaves out has
    // no result yet (a failed call shows no health rather than `unknown`).
    let health: Option<HashMap<String, String>> = console
        .api
        .get(HEALTH, session)
        .await
        .into::<Vec<HealthSummary>>()
        .ok()
        .map(|health| health.into_iter().map(|h| (h.integration_id, h.state)).collect());
    let link = |page: usize| {
        let mut query: String = FILTERS
            .iter()
            .filter(|f| !params.get(f).is_empty())
            .map(|f| format!("{f}={}&", encode(params.get(f))))
            .collect();
        query.push_str(&format!("page={page}"));
        format!("/integrations?{query}")
    };
    let writer = session.actor.role.can_write_integrations();
    let content = html! {
        div.title-row {
            h1 { "Integrations" }
            @if writer { a.button href="/integrations/new" { "New integration" } }
        }
        (layout::notice(params.get("notice").into()))
        form.filters method="get" action="/integrations" role="search" {
            div { label for="q" { "Search" } input id="q" name="q" type="search" value=(params.get("q")) placeholder="name or description"; }
            div { label for="integration_type" { "Type" } input id="integration_type" name="integration_type" value=(params.get("integration_type")); }
            div {
                label for="status" { "Status" }
                select id="status" name="status" {
                    @for (value, label) in [("", "active and inactive"), ("active", "active"), ("inactive", "inactive"), ("deleted", "deleted")] {
                        option value=(value) selected[params.get("status") == value] { (label) }
                    }
                }
            }
            div { label for="tags" { "Tags" } input id="tags" name="tags" value=(params.get("tags")) placeholder="comma-separated, all required"; }
            div { button type="submit" { "Filter" } }
        }
        @if let Some(error) = &error { (layout::error(error)) }
        @if items.is_empty() && error.is_none() {
            div.empty {
                @if filtered || page > 1 {
                    p { "No integration matches these filters. " a href="/integrations" { "Clear the filters" } "." }
                } @else if writer {
                    p { strong { "No integrations yet." } " An integration describes how an agent reaches a tool: its environment variables, secrets, files and a connection test." }
                    p { "Start from a template — " a href="/integrations/new?template=postgres" { "PostgreSQL" } " is a good first one — or " a href="/integrations/new" { "from scratch" } ". Then set its secrets on the " a href="/secrets" { "Secrets" } " page and run its connection test." }
                } @else {
                    p { strong { "No integrations yet." } " Your role is read-only: ask a member or an admin of your organization to create the first one." }
                }
            }
        } @else if !items.is_empty() {
            table.list {
                thead { tr { th { "Name" } th { "Type" } th { "Status" } th { "Health" } th { "Tags" } th { "Last test" } th { "Updated" } } }
                tbody {
                    @for (item, test) in items.iter().zip(&last_tests) {
                        tr {
                            td data-label="Name" {
                                a href={ "/integrations/" (item.id) } { (item.name) }
                                @if let Some(description) = &item.description { div.muted { (description) } }
                            }
                            td data-label="Type" { (item.integration_type) }
                            td data-label="Status" { (layout::badge(&item.status)) }
                            td data-label="Health" {
                                @match &health {
                                    Some(health) => (layout::badge(health.get(&item.id).map_or("unknown", String::as_str))),
                                    None => span.muted { "—" },
                                }
                            }
                            td data-label="Tags" { @for tag in &item.tags { span.tag { (tag) } " " } }
                            td data-label="Last test" {
                                @match test {
                                    Some(test) => (layout::badge(&test.status)),
                                    None => span.muted { "never run" },
                                }
                            }
                            td data-label="Updated" { (layout::when(&item.updated_at)) }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if page > 1 { a href=(link(page - 1)) rel="prev" { "← Previous" } }
            @if page > 1 || more { span { "Page " (page) } }
            @if more { a href=(link(page + 1)) rel="next" { "Next →" } }
        }
    };
    layout::page("Integrations", session, "Integrations", content).into_response()
}
