//! Sign-in by pasting a token, and sign-out.
use crate::console::session::{clear_cookie, cookie_value, set_cookie, token_expiry};
use crate::console::{Console, Fields, Posted, layout};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

fn form(error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in to Patchbay" }
        p { "Paste an API token. An administrator can mint one with "
            code { "patchbay token mint --org <org> --role member" } "." }
        @if let Some(error) = error { (layout::error(error)) }
        form method="post" action="/signin" {
            label for="token" { "API token" }
            textarea id="token" name="token" rows="4" required autocomplete="off" spellcheck="false" {}
            button type="submit" { "Sign in" }
        }
    }
}

pub async fn page(State(console): State<Console>, headers: HeaderMap) -> Response {
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    if let Some(id) = cookie_value(cookie)
        && let Ok(Some(_)) = console.sessions.get(id).await
    {
        return Redirect::to("/integrations").into_response();
    }
    layout::bare("Sign in", form(None)).into_response()
}

/// Whether a sign-in came from another site's page. The sign-in form has no
/// session to bind a CSRF token to, so a cross-site `Origin` is refused:
/// another site must not sign a visitor in under its own token.
fn cross_site(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return false };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin_host != host
}

pub async fn submit(State(console): State<Console>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if cross_site(&headers) {
        return (
            StatusCode::FORBIDDEN,
            layout::bare("Sign in", form(Some("Sign in from this console's own page."))),
        )
            .into_response();
    }
    let fields = Fields::parse(&body);
    let token = fields.get("token").trim().to_owned();
    // The actor is not kept: every request verifies the stored token again.
    let verified = console.auth.verify(&token).ok().and_then(|_| token_expiry(&token));
    let Some(expires_at) = verified else {
        let page = layout::bare(
            "Sign in",
            form(Some("That token is not valid: it may be expired, or signed with another key.")),
        );
        return (StatusCode::UNAUTHORIZED, page).into_response();
    };
    let id = match console.sessions.start(&token, expires_at).await {
        Ok(id) => id,
        Err(error) => return crate::ApiError::from(error).into_response(),
    };
    ([(header::SET_COOKIE, set_cookie(&id, expires_at))], Redirect::to("/integrations")).into_response()
}

pub async fn signout(State(console): State<Console>, posted: Posted) -> Response {
    if let Err(error) = console.sessions.end(&posted.user.id).await {
        return crate::ApiError::from(error).into_response();
    }
    ([(header::SET_COOKIE, clear_cookie())], Redirect::to("/signin")).into_response()
}
