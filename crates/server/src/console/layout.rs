//! The page shell: head, navigation by role, sign-out, and small shared
//! pieces (CSRF field, badges, notices). maud escapes every interpolation.
use super::session::Session;
use axum::response::Html;
use maud::{DOCTYPE, Markup, html};
use patchbay_domain::Role;

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Patchbay" }
            link rel="stylesheet" href="/console/console.css";
            script src="/console/console.js" defer {}
        }
    }
}

/// A page without navigation (sign-in, errors).
pub fn bare(title: &str, content: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body { main.narrow { (content) } }
            }
        }
        .into_string(),
    )
}

/// A signed-in page; `active` marks the current section in the navigation.
pub fn page(title: &str, session: &Session, active: &str, content: Markup) -> Html<String> {
    let actor = &session.actor;
    let mut sections = vec![
        ("/integrations", "Integrations"),
        ("/secrets", "Secrets"),
        ("/providers", "Providers"),
        ("/leases", "Leases"),
        ("/workers", "Workers"),
    ];
    if actor.role == Role::Admin {
        sections.push(("/audit", "Audit log"));
        sections.push(("/webhooks", "Webhooks"));
    }
    let who = actor.email.clone().or_else(|| actor.user_id.clone()).unwrap_or_else(|| "token".into());
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body {
                    a.skip href="#main" { "Skip to content" }
                    header.top {
                        a.brand href="/integrations" { "Patchbay" }
                        nav aria-label="Sections" {
                            @for (href, label) in &sections {
                                @if *label == active {
                                    a href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                        div.who {
                            span { (who) " · " (actor.organization.as_str()) " · " strong { (actor.role.to_string()) } }
                            form method="post" action="/signout" {
                                (csrf(session))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                    main id="main" { (content) }
                }
            }
        }
        .into_string(),
    )
}

/// The hidden CSRF field every form carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A coloured status word: test results, integration health, integration,
/// worker and lease states.
pub fn badge(status: &str) -> Markup {
    let class = match status {
        "passed" | "healthy" | "active" | "online" | "success" => "ok",
        "failed" | "failing" | "error" | "timeout" | "offline" | "denied" | "failure" | "missing"
        | "revoke_failed" => "bad",
        _ => "neutral",
    };
    html! { span class={ "badge " (class) } { (status) } }
}

/// The message after a successful POST, chosen from a fixed list so that no
/// query text is echoed into the page.
pub fn notice(code: Option<&str>) -> Markup {
    let (text, warn) = match code {
        Some("created") => ("Integration created.", false),
        Some("saved") => ("Changes saved.", false),
        Some("created-warnings") => (
            "Integration created. Some text below looks like a reference but is not one: it was saved as written.",
            true,
        ),
        Some("saved-warnings") => (
            "Changes saved. Some text below looks like a reference but is not one: it was saved as written.",
            true,
        ),
        Some("restored") => ("Revision restored.", false),
        Some("deleted") => ("Integration deleted. Restore it below to use it again.", false),
        Some("undeleted") => ("Integration restored: it is active again.", false),
        Some("approved") => ("Revision approved: its connection test may receive secret values.", false),
        Some("secret") => ("Secret saved. Its value is stored encrypted and is never shown again.", false),
        Some("revoked") => ("Lease revoked: its database user is gone.", false),
        Some("webhook-deleted") => ("Webhook deleted: its receiver gets no more events.", false),
        Some("tested") => ("Connection test finished; the result is below.", false),
        Some("queued") => ("Connection test queued; reload this page for its result.", false),
        _ => return html! {},
    };
    html! { p.notice.warn[warn] role="status" { (text) } }
}

/// An error box (the API's message, or the console's own).
pub fn error(message: &str) -> Markup {
    html! { p.error role="alert" { (message) } }
}

/// A page for an API call that failed outright (404, 403...).
pub fn failure(session: &Session, title: &str, message: &str) -> Html<String> {
    page(
        title,
        session,
        "",
        html! { h1 { (title) } (error(message)) a href="/integrations" { "Back to integrations" } },
    )
}

/// An API timestamp as people read it: `2026-01-31 12:00 UTC`, full value on hover.
pub fn when(timestamp: &str) -> Markup {
    let short = match (timestamp.get(..10), timestamp.get(11..16)) {
        (Some(date), Some(time)) if timestamp.ends_with("+00:00") || timestamp.ends_with('Z') => {
            format!("{date} {time} UTC")
        }
        _ => timestamp.to_owned(),
    };
    html! { time datetime=(timestamp) title=(timestamp) { (short) } }
}
