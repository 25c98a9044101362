//! Leases: the database users dynamic credentials made, by state and
//! provider, with a button that revokes a live one now. Revoking is the
//! API's `DELETE /api/v1/leases/{id}`, so who may and what a failure leaves
//! behind (`revoke_failed`, retried by the server) are the API's.
use crate::console::api::{Refusal, Reply, encode};
use crate::console::session::Session;
use crate::console::{Console, Fields, Posted, SignedIn, layout};
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use patchbay_api_types::{LeaseResponse, LocItem, ProviderResponse};
use patchbay_domain::{LeaseState, Role};

/// The newest leases shown; filters reach the others.
const SHOWN: usize = 100;

/// The filters, named as the API's query parameters. A revoke form carries
/// them too, so the list comes back as it was.
const FILTERS: [&str; 2] = ["state", "provider"];

/// `name=value&` for each filter set in `fields`.
fn filter_query(fields: &Fields) -> String {
    FILTERS
        .iter()
        .filter(|name| !fields.get(name).is_empty())
        .map(|name| format!("{name}={}&", encode(fields.get(name))))
        .collect()
}

/// Live leases a revocation can take now: not one another server is
/// revoking already.
fn revocable(state: &str) -> bool {
    matches!(LeaseState::parse(state), Some(LeaseState::Active | LeaseState::RevokeFailed))
}

/// A refused list, each error naming the filter it is about.
fn refusal(reply: &Reply) -> String {
    match reply.refusal() {
        Refusal::Message(message) => message,
        Refusal::Fields(errors) => errors
            .iter()
            .map(|error| match error.loc.last() {
                Some(LocItem::Key(field)) => format!("{field}: {}", error.msg),
                _ => error.msg.clone(),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The list under `filters`, with the notice of a revocation or the API's
/// reason for refusing one.
async fn render(
    console: &Console,
    session: &Session,
    filters: &Fields,
    refused: Option<&str>,
) -> Html<String> {
    let query = filter_query(filters);
    let reply = console.api.get(&format!("/api/v1/leases?{query}limit={}", SHOWN + 1), session).await;
    let listed: Result<Vec<LeaseResponse>, String> =
        if reply.status.is_success() { reply.into() } else { Err(refusal(&reply)) };
    let providers: Vec<ProviderResponse> =
        console.api.get("/api/v1/credential-providers", session).await.into().unwrap_or_default();
    let mut names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
    let chosen = filters.get("provider");
    if !chosen.is_empty() && !names.contains(&chosen) {
        // Leases outlive a deleted provider; its name stays choosable.
        names.push(chosen);
    }
    let revoker = session.actor.role != Role::Viewer;
    let content = html! {
        h1 { "Leases" }
        @if let Some(message) = refused { (layout::error(message)) } @else { (layout::notice(Some(filters.get("notice")))) }
        p.hint { "Each lease is a database user made when an integration with " code { "dynamic_credentials" } " was resolved. "
            "The server revokes it when it expires; revoking it here drops the user now. Passwords are never shown." }
        form.filters method="get" action="/leases" {
            div {
                label for="state" { "State" }
                select id="state" name="state" {
                    option value="" { "any state" }
                    @for state in LeaseState::ALL {
                        option value=(state.as_str()) selected[filters.get("state") == state.as_str()] { (state.as_str()) }
                    }
                }
            }
            div {
                label for="provider" { "Provider" }
                select id="provider" name="provider" {
                    option value="" { "any provider" }
                    @for name in &names { option value=(name) selected[chosen == *name] { (name) } }
                }
            }
            div { button type="submit" { "Filter" } }
        }
        @match &listed {
            Err(message) => (layout::error(message)),
            Ok(leases) if leases.is_empty() && !query.is_empty() => div.empty { p { "No lease matches these filters. " a href="/leases" { "Clear the filters" } "." } },
            Ok(leases) if leases.is_empty() => div.empty { p {
                "No leases yet. One is made each time a worker or " code { "patchbay run" }
                " resolves an integration whose " code { "dynamic_credentials" } " name a "
                a href="/providers" { "credential provider" } "."
            } },
            Ok(leases) => {
                table.list {
                    thead { tr { th { "Username" } th { "Provider" } th { "Role" } th { "Integration" } th { "State" } th { "Expires" } th { span.visually-hidden { "Actions" } } } }
                    tbody { @for lease in leases.iter().take(SHOWN) { tr {
                        td data-label="Username" { code { (lease.username) } div.muted { "made " (layout::when(&lease.created_at)) } }
                        td data-label="Provider" { (lease.provider) div.muted { (lease.kind) } }
                        td data-label="Role" { (lease.role) }
                        td data-label="Integration" {
                            @match (&lease.integration_id, &lease.integration_name) {
                                (Some(id), name) => a href={ "/integrations/" (encode(id)) } { (name.as_deref().unwrap_or(id)) },
                                (None, Some(name)) => (name),
                                (None, None) => span.muted { "—" },
                            }
                            @if lease.job_id.is_some() { div.muted { "for a connection test" } }
                        }
                        td data-label="State" {
                            (layout::badge(&lease.state))
                            @if lease.state == LeaseState::RevokeFailed.as_str() {
                                div.muted {
                                    (lease.revoke_attempts) @if lease.revoke_attempts == 1 { " attempt" } @else { " attempts" }
                                    @if let Some(next) = &lease.next_attempt_at { "; next " (layout::when(next)) }
                                }
                                @if let Some(error) = &lease.last_error { div.muted { "Last error: " (error) } }
                            }
                        }
                        td data-label="Expires" {
                            (layout::when(&lease.expires_at))
                            @if let Some(revoked) = &lease.revoked_at { div.muted { "revoked " (layout::when(revoked)) } }
                        }
                        td {
                            @if revoker && revocable(&lease.state) {
                                form method="post" action={ "/leases/" (encode(&lease.id)) "/revoke" } data-busy="Revoking…" {
                                    (layout::csrf(session))
                                    @for name in FILTERS { @if !filters.get(name).is_empty() { input type="hidden" name=(name) value=(filters.get(name)); } }
                                    button.danger type="submit" { "Revoke" span.visually-hidden { " " (lease.username) } }
                                }
                            }
                        }
                    } } }
                }
                @if leases.len() > SHOWN { p.hint { "The " (SHOWN) " newest are shown; filter by state or provider to see others." } }
            },
        }
    };
    layout::page("Leases", session, "Leases", content)
}

pub async fn page(State(console): State<Console>, user: SignedIn, RawQuery(query): RawQuery) -> Response {
    let filters = Fields::parse(query.unwrap_or_default().as_bytes());
    render(&console, &user.session, &filters, None).await.into_response()
}

/// Revokes now. A refusal (a viewer's 403, a database's 503 that left the
/// lease `revoke_failed`) comes back with the API's status and reason above
/// the list, where the lease's state shows what happened.
pub async fn revoke(State(console): State<Console>, Path(id): Path<String>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let reply =
        console.api.call(Method::DELETE, &format!("/api/v1/leases/{}", encode(&id)), session, None).await;
    if reply.status.is_success() {
        return Redirect::to(&format!("/leases?{}notice=revoked", filter_query(&posted.fields)))
            .into_response();
    }
    (reply.status, render(&console, session, &posted.fields, Some(&reply.message())).await).into_response()
}
