//! The bodies of `GET /api/v1/custom-integrations` and of
//! `GET /api/v1/custom-integrations/{id}`, written straight from the stored
//! rows: each config and tag list is copied in as the JSON text the store
//! holds rather than parsed and written out again. For a page of 50
//! integrations that round trip was most of the request's cost.
//!
//! The output is byte for byte what serializing `IntegrationResponse`
//! writes (the seed's keys in its order, compact); the tests below hold the
//! two side by side.
use crate::conditional::etag;
use axum::http::header::{CONTENT_TYPE, ETAG};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use patchbay_domain::format_timestamp;
use patchbay_store::{RowWriter, StoredIntegration, StoredRow};

/// Room for everything in a row but its config and tags: keys, two UUIDs,
/// two timestamps, and short names.
const ROW_OVERHEAD: usize = 320;
/// Room reserved for a row of a list, whose rows are not known yet: a
/// typical one with its config, so a page's body rarely grows.
const LISTED_ROW: usize = 768;
/// Rows reserved for at most: a bigger list grows its buffer instead.
const MOST_ROWS_RESERVED: usize = 100;

/// A writer for `IntegrationStore::write_stored_integrations` that writes
/// the list's body as the rows are read; `list_response` closes it.
pub fn list_writer(limit: Option<u32>) -> RowWriter {
    let rows = limit.map_or(MOST_ROWS_RESERVED, |limit| (limit as usize).min(MOST_ROWS_RESERVED));
    let mut out = Vec::with_capacity(2 + rows * LISTED_ROW);
    out.push(b'[');
    RowWriter::new(out, write_listed)
}

pub fn list_response(writer: RowWriter) -> Response {
    ([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], list_body(writer)).into_response()
}

fn list_body(writer: RowWriter) -> Vec<u8> {
    let (mut body, _) = writer.finish();
    body.push(b']');
    body
}

fn write_listed(out: &mut Vec<u8>, place: usize, row: &StoredRow<'_>) {
    if place > 0 {
        out.push(b',');
    }
    write_integration(out, row);
}

/// One integration, with its revision as `ETag` (as `conditional::with_etag`).
pub fn one_response(integration: &StoredIntegration) -> Response {
    let row = integration.row();
    let mut body = Vec::with_capacity(ROW_OVERHEAD + row.config_json.len() + row.tags_json.len());
    write_integration(&mut body, &row);
    let headers =
        [(CONTENT_TYPE, HeaderValue::from_static("application/json")), (ETAG, etag(integration.revision))];
    (StatusCode::OK, headers, body).into_response()
}

fn write_integration(out: &mut Vec<u8>, i: &StoredRow<'_>) {
    let mut uuid = uuid::Uuid::encode_buffer();
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(i.id.hyphenated().encode_lower(&mut uuid).as_bytes());
    out.extend_from_slice(b"\",\"organization_id\":");
    string(out, i.organization_id);
    out.extend_from_slice(b",\"name\":");
    string(out, i.name);
    out.extend_from_slice(b",\"integration_type\":");
    string(out, i.integration_type);
    out.extend_from_slice(b",\"description\":");
    optional(out, i.description);
    out.extend_from_slice(b",\"status\":");
    string(out, i.status.as_str());
    out.extend_from_slice(b",\"config\":");
    out.extend_from_slice(i.config_json.as_bytes());
    out.extend_from_slice(b",\"tags\":");
    out.extend_from_slice(i.tags_json.as_bytes());
    out.extend_from_slice(b",\"created_at\":");
    string(out, &format_timestamp(i.created_at));
    out.extend_from_slice(b",\"updated_at\":");
    string(out, &format_timestamp(i.updated_at));
    out.extend_from_slice(b",\"created_by\":");
    optional(out, i.created_by);
    out.push(b'}');
}

/// A JSON string, escaped as serde_json escapes it everywhere else.
fn string(out: &mut Vec<u8>, value: &str) {
    serde_json::to_writer(&mut *out, value).expect("writing to a Vec cannot fail");
}

