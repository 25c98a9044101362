//! The HTTP contract's bodies. Requests are parsed from `serde_json::Value`
//! by hand, not by `serde::Deserialize`, because clients of the reference API
//! rely on Pydantic v2's lax coercions and on its exact 422 error list.
#![forbid(unsafe_code)]

mod credentials;
mod credentials_schema;
mod error;
mod field_check;
pub mod fields;
mod history;
mod history_schema;
mod jobs;
mod json_error;
mod lax;
pub mod models;
pub(crate) mod requests;
mod resolve;
mod responses;
pub mod schema;
mod secrets;
mod template_secrets;
mod templates;
mod webhooks;
mod webhooks_schema;

pub use credentials::{
    BundleLease, DEFAULT_MAX_TTL_SECONDS, DEFAULT_TTL_SECONDS, LeaseResponse, ParsedProvider,
    ProviderRequest, ProviderResponse, RenewLeaseRequest, parse_provider, parse_provider_name,
    parse_renew_lease,
};
pub use error::{FieldError, LocItem, ValidationErrorBody};
pub use history::{
    ApprovalResponse, AuditEventResponse, AuditPageResponse, FieldChange, RevisionDiffResponse,
    RevisionResponse, diff_integrations,
};
pub use jobs::{
    ClaimedFile, ClaimedJob, ConnectionTestResponse, HealthResponse, HealthSummary, JobResultRequest,
    RESULT_OUTPUT_MAX_BYTES, RegisterWorkerRequest, WorkerResponse, parse_job_result, parse_register_worker,
};
pub use json_error::{PythonJsonError, python_json_error};
pub use lax::{Checker, parse_bool_str};
pub use models::{MAX_DYNAMIC_CREDENTIALS, MAX_ENV_VARS, MAX_FILES, MAX_LEASE_TTL_SECONDS, MAX_SECRETS};
pub use requests::{
    CreateIntegrationRequest, UpdateIntegrationRequest, parse_create_request, parse_update_request,
};
pub use resolve::{
    BundleFileResponse, BundleResponse, ReferenceWarning, ResolveRequest, ResolveTargets,
    ResolvedIntegrationResponse, format_mode, parse_resolve_request,
};
pub use responses::{ErrorBody, IntegrationResponse};
pub use secrets::{
    PutSecretRequest, REDACTED, SECRET_VALUE_MAX_BYTES, SecretResponse, SecretValueResponse,
    SecretVersionResponse, parse_put_secret, parse_secret_name, redacted_body_error,
};
pub use template_secrets::parse_secret_renames;
pub use templates::{IntegrationTemplateResponse, IntegrationTemplateSummary, parse_from_template};
pub use webhooks::{
    CreateWebhookRequest, CreatedWebhookResponse, DeliveryResponse, MAX_WEBHOOK_DESCRIPTION_CHARS,
    MAX_WEBHOOK_URL_CHARS, ParsedWebhook, WEBHOOK_EVENTS, WebhookResponse, parse_create_webhook,
};
