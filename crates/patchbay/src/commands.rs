//! The client commands' arguments. Each subcommand is
//! one enum variant: adding one (e.g. `integrations test`) is a variant
//! here and an arm in its module's `run`.
use crate::cli::ClientArgs;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// JSON for programs.
    Json,
}

/// Connection and output: every client command flattens this.
#[derive(Args, Clone, Default)]
pub struct Common {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Output format [default: table on a terminal, JSON otherwise].
    #[arg(long, short = 'o', env = "PATCHBAY_OUTPUT", value_enum, global = true)]
    pub output: Option<OutputFormat>,
}

/// `patchbay mcp`: only the connection; the MCP client drives the rest.
#[derive(Args)]
pub struct McpArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args)]
pub struct LoginArgs {
    /// Base URL of the Patchbay server.
    #[arg(long, env = "PATCHBAY_SERVER")]
    pub server: String,
    /// API token (`patchbay token mint` makes one). Without it, read from stdin.
    #[arg(long, env = "PATCHBAY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Subcommand)]
pub enum IntegrationsCommand {
    /// List integrations, newest first.
    List(ListArgs),
    /// Show one integration, by name or id.
    Get(TargetArgs),
    /// Create an integration from a template or a file.
    Create(CreateArgs),
    /// Change an integration's fields; absent flags leave them alone.
    Update(UpdateArgs),
    /// Delete an integration (soft by default: its status becomes `deleted`).
    Delete(DeleteArgs),
    /// Print integrations in the form `patchbay apply` reads.
    Export(ExportArgs),
    /// Show an integration's revisions, newest first, with the fields each changed.
    History(HistoryArgs),
    /// Make an integration equal to one of its revisions again (admin tokens).
    Restore(RestoreArgs),
    /// Approve a revision written by a non-admin, so its connection test may
    /// receive secret values (admin tokens). Shows what changed first.
    Approve(ApproveArgs),
    /// Run an integration's connection test on a worker (or `--all` of them).
    Test(TestArgs),
}

#[derive(Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub common: Common,
    /// The integration's name or id.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub integration: Option<String>,
    /// Test every active integration that has an enabled connection test.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub common: Common,
    /// The integration's name or id.
    pub integration: String,
    /// How many revisions to show.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub common: Common,
    /// The integration's name or id.
    pub integration: String,
    /// The revision to restore.
    #[arg(long)]
    pub revision: i64,
}

#[derive(Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub common: Common,
    /// The integration's name or id.
    pub integration: String,
    /// The revision to approve (default: the current one).
    #[arg(long)]
    pub revision: Option<i64>,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only this integration type.
    #[arg(long = "type")]
    pub integration_type: Option<String>,
    /// active | inactive | deleted
    #[arg(long)]
    pub status: Option<String>,
    /// Only integrations with this tag; repeat to require several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Search in names and descriptions.
    #[arg(long)]
    pub search: Option<String>,
}

#[derive(Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub common: Common,
    /// The integration's name or id.
    pub integration: String,
}

/// The fields `create` and `update` share.
#[derive(Args, Default)]
pub struct FieldArgs {
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// An env var, `KEY=VALUE`; repeat for several (merged over the current ones).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// A vault secret injected as an env var; repeat for several (replaces the list).
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,
    /// A tag; repeat for several (replaces the tags).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Remove every tag.
    #[arg(long, conflicts_with = "tags")]
    pub clear_tags: bool,
    /// The context prompt for agents.
    #[arg(long)]
    pub context_prompt: Option<String>,
    #[command(flatten)]
    pub edits: ConfigEditArgs,
}

/// Config edits beyond env vars and secrets (see `client_cmds/edits.rs`).
#[derive(Args, Default)]
pub struct ConfigEditArgs {
    /// A file for the agent's workspace: `PATH=@LOCAL_FILE` (its content read
    /// from a local file) or `PATH=TEXT`; replaces a file at that path, else
    /// adds one (mode 0644). Repeat for several.
    #[arg(long = "file", value_name = "PATH=@LOCAL")]
    pub files: Vec<String>,
    /// A file whose content is a vault secret: `PATH=SECRET`. Repeat for several.
    #[arg(long = "file-secret", value_name = "PATH=SECRET")]
    pub file_secrets: Vec<String>,
    /// The mode of a file, `PATH=MODE` (octal, e.g. `~/.pgpass=0600`). Repeat for several.
    #[arg(long = "file-mode", value_name = "PATH=MODE")]
    pub file_modes: Vec<String>,
    /// Remove the file at PATH. Repeat for several.
    #[arg(long = "remove-file", value_name = "PATH")]
    pub remove_files: Vec<String>,
    /// The connection test's command (run by `sh -c` on a worker); creates the test if there is none.
    #[arg(long, value_name = "COMMAND", conflicts_with = "no_test")]
    pub test_command: Option<String>,
    /// The connection test's timeout in seconds (1-300).
    #[arg(long, value_name = "SECONDS", conflicts_with = "no_test")]
    pub test_timeout: Option<i64>,
    /// Run the connection test on a schedule, every SECONDS (1-604800); the server queues it.
    #[arg(long, value_name = "SECONDS", conflicts_with_all = ["no_test", "no_test_interval"])]
    pub test_interval: Option<i64>,
    /// Run the connection test only when asked (remove its schedule).
    #[arg(long, conflicts_with = "no_test")]
    pub no_test_interval: bool,
    /// Remove the connection test.
    #[arg(long)]
    pub no_test: bool,
    /// Remove every secret from the list of secrets injected as env vars.
    #[arg(long, conflicts_with = "secrets")]
    pub clear_secrets: bool,
}

