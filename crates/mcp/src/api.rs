//! How the tools reach Patchbay: calls of its HTTP API as the MCP client's
//! own caller. The server calls its router in process with the caller's
//! token; `patchbay mcp` calls a server over HTTP with the client config's.
//! Either way the API authenticates, checks roles, validates and audits each
//! call exactly as it would any other.
use async_trait::async_trait;
use http::Method;
use patchbay_api_types::{ErrorBody, FieldError};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The API's answer: its status and its JSON body (`null` when it sent none).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

#[async_trait]
pub trait Api: Send + Sync + 'static {
    /// `method` on `path` (with its query string), with `body` as JSON when
    /// given. `Err` only when the API could not be asked: the text says why.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Reply, String>;
}

/// Why a tool or a resource read could not do what it was asked, in the
/// words the agent reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl Reply {
    /// The body as `T` when the call succeeded; the API's refusal otherwise,
    /// a 422's fields named as the API names them (`body.name`).
    pub(crate) fn into<T: DeserializeOwned>(self) -> Result<T, Refused> {
        self.into_at(&|loc| loc.join("."))
    }

    /// As `into`, with `field` naming a 422's fields from their `loc`: a
    /// tool names them as its own arguments.
    pub(crate) fn into_at<T: DeserializeOwned>(
        self,
        field: &dyn Fn(&[String]) -> String,
    ) -> Result<T, Refused> {
        if (200..300).contains(&self.status) {
            serde_json::from_value(self.body)
                .map_err(|error| Refused(format!("unexpected answer from the Patchbay API: {error}")))
        } else {
            Err(Refused(self.refusal(field)))
        }
    }

    /// The API's `detail`: its message, each field's problem of a 422, or
    /// an authentication failure's message and hint.
    fn refusal(&self, field: &dyn Fn(&[String]) -> String) -> String {
        if let Ok(ErrorBody { detail }) = serde_json::from_value(self.body.clone()) {
            return detail;
        }
        let detail = &self.body["detail"];
        if let Ok(errors) = serde_json::from_value::<Vec<FieldError>>(detail.clone()) {
            let problems: Vec<String> =
                errors.iter().map(|error| format!("{}: {}", field(&loc(error)), error.msg)).collect();
            return problems.join("; ");
        }
        match (detail["message"].as_str(), detail["hint"].as_str()) {
            (Some(message), Some(hint)) => format!("{message} ({hint})"),
            (Some(message), None) => message.to_owned(),
            _ => format!("the Patchbay API answered {}", self.status),
        }
    }
}

/// Where a 422's problem is, each step as text.
fn loc(error: &FieldError) -> Vec<String> {
    error
        .loc
        .iter()
        .map(|item| match item {
            patchbay_api_types::LocItem::Key(key) => key.clone(),
            patchbay_api_types::LocItem::Index(index) => index.to_string(),
        })
        .collect()
}

/// The calls the tools make, each answering its body or the refusal.
pub(crate) struct Calls<'a>(pub &'a dyn Api);

impl Calls<'_> {
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Refused> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: Option<Value>) -> Result<T, Refused> {
        self.send(Method::POST, path, body).await
    }

    /// The API's reply, whatever its status.
    pub async fn reply(&self, method: Method, path: &str, body: Option<Value>) -> Result<Reply, Refused> {
        self.0.call(method, path, body).await.map_err(Refused)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, Refused> {
        self.reply(method, path, body).await?.into()
    }
}

/// Percent-encodes one path segment or query value.
pub(crate) fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

/// `?a=1&b=2` of the pairs whose value is given and not empty; "" for none.
pub(crate) fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let given: Vec<String> = pairs
        .iter()
        .filter_map(|(key, value)| value.filter(|v| !v.is_empty()).map(|v| format!("{key}={}", encode(v))))
        .collect();
    if given.is_empty() { String::new() } else { format!("?{}", given.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal(status: u16, body: Value) -> String {
        Reply { status, body }.into::<Value>().unwrap_err().0
    }

    #[test]
    fn refusals_carry_the_apis_words() {
        let forbidden = json!({"detail": "Role 'viewer' cannot run connection tests; a member or admin token is required"});
        assert!(refusal(403, forbidden).contains("Role 'viewer'"));
        let invalid = json!({"detail": [{"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {}}]});
        assert_eq!(refusal(422, invalid), "body.name: Field required");
        let unauthorized =
            json!({"detail": {"error": "Unauthorized", "message": "Invalid token", "hint": "mint one"}});
        assert_eq!(refusal(401, unauthorized), "Invalid token (mint one)");
        assert_eq!(refusal(502, Value::Null), "the Patchbay API answered 502");
    }

    #[test]
    fn queries_leave_out_what_is_not_given() {
        assert_eq!(query(&[("q", None), ("tags", Some(""))]), "");
        assert_eq!(query(&[("q", Some("a b&c")), ("tags", Some("prod"))]), "?q=a%20b%26c&tags=prod");
    }
}
