//! Bodies of the credential providers and leases API (Patchbay's own).
//!
//! A provider's body names the vault secret holding its admin connection,
//! never the connection itself; responses carry no password.
use crate::lax::{Checker, at};
use crate::models::MAX_LEASE_TTL_SECONDS;
use crate::{FieldError, LocItem};
use indexmap::IndexMap;
use patchbay_domain::{
    CredentialProvider, Lease, ProviderKind, ProviderName, ProviderRole, SecretName, format_timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub const DEFAULT_TTL_SECONDS: i64 = 3600;
pub const DEFAULT_MAX_TTL_SECONDS: i64 = 86_400;
/// The most roles one provider holds, and statements one role runs.
pub const MAX_ROLES: usize = 50;
pub const MAX_STATEMENTS: usize = 20;
/// The longest statement or rule text, in characters.
pub const MAX_STATEMENT_CHARS: usize = 4096;

/// `PUT /api/v1/credential-providers/{name}`, as clients send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRequest {
    pub kind: ProviderKind,
    pub connection_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_ttl_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ttl_seconds: Option<u32>,
    pub roles: IndexMap<String, ProviderRole>,
}

/// A provider's body once parsed: everything but who writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedProvider {
    pub kind: ProviderKind,
    pub connection_secret: SecretName,
    pub default_ttl_seconds: u32,
    pub max_ttl_seconds: u32,
    pub roles: IndexMap<ProviderName, ProviderRole>,
}

fn body() -> Vec<LocItem> {
    vec!["body".into()]
}

/// A provider's or role's name from the URL path.
pub fn parse_provider_name(raw: &str, param: &str) -> Result<ProviderName, Vec<FieldError>> {
    ProviderName::parse(raw).map_err(|error| {
        let mut checker = Checker::new();
        checker.domain(vec!["path".into(), param.into()], json!(raw), error);
        checker.finish(|| ()).unwrap_err()
    })
}

fn ttl(checker: &mut Checker, fields: &Map<String, Value>, name: &str, default: i64) -> Option<u32> {
    let loc = at(&body(), name);
    let seconds = match fields.get(name) {
        None | Some(Value::Null) => return Some(default as u32),
        Some(value) => checker.int(&loc, value)?,
    };
    if !(1..=MAX_LEASE_TTL_SECONDS).contains(&seconds) {
        let (kind, message, ctx) = if seconds < 1 {
            ("greater_than_equal", "Input should be greater than or equal to 1".to_owned(), json!({"ge": 1}))
        } else {
            (
                "less_than_equal",
                format!("Input should be less than or equal to {MAX_LEASE_TTL_SECONDS} (30 days)"),
                json!({"le": MAX_LEASE_TTL_SECONDS}),
            )
        };
        checker.push(FieldError::new(kind, loc, message, json!(seconds)).with_ctx(ctx));
        return None;
    }
    Some(seconds as u32)
}

fn statements(checker: &mut Checker, loc: &[LocItem], value: Option<&Value>) -> Option<Vec<String>> {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Some(Vec::new()) };
    let items = checker.list(loc, value)?;
    if items.len() > MAX_STATEMENTS {
        checker.push(
            FieldError::new(
                "too_long",
                loc.to_vec(),
                format!(
                    "List should have at most {MAX_STATEMENTS} items after validation, not {}",
                    items.len()
                ),
                value.clone(),
            )
            .with_ctx(
                json!({"field_type": "List", "max_length": MAX_STATEMENTS, "actual_length": items.len()}),
            ),
        );
        return None;
    }
    let before = checker.error_count();
    let texts: Vec<String> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| checker.bounded_string(&at(loc, i), item, 1, MAX_STATEMENT_CHARS))
        .collect();
    (checker.error_count() == before).then_some(texts)
}

fn role(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<ProviderRole> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    for key in fields.keys() {
        if !["creation", "revocation", "rules"].contains(&key.as_str()) {
            checker.push(FieldError::new(
                "extra_forbidden",
                at(loc, key.as_str()),
                "Extra inputs are not permitted (a role has creation, revocation or rules)",
                fields[key].clone(),
            ));
        }
    }
    let creation = statements(checker, &at(loc, "creation"), fields.get("creation"));
    let revocation = statements(checker, &at(loc, "revocation"), fields.get("revocation"));
    let rules = match fields.get("rules").filter(|v| !v.is_null()) {
        None => Some(None),
        Some(value) => checker.bounded_string(&at(loc, "rules"), value, 1, MAX_STATEMENT_CHARS).map(Some),
    };
    (checker.error_count() == before).then(|| ProviderRole {
        creation: creation.unwrap(),
        revocation: revocation.unwrap(),
        rules: rules.unwrap(),
    })
}