#[derive(Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub common: Common,
    /// The new integration's name (required unless the file has one).
    #[arg(long)]
    pub name: Option<String>,
    /// Start from this template (`patchbay templates list`).
    #[arg(long = "from-template", value_name = "TEMPLATE", conflicts_with = "file")]
    pub template: Option<String>,
    /// With --from-template: read the template's secrets from vault names
    /// with this prefix (`ANALYTICS_` reads `ANALYTICS_PGPASSWORD` for
    /// `PGPASSWORD`), so two integrations from one template keep apart.
    #[arg(long, value_name = "PREFIX", requires = "template")]
    pub secret_prefix: Option<String>,
    /// With --from-template: the vault name for one of the template's
    /// secrets, `TEMPLATE_NAME=VAULT_NAME`; repeat for several (wins over
    /// --secret-prefix).
    #[arg(long = "secret-name", value_name = "OLD=NEW", requires = "template")]
    pub secret_names: Vec<String>,
    /// A create body in YAML or JSON (`-` for stdin).
    #[arg(long = "from-file", short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The integration type, when not from a template or file.
    #[arg(long = "type")]
    pub integration_type: Option<String>,
    #[command(flatten)]
    pub fields: FieldArgs,
}

#[derive(Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub common: Common,
    /// The integration's name or id.
    pub integration: String,
    /// A new name.
    #[arg(long)]
    pub rename: Option<String>,
    /// A new integration type.
    #[arg(long = "type")]
    pub integration_type: Option<String>,
    /// active | inactive
    #[arg(long)]
    pub status: Option<String>,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Remove these env vars.
    #[arg(long = "unset", value_name = "KEY")]
    pub unset: Vec<String>,
}

#[derive(Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub common: Common,
    /// The integration's name or id.
    pub integration: String,
    /// Remove the row for good instead of marking it deleted.
    #[arg(long)]
    pub hard: bool,
    /// Do not ask for confirmation (`--hard` asks at a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Yaml,
    Json,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Only integrations with this tag; repeat to require several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// The format of the documents.
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: ExportFormat,
}

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// Create a secret or add a version. The value is read from stdin or
    /// --from-file, never from the command line, and never printed.
    Set(SecretSetArgs),
    /// Secrets' metadata (never values).
    List(CommonOnly),
    /// Delete a secret and all its versions.
    Delete(SecretDeleteArgs),
    /// A secret's versions.
    Versions(SecretNameArgs),
}

#[derive(Args)]
pub struct CommonOnly {
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct SecretSetArgs {
    #[command(flatten)]
    pub common: Common,
    /// The secret's name: letters, digits, `_`, `.` and `-`, up to 255.
    pub name: String,
    /// Read the value from this file, byte for byte (default: stdin with
    /// one trailing newline removed; on a terminal, one line typed unechoed).
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// What the secret is for, shown by `secrets list`.
    #[arg(long)]
    pub description: Option<String>,
    /// Store an empty value (refused otherwise: an unset shell variable
    /// piped in would silently store one).
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Args)]
pub struct SecretNameArgs {
    #[command(flatten)]
    pub common: Common,
    /// The secret's name.
    pub name: String,
}

