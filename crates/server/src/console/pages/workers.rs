//! Workers: online or offline, and when each was last heard from.
use crate::console::{Console, SignedIn, layout};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use patchbay_api_types::WorkerResponse;

pub async fn page(State(console): State<Console>, user: SignedIn) -> Response {
    let session = &user.session;
    let workers: Result<Vec<WorkerResponse>, String> =
        console.api.get("/api/v1/workers", session).await.into();
    let content = html! {
        h1 { "Workers" }
        p.hint { "Workers run connection tests. " code { "patchbay serve" } " runs one of its own; start more with " code { "patchbay worker" } "." }
        @match &workers {
            Err(message) => (layout::error(message)),
            Ok(workers) if workers.is_empty() => div.empty { p { "No worker has registered yet, so connection tests wait in the queue. Start one with " code { "patchbay worker --server <url>" } " and a worker token." } },
            Ok(workers) => table.list {
                thead { tr { th { "Name" } th { "State" } th { "Last heartbeat" } th { "Registered" } th { "Kind" } } }
                tbody { @for worker in workers { tr {
                    td data-label="Name" { (worker.name) div.muted { code { (worker.id) } } }
                    td data-label="State" { (layout::badge(&worker.state)) }
                    td data-label="Last heartbeat" { (layout::when(&worker.last_heartbeat_at)) }
                    td data-label="Registered" { (layout::when(&worker.registered_at)) }
                    td data-label="Kind" { @if worker.embedded { "embedded in the server" } @else { "separate process" } }
                } } }
            },
        }
    };
    layout::page("Workers", session, "Workers", content).into_response()
}
