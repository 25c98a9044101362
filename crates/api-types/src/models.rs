//! The request models of the integrations API, field by field: the one
//! place their names, limits, titles and defaults are written. The texts
//! are the reference's (generated clients show them); the limits beyond
//! the reference's are Patchbay's.
use crate::fields::{Field, Kind, Model, Preset, TEXT};

pub const NAME_MAX: usize = 255;
pub const TYPE_MAX: usize = 100;

/// The most env vars, secrets and files one config may hold. The reference
/// sets no bound, but every entry costs work wherever a bundle is built (a
/// config naming 40,000 secrets made one dry run 40,000 lookups); these are
/// far above what a real integration needs.
pub const MAX_ENV_VARS: usize = 1_000;
pub const MAX_SECRETS: usize = 1_000;
pub const MAX_FILES: usize = 100;
/// The most leases one integration takes per resolution.
pub const MAX_DYNAMIC_CREDENTIALS: usize = 10;
/// The longest lease any provider may give: 30 days.
pub const MAX_LEASE_TTL_SECONDS: i64 = 30 * 24 * 3600;

/// Every declared model, in the order the document lists them.
pub const MODELS: [Model; 7] = [
    create::MODEL,
    update::MODEL,
    config::MODEL,
    file::MODEL,
    connection_test::MODEL,
    dynamic_credential::MODEL,
    credential_env::MODEL,
];

/// `CreateCustomIntegrationRequest`.
pub mod create {
    use super::*;

    pub const NAME: Field =
        Field::new("name", Kind::Str { min: 1, max: Some(NAME_MAX), pattern: None }).title("Name").required();
    pub const INTEGRATION_TYPE: Field =
        Field::new("integration_type", Kind::Str { min: 1, max: Some(TYPE_MAX), pattern: None })
            .title("Integration Type")
            .required();
    pub const DESCRIPTION: Field = Field::new("description", TEXT).title("Description").nullable();
    pub const CONFIG: Field = Field::new("config", Kind::Ref(super::config::MODEL.name)).required();
    pub const TAGS: Field = Field::new("tags", Kind::List { items: &TEXT, max: None }).title("Tags");

    pub const MODEL: Model = Model {
        name: "CreateCustomIntegrationRequest",
        description: "Request to create a custom integration",
        fields: &[NAME, INTEGRATION_TYPE, DESCRIPTION, CONFIG, TAGS],
    };
}

/// `UpdateCustomIntegrationRequest`: the create fields, each optional, with
/// `null` meaning "leave it as it is".
pub mod update {
    use super::*;

    const fn leave_alone(field: Field) -> Field {
        Field { required: false, ..field.nullable() }
    }

    pub const NAME: Field = leave_alone(create::NAME);
    pub const INTEGRATION_TYPE: Field = leave_alone(create::INTEGRATION_TYPE);
    pub const DESCRIPTION: Field = leave_alone(create::DESCRIPTION);
    pub const CONFIG: Field = leave_alone(create::CONFIG);
    pub const STATUS: Field = leave_alone(Field::new("status", Kind::Ref(STATUS_ENUM)));
    pub const TAGS: Field = leave_alone(create::TAGS);

    /// The enum component of `status`, written from `IntegrationStatus::ALL`.
    pub const STATUS_ENUM: &str = "CustomIntegrationStatus";

    pub const MODEL: Model = Model {
        name: "UpdateCustomIntegrationRequest",
        description: "Request to update a custom integration",
        fields: &[NAME, INTEGRATION_TYPE, DESCRIPTION, CONFIG, STATUS, TAGS],
    };
}

/// `CustomIntegrationConfig`: every field may be absent.
pub mod config {
    use super::*;
    use patchbay_domain::EnvVarName;

    const SECRET_NAME: Kind = Kind::Str { min: 0, max: None, pattern: Some(EnvVarName::PATTERN) };

    pub const ENV_VARS: Field =
        Field::new("env_vars", Kind::Map { keys: EnvVarName::PATTERN, max: MAX_ENV_VARS })
            .title("Env Vars")
            .description("Environment variables");
    pub const SECRETS: Field =
        Field::new("secrets", Kind::List { items: &SECRET_NAME, max: Some(MAX_SECRETS) })
            .title("Secrets")
            .description("Secret names from vault");
    pub const FILES: Field =
        Field::new("files", Kind::List { items: &Kind::Ref(super::file::MODEL.name), max: Some(MAX_FILES) })
            .title("Files")
            .description("Files to create");
    pub const CONTEXT_PROMPT: Field = Field::new("context_prompt", TEXT)
        .title("Context Prompt")
        .description("Contextual guidance for agent")
        .nullable();
    pub const CONNECTION_TEST: Field =
        Field::new("connection_test", Kind::Ref(super::connection_test::MODEL.name))
            .description("Connection test config")
            .nullable();

    pub const DYNAMIC_CREDENTIALS: Field = Field::new(
        "dynamic_credentials",
        Kind::List {
            items: &Kind::Ref(super::dynamic_credential::MODEL.name),
            max: Some(MAX_DYNAMIC_CREDENTIALS),
        },
    )
    .title("Dynamic Credentials")
    .description(
        "Patchbay: a fresh database user per resolution, from a credential provider, revoked when the run ends",
    );

