use serde::{Deserialize, Serialize};
use std::fmt;

/// The tenant. Kubiya organizations are slugs, not UUIDs, so this is an
/// opaque non-empty string taken from the token's `organization` claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrganizationId(String);

impl OrganizationId {
    /// `None` for an empty claim: a token without an organization names no tenant.
    pub fn parse(value: &str) -> Option<Self> {
        (!value.is_empty()).then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganizationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a caller may do. Ordered by power except `Worker`,
/// which reads secret values but never writes integrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Worker,
    Admin,
}

impl Role {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "viewer" => Some(Self::Viewer),
            "member" => Some(Self::Member),
            "worker" => Some(Self::Worker),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Member => "member",
            Self::Worker => "worker",
            Self::Admin => "admin",
        }
    }

    /// Members and admins register and change integrations and secrets.
    pub fn can_write_integrations(self) -> bool {
        matches!(self, Self::Member | Self::Admin)
    }

    /// Secret values go only to the workers that inject them, and to admins.
    pub fn can_read_secret_values(self) -> bool {
        matches!(self, Self::Worker | Self::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting: the verified identity behind a request, scoped to one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub organization: OrganizationId,
    /// `user_id` | `sub` | `token_id` of the token; becomes `created_by`.
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub role: Role,
}
