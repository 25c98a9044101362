//! `POST /api/v1/custom-integrations/resolve`: integrations to a bundle.
//! Real values go to workers and admins; a dry run, for any
//! role, answers the same report with every secret value masked.
use crate::audit::{Action, Resource, outcome_of};
use crate::body::Body;
use crate::credentials::{TakenLease, Taker, revoke_lease, revoke_taken, take_leases};
use crate::error::ApiError;
use crate::query::QueryParams;
use crate::request_id::RequestId;
use crate::state::{AppState, Caller, require};
use axum::Json;
use axum::extract::{RawQuery, State};
use indexmap::IndexMap;
use patchbay_api_types::{
    BundleFileResponse, BundleLease, BundleResponse, FieldError, LocItem, ReferenceWarning, ResolveTargets,
    ResolvedIntegrationResponse, format_mode, parse_bool_str, parse_resolve_request,
};
use patchbay_domain::{Actor, Integration, SecretName};
use patchbay_resolve::{Problem, SecretSource};
use patchbay_store::StoreError;
use serde_json::{Value, json};
use std::collections::HashMap;
use zeroize::Zeroizing;

/// What a dry run shows in place of every secret value.
pub const MASK: &str = "***";

/// Secret values for the resolver: the vault's, or the mask in a dry run.
struct Secrets(HashMap<String, Zeroizing<String>>);

impl SecretSource for Secrets {
    fn secret(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|value| value.to_string())
    }
}

fn dry_run(params: &QueryParams) -> Result<bool, ApiError> {
    match params.get("dry_run") {
        None => Ok(false),
        Some(raw) => parse_bool_str(raw).ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new(
                "bool_parsing",
                vec!["query".into(), "dry_run".into()],
                "Input should be a valid boolean, unable to interpret input",
                json!(raw),
            )])
        }),
    }
}

fn unknown(list: &str, index: usize, input: &str) -> FieldError {
    FieldError::new(
        "unknown_integration",
        vec!["body".into(), list.into(), index.into()],
        format!("No custom integration '{input}' in this organization"),
        json!(input),
    )
}

/// The integrations asked for, in order, and a problem for each unknown one
/// (another organization's ids are unknown too: nothing is revealed), read
/// in one query whatever their number.
async fn load(
    state: &AppState,
    actor: &Actor,
    targets: &ResolveTargets,
) -> Result<(Vec<Integration>, Vec<FieldError>), ApiError> {
    let org = &actor.organization;
    Ok(match targets {
        ResolveTargets::Ids(ids) => {
            // A malformed id is unknown, as a missing one is.
            let parse = |raw: &str| uuid::Uuid::parse_str(raw).ok();
            let wanted: Vec<uuid::Uuid> = ids.iter().filter_map(|raw| parse(raw)).collect();
            let fetched = state.store.get_integrations_by_ids(org, &wanted).await?;
            in_order("integration_ids", ids, parse, fetched, |integration| integration.id)
        }
        ResolveTargets::Names(names) => {
            let fetched = state.store.get_integrations_by_names(org, names).await?;
            in_order(
                "names",
                names,
                |name| Some(name.to_owned()),
                fetched,
                |integration| integration.name.clone(),
            )
        }
    })
}

/// What was fetched, in the order asked (a target asked twice is there
/// twice: the store answers in no order and each row once), and a problem
/// at the index of each target that was not.
fn in_order<K: Eq + std::hash::Hash>(
    list: &str,
    asked: &[String],
    key_of_target: impl Fn(&str) -> Option<K>,
    fetched: Vec<Integration>,
    key_of: impl Fn(&Integration) -> K,
) -> (Vec<Integration>, Vec<FieldError>) {
    let fetched: HashMap<K, Integration> =
        fetched.into_iter().map(|integration| (key_of(&integration), integration)).collect();
    let (mut found, mut problems) = (Vec::new(), Vec::new());
    for (index, raw) in asked.iter().enumerate() {
        match key_of_target(raw).and_then(|key| fetched.get(&key)) {
            Some(integration) => found.push(integration.clone()),
            None => problems.push(unknown(list, index, raw)),
        }
    }
    (found, problems)
}

fn problem_entry(problem: Problem) -> FieldError {
    let loc = problem.loc.into_iter().map(LocItem::Key).collect();
    FieldError::new(problem.kind.as_str(), loc, problem.message, Value::Null)
}

/// Text that looks like a reference but is not one, in the integrations'
/// env var values and file contents, placed like a problem.
fn reference_warnings(integrations: &[Integration]) -> Vec<ReferenceWarning> {
    integrations
        .iter()
        .filter(|integration| patchbay_resolve::is_active(integration))
        .flat_map(|integration| {
            patchbay_resolve::config_warnings(&integration.config).into_iter().map(|found| {
                let mut loc = vec!["integrations".to_owned(), integration.name.clone(), "config".to_owned()];
                loc.extend(found.loc);
                ReferenceWarning {
                    loc,
                    msg: found.warning.message,
                    text: found.warning.text,
                    suggestion: found.warning.suggestion,
                }
            })
        })
        .collect()
}

