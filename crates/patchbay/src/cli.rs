//! Command-line surface. Flag and variable names are fixed: scripts and docs outside the code rely on them.
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "patchbay", version, about = "A control plane for agent integrations")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the API server.
    Serve(ServeArgs),
    /// Make API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the vault's master key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Run a command with integrations' environment and files in its home.
    Run(RunArgs),
    /// Print integrations' environment variables.
    Env(EnvArgs),
    /// Save the server URL and token for the other client commands.
    Login(crate::commands::LoginArgs),
    /// Show the server, organization, role, user and expiry of the token in use.
    Whoami(crate::commands::CommonOnly),
    /// Remove the login `patchbay login` saved.
    Logout,
    /// Custom integrations: list, get, create, update, delete, export.
    #[command(subcommand, alias = "integration")]
    Integrations(crate::commands::IntegrationsCommand),
    /// The organization's vault secrets.
    #[command(subcommand, alias = "secret")]
    Secrets(crate::commands::SecretsCommand),
    /// The catalogue of integration templates.
    #[command(subcommand, alias = "template")]
    Templates(crate::commands::TemplatesCommand),
    /// Credential providers: databases that make a user for each run.
    #[command(subcommand, alias = "provider")]
    Providers(crate::commands::ProvidersCommand),
    /// Leases: the users providers made, until they are revoked or expire.
    #[command(subcommand, alias = "lease")]
    Leases(crate::commands::LeasesCommand),
    /// Webhooks: the organization's events POSTed, signed, to receivers.
    #[command(subcommand, alias = "webhook")]
    Webhooks(crate::commands::WebhooksCommand),
    /// Declare integrations in YAML or JSON files and make the server match.
    Apply(crate::commands::ApplyArgs),
    /// Print a shell completion script.
    Completions(crate::commands::CompletionsArgs),
    /// Serve integrations to an agent's MCP client on stdin and stdout (the Model Context Protocol).
    Mcp(crate::commands::McpArgs),
    /// Run connection tests for an organization: register, claim, run, report.
    Worker(WorkerArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where the signing key comes from; shared by `serve` and `token mint`.
#[derive(Args)]
pub struct KeyArgs {
    /// Data directory: the SQLite database and the signing key (`serve`
    /// creates the key on first start; `token mint` reads it).
    #[arg(long, env = "PATCHBAY_DATA_DIR", default_value = patchbay_server::config::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// HS256 secret for tokens. Without it, the `jwt-secret` file of the data directory.
    #[arg(long, env = "PATCHBAY_JWT_SECRET", hide_env_values = true, conflicts_with = "jwt_secret_file")]
    pub jwt_secret: Option<String>,
    /// A file holding the HS256 secret (e.g. a mounted container secret).
    #[arg(long, env = "PATCHBAY_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,
}

impl KeyArgs {
    /// The configured secret, from the flag, its variable, or its file.
    pub fn jwt_secret(&self) -> anyhow::Result<Option<String>> {
        secret_or_file(&self.jwt_secret, &self.jwt_secret_file)
    }
}

/// A value given directly, or the trimmed content of a `*_FILE`.
fn secret_or_file(value: &Option<String>, file: &Option<PathBuf>) -> anyhow::Result<Option<String>> {
    match (value, file) {
        (Some(value), _) => Ok(Some(value.clone())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
            Ok(Some(text.trim().to_owned()))
        }
        (None, None) => Ok(None),
    }
}

/// Where the database is; shared by `serve` and `keys rotate`.
#[derive(Args)]
pub struct DatabaseArgs {
    /// `postgres://...` for PostgreSQL; default: SQLite in the data directory.
    #[arg(long, env = "PATCHBAY_DATABASE_URL", hide_env_values = true, conflicts_with = "database_url_file")]
    pub database_url: Option<String>,
    /// A file holding the database URL (it may carry a password).
    #[arg(long, env = "PATCHBAY_DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,
}

impl DatabaseArgs {
    pub fn url(&self) -> anyhow::Result<Option<String>> {
        secret_or_file(&self.database_url, &self.database_url_file)
    }

    /// The embedded default: no URL given, neither directly nor in a file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.is_none() && self.database_url_file.is_none()
    }
}

