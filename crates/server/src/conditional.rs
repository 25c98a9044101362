//! Optimistic concurrency over HTTP: `ETag: "<revision>"` on integrations,
//! `If-Match` on PUT, DELETE and restore, `If-None-Match: *` on create.
//! Without these headers nothing changes from the reference's behaviour.
use crate::error::ApiError;
use axum::Json;
use axum::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use patchbay_api_types::IntegrationResponse;
use patchbay_domain::Integration;

/// The body with its `ETag`, the integration's revision.
pub fn with_etag(status: StatusCode, integration: Integration) -> Response {
    let etag = etag(integration.revision);
    (status, [(ETAG, etag)], Json(IntegrationResponse::from(integration))).into_response()
}

/// An integration's `ETag`: its revision, quoted.
pub fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).expect("digits are a valid header")
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header, or `*`: any existing revision.
    Any,
    /// One of these revisions. A tag Patchbay never issued (weak, or not a
    /// number) is kept as `None`: it matches no revision.
    OneOf(Vec<Option<i64>>),
}

impl IfMatch {
    /// The single revision to hand the store, when the header names one;
    /// a tag that matches nothing becomes revision 0, which no integration has.
    pub fn single(&self) -> Option<Option<i64>> {
        match self {
            Self::OneOf(tags) if tags.len() == 1 => Some(Some(tags[0].unwrap_or(0))),
            Self::Any => Some(None),
            Self::OneOf(_) => None,
        }
    }

    /// For a list of tags: the revision to expect, given the current one.
    pub fn expected_given(&self, current: i64) -> Option<i64> {
        match self {
            Self::Any => None,
            Self::OneOf(tags) => Some(if tags.contains(&Some(current)) { current } else { 0 }),
        }
    }
}

fn bad_header(name: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "{name} must be * or a comma-separated list of entity tags such as \"3\" (the ETag of the integration)"
    ))
}

/// `If-Match`, parsed; a malformed header is a 400 that says the form.
pub fn if_match(headers: &HeaderMap) -> Result<IfMatch, ApiError> {
    let Some(value) = headers.get(IF_MATCH) else { return Ok(IfMatch::Any) };
    let text = value.to_str().map_err(|_| bad_header("If-Match"))?.trim();
    if text == "*" {
        return Ok(IfMatch::Any);
    }
    let mut tags = Vec::new();
    for item in text.split(',').map(str::trim) {
        let (weak, quoted) = match item.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let inner = quoted
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .filter(|inner| !inner.contains('"'))
            .ok_or_else(|| bad_header("If-Match"))?;
        // If-Match compares strongly: a weak tag never matches.
        tags.push(if weak { None } else { inner.parse::<i64>().ok().filter(|n| *n >= 1) });
    }
    Ok(IfMatch::OneOf(tags))
}

/// `If-None-Match` on create: `true` for `*` (refuse when the name is
/// taken, with 412); other values are not meaningful for a create.
pub fn if_none_match_any(headers: &HeaderMap) -> Result<bool, ApiError> {
    match headers.get(IF_NONE_MATCH) {
        None => Ok(false),
        Some(value) if value.to_str().ok().map(str::trim) == Some("*") => Ok(true),
        Some(_) => Err(ApiError::BadRequest(
            "If-None-Match on create accepts only * (create only if no live integration has the name)".into(),
        )),
    }
}

/// The revision a conditional write of integration `id` must find, from
/// `If-Match`. A list of several tags is matched against the current
/// revision first; the store then checks that revision again under its lock,
/// so a change in between still fails with 412.
pub async fn expected_revision(
    state: &crate::state::AppState,
    org: &patchbay_domain::OrganizationId,
    id: uuid::Uuid,
    headers: &HeaderMap,
) -> Result<Option<i64>, ApiError> {
    let condition = if_match(headers)?;
    match condition.single() {
        Some(expected) => Ok(expected),
        None => {
            let current = state.store.get_integration(org, id).await?.revision;
            Ok(condition.expected_given(current))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<IfMatch, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(IF_MATCH, HeaderValue::from_str(value).unwrap());
        if_match(&headers)
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(if_match(&HeaderMap::new()).unwrap(), IfMatch::Any);
        assert_eq!(parse("*").unwrap(), IfMatch::Any);
        assert_eq!(parse("\"3\"").unwrap().single(), Some(Some(3)));
        assert_eq!(parse("W/\"3\"").unwrap().single(), Some(Some(0)));
        assert_eq!(parse("\"abc\"").unwrap().single(), Some(Some(0)));
        let list = parse("\"2\", \"4\"").unwrap();
        assert_eq!(list.single(), None);
        assert_eq!(list.expected_given(4), Some(4));
        assert_eq!(list.expected_given(3), Some(0));
        for bad in ["3", "\"3", "\"3\"x", ""] {
            assert!(matches!(parse(bad), Err(ApiError::BadRequest(_))), "{bad}");
        }
    }
}