/// In a dry run, each lease's env vars read `***`, and an entry whose
/// provider or role is gone is a problem a real resolution would refuse.
async fn mask_leases(
    state: &AppState,
    actor: &Actor,
    integrations: &[Integration],
    env: &mut IndexMap<String, String>,
) -> Result<Vec<FieldError>, ApiError> {
    let mut problems = Vec::new();
    for integration in integrations.iter().filter(|i| patchbay_resolve::is_active(i)) {
        for (index, entry) in integration.config.dynamic_credentials.iter().enumerate() {
            let known = match state.store.get_provider(&actor.organization, &entry.provider).await {
                Ok(provider) => provider.roles.contains_key(&entry.role),
                Err(StoreError::NotFound(_)) => false,
                Err(other) => return Err(other.into()),
            };
            if !known {
                let loc = ["integrations", integration.name.as_str(), "config", "dynamic_credentials"]
                    .into_iter()
                    .map(LocItem::from)
                    .chain([LocItem::from(index)])
                    .collect();
                problems.push(FieldError::new(
                    "unknown_provider",
                    loc,
                    format!("No credential provider '{}' with a role '{}'", entry.provider, entry.role),
                    Value::Null,
                ));
            }
            for name in [&entry.env.username, &entry.env.password].into_iter().flatten() {
                env.insert(name.to_string(), MASK.to_owned());
            }
        }
    }
    Ok(problems)
}

/// Puts each lease's username and password into the bundle's env vars; an
/// env var the bundle already sets is a clash, refused rather than
/// silently overwritten.
fn place_leases(taken: &[TakenLease], env: &mut IndexMap<String, String>) -> Result<(), Box<FieldError>> {
    for lease in taken {
        let values = [
            (&lease.env.username, lease.lease.username.as_str()),
            (&lease.env.password, lease.password.as_str()),
        ];
        for (name, value) in values {
            let Some(name) = name else { continue };
            if env.contains_key(name.as_str()) {
                let integration = lease.lease.integration_name.clone().unwrap_or_default();
                return Err(Box::new(FieldError::new(
                    "env_conflict",
                    vec![
                        "integrations".into(),
                        integration.as_str().into(),
                        "config".into(),
                        "dynamic_credentials".into(),
                    ],
                    format!(
                        "Env var {name} of a dynamic credential is already set by another part of the bundle"
                    ),
                    Value::Null,
                )));
            }
            env.insert(name.to_string(), value.to_owned());
        }
    }
    Ok(())
}