/// The provider's body: its shape, names and limits. Whether each role's
/// statements suit the kind, and whether the connection secret exists, is
/// the server's check.
pub fn parse_provider(value: &Value) -> Result<ParsedProvider, Vec<FieldError>> {
    let mut checker = Checker::new();
    let loc = body();
    let Some(fields) = checker.model(&loc, value) else { return checker.finish(|| unreachable!()) };
    let kind = match fields.get("kind") {
        None => {
            checker.missing(at(&loc, "kind"), fields);
            None
        }
        Some(value) => {
            let kind = value.as_str().and_then(ProviderKind::parse);
            if kind.is_none() {
                let allowed = ProviderKind::ALL.map(ProviderKind::as_str);
                checker.push(FieldError::enumeration(at(&loc, "kind"), &allowed, value.clone()));
            }
            kind
        }
    };
    let connection_secret = match fields.get("connection_secret") {
        None => {
            checker.missing(at(&loc, "connection_secret"), fields);
            None
        }
        Some(value) => checker.string(&at(&loc, "connection_secret"), value).and_then(|text| {
            SecretName::parse(&text)
                .map_err(|error| checker.domain(at(&loc, "connection_secret"), value.clone(), error))
                .ok()
        }),
    };
    let default_ttl = ttl(&mut checker, fields, "default_ttl_seconds", DEFAULT_TTL_SECONDS);
    let max_ttl = ttl(&mut checker, fields, "max_ttl_seconds", DEFAULT_MAX_TTL_SECONDS);
    if let (Some(default), Some(max)) = (default_ttl, max_ttl)
        && default > max
    {
        checker.push(FieldError::new(
            "value_error",
            at(&loc, "default_ttl_seconds"),
            format!("Value error, default_ttl_seconds ({default}) is above max_ttl_seconds ({max})"),
            json!(default),
        ));
    }
    let roles = match fields.get("roles") {
        None => {
            checker.missing(at(&loc, "roles"), fields);
            None
        }
        Some(value) => roles(&mut checker, &at(&loc, "roles"), value),
    };
    checker.finish(|| ParsedProvider {
        kind: kind.unwrap(),
        connection_secret: connection_secret.unwrap(),
        default_ttl_seconds: default_ttl.unwrap(),
        max_ttl_seconds: max_ttl.unwrap(),
        roles: roles.unwrap(),
    })
}

fn roles(
    checker: &mut Checker,
    loc: &[LocItem],
    value: &Value,
) -> Option<IndexMap<ProviderName, ProviderRole>> {
    let entries = checker.dict(loc, value)?;
    if entries.is_empty() || entries.len() > MAX_ROLES {
        checker.push(FieldError::new(
            "value_error",
            loc.to_vec(),
            format!("Value error, a provider has 1 to {MAX_ROLES} roles, not {}", entries.len()),
            value.clone(),
        ));
        return None;
    }
    let before = checker.error_count();
    let mut roles = IndexMap::with_capacity(entries.len());
    for (key, value) in entries {
        let name = ProviderName::parse(key)
            .map_err(|error| checker.domain(at(&at(loc, key.as_str()), "[key]"), json!(key), error))
            .ok();
        let role = role(checker, &at(loc, key.as_str()), value);
        if let (Some(name), Some(role)) = (name, role) {
            roles.insert(name, role);
        }
    }
    (checker.error_count() == before).then_some(roles)
}

/// A credential provider's metadata; the admin connection is only named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderResponse {
    pub name: String,
    pub kind: ProviderKind,
    pub connection_secret: String,
    pub default_ttl_seconds: u32,
    pub max_ttl_seconds: u32,
    pub roles: IndexMap<String, ProviderRole>,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

impl From<CredentialProvider> for ProviderResponse {
    fn from(provider: CredentialProvider) -> Self {
        Self {
            name: provider.name.to_string(),
            kind: provider.kind,
            connection_secret: provider.connection_secret.to_string(),
            default_ttl_seconds: provider.default_ttl_seconds,
            max_ttl_seconds: provider.max_ttl_seconds,
            roles: provider.roles.into_iter().map(|(name, role)| (name.to_string(), role)).collect(),
            created_at: format_timestamp(provider.created_at),
            updated_at: format_timestamp(provider.updated_at),
            created_by: provider.created_by,
            updated_by: provider.updated_by,
        }
    }
}

