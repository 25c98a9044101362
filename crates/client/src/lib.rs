//! A typed client for Patchbay's HTTP API. It speaks only HTTP: the CLI and
//! workers never touch the store.
#![forbid(unsafe_code)]

mod server_url;

pub use server_url::parse_server_url;

use patchbay_api_types::{
    AuditPageResponse, BundleResponse, ClaimedJob, ConnectionTestResponse, CreateIntegrationRequest,
    CreateWebhookRequest, CreatedWebhookResponse, DeliveryResponse, HealthResponse, HealthSummary,
    IntegrationResponse, IntegrationTemplateResponse, IntegrationTemplateSummary, JobResultRequest,
    LeaseResponse, ProviderResponse, RegisterWorkerRequest, RenewLeaseRequest, ResolveRequest,
    RevisionDiffResponse, RevisionResponse, SecretResponse, SecretVersionResponse, UpdateIntegrationRequest,
    WebhookResponse, WorkerResponse,
};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not reach the Patchbay server at {server}: {source}")]
    Unreachable {
        server: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status; `body` is its JSON (or text).
    #[error("the server answered {status}: {body}")]
    Api { status: StatusCode, body: Value },
    #[error("the server's answer could not be read: {0}")]
    Decode(#[source] reqwest::Error),
}

impl ClientError {
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Filters of `GET /custom-integrations`; `None` fields are not sent.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub integration_type: Option<String>,
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(kind) = &self.integration_type {
            pairs.push(("integration_type", kind.clone()));
        }
        if let Some(status) = &self.status {
            pairs.push(("status", status.clone()));
        }
        if !self.tags.is_empty() {
            pairs.push(("tags", self.tags.join(",")));
        }
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(offset) = self.offset {
            pairs.push(("offset", offset.to_string()));
        }
        pairs
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    server: String,
    token: Option<String>,
    /// The server's embedded-worker credential, sent instead of a token.
    embedded: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("server", &self.server).finish_non_exhaustive()
    }
}

/// How `POST /custom-integrations/{id}/test` answered: the result (200), or
/// the queued job with the server's reason for not waiting (202).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestStarted {
    Finished(ConnectionTestResponse),
    Queued(ConnectionTestResponse),
}

/// The embedded worker's credential header (see the server's `jobs::embedded`).
pub const EMBEDDED_HEADER: &str = "X-Patchbay-Embedded-Worker";

const INTEGRATIONS: &str = "/api/v1/custom-integrations";