/// Every resolution is audited: which integrations, which secret names
/// (never values), dry run or not, and how it ended.
pub async fn resolve(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    request_id: RequestId,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Json<BundleResponse>, ApiError> {
    let Caller(actor) = caller?;
    let mut resource = Resource::bundle();
    let result = resolve_for(&state, &actor, query.as_deref(), &body, &mut resource, &request_id).await;
    match result {
        // A bundle with secret values leaves only once it is on record;
        // the leases it took are revoked if it cannot leave.
        Ok((bundle, true)) => {
            let resource =
                resource.with("leases", json!(bundle.leases.iter().map(|l| &l.id).collect::<Vec<_>>()));
            if let Err(error) = state.audit().required(&actor, Action::Resolve, resource, &request_id).await {
                for lease in &bundle.leases {
                    if let Ok(id) = uuid::Uuid::parse_str(&lease.id) {
                        let _ = revoke_lease(&state, &actor.organization, id, None, None).await;
                    }
                }
                return Err(error);
            }
            Ok(bundle)
        }
        other => {
            let result = other.map(|(bundle, _)| bundle);
            state.audit().record(&actor, Action::Resolve, resource, outcome_of(&result), &request_id).await;
            result
        }
    }
}

/// The bundle, and whether it carries real secret values.
type Resolved = (Json<BundleResponse>, bool);

async fn resolve_for(
    state: &AppState,
    actor: &Actor,
    query: Option<&str>,
    body: &Body,
    resource: &mut Resource,
    request_id: &RequestId,
) -> Result<Resolved, ApiError> {
    let dry_run = dry_run(&QueryParams::parse(query))?;
    *resource = std::mem::replace(resource, Resource::bundle()).with("dry_run", json!(dry_run));
    if !dry_run {
        require(
            actor,
            actor.role.can_read_secret_values(),
            "resolve bundles with secret values (use ?dry_run=true to check one)",
            "a worker or admin",
        )?;
    }
    let targets = parse_resolve_request(body.json()?)?;
    let (integrations, mut problems) = load(state, actor, &targets).await?;

    let names: Vec<SecretName> = patchbay_resolve::secret_names(&integrations)
        .iter()
        .filter_map(|name| SecretName::parse(name).ok())
        .collect();
    let resolved: Vec<Value> =
        integrations.iter().map(|i| json!({"id": i.id, "name": i.name, "revision": i.revision})).collect();
    *resource = std::mem::replace(resource, Resource::bundle())
        .with("integrations", Value::Array(resolved))
        .with("secret_names", json!(names.iter().map(SecretName::as_str).collect::<Vec<_>>()));
    let sealed = state.store.secret_values(&actor.organization, &names).await?;
    let secrets = if dry_run {
        Secrets(
            sealed
                .into_iter()
                .map(|(name, _, _)| (name.to_string(), Zeroizing::new(MASK.to_owned())))
                .collect(),
        )
    } else {
        Secrets(state.vault.open_many(&actor.organization, sealed).await?)
    };
    let resolution = patchbay_resolve::resolve_within(&integrations, &secrets, state.limits.bundle);
    let warnings = reference_warnings(&integrations);
    problems.extend(resolution.problems.into_iter().map(problem_entry));
    let resolved: Vec<&str> = resolution.bundle.integrations.iter().map(|i| i.name.as_str()).collect();
    tracing::info!(integrations = ?resolved, secrets = names.len(), dry_run, problems = problems.len(), "bundle resolved");
    if !dry_run && !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }

    let mut bundle = resolution.bundle;
    let leases = if dry_run {
        problems.extend(mask_leases(state, actor, &integrations, &mut bundle.env_vars).await?);
        Vec::new()
    } else {
        let audit = crate::audit::context(actor, request_id);
        let taker = Taker { actor: actor.user_id.clone(), audit: Some(&audit), job: None, ttl_cap: None };
        let taken = take_leases(state, &actor.organization, &integrations, &taker)
            .await
            .map_err(|failure| ApiError::Validation(vec![failure.field_error()]))?;
        if let Err(collision) = place_leases(&taken, &mut bundle.env_vars) {
            revoke_taken(state, &actor.organization, &taken).await;
            return Err(ApiError::Validation(vec![*collision]));
        }
        taken.iter().map(|taken| BundleLease::from(&taken.lease)).collect()
    };
    let carries_values = !dry_run && (!secrets.0.is_empty() || !leases.is_empty());
    let response = Json(BundleResponse {
        env_vars: bundle.env_vars,
        files: bundle
            .files
            .into_iter()
            .map(|file| BundleFileResponse {
                path: file.path,
                content: file.content,
                mode: format_mode(file.mode),
                description: file.description,
            })
            .collect(),
        context_prompt: bundle.context_prompt,
        integrations: bundle
            .integrations
            .into_iter()
            .map(|i| ResolvedIntegrationResponse {
                id: i.id.to_string(),
                name: i.name,
                integration_type: i.integration_type,
                revision: i.revision,
            })
            .collect(),
        missing: problems,
        dry_run,
        warnings,
        leases,
    });
    Ok((response, carries_values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_domain::{IntegrationConfig, IntegrationStatus, OrganizationId};

    fn integration(name: &str) -> Integration {
        Integration {
            id: uuid::Uuid::new_v4(),
            organization_id: OrganizationId::parse("acme").unwrap(),
            name: name.to_owned(),
            integration_type: "custom".to_owned(),
            description: None,
            status: IntegrationStatus::Active,
            config: IntegrationConfig::default(),
            tags: Vec::new(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            revision: 1,
        }
    }

    #[test]
    fn the_bundle_keeps_the_order_asked_and_each_miss_its_index() {
        let (pg, cache) = (integration("pg"), integration("cache"));
        let asked = ["cache", "ghost", "pg", "cache", "PG"].map(str::to_owned);
        // The store answers in an order of its own, each row once.
        let fetched = vec![pg.clone(), cache.clone()];
        let (found, problems) =
            in_order("names", &asked, |name| Some(name.to_owned()), fetched, |i| i.name.clone());
        assert_eq!(found, [cache.clone(), pg.clone(), cache]);
        let locs: Vec<Value> = problems.iter().map(|p| json!(p)["loc"].clone()).collect();
        assert_eq!(locs, [json!(["body", "names", 1]), json!(["body", "names", 4])]);
    }

    #[test]
    fn an_id_that_does_not_parse_is_unknown_at_its_index() {
        let pg = integration("pg");
        let asked = vec!["not-a-uuid".to_owned(), pg.id.to_string().to_uppercase()];
        let parse = |raw: &str| uuid::Uuid::parse_str(raw).ok();
        let (found, problems) = in_order("integration_ids", &asked, parse, vec![pg.clone()], |i| i.id);
        assert_eq!(found, [pg]);
        assert_eq!(json!(problems[0])["loc"], json!(["body", "integration_ids", 0]));
        assert_eq!(problems.len(), 1);
    }
}