    pub const MODEL: Model = Model {
        name: "CustomIntegrationConfig",
        description: "Custom integration configuration",
        fields: &[ENV_VARS, SECRETS, FILES, CONTEXT_PROMPT, CONNECTION_TEST, DYNAMIC_CREDENTIALS],
    };
}

/// `FileConfig`: `mode` is `"0644"` only when absent; an explicit `null` is
/// kept, as the reference keeps it.
pub mod file {
    use super::*;
    use patchbay_domain::{DEFAULT_FILE_MODE, FileMode};

    pub const PATH: Field = Field::new("path", Kind::Str { min: 1, max: None, pattern: None })
        .title("Path")
        .description("File path (e.g., ~/.postgresql/client.crt); no '..' component")
        .required();
    pub const CONTENT: Field =
        Field::new("content", TEXT).title("Content").description("File content (direct)").nullable();
    pub const SECRET_REF: Field = Field::new("secret_ref", TEXT)
        .title("Secret Ref")
        .description("Secret name to load content from")
        .nullable();
    pub const MODE: Field =
        Field::new("mode", Kind::Str { min: 0, max: None, pattern: Some(FileMode::PATTERN) })
            .title("Mode")
            .description("File permissions (octal)")
            .default(Preset::Str(DEFAULT_FILE_MODE))
            .nullable();
    pub const DESCRIPTION: Field = Field::new("description", TEXT)
        .title("Description")
        .description("Description of this file")
        .nullable();

    pub const MODEL: Model = Model {
        name: "FileConfig",
        description: "Configuration for a file to be written to workspace",
        fields: &[PATH, CONTENT, SECRET_REF, MODE, DESCRIPTION],
    };
}

/// `ConnectionTest`: the timeout's bounds are `TestTimeout`'s.
pub mod connection_test {
    use super::*;
    use patchbay_domain::{DEFAULT_TEST_TIMEOUT_SECS, TestTimeout};

    pub const ENABLED: Field = Field::new("enabled", Kind::Bool)
        .title("Enabled")
        .description("Whether to test connection")
        .default(Preset::Bool(true));
    pub const COMMAND: Field =
        Field::new("command", TEXT).title("Command").description("Command to run for testing").required();
    pub const TIMEOUT: Field =
        Field::new("timeout", Kind::Int { min: TestTimeout::MIN, max: TestTimeout::MAX })
            .title("Timeout")
            .description("Timeout in seconds")
            .default(Preset::Int(DEFAULT_TEST_TIMEOUT_SECS));
    /// Any value from 1 is taken (tests run fast); 10 or more is the
    /// sensible floor in production.
    pub const INTERVAL_SECONDS: Field =
        Field::new("interval_seconds", Kind::Int { min: 1, max: MAX_TEST_INTERVAL_SECONDS })
            .title("Interval Seconds")
            .description(
                "Run the test on a schedule, every this many seconds (10 or more in production); \
                 absent: only when asked",
            )
            .nullable();

    /// A week: a longer schedule is a cron job's business.
    pub const MAX_TEST_INTERVAL_SECONDS: i64 = 7 * 24 * 3600;

    pub const MODEL: Model = Model {
        name: "ConnectionTest",
        description: "Configuration for testing integration connectivity",
        fields: &[ENABLED, COMMAND, TIMEOUT, INTERVAL_SECONDS],
    };
}

/// `DynamicCredential`: one lease an integration takes at resolution.
pub mod dynamic_credential {
    use super::*;
    use patchbay_domain::ProviderName;

    const PROVIDER_NAME: Kind = Kind::Str { min: 1, max: Some(63), pattern: Some(ProviderName::PATTERN) };

    pub const PROVIDER: Field = Field::new("provider", PROVIDER_NAME)
        .title("Provider")
        .description("The organization's credential provider")
        .required();
    pub const ROLE: Field =
        Field::new("role", PROVIDER_NAME).title("Role").description("One of the provider's roles").required();
    pub const TTL_SECONDS: Field =
        Field::new("ttl_seconds", Kind::Int { min: 1, max: MAX_LEASE_TTL_SECONDS })
            .title("Ttl Seconds")
            .description("The lease's lifetime; the provider's default when absent, at most its max")
            .nullable();
    pub const ENV: Field = Field::new("env", Kind::Ref(super::credential_env::MODEL.name))
        .description("The env vars the username and password go into")
        .required();

    pub const MODEL: Model = Model {
        name: "DynamicCredential",
        description: "A lease to take from a credential provider at resolution",
        fields: &[PROVIDER, ROLE, TTL_SECONDS, ENV],
    };
}

/// `DynamicCredentialEnv`: at least one of the two.
pub mod credential_env {
    use super::*;
    use patchbay_domain::EnvVarName;

    const ENV_NAME: Kind = Kind::Str { min: 1, max: None, pattern: Some(EnvVarName::PATTERN) };

    pub const USERNAME: Field =
        Field::new("username", ENV_NAME).title("Username").description("Env var for the username").nullable();
    pub const PASSWORD: Field =
        Field::new("password", ENV_NAME).title("Password").description("Env var for the password").nullable();

    pub const MODEL: Model = Model {
        name: "DynamicCredentialEnv",
        description: "Where a lease's username and password go in the bundle's environment",
        fields: &[USERNAME, PASSWORD],
    };
}
