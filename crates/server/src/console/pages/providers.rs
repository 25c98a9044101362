//! Credential providers: what each makes leases on and for how long. Read
//! only: a provider holds SQL and names the admin connection's secret, so it
//! is written by an admin through the CLI or the API, where it is reviewed
//! as a file.
use crate::console::api::encode;
use crate::console::{Console, SignedIn, layout};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use patchbay_api_types::ProviderResponse;

pub async fn page(State(console): State<Console>, user: SignedIn) -> Response {
    let session = &user.session;
    let providers: Result<Vec<ProviderResponse>, String> =
        console.api.get("/api/v1/credential-providers", session).await.into();
    let content = html! {
        h1 { "Credential providers" }
        p.hint {
            "A provider makes a database user for each lease an integration's " code { "dynamic_credentials" }
            " ask for, and drops it when the lease ends. Admins write providers with "
            code { "patchbay providers set" } " (or " code { "PUT /api/v1/credential-providers/{name}" } "); "
            "the admin connection is a vault secret, named here and never shown."
        }
        @match &providers {
            Err(message) => (layout::error(message)),
            Ok(providers) if providers.is_empty() => div.empty { p {
                "No credential providers yet. An admin stores the database's admin URL as a secret, then writes a provider naming it with "
                code { "patchbay providers set" } "."
            } },
            Ok(providers) => table.list {
                thead { tr { th { "Name" } th { "Kind" } th { "Connection secret" } th { "Default TTL" } th { "Max TTL" } th { "Roles" } th { "Updated" } } }
                tbody { @for provider in providers { tr {
                    td data-label="Name" { a href={ "/leases?provider=" (encode(&provider.name)) } { (provider.name) } }
                    td data-label="Kind" { (provider.kind) }
                    td data-label="Connection secret" { code { (provider.connection_secret) } }
                    td data-label="Default TTL" { (ttl(provider.default_ttl_seconds)) }
                    td data-label="Max TTL" { (ttl(provider.max_ttl_seconds)) }
                    td data-label="Roles" {
                        @for role in provider.roles.keys() { code { (role) } " " }
                        @if provider.roles.is_empty() { span.muted { "none" } }
                    }
                    td data-label="Updated" {
                        (layout::when(&provider.updated_at))
                        @if let Some(by) = &provider.updated_by { div.muted { "by " (by) } }
                    }
                } } }
            },
        }
    };
    layout::page("Credential providers", session, "Providers", content).into_response()
}

/// A lifetime in the largest unit that states it exactly (`1 h`, `90 min`),
/// seconds on hover.
fn ttl(seconds: u32) -> Markup {
    let text = [(86_400, "d"), (3600, "h"), (60, "min")]
        .into_iter()
        .find(|(unit, _)| seconds.is_multiple_of(*unit))
        .map_or_else(|| format!("{seconds} s"), |(unit, name)| format!("{} {name}", seconds / unit));
    html! { span title={ (seconds) " seconds" } { (text) } }
}

#[cfg(test)]
mod tests {
    use super::ttl;

    #[test]
    fn a_lifetime_is_shown_in_its_largest_exact_unit() {
        let text = |seconds| ttl(seconds).into_string();
        assert!(text(86_400).contains(">1 d<"));
        assert!(text(3600).contains(">1 h<"));
        assert!(text(5400).contains(">90 min<"));
        assert!(text(90).contains(">90 s<"));
        assert!(text(3600).contains("title=\"3600 seconds\""));
    }
}
