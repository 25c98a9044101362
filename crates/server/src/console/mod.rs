//! The web console (issue 9): server-rendered pages at `/`, on top of the
//! API under `/api`. Pages call the API in process as the signed-in user
//! (see `api`), so every rule — roles, validation, audit — is the API's.
//! Every asset is embedded; pages work without JavaScript.
mod api;
mod form;
mod layout;
mod lines;
mod pages;
mod session;

use crate::auth::Authenticator;
use crate::state::AppState;
use api::Api;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use session::{Session, Sessions};
use std::sync::Arc;

pub use session::{purge_expired_sessions, spawn_session_purge};

/// What console handlers share.
#[derive(Clone)]
pub struct Console {
    api: Api,
    auth: Arc<Authenticator>,
    sessions: Sessions,
}

/// The console's routes, ready to merge into the API's router.
pub fn router(state: AppState) -> Router<AppState> {
    let console = Console {
        auth: state.auth.clone(),
        sessions: Sessions::new(state.store.clone(), state.auth.clone()),
        api: Api::new(crate::routes::routes().with_state(state)),
    };
    Router::new()
        .route("/", get(|| async { Redirect::to("/integrations") }))
        .route("/signin", get(pages::signin::page).post(pages::signin::submit))
        .route("/signout", post(pages::signin::signout))
        .route("/integrations", get(pages::list::page))
        .route("/integrations/new", get(pages::edit::new_form).post(pages::edit::create))
        .route("/integrations/{id}", get(pages::detail::page))
        .route("/integrations/{id}/edit", get(pages::edit::edit_form).post(pages::edit::update))
        .route("/integrations/{id}/test", post(pages::detail::run_test))
        .route("/integrations/{id}/delete", get(pages::lifecycle::confirm).post(pages::lifecycle::delete))
        .route("/integrations/{id}/undelete", post(pages::lifecycle::undelete))
        .route("/integrations/{id}/revisions/{n}", get(pages::history::diff))
        .route("/integrations/{id}/revisions/{n}/restore", post(pages::history::restore))
        .route("/integrations/{id}/revisions/{n}/approve", post(pages::history::approve))
        .route("/secrets", get(pages::secrets::page).post(pages::secrets::set))
        .route("/providers", get(pages::providers::page))
        .route("/leases", get(pages::leases::page))
        .route("/leases/{id}/revoke", post(pages::leases::revoke))
        .route("/webhooks", get(pages::webhooks::page).post(pages::webhooks::create))
        .route("/webhooks/{id}", get(pages::webhooks::detail))
        .route("/webhooks/{id}/delete", post(pages::webhooks::delete))
        .route("/workers", get(pages::workers::page))
        .route("/audit", get(pages::audit::page))
        .route("/console/console.css", get(pages::assets::css))
        .route("/console/console.js", get(pages::assets::js))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(console)
}

/// Headers on every console response: only this origin's scripts, styles,
/// forms and frames (the pages use no inline script), and pages that hold
/// a CSRF token and organization data are never cached.
async fn security_headers(request: Request, next: axum::middleware::Next) -> Response {
    use axum::http::HeaderValue;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A signed-in caller; without a live session, pages redirect to sign-in.
pub struct SignedIn {
    id: String,
    session: Session,
}

impl FromRequestParts<Console> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let cookie = parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
        let request_id = parts.extensions.get::<crate::request_id::RequestId>().and_then(|r| r.0.clone());
        let signin = || Redirect::to("/signin").into_response();
        let id = session::cookie_value(cookie).ok_or_else(signin)?.to_owned();
        // A database that cannot answer is a 503, not a reason to sign in again.
        let found = console.sessions.get(&id).await.map_err(|e| crate::ApiError::from(e).into_response())?;
        let mut session = found.ok_or_else(signin)?;
        session.request_id = request_id;
        Ok(Self { id, session })
    }
}

/// A submitted form's fields, in order (repeated names kept), with LF line
/// breaks (see `lines`).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), lines::to_lf(&v))).collect())
    }

    /// The last value of `name`, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().rev().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order (a repeated field: one per row).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// A POST from a signed-in user whose form carried the session's CSRF token;
/// anything else is refused with 403 before the handler runs.
pub struct Posted {
    user: SignedIn,
    fields: Fields,
}

impl FromRequest<Console> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, console: &Console) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let user = SignedIn::from_request_parts(&mut parts, console).await.map_err(|_| forbidden())?;
        let bytes = axum::body::to_bytes(body, crate::body::BODY_LIMIT).await.map_err(|_| forbidden())?;
        let fields = Fields::parse(&bytes);
        if !session::same_token(fields.get("csrf"), &user.session.csrf) {
            return Err(forbidden());
        }
        Ok(Self { user, fields })
    }
}

fn forbidden() -> Response {
    let body = layout::bare(
        "Forbidden",
        maud::html! {
            h1 { "Forbidden" }
            p { "This form was not accepted: its security token is missing or stale, or you are signed out. "
                a href="/integrations" { "Reload the console" } " and try again." }
        },
    );
    (StatusCode::FORBIDDEN, body).into_response()
}