/// A lease, as `GET /api/v1/leases` shows it; never its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseResponse {
    pub id: String,
    pub provider: String,
    pub role: String,
    pub kind: ProviderKind,
    pub username: String,
    pub integration_id: Option<String>,
    pub integration_name: Option<String>,
    pub job_id: Option<String>,
    pub state: String,
    pub created_at: String,
    pub expires_at: String,
    pub max_expires_at: String,
    pub revoked_at: Option<String>,
    pub revoke_attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_by: Option<String>,
}

impl From<Lease> for LeaseResponse {
    fn from(lease: Lease) -> Self {
        Self {
            id: lease.id.to_string(),
            provider: lease.provider.to_string(),
            role: lease.role.to_string(),
            kind: lease.kind,
            username: lease.username,
            integration_id: lease.integration_id.map(|id| id.to_string()),
            integration_name: lease.integration_name,
            job_id: lease.job_id.map(|id| id.to_string()),
            state: lease.state.as_str().to_owned(),
            created_at: format_timestamp(lease.created_at),
            expires_at: format_timestamp(lease.expires_at),
            max_expires_at: format_timestamp(lease.max_expires_at),
            revoked_at: lease.revoked_at.map(format_timestamp),
            revoke_attempts: lease.revoke_attempts,
            next_attempt_at: lease.next_attempt_at.map(format_timestamp),
            last_error: lease.last_error,
            created_by: lease.created_by,
        }
    }
}

/// A lease in a resolved bundle: what the run needs to renew or revoke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleLease {
    pub id: String,
    pub provider: String,
    pub role: String,
    pub username: String,
    pub expires_at: String,
}

impl From<&Lease> for BundleLease {
    fn from(lease: &Lease) -> Self {
        Self {
            id: lease.id.to_string(),
            provider: lease.provider.to_string(),
            role: lease.role.to_string(),
            username: lease.username.clone(),
            expires_at: format_timestamp(lease.expires_at),
        }
    }
}

/// `POST /api/v1/leases/{id}/renew`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewLeaseRequest {
    pub ttl_seconds: u32,
}