impl Client {
    /// `server` is the base URL, e.g. `http://127.0.0.1:8080`.
    pub fn new(server: &str, token: Option<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            server: server.trim_end_matches('/').to_owned(),
            token,
            embedded: None,
        }
    }

    /// A client for the server's embedded worker: it authenticates with the
    /// credential its parent server handed it, not with a token.
    pub fn embedded_worker(server: &str, credential: String) -> Self {
        let mut client = Self::new(server, None);
        client.embedded = Some(credential);
        client
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.server));
        match (&self.embedded, &self.token) {
            (Some(credential), _) => builder.header(EMBEDDED_HEADER, credential),
            (None, Some(token)) => builder.bearer_auth(token),
            (None, None) => builder,
        }
    }

    async fn send(&self, builder: RequestBuilder) -> Result<reqwest::Response, ClientError> {
        let response = builder
            .send()
            .await
            .map_err(|source| ClientError::Unreachable { server: self.server.clone(), source })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Err(ClientError::Api { status, body })
    }

    async fn json<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T, ClientError> {
        self.send(builder).await?.json().await.map_err(ClientError::Decode)
    }

    pub async fn list_integrations(
        &self,
        query: &ListQuery,
    ) -> Result<Vec<IntegrationResponse>, ClientError> {
        self.json(self.request(Method::GET, INTEGRATIONS).query(&query.pairs())).await
    }

    pub async fn get_integration(&self, id: &str) -> Result<IntegrationResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{INTEGRATIONS}/{id}"))).await
    }

    pub async fn create_integration(
        &self,
        request: &CreateIntegrationRequest,
    ) -> Result<IntegrationResponse, ClientError> {
        self.json(self.request(Method::POST, INTEGRATIONS).json(request)).await
    }

    pub async fn update_integration(
        &self,
        id: &str,
        request: &UpdateIntegrationRequest,
    ) -> Result<IntegrationResponse, ClientError> {
        self.json(self.request(Method::PUT, &format!("{INTEGRATIONS}/{id}")).json(request)).await
    }

    pub async fn delete_integration(&self, id: &str, hard: bool) -> Result<(), ClientError> {
        let builder = self.request(Method::DELETE, &format!("{INTEGRATIONS}/{id}"));
        let builder = if hard { builder.query(&[("hard_delete", "true")]) } else { builder };
        self.send(builder).await.map(drop)
    }

    /// Resolves integrations into an execution bundle. A real resolution
    /// needs a worker or admin token; `dry_run` masks every secret value.
    pub async fn resolve(
        &self,
        request: &ResolveRequest,
        dry_run: bool,
    ) -> Result<BundleResponse, ClientError> {
        let builder = self.request(Method::POST, &format!("{INTEGRATIONS}/resolve")).json(request);
        let builder = if dry_run { builder.query(&[("dry_run", "true")]) } else { builder };
        self.json(builder).await
    }

    /// `GET /ready`: `Ok` when the server and its database answer.
    pub async fn ready(&self) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, "/ready")).await
    }

    /// `PUT /custom-integrations/by-name/{name}`: `true` when it was created.
    pub async fn upsert_integration_by_name(
        &self,
        name: &str,
        body: &Value,
    ) -> Result<(bool, IntegrationResponse), ClientError> {
        let path = format!("{INTEGRATIONS}/by-name/{}", segment(name));
        let response = self.send(self.request(Method::PUT, &path).json(body)).await?;
        let created = response.status() == StatusCode::CREATED;
        Ok((created, response.json().await.map_err(ClientError::Decode)?))
    }

    /// Creates or versions a secret. The value travels only in the body.
    pub async fn put_secret(
        &self,
        name: &str,
        value: &str,
        description: Option<&str>,
    ) -> Result<SecretResponse, ClientError> {
        let mut body = serde_json::json!({ "value": value });
        if let Some(description) = description {
            body["description"] = Value::String(description.to_owned());
        }
        self.json(self.request(Method::PUT, &format!("{SECRETS}/{}", segment(name))).json(&body)).await
    }

    pub async fn list_secrets(&self) -> Result<Vec<SecretResponse>, ClientError> {
        self.json(self.request(Method::GET, SECRETS)).await
    }

    pub async fn delete_secret(&self, name: &str) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, &format!("{SECRETS}/{}", segment(name)))).await.map(drop)
    }

    pub async fn secret_versions(&self, name: &str) -> Result<Vec<SecretVersionResponse>, ClientError> {
        self.json(self.request(Method::GET, &format!("{SECRETS}/{}/versions", segment(name)))).await
    }

    pub async fn list_providers(&self) -> Result<Vec<ProviderResponse>, ClientError> {
        self.json(self.request(Method::GET, PROVIDERS)).await
    }

    pub async fn get_provider(&self, name: &str) -> Result<ProviderResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{PROVIDERS}/{}", segment(name)))).await
    }

    /// `PUT /credential-providers/{name}` (admin tokens only): `true` when
    /// it was created. `body` is sent as given; the server validates it.
    pub async fn put_provider(
        &self,
        name: &str,
        body: &Value,
    ) -> Result<(bool, ProviderResponse), ClientError> {
        let path = format!("{PROVIDERS}/{}", segment(name));
        let response = self.send(self.request(Method::PUT, &path).json(body)).await?;
        let created = response.status() == StatusCode::CREATED;
        Ok((created, response.json().await.map_err(ClientError::Decode)?))
    }

    /// Refused (409) while the provider has live leases.
    pub async fn delete_provider(&self, name: &str) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, &format!("{PROVIDERS}/{}", segment(name)))).await.map(drop)
    }

    pub async fn list_leases(&self, query: &LeaseQuery) -> Result<Vec<LeaseResponse>, ClientError> {
        self.json(self.request(Method::GET, LEASES).query(&query.pairs())).await
    }

    pub async fn get_lease(&self, id: &str) -> Result<LeaseResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{LEASES}/{}", segment(id)))).await
    }

    /// Extends an active lease to `ttl_seconds` from now, capped by its
    /// provider's maximum (worker and admin tokens only).
    pub async fn renew_lease(&self, id: &str, ttl_seconds: u32) -> Result<LeaseResponse, ClientError> {
        let path = format!("{LEASES}/{}/renew", segment(id));
        self.json(self.request(Method::POST, &path).json(&RenewLeaseRequest { ttl_seconds })).await
    }

    /// Drops the lease's database user now. A 503 means the database
    /// refused and the server retries; a 409, that another server is at it.
    pub async fn revoke_lease(&self, id: &str) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, &format!("{LEASES}/{}", segment(id)))).await.map(drop)
    }

    /// `POST /webhooks` (admin tokens only): the answer holds the secret,
    /// which nothing shows again.
    pub async fn create_webhook(
        &self,
        request: &CreateWebhookRequest,
    ) -> Result<CreatedWebhookResponse, ClientError> {
        self.json(self.request(Method::POST, WEBHOOKS).json(request)).await
    }

    pub async fn list_webhooks(&self) -> Result<Vec<WebhookResponse>, ClientError> {
        self.json(self.request(Method::GET, WEBHOOKS)).await
    }

    pub async fn get_webhook(&self, id: &str) -> Result<WebhookResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{WEBHOOKS}/{}", segment(id)))).await
    }

    pub async fn delete_webhook(&self, id: &str) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, &format!("{WEBHOOKS}/{}", segment(id)))).await.map(drop)
    }

    /// The webhook's newest deliveries, newest first.
    pub async fn webhook_deliveries(&self, id: &str) -> Result<Vec<DeliveryResponse>, ClientError> {
        self.json(self.request(Method::GET, &format!("{WEBHOOKS}/{}/deliveries", segment(id)))).await
    }

    /// `GET /integration-templates` with the reference's filters.
    pub async fn list_templates(
        &self,
        category: Option<&str>,
        tag: Option<&str>,
        search: Option<&str>,
    ) -> Result<Vec<IntegrationTemplateSummary>, ClientError> {
        let pairs: Vec<(&str, &str)> = [("category", category), ("tag", tag), ("search", search)]
            .into_iter()
            .filter_map(|(key, value)| value.map(|value| (key, value)))
            .collect();
        self.json(self.request(Method::GET, TEMPLATES).query(&pairs)).await
    }

    pub async fn get_template(&self, template_id: &str) -> Result<IntegrationTemplateResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{TEMPLATES}/{}", segment(template_id)))).await
    }

    /// `POST /custom-integrations/from-template/{id}`; `body` holds `name`
    /// and the overrides.
    pub async fn create_from_template(
        &self,
        template_id: &str,
        body: &Value,
    ) -> Result<IntegrationResponse, ClientError> {
        let path = format!("{INTEGRATIONS}/from-template/{}", segment(template_id));
        self.json(self.request(Method::POST, &path).json(body)).await
    }

    /// The integration's revisions, newest first.
    pub async fn list_revisions(
        &self,
        id: &str,
        limit: Option<u32>,
        offset: Option<u32>,
    ) -> Result<Vec<RevisionResponse>, ClientError> {
        let mut pairs = Vec::new();
        if let Some(limit) = limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(offset) = offset {
            pairs.push(("offset", offset.to_string()));
        }
        self.json(self.request(Method::GET, &format!("{INTEGRATIONS}/{id}/revisions")).query(&pairs)).await
    }

    pub async fn get_revision(&self, id: &str, revision: i64) -> Result<RevisionResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{INTEGRATIONS}/{id}/revisions/{revision}"))).await
    }

    /// Field-level differences between the revision and the one before.
    pub async fn diff_revision(&self, id: &str, revision: i64) -> Result<RevisionDiffResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{INTEGRATIONS}/{id}/revisions/{revision}/diff"))).await
    }

    /// Makes the integration equal to `revision` again (admin tokens only).
    pub async fn restore_revision(
        &self,
        id: &str,
        revision: i64,
    ) -> Result<IntegrationResponse, ClientError> {
        let path = format!("{INTEGRATIONS}/{id}/revisions/{revision}/restore");
        self.json(self.request(Method::POST, &path)).await
    }

    /// Records an admin's approval of `revision`, so its connection test may
    /// receive secret values (admin tokens only).
    pub async fn approve_revision(&self, id: &str, revision: i64) -> Result<RevisionResponse, ClientError> {
        let path = format!("{INTEGRATIONS}/{id}/revisions/{revision}/approve");
        self.json(self.request(Method::POST, &path)).await
    }

    /// One page of the audit log (admin tokens only); pass the page's
    /// `next_cursor` in `query.cursor` for the next.
    pub async fn list_audit_events(&self, query: &AuditQuery) -> Result<AuditPageResponse, ClientError> {
        self.json(self.request(Method::GET, "/api/v1/audit-events").query(&query.pairs())).await
    }

    /// Starts a connection test. `wait` lets the server wait for the result
    /// (up to the test's timeout plus a margin).
    pub async fn test_integration(&self, id: &str, wait: bool) -> Result<TestStarted, ClientError> {
        let builder = self.request(Method::POST, &format!("{INTEGRATIONS}/{id}/test"));
        let builder = if wait { builder } else { builder.query(&[("wait", "false")]) };
        let response = self.send(builder).await?;
        let queued = response.status() == StatusCode::ACCEPTED;
        let body: ConnectionTestResponse = response.json().await.map_err(ClientError::Decode)?;
        Ok(if queued { TestStarted::Queued(body) } else { TestStarted::Finished(body) })
    }

    pub async fn get_connection_test(&self, job_id: &str) -> Result<ConnectionTestResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("/api/v1/connection-tests/{job_id}"))).await
    }

    /// An integration's tests, newest first.
    pub async fn list_connection_tests(
        &self,
        id: &str,
        limit: Option<u32>,
    ) -> Result<Vec<ConnectionTestResponse>, ClientError> {
        let builder = self.request(Method::GET, &format!("{INTEGRATIONS}/{id}/tests"));
        let builder = match limit {
            Some(limit) => builder.query(&[("limit", limit.to_string())]),
            None => builder,
        };
        self.json(builder).await
    }

    /// An integration's health, with the test result that set it.
    pub async fn get_health(&self, id: &str) -> Result<HealthResponse, ClientError> {
        self.json(self.request(Method::GET, &format!("{INTEGRATIONS}/{id}/health"))).await
    }

    /// Every integration with a result; any other is `unknown`.
    pub async fn list_health(&self) -> Result<Vec<HealthSummary>, ClientError> {
        self.json(self.request(Method::GET, "/api/v1/integration-health")).await
    }

    pub async fn list_workers(&self) -> Result<Vec<WorkerResponse>, ClientError> {
        self.json(self.request(Method::GET, "/api/v1/workers")).await
    }

    pub async fn register_worker(&self, name: &str) -> Result<WorkerResponse, ClientError> {
        let request = RegisterWorkerRequest { name: Some(name.to_owned()) };
        self.json(self.request(Method::POST, "/api/v1/workers/register").json(&request)).await
    }

    pub async fn heartbeat(&self, worker_id: &str) -> Result<WorkerResponse, ClientError> {
        self.json(self.request(Method::POST, &format!("/api/v1/workers/{worker_id}/heartbeat"))).await
    }

    /// Long-polls for a job: `None` when none came within `wait_secs`.
    pub async fn claim_job(
        &self,
        worker_id: &str,
        wait_secs: u64,
    ) -> Result<Option<ClaimedJob>, ClientError> {
        let builder = self
            .request(Method::POST, &format!("/api/v1/workers/{worker_id}/jobs/claim"))
            .query(&[("wait", wait_secs.to_string())]);
        let response = self.send(builder).await?;
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        response.json().await.map(Some).map_err(ClientError::Decode)
    }

    pub async fn post_job_result(
        &self,
        worker_id: &str,
        job_id: &str,
        result: &JobResultRequest,
    ) -> Result<ConnectionTestResponse, ClientError> {
        let path = format!("/api/v1/workers/{worker_id}/jobs/{job_id}/result");
        self.json(self.request(Method::POST, &path).json(result)).await
    }
}