fn optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => string(out, value),
        None => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_api_types::IntegrationResponse;
    use patchbay_domain::{Integration, IntegrationStatus, OrganizationId};
    use patchbay_store::codec::{encode_config, encode_tags};
    use time::macros::datetime;

    fn stored(integration: &Integration) -> StoredIntegration {
        StoredIntegration {
            id: integration.id,
            organization_id: integration.organization_id.clone(),
            name: integration.name.clone(),
            integration_type: integration.integration_type.clone(),
            description: integration.description.clone(),
            status: integration.status,
            config_json: encode_config(&integration.config),
            tags_json: encode_tags(&integration.tags),
            created_at: integration.created_at,
            updated_at: integration.updated_at,
            created_by: integration.created_by.clone(),
            revision: integration.revision,
        }
    }

    /// Every part of a config filled, the way a client's JSON carries it.
    fn full_config() -> patchbay_domain::IntegrationConfig {
        serde_json::from_value(serde_json::json!({
            "env_vars": {"Z_FIRST": "ünïcode ✓ \"q\"", "A_SECOND": "5432"},
            "secrets": ["DB_PASSWORD"],
            "files": [
                {"path": "~/.pg/client.crt", "content": null, "secret_ref": "PG_CERT", "mode": "0600",
                 "description": "cert"},
                {"path": "notes.txt", "content": "line 1\nline 2\u{0}", "secret_ref": null, "mode": null,
                 "description": null}
            ],
            "context_prompt": "careful \u{2028} </script>",
            "connection_test": {"enabled": true, "command": "pg_isready", "timeout": 7, "interval_seconds": 60},
            "dynamic_credentials": [{"provider": "pg", "role": "readonly", "ttl_seconds": 600,
                                     "env": {"username": "PGUSER", "password": "PGPASSWORD"}}]
        }))
        .unwrap()
    }

    fn integrations() -> Vec<Integration> {
        let full = Integration {
            id: uuid::Uuid::new_v4(),
            organization_id: OrganizationId::parse("org \"a\" ✓").unwrap(),
            name: "pg \"main\" \\ \u{1} </script> ✓".into(),
            integration_type: "postgres\n".into(),
            description: Some("line\ttwo \u{2028}".into()),
            status: IntegrationStatus::Inactive,
            config: full_config(),
            tags: vec!["prod".into(), "é\"".into(), "prod".into()],
            created_at: datetime!(1999-12-31 23:59:59.000001 UTC),
            updated_at: datetime!(2026-12-02 18:00:00 UTC),
            created_by: Some("user \"1\"".into()),
            revision: 7,
        };
        let bare = Integration {
            id: uuid::Uuid::nil(),
            name: "bare".into(),
            description: None,
            status: IntegrationStatus::Deleted,
            config: Default::default(),
            tags: Vec::new(),
            created_by: None,
            ..full.clone()
        };
        vec![full, bare]
    }

    /// The list's body for `rows`, written as a backend writes it.
    fn body_of(rows: &[StoredIntegration]) -> Vec<u8> {
        let mut writer = list_writer(None);
        rows.iter().for_each(|row| writer.row(&row.row()));
        list_body(writer)
    }

    #[test]
    fn the_body_is_what_serializing_the_responses_writes() {
        let integrations = integrations();
        let rows: Vec<StoredIntegration> = integrations.iter().map(stored).collect();
        let expected: Vec<IntegrationResponse> =
            integrations.into_iter().map(IntegrationResponse::from).collect();
        let expected = serde_json::to_vec(&expected).unwrap();
        assert_eq!(String::from_utf8(body_of(&rows)).unwrap(), String::from_utf8(expected).unwrap());
        for count in 0..=2 {
            let expected: Vec<IntegrationResponse> =
                self::integrations().into_iter().take(count).map(IntegrationResponse::from).collect();
            let rows: Vec<StoredIntegration> = self::integrations().iter().take(count).map(stored).collect();
            let body: serde_json::Value = serde_json::from_slice(&body_of(&rows)).unwrap();
            assert_eq!(body.as_array().unwrap().len(), expected.len());
        }
    }

    /// A client's `limit` sizes the list's buffer only up to a bound: a
    /// huge one reserves no more than a hundred rows' room.
    #[test]
    fn a_huge_limit_reserves_a_bounded_buffer() {
        let bounded = 2 + MOST_ROWS_RESERVED * LISTED_ROW;
        for limit in [None, Some(u32::MAX), Some(1_000_000)] {
            let (body, rows) = list_writer(limit).finish();
            assert!(body.capacity() <= bounded, "{limit:?}: {}", body.capacity());
            assert_eq!((body, rows), (b"[".to_vec(), 0));
        }
        assert!(list_writer(Some(2)).finish().0.capacity() < bounded);
    }

    #[test]
    fn the_responses_are_json_and_one_integration_carries_its_revision() {
        let response = list_response(list_writer(Some(0)));
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        let integration = integrations().remove(0);
        let response = one_response(&stored(&integration));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(response.headers()[ETAG], "\"7\"");
        let mut body = Vec::new();
        write_integration(&mut body, &stored(&integration).row());
        assert_eq!(body, serde_json::to_vec(&IntegrationResponse::from(integration)).unwrap());
    }
}
