//! Dynamic credentials: an organization's credential providers (an admin
//! connection to a database and the roles it may create users for) and the
//! leases resolution takes from them (one short-lived user per run, revoked
//! when the run ends or the lease expires).
//!
//! The admin connection itself is never here: a provider names the vault
//! secret that holds it (`connection_secret`), read only by the server when
//! it creates or revokes a user.
use crate::{EnvVarName, OrganizationId, ParseError, SecretName};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// The database a provider makes users in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Postgres,
    Mysql,
    Redis,
}

impl ProviderKind {
    pub const ALL: [Self; 3] = [Self::Postgres, Self::Mysql, Self::Redis];

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Redis => "redis",
        }
    }

    /// SQL kinds create users with statements; Redis with ACL rules.
    pub fn is_sql(self) -> bool {
        !matches!(self, Self::Redis)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider's or a role's name: lower-case letters, digits, `_` and `-`,
/// starting with a letter or digit, at most 63 characters. Names appear in
/// URLs, lease filters and audit events, so they are kept plain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProviderName(String);

impl ProviderName {
    pub const PATTERN: &'static str = "^[a-z0-9][a-z0-9_-]{0,62}$";

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let mut chars = value.chars();
        let first = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if first && rest && value.len() <= 63 {
            Ok(Self(value.to_owned()))
        } else {
            Err(ParseError::Pattern { pattern: Self::PATTERN })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProviderName {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<ProviderName> for String {
    fn from(value: ProviderName) -> String {
        value.0
    }
}

/// What a provider's role makes: SQL statements for `postgres` and `mysql`
/// (`{{name}}`, `{{password}}` and `{{expiration}}` are filled in by the
/// server), ACL rules for `redis`. An empty `revocation` means the kind's
/// default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRole {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creation: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revocation: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
}

/// A credential provider as written (`PUT /credential-providers/{name}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProvider {
    pub name: ProviderName,
    pub kind: ProviderKind,
    /// The vault secret holding the admin connection URL.
    pub connection_secret: SecretName,
    pub default_ttl_seconds: u32,
    pub max_ttl_seconds: u32,
    pub roles: IndexMap<ProviderName, ProviderRole>,
    /// Who wrote it (the token's subject).
    pub written_by: Option<String>,
}

/// A stored credential provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProvider {
    pub organization_id: OrganizationId,
    pub name: ProviderName,
    pub kind: ProviderKind,
    pub connection_secret: SecretName,
    pub default_ttl_seconds: u32,
    pub max_ttl_seconds: u32,
    pub roles: IndexMap<ProviderName, ProviderRole>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

/// Where a lease's username and password go in the bundle's environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialEnv {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<EnvVarName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<EnvVarName>,
}

/// One entry of an integration's `dynamic_credentials`: resolution with
/// real values takes a lease from `provider` as `role` and puts its
/// username and password into the named env vars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynamicCredential {
    pub provider: ProviderName,
    pub role: ProviderName,
    /// `None`: the provider's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u32>,
    pub env: CredentialEnv,
}

/// Where a lease is in its life. `Active` until revoked or expired;
/// `Revoking` while one server holds it to drop the user; `RevokeFailed`
/// when that failed (retried with backoff); `Revoked` for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseState {
    Active,
    Revoking,
    Revoked,
    RevokeFailed,
}

impl LeaseState {
    pub const ALL: [Self; 4] = [Self::Active, Self::Revoking, Self::Revoked, Self::RevokeFailed];

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoking => "revoking",
            Self::Revoked => "revoked",
            Self::RevokeFailed => "revoke_failed",
        }
    }

    /// Every state but `Revoked`: the user may still exist.
    pub fn is_live(self) -> bool {
        self != Self::Revoked
    }
}

impl fmt::Display for LeaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A database user made for one resolution. The lease keeps what its
/// revocation needs (the kind, the connection secret's name and the role's
/// revocation statements, as they were at creation), so replacing the
/// provider never strands a user; it never holds the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub provider: ProviderName,
    pub role: ProviderName,
    pub kind: ProviderKind,
    pub connection_secret: SecretName,
    /// The role's revocation statements at creation (empty: the kind's default).
    pub revocation: Vec<String>,
    pub username: String,
    pub integration_id: Option<Uuid>,
    pub integration_name: Option<String>,
    /// The connection test whose claim made it, revoked when the test ends.
    pub job_id: Option<Uuid>,
    pub state: LeaseState,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Renewals never go past this: creation plus the provider's max TTL.
    pub max_expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    /// Failed revocations so far.
    pub revoke_attempts: u32,
    /// `RevokeFailed`: when the revocation is tried again. `Revoking`: when
    /// the server holding it is presumed gone and another may take it over.
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The last revocation error (names no password).
    pub last_error: Option<String>,
    pub created_by: Option<String>,
}

/// `GET /leases` filters; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseFilter {
    pub provider: Option<ProviderName>,
    pub integration: Option<String>,
    pub state: Option<LeaseState>,
    pub job_id: Option<Uuid>,
    pub limit: Option<u32>,
}
