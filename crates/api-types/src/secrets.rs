//! Bodies of the secrets API. A secret value is never echoed back in an
//! error: where Pydantic would put the input, these errors say `[redacted]`.
use crate::lax::{Checker, at};
use crate::{FieldError, LocItem};
use patchbay_domain::{SecretMeta, SecretName, SecretVersionMeta, format_timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Largest value the vault keeps: 64 KiB of UTF-8.
pub const SECRET_VALUE_MAX_BYTES: usize = 64 * 1024;
pub const REDACTED: &str = "[redacted]";

/// `PUT /api/v1/secrets/{name}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutSecretRequest {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl std::fmt::Debug for PutSecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PutSecretRequest")
            .field("value", &REDACTED)
            .field("description", &self.description)
            .finish()
    }
}

/// The error for a body that is not a JSON object, without the body itself
/// (it may be the secret).
pub fn redacted_body_error() -> FieldError {
    FieldError::new(
        "model_attributes_type",
        vec!["body".into()],
        "Input should be a valid dictionary or object to extract fields from",
        json!(REDACTED),
    )
}

fn redact(mut error: FieldError) -> FieldError {
    error.input = json!(REDACTED);
    error
}

pub fn parse_put_secret(value: &Value) -> Result<PutSecretRequest, Vec<FieldError>> {
    let mut checker = Checker::new();
    let loc: Vec<LocItem> = vec!["body".into()];
    let Some(fields) = checker.model(&loc, value) else { return Err(vec![redacted_body_error()]) };
    let secret = match fields.get("value") {
        None => {
            checker.push(FieldError::new("missing", at(&loc, "value"), "Field required", json!(REDACTED)));
            None
        }
        Some(v) => {
            let mut inner = Checker::new();
            match inner.string(&at(&loc, "value"), v) {
                Some(text) if text.len() > SECRET_VALUE_MAX_BYTES => {
                    checker.push(
                        FieldError::new(
                            "string_too_long",
                            at(&loc, "value"),
                            format!(
                                "Secret values are at most {SECRET_VALUE_MAX_BYTES} bytes (64 KiB) of UTF-8"
                            ),
                            json!(REDACTED),
                        )
                        .with_ctx(json!({"max_length": SECRET_VALUE_MAX_BYTES})),
                    );
                    None
                }
                Some(text) => Some(text),
                None => {
                    if let Err(errors) = inner.finish(|| ()) {
                        errors.into_iter().for_each(|e| checker.push(redact(e)));
                    }
                    None
                }
            }
        }
    };
    let description = checker.optional_string(&at(&loc, "description"), fields.get("description"));
    checker.finish(|| PutSecretRequest { value: secret.unwrap(), description: description.unwrap() })
}

/// A secret name from the URL path.
pub fn parse_secret_name(raw: &str) -> Result<SecretName, Vec<FieldError>> {
    SecretName::parse(raw).map_err(|error| {
        let mut checker = Checker::new();
        checker.domain(vec!["path".into(), "name".into()], json!(raw), error);
        checker.finish(|| ()).unwrap_err()
    })
}

/// A secret's metadata; there is no field for its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretResponse {
    pub name: String,
    pub description: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: Option<String>,
}

impl From<SecretMeta> for SecretResponse {
    fn from(meta: SecretMeta) -> Self {
        Self {
            name: meta.name.to_string(),
            description: meta.description,
            version: meta.version,
            created_at: format_timestamp(meta.created_at),
            updated_at: format_timestamp(meta.updated_at),
            created_by: meta.created_by,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretVersionResponse {
    pub version: i64,
    pub created_at: String,
    pub created_by: Option<String>,
}

impl From<SecretVersionMeta> for SecretVersionResponse {
    fn from(meta: SecretVersionMeta) -> Self {
        Self {
            version: meta.version,
            created_at: format_timestamp(meta.created_at),
            created_by: meta.created_by,
        }
    }
}

/// `GET /api/v1/secrets/value/{name}`, the reference's path and shape.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretValueResponse {
    pub value: String,
}

impl std::fmt::Debug for SecretValueResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValueResponse").field("value", &REDACTED).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_never_echoed_in_errors() {
        let secret = "hunter2-very-secret";
        for body in [
            json!({"value": 42, "description": "d"}),
            json!({"value": format!("{secret}{}", "x".repeat(SECRET_VALUE_MAX_BYTES))}),
            json!({"description": secret}),
            json!(secret),
        ] {
            let errors = parse_put_secret(&body).unwrap_err();
            let text = serde_json::to_string(&errors).unwrap();
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn limits_and_shapes() {
        let ok = parse_put_secret(&json!({"value": "x".repeat(SECRET_VALUE_MAX_BYTES)})).unwrap();
        assert_eq!(ok.value.len(), SECRET_VALUE_MAX_BYTES);
        let too_long =
            parse_put_secret(&json!({"value": "x".repeat(SECRET_VALUE_MAX_BYTES + 1)})).unwrap_err();
        assert_eq!(
            (too_long[0].kind.as_str(), &too_long[0].loc),
            ("string_too_long", &vec!["body".into(), "value".into()])
        );
        let missing = parse_put_secret(&json!({})).unwrap_err();
        assert_eq!(missing[0].kind, "missing");
        assert!(!format!("{ok:?}").contains("xxx"), "Debug redacts");
        assert_eq!(parse_secret_name("a b").unwrap_err()[0].loc, vec![LocItem::from("path"), "name".into()]);
    }
}
