use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One step of a `loc`: a field name or a list index, as FastAPI writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LocItem {
    Key(String),
    Index(usize),
}

impl From<&str> for LocItem {
    fn from(key: &str) -> Self {
        Self::Key(key.to_owned())
    }
}

impl From<usize> for LocItem {
    fn from(index: usize) -> Self {
        Self::Index(index)
    }
}

/// One entry of a 422 `detail`, in Pydantic v2's words: `type` is Pydantic's
/// error type, `msg` its message, `input` the offending value as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    #[serde(rename = "type")]
    pub kind: String,
    pub loc: Vec<LocItem>,
    pub msg: String,
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl FieldError {
    pub fn new(kind: &str, loc: Vec<LocItem>, msg: impl Into<String>, input: Value) -> Self {
        Self { kind: kind.to_owned(), loc, msg: msg.into(), input, ctx: None }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }

    /// The body is not JSON: FastAPI reports where Python's `json` stopped.
    pub fn json_invalid(position: usize, message: &str) -> Self {
        Self::new("json_invalid", vec!["body".into(), position.into()], "JSON decode error", json!({}))
            .with_ctx(json!({ "error": message }))
    }

    /// A required body that is absent.
    pub fn missing_body() -> Self {
        Self::new("missing", vec!["body".into()], "Field required", Value::Null)
    }

    /// A value outside an enumeration, e.g. `status`.
    pub fn enumeration(loc: Vec<LocItem>, allowed: &[&str], input: Value) -> Self {
        let quoted: Vec<String> = allowed.iter().map(|v| format!("'{v}'")).collect();
        let expected = match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        Self::new("enum", loc, format!("Input should be {expected}"), input)
            .with_ctx(json!({ "expected": expected }))
    }
}

/// FastAPI's `HTTPValidationError`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationErrorBody {
    pub detail: Vec<FieldError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_message_lists_values_like_pydantic() {
        let error = FieldError::enumeration(
            vec!["query".into(), "status".into()],
            &["active", "inactive", "deleted"],
            json!("x"),
        );
        assert_eq!(error.msg, "Input should be 'active', 'inactive' or 'deleted'");
        assert_eq!(error.ctx, Some(json!({"expected": "'active', 'inactive' or 'deleted'"})));
    }

    #[test]
    fn serializes_in_fastapi_shape() {
        let body = ValidationErrorBody { detail: vec![FieldError::json_invalid(3, "Expecting value")] };
        assert_eq!(
            serde_json::to_value(body).unwrap(),
            json!({"detail": [{"type": "json_invalid", "loc": ["body", 3], "msg": "JSON decode error",
                               "input": {}, "ctx": {"error": "Expecting value"}}]})
        );
    }
}
