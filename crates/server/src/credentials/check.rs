//! What refers to a credential provider is checked when it is written, so
//! a mistake is a 422 naming the field, not a failed run later: an
//! integration's `dynamic_credentials` (provider, role, TTL, env names),
//! and a provider's roles (statements that suit its kind) and connection
//! secret.
use crate::error::ApiError;
use crate::state::AppState;
use patchbay_api_types::{FieldError, LocItem};
use patchbay_domain::{
    IntegrationConfig, OrganizationId, ProviderKind, ProviderName, ProviderRole, SecretName,
};
use patchbay_store::StoreError;
use serde_json::json;
use std::collections::HashSet;

fn at(loc: &[LocItem], steps: &[LocItem]) -> Vec<LocItem> {
    loc.iter().chain(steps).cloned().collect()
}

/// Checks `config.dynamic_credentials` against the organization's
/// providers; `loc` is where the config sits in the body.
pub async fn check_dynamic_credentials(
    state: &AppState,
    org: &OrganizationId,
    config: &IntegrationConfig,
    loc: &[LocItem],
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let mut taken: HashSet<&str> =
        config.env_vars.keys().chain(&config.secrets).map(|name| name.as_str()).collect();
    for (index, entry) in config.dynamic_credentials.iter().enumerate() {
        let here = at(loc, &["dynamic_credentials".into(), index.into()]);
        match state.store.get_provider(org, &entry.provider).await {
            Ok(provider) => match provider.roles.get(&entry.role) {
                None => {
                    let roles: Vec<&str> = provider.roles.keys().map(ProviderName::as_str).collect();
                    errors.push(FieldError::new(
                        "unknown_role",
                        at(&here, &["role".into()]),
                        format!(
                            "Credential provider '{}' has no role '{}' (its roles: {})",
                            provider.name,
                            entry.role,
                            roles.join(", ")
                        ),
                        json!(entry.role.as_str()),
                    ));
                }
                Some(_) => {
                    if let Some(ttl) = entry.ttl_seconds.filter(|ttl| *ttl > provider.max_ttl_seconds) {
                        errors.push(
                            FieldError::new(
                                "less_than_equal",
                                at(&here, &["ttl_seconds".into()]),
                                format!(
                                    "Input should be less than or equal to {} (max_ttl_seconds of credential provider '{}')",
                                    provider.max_ttl_seconds, provider.name
                                ),
                                json!(ttl),
                            )
                            .with_ctx(json!({"le": provider.max_ttl_seconds})),
                        );
                    }
                }
            },
            Err(StoreError::NotFound(_)) => errors.push(FieldError::new(
                "unknown_provider",
                at(&here, &["provider".into()]),
                format!("No credential provider '{}' in this organization", entry.provider),
                json!(entry.provider.as_str()),
            )),
            Err(other) => return Err(other.into()),
        }
        for (field, name) in [("username", &entry.env.username), ("password", &entry.env.password)] {
            let Some(name) = name else { continue };
            if !taken.insert(name.as_str()) {
                errors.push(FieldError::new(
                    "value_error",
                    at(&here, &["env".into(), field.into()]),
                    format!("Value error, env var {name} is already set by this config"),
                    json!(name.as_str()),
                ));
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// Checks a provider's roles against its kind, and that its connection
/// secret exists in the organization's vault.
pub async fn check_provider_roles(
    state: &AppState,
    org: &OrganizationId,
    kind: ProviderKind,
    connection_secret: &SecretName,
    roles: &indexmap::IndexMap<ProviderName, ProviderRole>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (name, role) in roles {
        let here: Vec<LocItem> = vec!["body".into(), "roles".into(), name.as_str().into()];
        let Err(problems) = patchbay_credentials::validate_role(kind, role) else { continue };
        for problem in problems {
            let mut loc = at(&here, &[problem.field.into()]);
            if let Some(index) = problem.index {
                loc.push(index.into());
            }
            errors.push(FieldError::new(
                "value_error",
                loc,
                format!("Value error, {}", problem.message),
                json!(null),
            ));
        }
    }
    match state.store.secret_versions(org, connection_secret).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => errors.push(FieldError::new(
            "unknown_secret",
            vec!["body".into(), "connection_secret".into()],
            format!(
                "No secret '{connection_secret}' in this organization's vault; store the admin connection URL \
                 first (PUT /api/v1/secrets/{connection_secret})"
            ),
            json!(connection_secret.as_str()),
        )),
        Err(other) => return Err(other.into()),
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}
