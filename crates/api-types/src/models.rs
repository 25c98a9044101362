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

/// Every declared model, in the order the document lists them.
pub const MODELS: [Model; 5] =
    [create::MODEL, update::MODEL, config::MODEL, file::MODEL, connection_test::MODEL];

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

    pub const MODEL: Model = Model {
        name: "CustomIntegrationConfig",
        description: "Custom integration configuration",
        fields: &[ENV_VARS, SECRETS, FILES, CONTEXT_PROMPT, CONNECTION_TEST],
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

    pub const MODEL: Model = Model {
        name: "ConnectionTest",
        description: "Configuration for testing integration connectivity",
        fields: &[ENABLED, COMMAND, TIMEOUT],
    };
}