#[derive(Args)]
pub struct SecretDeleteArgs {
    #[command(flatten)]
    pub common: Common,
    /// The secret's name.
    pub name: String,
    /// Do not ask for confirmation (asked at a terminal only).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Subcommand)]
pub enum ProvidersCommand {
    /// The organization's credential providers.
    List(CommonOnly),
    /// One provider with its roles.
    Get(ProviderNameArgs),
    /// Create or replace a provider from a YAML or JSON file (admin tokens).
    Set(ProviderSetArgs),
    /// Delete a provider (refused while it has live leases; admin tokens).
    Delete(ProviderDeleteArgs),
}

#[derive(Args)]
pub struct ProviderNameArgs {
    #[command(flatten)]
    pub common: Common,
    /// The provider's name.
    pub name: String,
}

#[derive(Args)]
pub struct ProviderSetArgs {
    #[command(flatten)]
    pub common: Common,
    /// The provider's name: lowercase letters, digits, `_` and `-`, up to 63.
    pub name: String,
    /// The provider's body in YAML or JSON (`-` for stdin): kind,
    /// connection_secret, default_ttl_seconds, max_ttl_seconds, roles.
    #[arg(long = "file", short = 'f', value_name = "FILE", required = true)]
    pub file: PathBuf,
}

#[derive(Args)]
pub struct ProviderDeleteArgs {
    #[command(flatten)]
    pub common: Common,
    /// The provider's name.
    pub name: String,
    /// Do not ask for confirmation (asked at a terminal only).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Subcommand)]
pub enum LeasesCommand {
    /// Leases, newest first (never their passwords).
    List(LeaseListArgs),
    /// Drop a lease's database user now.
    Revoke(LeaseIdArgs),
    /// Extend an active lease, up to its provider's maximum (worker and admin tokens).
    Renew(LeaseRenewArgs),
}

#[derive(Args)]
pub struct LeaseListArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only this provider's leases.
    #[arg(long)]
    pub provider: Option<String>,
    /// Only leases made for this integration (its name).
    #[arg(long)]
    pub integration: Option<String>,
    /// Only leases in this state.
    #[arg(long, value_parser = ["active", "revoking", "revoked", "revoke_failed"])]
    pub state: Option<String>,
}

#[derive(Args)]
pub struct LeaseIdArgs {
    #[command(flatten)]
    pub common: Common,
    /// The lease's id (`patchbay leases list` shows them).
    pub id: String,
}

#[derive(Args)]
pub struct LeaseRenewArgs {
    #[command(flatten)]
    pub common: Common,
    /// The lease's id (`patchbay leases list` shows them).
    pub id: String,
    /// Seconds from now the lease lasts [default: its provider's default TTL].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub ttl: Option<u32>,
}

#[derive(Subcommand)]
pub enum WebhooksCommand {
    /// Add a receiver of the organization's events (admin tokens); its
    /// signing secret is printed this once.
    Create(WebhookCreateArgs),
    /// The organization's webhooks (never their secrets).
    List(CommonOnly),
    /// One webhook.
    Get(WebhookIdArgs),
    /// Remove a webhook and its deliveries.
    Delete(WebhookDeleteArgs),
    /// A webhook's newest deliveries: state, attempts, the receiver's last answer.
    Deliveries(WebhookIdArgs),
}

#[derive(Args)]
pub struct WebhookCreateArgs {
    #[command(flatten)]
    pub common: Common,
    /// Where each event is POSTed (http or https).
    #[arg(long)]
    pub url: String,
    /// An event to receive; repeat for several: integration.health_changed,
    /// integration.create, integration.update, integration.delete,
    /// integration.restore, secret.write, secret.delete, lease.revoke.
    #[arg(long = "event", value_name = "EVENT", required = true)]
    pub events: Vec<String>,
    /// What the receiver is, for the people who read the list.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Args)]
pub struct WebhookIdArgs {
    #[command(flatten)]
    pub common: Common,
    /// The webhook's id (`patchbay webhooks list` shows them).
    pub id: String,
}

#[derive(Args)]
pub struct WebhookDeleteArgs {
    #[command(flatten)]
    pub common: Common,
    /// The webhook's id (`patchbay webhooks list` shows them).
    pub id: String,
    /// Do not ask for confirmation (asked at a terminal only).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Subcommand)]
pub enum TemplatesCommand {
    /// The catalogue, filtered.
    List(TemplateListArgs),
    /// One template with its whole config.
    Show(TemplateShowArgs),
}

#[derive(Args)]
pub struct TemplateListArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only this category (e.g. `database`, `messaging`).
    #[arg(long)]
    pub category: Option<String>,
    /// Only templates with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Search in ids, names and descriptions.
    #[arg(long)]
    pub search: Option<String>,
}

#[derive(Args)]
pub struct TemplateShowArgs {
    #[command(flatten)]
    pub common: Common,
    /// The template's id (`patchbay templates list` shows them).
    pub template_id: String,
}

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub common: Common,
    /// A YAML or JSON file, or a directory of them (`*.yaml`, `*.yml`, `*.json`).
    #[arg(long, short = 'f', value_name = "FILE_OR_DIR", required = true)]
    pub file: Vec<PathBuf>,
    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Soft-delete the organization's integrations that the files do not declare.
    #[arg(long)]
    pub prune: bool,
    /// Prune even when no declaration was found or more than half of the
    /// organization's integrations would go.
    #[arg(long, requires = "prune")]
    pub force: bool,
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}
