//! The MCP server: its tools, each made of calls of the API as the client's
//! caller, and each integration's context prompt as a resource.
use crate::api::{Api, Calls, Refused, encode, query};
use crate::resources;
use crate::views::{
    IntegrationView, ListedIntegration, TemplateView, TestResult, integrations_markdown, templates_markdown,
};
use patchbay_api_types::{
    BundleResponse, ConnectionTestResponse, IntegrationResponse, IntegrationTemplateSummary,
};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::{Arc, LazyLock};

pub(crate) const INTEGRATIONS: &str = "/api/v1/custom-integrations";

const INSTRUCTIONS: &str = "Patchbay holds this organization's integrations: the databases, APIs and \
tools a run can use, each with its environment variables, secrets, files and a context prompt. \
list_integrations shows what there is; get_integration tells how to use one (names only: a secret's \
value is never shown here, the run that uses the integration receives it); integration_context gives \
the Markdown section a system prompt carries; test_connection checks that one works.";

/// The MCP server of one caller: every call goes through `api`.
#[derive(Clone)]
pub struct Patchbay {
    api: Arc<dyn Api>,
}

impl Patchbay {
    pub fn new(api: Arc<dyn Api>) -> Self {
        Self { api }
    }

    fn calls(&self) -> Calls<'_> {
        Calls(self.api.as_ref())
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListIntegrationsArgs {
    /// Only integrations of this type, e.g. `postgres`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Only integrations carrying this tag.
    pub tag: Option<String>,
    /// Only integrations whose name or description contains this text (any case).
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NameArgs {
    /// The integration's name, as list_integrations shows it.
    pub name: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListTemplatesArgs {
    /// Only templates of this category, e.g. `database`.
    pub category: Option<String>,
    /// Only templates whose name or description contains this text (any case).
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FromTemplateArgs {
    /// The template, as list_templates shows it (`template_id`).
    pub template_id: String,
    /// The new integration's name.
    pub name: String,
    /// Changes to the template: `description`, `tags`, `env_vars` (merged
    /// over the template's), `secrets`, `files`, `context_prompt`,
    /// `connection_test` (each replacing the template's), `secret_prefix`
    /// or `secret_names` (the vault names the template's secrets get).
    pub overrides: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ContextArgs {
    /// The integrations' names, in the order the section lists them.
    pub names: Vec<String>,
}

/// A tool's answer: Markdown and the same facts as structured content, or
/// a tool error (`isError`) that says why.
fn answer(result: Result<(String, Value), Refused>) -> CallToolResult {
    match result {
        Ok((text, structured)) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(structured);
            result
        }
        Err(Refused(why)) => CallToolResult::error(vec![ContentBlock::text(why)]),
    }
}

fn structured(value: &impl serde::Serialize) -> Result<Value, Refused> {
    serde_json::to_value(value).map_err(|error| Refused(format!("the answer could not be encoded: {error}")))
}

pub(crate) fn no_integration(name: &str) -> Refused {
    Refused(format!("no integration named {name:?}; list_integrations shows the names there are"))
}

/// The live integration named `name`, if there is one.
pub(crate) async fn find(calls: &Calls<'_>, name: &str) -> Result<Option<IntegrationResponse>, Refused> {
    let found: Vec<IntegrationResponse> =
        calls.get(&format!("{INTEGRATIONS}{}", query(&[("q", Some(name))]))).await?;
    Ok(found.into_iter().find(|integration| integration.name == name))
}

async fn named(calls: &Calls<'_>, name: &str) -> Result<IntegrationResponse, Refused> {
    find(calls, name).await?.ok_or_else(|| no_integration(name))
}

/// A 422's `loc` as integration_context's argument: the body is its
/// `names`, so `["body", "names", 0]` is `names.0` and `["body"]` (no name
/// given) is `names`.
fn context_argument(loc: &[String]) -> String {
    match loc {
        [body] if body == "body" => "names".to_owned(),
        [body, rest @ ..] if body == "body" => rest.join("."),
        other => other.join("."),
    }
}

/// As `context_argument`, for create_integration_from_template: every body field
/// but `name` came from `overrides`.
fn override_argument(loc: &[String]) -> String {
    match loc {
        [body, name] if body == "body" && name == "name" => "name".to_owned(),
        [body, rest @ ..] if body == "body" => {
            std::iter::once("overrides".to_owned()).chain(rest.iter().cloned()).collect::<Vec<_>>().join(".")
        }
        other => other.join("."),
    }
}

#[tool_router(vis = "pub(crate)")]
impl Patchbay {
    #[tool(
        description = "List the organization's integrations: name, type, description, status, tags and the \
                       status of the latest connection test. Filter by type, tag or a search text.",
        annotations(read_only_hint = true)
    )]
    async fn list_integrations(&self, Parameters(args): Parameters<ListIntegrationsArgs>) -> CallToolResult {
        answer(self.listed(args).await)
    }

    #[tool(
        description = "Everything needed to use one integration: its environment variable and secret names, \
                       files (paths), dynamic credentials, connection test command and context prompt. \
                       Never a secret's value.",
        annotations(read_only_hint = true)
    )]
    async fn get_integration(&self, Parameters(args): Parameters<NameArgs>) -> CallToolResult {
        answer(self.integration(&args.name).await)
    }