/// The vault's master key: a flag, a variable, a file, or (by default) the
/// data directory's `master.key`, created on first start.
#[derive(Args)]
pub struct MasterKeyArgs {
    /// 32 bytes, standard base64.
    #[arg(long, env = "PATCHBAY_MASTER_KEY", hide_env_values = true, conflicts_with = "master_key_file")]
    pub master_key: Option<String>,
    /// A file holding the key in base64.
    #[arg(long, env = "PATCHBAY_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PATCHBAY_LISTEN", default_value = patchbay_server::config::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub master: MasterKeyArgs,
    /// PEM public key (RSA or EC) to verify RS256/ES256 tokens, besides HS256.
    #[arg(long, env = "PATCHBAY_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,
    /// Refuse tokens whose lifetime (`exp - iat`; `exp - now` without `iat`)
    /// exceeds this: `30d`, `12h`, `15m` (no limit when absent).
    #[arg(long, env = "PATCHBAY_MAX_TOKEN_LIFETIME", value_parser = crate::token::parse_ttl)]
    pub max_token_lifetime: Option<u64>,
    /// A bearer token `/metrics` then requires. Without it `/metrics` is open:
    /// it holds totals across organizations, never one organization's data.
    #[arg(long, env = "PATCHBAY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Log format.
    #[arg(long, env = "PATCHBAY_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub audit: crate::audit_args::AuditArgs,
    #[command(flatten)]
    pub connection_tests: crate::serve_jobs::ConnectionTestArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub connections: crate::serve_limits::ConnectionArgs,
    #[command(flatten)]
    pub store: crate::serve_limits::StoreArgs,
    /// Let webhooks reach loopback, private (RFC 1918), link-local and other
    /// internal addresses. Off, a webhook cannot become a way into the
    /// server's own network.
    #[arg(long, env = "PATCHBAY_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// A TOML file of settings: below `PATCHBAY_*` variables and flags, above defaults.
    #[arg(long, env = "PATCHBAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration (secrets masked) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// Request limits and shutdown.
#[derive(Args)]
pub struct LimitArgs {
    /// Longest a request may run before it is answered 504 (`30s`, `500ms`; `0` for none).
    #[arg(long, env = "PATCHBAY_REQUEST_TIMEOUT", default_value = "30s", value_parser = patchbay_server::limits::parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Requests per second allowed to each token, on average (off when absent).
    #[arg(long, env = "PATCHBAY_RATE_LIMIT", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Requests a token may send at once above its rate (default: the rate).
    #[arg(long, env = "PATCHBAY_RATE_LIMIT_BURST", requires = "rate_limit", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: Option<u32>,
    /// Largest bundle a resolution or a claim may build: every env var and
    /// file together after expansion (`1MiB`, `512KiB`, or bytes). One value
    /// is bounded at 64 KiB.
    #[arg(long, env = "PATCHBAY_MAX_BUNDLE_SIZE", default_value = "1MiB", value_parser = patchbay_server::limits::parse_size)]
    pub max_bundle_size: usize,
    /// After SIGTERM, how long in-flight requests may take to finish.
    #[arg(long, env = "PATCHBAY_SHUTDOWN_GRACE", default_value = "30s", value_parser = patchbay_server::limits::parse_duration)]
    pub shutdown_grace: std::time::Duration,
}

impl LimitArgs {
    pub fn limits(&self) -> patchbay_server::limits::Limits {
        patchbay_server::limits::Limits {
            request_timeout: Some(self.request_timeout).filter(|d| !d.is_zero()),
            rate_limit: self.rate_limit.map(|rate| {
                patchbay_server::limits::RateLimiter::new(
                    f64::from(rate),
                    self.rate_limit_burst.unwrap_or(rate),
                )
            }),
            bundle: patchbay_resolve::Bounds {
                bundle_bytes: self.max_bundle_size,
                ..patchbay_resolve::Bounds::default()
            },
        }
    }
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Print a new random master key (base64), for --master-key or a key file.
    Generate,
    /// Re-wrap every organization's data key under a new master key, in one
    /// transaction; servers keep running and must be restarted with the new key.
    Rotate(Box<RotateArgs>),
}

#[derive(Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The current key.
    #[command(flatten)]
    pub master: MasterKeyArgs,
    /// The new key, base64 (`patchbay keys generate` makes one).
    #[arg(
        long,
        env = "PATCHBAY_NEW_MASTER_KEY",
        hide_env_values = true,
        conflicts_with = "new_master_key_file"
    )]
    pub new_master_key: Option<String>,
    /// A file holding the new key in base64.
    #[arg(long)]
    pub new_master_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Sign a token with the server's HS256 key.
    Mint(MintArgs),
}

