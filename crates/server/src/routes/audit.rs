//! `GET /api/v1/audit-events`: the organization's audit log, for admins,
//! newest first, filtered, a page at a time behind an opaque cursor.
use crate::error::ApiError;
use crate::query::{LIST_LIMIT_MAX, QueryParams, bounded_int};
use crate::state::{AppState, Caller, require_admin};
use axum::Json;
use axum::extract::{RawQuery, State};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use patchbay_api_types::{AuditEventResponse, AuditPageResponse, Checker, FieldError, LocItem};
use patchbay_domain::{AuditAction, AuditFilter};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const DEFAULT_LIMIT: u32 = 100;
/// Marks Patchbay's cursors, so a made-up one is refused rather than misread.
const CURSOR_PREFIX: &str = "audit:";

fn loc(name: &str) -> Vec<LocItem> {
    vec!["query".into(), name.into()]
}

pub fn encode_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{seq}"))
}

fn decode_cursor(raw: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix(CURSOR_PREFIX)?.parse().ok()
}

fn timestamp(checker: &mut Checker, name: &str, raw: Option<&str>) -> Option<OffsetDateTime> {
    let raw = raw?;
    match OffsetDateTime::parse(raw, &Rfc3339) {
        Ok(at) => Some(at),
        Err(_) => {
            checker.push(FieldError::new(
                "datetime_parsing",
                loc(name),
                "Input should be a valid datetime in RFC 3339 form, e.g. 2026-01-31T12:00:00Z",
                json!(raw),
            ));
            None
        }
    }
}

/// The filters, each error at `["query", name]`.
fn filter(params: &QueryParams) -> Result<AuditFilter, Vec<FieldError>> {
    let mut checker = Checker::new();
    let action = params.get("action").filter(|a| !a.is_empty()).and_then(|raw| {
        let action = AuditAction::parse(raw);
        if action.is_none() {
            let allowed = AuditAction::ALL.map(AuditAction::as_str);
            checker.push(FieldError::enumeration(loc("action"), &allowed, Value::String(raw.to_owned())));
        }
        action
    });
    let text = |name: &str| params.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
    let since = timestamp(&mut checker, "since", params.get("since"));
    let until = timestamp(&mut checker, "until", params.get("until"));
    let limit =
        params.get("limit").map(|raw| bounded_int(&mut checker, "limit", raw, 1, Some(LIST_LIMIT_MAX)));
    let before_seq = params.get("cursor").and_then(|raw| {
        let seq = decode_cursor(raw);
        if seq.is_none() {
            checker.push(FieldError::new(
                "value_error",
                loc("cursor"),
                "Value error, not a cursor this server issued; use next_cursor from a previous page",
                json!(raw),
            ));
        }
        seq
    });
    checker.finish(|| AuditFilter {
        action,
        resource_id: text("resource_id"),
        actor: text("actor"),
        since,
        until,
        before_seq,
        limit: limit.flatten().unwrap_or(DEFAULT_LIMIT),
    })
}

pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditPageResponse>, ApiError> {
    let Caller(actor) = caller?;
    require_admin(&actor, "read the audit log")?;
    let filter = filter(&QueryParams::parse(query.as_deref()))?;
    let events = state.store.list_audit_events(&actor.organization, &filter).await?;
    // A full page may have more behind it; a short one is the last.
    let next_cursor = (events.len() == filter.limit as usize)
        .then(|| events.last().map(|last| encode_cursor(last.seq)))
        .flatten();
    Ok(Json(AuditPageResponse {
        events: events.into_iter().map(AuditEventResponse::from).collect(),
        next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("42"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("other:42")), None);
    }

    #[test]
    fn filters_are_validated() {
        let parse = |raw: &str| filter(&QueryParams::parse(Some(raw)));
        assert_eq!(parse("action=secret.read").unwrap().action, Some(AuditAction::SecretRead));
        assert_eq!(parse("action=nope").unwrap_err()[0].kind, "enum");
        assert_eq!(parse("since=yesterday").unwrap_err()[0].loc, loc("since"));
        assert_eq!(parse("limit=0").unwrap_err()[0].kind, "greater_than_equal");
        assert_eq!(parse("cursor=zzz").unwrap_err()[0].loc, loc("cursor"));
        assert_eq!(parse("").unwrap().limit, DEFAULT_LIMIT);
    }
}
