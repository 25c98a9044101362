//! Vault secrets: named per organization, versioned. Values never live in
//! these types; only the store's sealed blobs and the vault's `open` hold them.
use crate::names::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// A vault secret's name, `[A-Za-z0-9_.-]{1,255}`: safe in a URL path and a
/// log line, and wide enough for names like `db.password` or `PG_CLIENT-KEY`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretName(String);

impl SecretName {
    pub const PATTERN: &'static str = "^[A-Za-z0-9_.-]{1,255}$";
    pub const MAX_LEN: usize = 255;

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let valid = (1..=Self::MAX_LEN).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if valid { Ok(Self(value.to_owned())) } else { Err(ParseError::Pattern { pattern: Self::PATTERN }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SecretName {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<SecretName> for String {
    fn from(value: SecretName) -> String {
        value.0
    }
}

/// What anyone with read access may know about a secret: never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMeta {
    pub name: SecretName,
    pub description: Option<String>,
    /// The current version, counting from 1.
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub created_by: Option<String>,
}

/// One stored version of a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersionMeta {
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_url_and_log_safe() {
        for ok in ["a", "DB_PASSWORD", "db.password", "pg-client-key", "9"] {
            assert!(SecretName::parse(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(256);
        for bad in ["", "a b", "a/b", "ü", "a\nb", long.as_str()] {
            assert!(SecretName::parse(bad).is_err(), "{bad}");
        }
        assert!(SecretName::parse(&"a".repeat(255)).is_ok());
    }
}
