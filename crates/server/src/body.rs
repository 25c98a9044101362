//! The request body as FastAPI sees it before validation. A body that is not
//! JSON is refused here, before authentication, exactly as the reference
//! does; everything else waits for the handler to authenticate first.
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use patchbay_api_types::{FieldError, python_json_error};
use serde_json::Value;

/// Bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug)]
pub enum Body {
    /// No bytes at all.
    Missing,
    /// A JSON content type and a valid JSON document.
    Json(Value),
    /// Any other content type (or none): FastAPI validates the raw text
    /// against the model, which fails as "not an object".
    Raw(String),
}

impl Body {
    /// The JSON document, or the 422 FastAPI gives a body that is absent or
    /// not JSON.
    pub fn json(&self) -> Result<&Value, ApiError> {
        match self {
            Self::Json(value) => Ok(value),
            Self::Missing => Err(ApiError::Validation(vec![FieldError::missing_body()])),
            Self::Raw(text) => Err(ApiError::Validation(vec![FieldError::new(
                "model_attributes_type",
                vec!["body".into()],
                "Input should be a valid dictionary or object to extract fields from",
                Value::String(text.clone()),
            )])),
        }
    }
}

/// `application/json` or any `application/*+json`, parameters ignored.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.strip_prefix("application/") {
        Some(subtype) => subtype == "json" || subtype.ends_with("+json"),
        None => false,
    }
}

/// Where serde_json stopped, as a character offset, for the rare document
/// Python accepts but serde_json does not (`NaN`, a lone surrogate).
fn char_offset(text: &str, error: &serde_json::Error) -> usize {
    text.lines().take(error.line().saturating_sub(1)).map(|l| l.chars().count() + 1).sum::<usize>()
        + error.column().saturating_sub(1)
}

/// FastAPI's answer to a JSON body that is not UTF-8 (Python's `json.loads`
/// raises a `UnicodeDecodeError`, which FastAPI turns into this 400; checked
/// against FastAPI 0.165). Such a body is refused, never repaired: a lossy
/// decoding would store U+FFFD in place of the bytes that were sent.
pub const NOT_UTF8: &str = "There was an error parsing the body";

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::BadRequest(NOT_UTF8.into()))?;
    // Python's json.loads on bytes accepts one UTF-8 byte-order mark; the
    // emulator skips it itself, so it gets the text as received.
    let document = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(document).map_err(|error| {
        let field_error = match python_json_error(text) {
            Some(python) => FieldError::json_invalid(python.position, &python.message),
            None => FieldError::json_invalid(char_offset(document, &error), &error.to_string()),
        };
        ApiError::Validation(vec![field_error])
    })
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json);
        let bytes =
            Bytes::from_request(request, state).await.map_err(|rejection| match rejection.status() {
                axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: BODY_LIMIT },
                _ => ApiError::BadRequest(rejection.body_text()),
            })?;
        if bytes.is_empty() {
            Ok(Self::Missing)
        } else if json {
            parse_json(&bytes).map(Self::Json)
        } else {
            Ok(Self::Raw(String::from_utf8_lossy(&bytes).into_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_error(body: &str) -> (Value, Value) {
        match parse_json(body.as_bytes()) {
            Err(ApiError::Validation(errors)) => {
                (serde_json::to_value(&errors[0].loc).unwrap(), errors[0].ctx.clone().unwrap())
            }
            other => panic!("expected a json_invalid error, got {other:?}"),
        }
    }

    #[test]
    fn a_body_that_is_not_utf8_is_refused_not_repaired() {
        for bytes in
            [&b"{\"value\": \"\xff\"}"[..], b"{\"a\": \"\xc3\"}", b"\xef\xbb\xbf{\"a\": \"\xed\xa0\x80\"}"]
        {
            match parse_json(bytes) {
                Err(ApiError::BadRequest(message)) => assert_eq!(message, NOT_UTF8),
                other => panic!("{bytes:?}: {other:?}"),
            }
        }
        assert_eq!(parse_json("{\"a\": \"é\"}".as_bytes()).unwrap()["a"], "é");
    }

    #[test]
    fn one_byte_order_mark_is_skipped_and_a_second_is_an_error() {
        assert!(parse_json("\u{feff}{}".as_bytes()).is_ok());
        let (loc, ctx) = json_error("\u{feff}\u{feff}{}");
        assert_eq!(loc, serde_json::json!(["body", 0]));
        assert_eq!(ctx, serde_json::json!({"error": "Expecting value"}));
    }

    #[test]
    fn documents_python_accepts_but_serde_refuses_are_json_invalid() {
        let (loc, ctx) = json_error("{\"a\": NaN}");
        assert_eq!(loc, serde_json::json!(["body", 6]));
        assert!(ctx["error"].as_str().unwrap().contains("expected value"), "{ctx}");
    }

    #[test]
    fn json_content_types() {
        for yes in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(yes), "{yes}");
        }
        for no in ["text/plain", "text/json", "application/x-www-form-urlencoded", ""] {
            assert!(!is_json(no), "{no}");
        }
    }
}