pub fn parse_renew_lease(value: &Value) -> Result<RenewLeaseRequest, Vec<FieldError>> {
    let mut checker = Checker::new();
    let Some(fields) = checker.model(&body(), value) else { return checker.finish(|| unreachable!()) };
    let seconds = match fields.get("ttl_seconds") {
        None => {
            checker.missing(at(&body(), "ttl_seconds"), fields);
            None
        }
        Some(_) => ttl(&mut checker, fields, "ttl_seconds", 0),
    };
    checker.finish(|| RenewLeaseRequest { ttl_seconds: seconds.unwrap() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locs(errors: &[FieldError]) -> Vec<Value> {
        errors.iter().map(|e| json!(e.loc)).collect()
    }

    #[test]
    fn a_provider_parses_with_its_defaults() {
        let parsed = parse_provider(&json!({
            "kind": "postgres", "connection_secret": "PG_ADMIN_URL",
            "roles": {"readonly": {"creation": ["CREATE ROLE \"{{name}}\""]}}
        }))
        .unwrap();
        assert_eq!(parsed.kind, ProviderKind::Postgres);
        assert_eq!((parsed.default_ttl_seconds, parsed.max_ttl_seconds), (3600, 86_400));
        assert_eq!(parsed.roles.len(), 1);
    }

    #[test]
    fn each_bad_field_is_named() {
        let errors = parse_provider(&json!({
            "kind": "oracle", "connection_secret": "bad name!", "default_ttl_seconds": 0,
            "max_ttl_seconds": 99_999_999, "roles": {"Bad Role": {"creation": "x"}}
        }))
        .unwrap_err();
        let locs = locs(&errors);
        for expected in [
            json!(["body", "kind"]),
            json!(["body", "connection_secret"]),
            json!(["body", "default_ttl_seconds"]),
            json!(["body", "max_ttl_seconds"]),
            json!(["body", "roles", "Bad Role", "[key]"]),
            json!(["body", "roles", "Bad Role", "creation"]),
        ] {
            assert!(locs.contains(&expected), "{expected} not in {locs:?}");
        }
    }

    #[test]
    fn default_above_max_and_empty_roles_are_refused() {
        let errors = parse_provider(&json!({
            "kind": "redis", "connection_secret": "R", "default_ttl_seconds": 100, "max_ttl_seconds": 10,
            "roles": {}
        }))
        .unwrap_err();
        assert_eq!(locs(&errors), vec![json!(["body", "default_ttl_seconds"]), json!(["body", "roles"])]);
        let missing = parse_provider(&json!({})).unwrap_err();
        assert_eq!(missing.len(), 3);
        let extra = parse_provider(&json!({"kind": "redis", "connection_secret": "R",
                                           "roles": {"app": {"rules": "~a:* +get", "password": "x"}}}))
        .unwrap_err();
        assert_eq!(locs(&extra), vec![json!(["body", "roles", "app", "password"])]);
    }

    #[test]
    fn renew_needs_a_ttl_in_range() {
        assert_eq!(parse_renew_lease(&json!({"ttl_seconds": 60})).unwrap().ttl_seconds, 60);
        assert_eq!(locs(&parse_renew_lease(&json!({})).unwrap_err()), vec![json!(["body", "ttl_seconds"])]);
        assert_eq!(
            locs(&parse_renew_lease(&json!({"ttl_seconds": 0})).unwrap_err()),
            vec![json!(["body", "ttl_seconds"])]
        );
    }
}

#[cfg(test)]
mod config_tests {
    use crate::parse_create_request;
    use serde_json::{Value, json};

    fn config(entries: Value) -> Result<crate::CreateIntegrationRequest, Vec<crate::FieldError>> {
        parse_create_request(
            &json!({"name": "n", "integration_type": "t", "config": {"dynamic_credentials": entries}}),
        )
    }

    #[test]
    fn dynamic_credentials_parse_into_the_config() {
        let parsed = config(json!([{"provider": "pg", "role": "readonly", "ttl_seconds": 600,
                                    "env": {"username": "PGUSER", "password": "PGPASSWORD"}}]))
        .unwrap();
        let entry = &parsed.config.dynamic_credentials[0];
        assert_eq!(
            (entry.provider.as_str(), entry.role.as_str(), entry.ttl_seconds),
            ("pg", "readonly", Some(600))
        );
        assert_eq!(entry.env.password.as_ref().unwrap().as_str(), "PGPASSWORD");
        // Stored and returned only when given: other configs keep the reference's shape.
        let stored = serde_json::to_value(&parsed.config).unwrap();
        assert_eq!(stored["dynamic_credentials"][0]["env"]["username"], "PGUSER");
        let plain = serde_json::to_value(patchbay_domain::IntegrationConfig::default()).unwrap();
        assert!(plain.get("dynamic_credentials").is_none());
    }

    #[test]
    fn each_bad_entry_is_named() {
        let loc = |errors: Vec<crate::FieldError>| json!(errors[0].loc);
        let at = |rest: Value| {
            let mut loc = json!(["body", "config", "dynamic_credentials", 0]);
            loc.as_array_mut().unwrap().extend(rest.as_array().unwrap().clone());
            loc
        };
        let no_env = config(json!([{"provider": "pg", "role": "ro", "env": {}}])).unwrap_err();
        assert_eq!(loc(no_env), at(json!(["env"])));
        let same =
            config(json!([{"provider": "pg", "role": "ro", "env": {"username": "X", "password": "X"}}]));
        assert_eq!(loc(same.unwrap_err()), at(json!(["env"])));
        let bad_env = config(json!([{"provider": "pg", "role": "ro", "env": {"username": "1X"}}]));
        assert_eq!(loc(bad_env.unwrap_err()), at(json!(["env", "username"])));
        let bad_name = config(json!([{"provider": "PG!", "role": "ro", "env": {"username": "U"}}]));
        assert_eq!(loc(bad_name.unwrap_err()), at(json!(["provider"])));
        let zero =
            config(json!([{"provider": "pg", "role": "ro", "ttl_seconds": 0, "env": {"username": "U"}}]));
        assert_eq!(loc(zero.unwrap_err()), at(json!(["ttl_seconds"])));
        let missing = config(json!([{"env": {"username": "U"}}])).unwrap_err();
        assert_eq!(missing.len(), 2);
    }
}