/// Filters of `GET /audit-events`; `None` fields are not sent. Times are
/// RFC 3339 text.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub resource_id: Option<String>,
    pub actor: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl AuditQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let fields = [
            ("action", &self.action),
            ("resource_id", &self.resource_id),
            ("actor", &self.actor),
            ("since", &self.since),
            ("until", &self.until),
            ("cursor", &self.cursor),
        ];
        let mut pairs: Vec<(&'static str, String)> =
            fields.into_iter().filter_map(|(key, value)| value.clone().map(|v| (key, v))).collect();
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        pairs
    }
}

/// Filters of `GET /leases`; `None` fields are not sent.
#[derive(Debug, Clone, Default)]
pub struct LeaseQuery {
    pub provider: Option<String>,
    /// The integration's name.
    pub integration: Option<String>,
    /// `active`, `revoking`, `revoked` or `revoke_failed`.
    pub state: Option<String>,
    pub limit: Option<u32>,
}

impl LeaseQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let fields =
            [("provider", &self.provider), ("integration", &self.integration), ("state", &self.state)];
        let mut pairs: Vec<(&'static str, String)> =
            fields.into_iter().filter_map(|(key, value)| value.clone().map(|v| (key, v))).collect();
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        pairs
    }
}

const SECRETS: &str = "/api/v1/secrets";
const PROVIDERS: &str = "/api/v1/credential-providers";
const LEASES: &str = "/api/v1/leases";
const WEBHOOKS: &str = "/api/v1/webhooks";
const TEMPLATES: &str = "/api/v1/integration-templates";

/// One path segment, percent-encoded: names may hold `/`, `?`, spaces.
fn segment(raw: &str) -> String {
    let mut encoded = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}