    #[tool(
        description = "List the integration templates new integrations can start from; filter by category or \
                       a search text.",
        annotations(read_only_hint = true)
    )]
    async fn list_templates(&self, Parameters(args): Parameters<ListTemplatesArgs>) -> CallToolResult {
        answer(self.templates(args).await)
    }

    #[tool(
        description = "Create an integration from a template, with optional overrides (member or admin).",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false)
    )]
    async fn create_integration_from_template(
        &self,
        Parameters(args): Parameters<FromTemplateArgs>,
    ) -> CallToolResult {
        answer(self.instantiate(args).await)
    }

    #[tool(
        description = "Run an integration's connection test on a worker and wait for it: status, duration and \
                       output, with secret values masked (member or admin).",
        annotations(read_only_hint = false, destructive_hint = false, open_world_hint = true)
    )]
    async fn test_connection(&self, Parameters(args): Parameters<NameArgs>) -> CallToolResult {
        answer(self.test(&args.name).await)
    }

    #[tool(
        description = "The \"## Available Integrations\" Markdown section for a system prompt, for the named \
                       integrations: what each is and the environment variables a run gets.",
        annotations(read_only_hint = true)
    )]
    async fn integration_context(&self, Parameters(args): Parameters<ContextArgs>) -> CallToolResult {
        answer(self.context(args).await)
    }
}

/// What each tool does, as calls of the API.
impl Patchbay {
    async fn listed(&self, args: ListIntegrationsArgs) -> Result<(String, Value), Refused> {
        let calls = self.calls();
        let filter = query(&[
            ("integration_type", args.kind.as_deref()),
            ("tags", args.tag.as_deref()),
            ("q", args.search.as_deref()),
        ]);
        let integrations: Vec<IntegrationResponse> = calls.get(&format!("{INTEGRATIONS}{filter}")).await?;
        let mut listed = Vec::with_capacity(integrations.len());
        for integration in &integrations {
            let path = format!("{INTEGRATIONS}/{}/tests?limit=1", encode(&integration.id));
            let latest: Vec<ConnectionTestResponse> = calls.get(&path).await?;
            listed.push(ListedIntegration::new(integration, latest.first()));
        }
        Ok((integrations_markdown(&listed), json!({"integrations": structured(&listed)?})))
    }

    async fn integration(&self, name: &str) -> Result<(String, Value), Refused> {
        let view = IntegrationView::from(&named(&self.calls(), name).await?);
        Ok((view.markdown(), structured(&view)?))
    }

    async fn templates(&self, args: ListTemplatesArgs) -> Result<(String, Value), Refused> {
        let filter = query(&[("category", args.category.as_deref()), ("search", args.search.as_deref())]);
        let found: Vec<IntegrationTemplateSummary> =
            self.calls().get(&format!("/api/v1/integration-templates{filter}")).await?;
        let templates: Vec<TemplateView> = found.into_iter().map(TemplateView::from).collect();
        Ok((templates_markdown(&templates), json!({"templates": structured(&templates)?})))
    }

    async fn instantiate(&self, args: FromTemplateArgs) -> Result<(String, Value), Refused> {
        let mut body = args.overrides.unwrap_or_default();
        body.insert("name".to_owned(), Value::String(args.name));
        let path = format!("{INTEGRATIONS}/from-template/{}", encode(&args.template_id));
        let reply = self.calls().reply(http::Method::POST, &path, Some(Value::Object(body))).await?;
        let created: IntegrationResponse = reply.into_at(&override_argument)?;
        let view = IntegrationView::from(&created);
        let text = format!("Created from template `{}`.\n\n{}", args.template_id, view.markdown());
        Ok((text, structured(&view)?))
    }

    async fn test(&self, name: &str) -> Result<(String, Value), Refused> {
        let calls = self.calls();
        let integration = named(&calls, name).await?;
        // Without `wait=false` the API waits for the result (a 200), or
        // answers 202 with the queued job and why it did not wait.
        let path = format!("{INTEGRATIONS}/{}/test", encode(&integration.id));
        let result = TestResult::from(calls.post::<ConnectionTestResponse>(&path, None).await?);
        Ok((result.markdown(), structured(&result)?))
    }

    async fn context(&self, args: ContextArgs) -> Result<(String, Value), Refused> {
        // A dry run carries no secret value, and needs no role beyond viewer.
        let body = json!({"names": args.names});
        let path = format!("{INTEGRATIONS}/resolve?dry_run=true");
        let reply = self.calls().reply(http::Method::POST, &path, Some(body)).await?;
        let bundle: BundleResponse = reply.into_at(&context_argument)?;
        let unknown: Vec<&str> = bundle
            .missing
            .iter()
            .filter(|problem| problem.kind == "unknown_integration")
            .map(|problem| problem.msg.as_str())
            .collect();
        if !unknown.is_empty() {
            return Err(Refused(unknown.join("; ")));
        }
        let text = if bundle.context_prompt.is_empty() {
            "None of these integrations is active: there is nothing to tell an agent about them.\n".to_owned()
        } else {
            bundle.context_prompt.clone()
        };
        Ok((text, json!({"names": args.names, "context_prompt": bundle.context_prompt})))
    }
}

/// The tools' router, with their schemas, built once.
fn tools() -> &'static ToolRouter<Patchbay> {
    static TOOLS: LazyLock<ToolRouter<Patchbay>> = LazyLock::new(Patchbay::tool_router);
    &TOOLS
}

#[tool_handler(router = tools())]
impl ServerHandler for Patchbay {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new("patchbay", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        resources::list(&self.calls()).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(resources::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(&self.calls(), &request.uri).await.map(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_422_names_the_tools_arguments() {
        let loc = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect::<Vec<_>>();
        assert_eq!(context_argument(&loc(&["body", "names", "0"])), "names.0");
        assert_eq!(context_argument(&loc(&["body"])), "names");
        assert_eq!(override_argument(&loc(&["body", "name"])), "name");
        assert_eq!(override_argument(&loc(&["body", "env_vars", "X"])), "overrides.env_vars.X");
        assert_eq!(override_argument(&loc(&["body", "secret_names", "PW"])), "overrides.secret_names.PW");
    }
}
