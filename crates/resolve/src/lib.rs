//! From integrations to a ready execution bundle: the
//! environment, the files with their effective modes, and the prompt context.
//! Pure functions over a `SecretSource`: no I/O, so every rule is unit-tested.
//!
//! Fail closed: every problem is collected (not just the first), and a
//! caller must not hand out a bundle that has any.
//!
//! Decided here:
//! - a var or file that cannot be built is left out of the bundle, and so
//!   is every var or file that references it; only the root cause is a
//!   problem (see `env.rs`);
//! - a file path written differently by two integrations keeps neither
//!   version (see `files.rs`);
//! - inactive integrations contribute nothing, not even their secrets' names.
#![forbid(unsafe_code)]

mod context;
mod env;
mod expand;
mod files;
mod order;
mod place;
mod rename;
mod secret_names;
mod suspicious;
mod template;
#[cfg(test)]
mod tests;

pub use expand::Bounds;
use indexmap::IndexMap;
use patchbay_domain::{Integration, IntegrationStatus};
pub use rename::rename_secrets;
pub use suspicious::{ConfigWarning, Warning, config_warnings, suspicious_references};
use uuid::Uuid;

/// Where secret values come from. A real resolution reads the vault; a dry
/// run answers `"***"` for every secret that exists.
pub trait SecretSource {
    /// The value of the vault secret `name`, or `None` when there is none.
    fn secret(&self, name: &str) -> Option<String>;
}

/// One problem that makes the bundle unusable. `loc` says where, as a path
/// like `["integrations", "prod-db", "config", "env_vars", "DB_URL"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub loc: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// An integration that is `inactive` or `deleted`.
    IntegrationNotActive,
    /// A secret the config names (in `secrets`, `secret_ref` or a template) is not in the vault.
    MissingSecret,
    /// A `${NAME}` / `{{.env.NAME}}` that names no env var of the bundle.
    UndefinedReference,
    /// Env vars that reference each other in a loop.
    ReferenceCycle,
    /// Two integrations define one env var with different values.
    EnvVarConflict,
    /// Two integrations define one file path with different contents or modes.
    FileConflict,
    /// A file with neither `content` nor `secret_ref`.
    FileWithoutContent,
    /// An env var or file would expand past `Bounds::value_bytes`.
    ValueTooLarge,
    /// The bundle would grow past `Bounds::bundle_bytes`.
    BundleTooLarge,
}

impl ProblemKind {
    /// The `type` of the 422 entry.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IntegrationNotActive => "integration_not_active",
            Self::MissingSecret => "missing_secret",
            Self::UndefinedReference => "undefined_reference",
            Self::ReferenceCycle => "reference_cycle",
            Self::EnvVarConflict => "env_var_conflict",
            Self::FileConflict => "file_conflict",
            Self::FileWithoutContent => "file_without_content",
            Self::ValueTooLarge => "value_too_large",
            Self::BundleTooLarge => "bundle_too_large",
        }
    }
}

/// A file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// As configured (`~/x`, relative, or absolute; materialization decides).
    pub path: String,
    pub content: String,
    /// The mode to write: the configured one (default 0644), with group and
    /// other bits dropped when the content comes from a secret.
    pub mode: u32,
    pub description: Option<String>,
    /// The content comes from a secret (`secret_ref` or a template that inserts one).
    pub from_secret: bool,
}

/// Which integration revision went into a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationRef {
    pub id: Uuid,
    pub name: String,
    pub integration_type: String,
    pub revision: i64,
}

/// The execution bundle. Env var and file order: integrations in the order
/// given, each one's entries in its config's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    pub env_vars: IndexMap<String, String>,
    pub files: Vec<BundleFile>,
    /// The Markdown "## Available Integrations" section: names, types, env
    /// var *names* and context prompts; never a value.
    pub context_prompt: String,
    pub integrations: Vec<IntegrationRef>,
    /// Names of the env vars whose value comes from a secret.
    pub secret_env_vars: Vec<String>,
}

/// The bundle as far as it could be built, and every problem found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    pub bundle: Bundle,
    pub problems: Vec<Problem>,
}

/// Resolves `integrations` (in this order) against `secrets`, within the
/// default `Bounds`.
pub fn resolve(integrations: &[Integration], secrets: &dyn SecretSource) -> Resolution {
    resolve_within(integrations, secrets, Bounds::default())
}

/// Resolves `integrations` (in this order) against `secrets`; a value or a
/// bundle that would grow past `bounds` is a problem, and is never built.
pub fn resolve_within(
    integrations: &[Integration],
    secrets: &dyn SecretSource,
    bounds: Bounds,
) -> Resolution {
    let mut expander = expand::Expander::new(secrets, bounds);
    let mut active = Vec::with_capacity(integrations.len());
    for integration in integrations {
        if is_active(integration) {
            active.push(integration);
        } else {
            expander.report(not_active(integration));
        }
    }
    let env = env::EnvVars::resolve(&active, &mut expander);
    let files = files::build(&active, &env, &mut expander);
    let mut env_vars = IndexMap::with_capacity(env.len());
    let mut secret_env_vars = Vec::new();
    for (name, resolved) in env.into_resolved() {
        if resolved.from_secret {
            secret_env_vars.push(name.to_owned());
        }
        env_vars.insert(name.to_owned(), resolved.value);
    }
    let bundle = Bundle {
        env_vars,
        files,
        context_prompt: context::context_prompt(&active),
        integrations: active.iter().map(|integration| context::integration_ref(integration)).collect(),
        secret_env_vars,
    };
    Resolution { bundle, problems: expander.into_problems() }
}

fn not_active(integration: &Integration) -> Problem {
    let status = integration.status.as_str();
    let message =
        format!("integration `{}` is {status}; only active integrations can be resolved", integration.name);
    place::Place::Integration(&integration.name).problem(ProblemKind::IntegrationNotActive, message)
}

/// Every vault secret name the integrations may read: `config.secrets`,
/// `files[].secret_ref`, and `{{.secret.NAME}}` in env values and file
/// contents. The caller fetches these (and only these) from the vault.
///
/// Only what `resolve` would read: nothing of an inactive integration, and
/// no `secret_ref` of a file whose `content` is set.
pub fn secret_names(integrations: &[Integration]) -> Vec<String> {
    secret_names::secret_names(integrations)
}

/// The vault secret names one config reads, as `secret_names` counts them.
pub fn config_secret_names(config: &patchbay_domain::IntegrationConfig) -> Vec<String> {
    secret_names::config_secret_names(config)
}

/// Whether an integration may be resolved at all.
pub fn is_active(integration: &Integration) -> bool {
    integration.status == IntegrationStatus::Active
}