#[derive(Args)]
pub struct MintArgs {
    /// Organization (tenant) the token acts for.
    #[arg(long)]
    pub org: String,
    /// viewer | member | worker | admin
    #[arg(long, default_value = "member")]
    pub role: String,
    /// Lifetime, e.g. 30d, 12h, 15m, 3600s.
    #[arg(long, default_value = "30d")]
    pub ttl: String,
    /// User id recorded as the author of changes (`created_by`, the audit
    /// log, history) [default: the --email, else ROLE@ORG, e.g. admin@acme].
    #[arg(long)]
    pub user_id: Option<String>,
    /// An email recorded in the token, shown as the author in the audit log and history.
    #[arg(long)]
    pub email: Option<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// With no signing key in the data directory yet, how long to wait for a
    /// server starting there to create it (`patchbay serve & patchbay token mint`).
    #[arg(long, default_value = "5s", value_parser = patchbay_server::limits::parse_duration)]
    pub wait: std::time::Duration,
}

/// How a client command reaches the API; shared by every command that does.
/// Flags and variables win over the config file `patchbay login` writes,
/// which wins over the default server (`client_config.rs`).
#[derive(Args, Clone, Default)]
pub struct ClientArgs {
    /// Base URL of the Patchbay server [default: the saved login, else http://127.0.0.1:8080].
    #[arg(long, env = "PATCHBAY_SERVER")]
    pub server: Option<String>,
    /// API token [default: the saved login]. Secret values are resolved only for worker and admin tokens.
    #[arg(long, env = "PATCHBAY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// An integration's name; repeat for several.
    #[arg(short = 'i', long = "integration", value_name = "NAME", required = true)]
    pub integrations: Vec<String>,
    /// Write the files here and keep them (default: a fresh private home,
    /// removed when the command ends).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Replace files that already exist in the home.
    #[arg(long)]
    pub overwrite: bool,
    /// Accept a variable the bundle may otherwise not set (`BASH_ENV`,
    /// `LD_PRELOAD`, `PATH`...: they could run code as you); repeat for several.
    #[arg(long = "allow-env", value_name = "NAME")]
    pub allow_env: Vec<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum EnvFormat {
    /// `KEY="value"` lines.
    Dotenv,
    /// One JSON object.
    Json,
    /// `export KEY='value'` lines, for `eval`.
    Shell,
}

#[derive(Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// An integration's name; repeat for several.
    #[arg(short = 'i', long = "integration", value_name = "NAME", required = true)]
    pub integrations: Vec<String>,
    /// How the variables are written.
    #[arg(long, short = 'o', visible_alias = "output", value_enum, default_value = "dotenv")]
    pub format: EnvFormat,
    /// Also write the integrations' files here (`~/` is DIR), as `run
    /// --home` does; point the programs that read them at it with HOME=DIR.
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Replace files that already exist in the home.
    #[arg(long, requires = "home")]
    pub overwrite: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SandboxKind {
    /// Single-tenant installs only: a plain child process (own process group,
    /// resource limits) that runs as the worker's user and can read its files.
    None,
    /// Inside bubblewrap: its own processes, home, /tmp and a read-only view
    /// of /usr and a few client files of /etc; the network is shared.
    Bwrap,
}

impl SandboxKind {
    /// The flag's value, to pass the choice on to a child worker.
    pub fn as_arg(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Bwrap => "bwrap",
        }
    }
}

#[derive(Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Tests run at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// The name shown in `GET /workers` (default: host name and process id).
    #[arg(long)]
    pub name: Option<String>,
    /// How each test command is contained.
    #[arg(long, env = "PATCHBAY_SANDBOX", value_enum, default_value = "bwrap")]
    pub sandbox: SandboxKind,
    /// The bubblewrap binary, used as is [default: `bwrap` on PATH, else /usr/bin/bwrap].
    #[arg(long, env = "PATCHBAY_BWRAP", value_name = "PATH")]
    pub bwrap: Option<PathBuf>,
    /// Accept a variable a test's bundle may otherwise not set (`BASH_ENV`,
    /// `LD_PRELOAD`, `PATH`...); repeat for several.
    #[arg(long = "allow-env", value_name = "NAME")]
    pub allow_env: Vec<String>,
    /// Log format.
    #[arg(long, env = "PATCHBAY_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
    /// Set by `patchbay serve` for its embedded worker only.
    #[arg(long, env = crate::embedded_worker::CREDENTIAL_ENV, hide = true, hide_env_values = true)]
    pub embedded_credential: Option<String>,
}
