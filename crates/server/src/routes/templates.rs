//! The template catalogue and `from-template`. Reading the
//! catalogue needs any valid token; instantiating one needs a writer.
use crate::audit::{Action, Resource, context};
use crate::body::Body;
use crate::error::ApiError;
use crate::query::QueryParams;
use crate::request_id::RequestId;
use crate::routes::integrations::{Caught, create_from_request, require_writer};
use crate::state::AppState;
use crate::state::Caller;
use crate::templates;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use patchbay_api_types::{
    IntegrationResponse, IntegrationTemplateResponse, IntegrationTemplateSummary, parse_from_template,
};
use serde_json::json;
use std::collections::BTreeSet;

fn not_found(template_id: &str) -> ApiError {
    ApiError::NotFound(format!("Integration template '{template_id}' not found"))
}

/// `?category=` (exact), `?tag=` (one of its tags), `?search=` (case-
/// insensitive, in name or description), as the reference filters.
pub async fn list(
    caller: Caught,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<IntegrationTemplateSummary>>, ApiError> {
    caller?;
    let params = QueryParams::parse(query.as_deref());
    let category = params.get("category").filter(|c| !c.is_empty());
    let tag = params.get("tag").filter(|t| !t.is_empty());
    let search = params.get("search").filter(|s| !s.is_empty()).map(str::to_lowercase);
    let matches = |t: &&IntegrationTemplateResponse| {
        category.is_none_or(|c| t.category == c)
            && tag.is_none_or(|tag| t.tags.iter().any(|own| own == tag))
            && search
                .as_deref()
                .is_none_or(|s| t.name.to_lowercase().contains(s) || t.description.to_lowercase().contains(s))
    };
    Ok(Json(templates::catalogue().iter().filter(matches).map(IntegrationTemplateSummary::from).collect()))
}

pub async fn get(
    caller: Caught,
    Path(template_id): Path<String>,
) -> Result<Json<IntegrationTemplateResponse>, ApiError> {
    caller?;
    templates::find(&template_id).cloned().map(Json).ok_or_else(|| not_found(&template_id))
}

pub async fn categories(caller: Caught) -> Result<Json<Vec<String>>, ApiError> {
    caller?;
    let set: BTreeSet<&str> = templates::catalogue().iter().map(|t| t.category.as_str()).collect();
    Ok(Json(set.into_iter().map(str::to_owned).collect()))
}

pub async fn tags(caller: Caught) -> Result<Json<Vec<String>>, ApiError> {
    caller?;
    let set: BTreeSet<&str> =
        templates::catalogue().iter().flat_map(|t| t.tags.iter().map(String::as_str)).collect();
    Ok(Json(set.into_iter().map(str::to_owned).collect()))
}

/// Creates an integration from a template and the body's overrides; the
/// merged body meets exactly the validation and 409 rules of a create.
pub async fn instantiate(
    State(state): State<AppState>,
    caller: Caught,
    request_id: RequestId,
    Path(template_id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<IntegrationResponse>), ApiError> {
    let Caller(actor) = caller?;
    let result = async {
        require_writer(&actor, "create")?;
        let template = templates::find(&template_id).ok_or_else(|| not_found(&template_id))?;
        let body = body.json()?;
        // Every problem of the body at once: renames and the create's own.
        let (renames, mut request) =
            match (templates::secret_renames(template, body), parse_from_template(template, body)) {
                (Ok(renames), Ok(request)) => (renames, request),
                (renames, request) => {
                    let mut errors = renames.err().unwrap_or_default();
                    errors.extend(request.err().unwrap_or_default());
                    return Err(ApiError::Validation(errors));
                }
            };
        // After the overrides are merged, so a file or env var given in the
        // body that reads one of the template's secrets reads it renamed too.
        if !renames.is_empty() {
            request.config =
                patchbay_resolve::rename_secrets(&request.config, &|name| renames.get(name).cloned());
        }
        let mut audit = context(&actor, &request_id);
        audit.detail.insert("template_id".into(), json!(template_id));
        Ok(create_from_request(&state, &actor, request, audit).await?)
    }
    .await;
    let resource = Resource::new("integration", None).with("template_id", json!(template_id));
    state.audit().failure(&actor, Action::IntegrationCreate, resource, &result, &request_id).await;
    let created = result?;
    tracing::info!(integration_id = %created.id, template_id, "custom integration created from a template");
    Ok((StatusCode::CREATED, Json(created.into())))
}
