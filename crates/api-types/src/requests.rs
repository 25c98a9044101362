//! Create and update bodies: the reference's Pydantic models, field by field
//! in model order (which is the order of the 422 list), plus Patchbay's
//! stricter rules reported at the exact `loc`.
use crate::lax::{Checker, at};
use crate::{FieldError, LocItem};
use patchbay_domain::{
    ConnectionTest, DEFAULT_FILE_MODE, DEFAULT_TEST_TIMEOUT_SECS, EnvVarName, FileMode, FilePath, FileSpec,
    IntegrationConfig, IntegrationPatch, IntegrationStatus, TestTimeout,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const NAME_MAX: usize = 255;
pub const TYPE_MAX: usize = 100;

/// `POST /api/v1/custom-integrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateIntegrationRequest {
    pub name: String,
    pub integration_type: String,
    pub description: Option<String>,
    pub config: IntegrationConfig,
    pub tags: Vec<String>,
}

/// `PUT /api/v1/custom-integrations/{id}`: absent or `null` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateIntegrationRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<IntegrationConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<IntegrationStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

fn body() -> Vec<LocItem> {
    vec!["body".into()]
}

/// PostgreSQL text cannot hold NUL, so no column-stored string may carry one
/// (config strings are stored as escaped JSON and may).
fn no_nul(checker: &mut Checker, loc: &[LocItem], text: Option<String>) -> Option<String> {
    let text = text?;
    if text.contains('\0') {
        checker.domain(
            loc.to_vec(),
            Value::String(text),
            patchbay_domain::ParseError::Invalid("text must not contain a NUL character"),
        );
        return None;
    }
    Some(text)
}

fn tags(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<Vec<String>> {
    let tags = checker.string_list(loc, value)?;
    let before = checker.error_count();
    for (i, tag) in tags.iter().enumerate() {
        no_nul(checker, &at(loc, i), Some(tag.clone()));
    }
    (checker.error_count() == before).then_some(tags)
}

pub fn parse_create_request(value: &Value) -> Result<CreateIntegrationRequest, Vec<FieldError>> {
    let mut checker = Checker::new();
    let Some(fields) = checker.model(&body(), value) else { return checker.finish(|| unreachable!()) };
    let loc = body();
    let required = |checker: &mut Checker, key: &str| {
        let value = fields.get(key);
        if value.is_none() {
            checker.missing(at(&loc, key), fields);
        }
        value
    };
    let name = required(&mut checker, "name")
        .and_then(|v| checker.bounded_string(&at(&loc, "name"), v, 1, NAME_MAX));
    let name = no_nul(&mut checker, &at(&loc, "name"), name);
    let integration_type = required(&mut checker, "integration_type")
        .and_then(|v| checker.bounded_string(&at(&loc, "integration_type"), v, 1, TYPE_MAX));
    let integration_type = no_nul(&mut checker, &at(&loc, "integration_type"), integration_type);
    let description = checker.optional_string(&at(&loc, "description"), fields.get("description"));
    let description = description.map(|d| no_nul(&mut checker, &at(&loc, "description"), d));
    let config = required(&mut checker, "config").and_then(|v| config(&mut checker, &at(&loc, "config"), v));
    let tags = match fields.get("tags") {
        None => Some(Vec::new()),
        Some(v) => tags(&mut checker, &at(&loc, "tags"), v),
    };
    checker.finish(|| CreateIntegrationRequest {
        name: name.unwrap(),
        integration_type: integration_type.unwrap(),
        description: description.unwrap(),
        config: config.unwrap(),
        tags: tags.unwrap(),
    })
}

pub fn parse_update_request(value: &Value) -> Result<IntegrationPatch, Vec<FieldError>> {
    let mut checker = Checker::new();
    let Some(fields) = checker.model(&body(), value) else { return checker.finish(|| unreachable!()) };
    let loc = body();
    // In an update every field is optional and `null` means "leave it".
    let given = |key: &str| fields.get(key).filter(|v| !v.is_null());
    let name = given("name").and_then(|v| {
        let name = checker.bounded_string(&at(&loc, "name"), v, 1, NAME_MAX);
        no_nul(&mut checker, &at(&loc, "name"), name)
    });
    let integration_type = given("integration_type").and_then(|v| {
        let kind = checker.bounded_string(&at(&loc, "integration_type"), v, 1, TYPE_MAX);
        no_nul(&mut checker, &at(&loc, "integration_type"), kind)
    });
    let description = given("description").and_then(|v| {
        let description = checker.string(&at(&loc, "description"), v);
        no_nul(&mut checker, &at(&loc, "description"), description)
    });
    let config = given("config").and_then(|v| config(&mut checker, &at(&loc, "config"), v));
    let status = given("status").and_then(|v| {
        let status = v.as_str().and_then(IntegrationStatus::parse);
        if status.is_none() {
            let allowed = IntegrationStatus::ALL.map(IntegrationStatus::as_str);
            checker.push(FieldError::enumeration(at(&loc, "status"), &allowed, v.clone()));
        }
        status
    });
    let tags = given("tags").and_then(|v| tags(&mut checker, &at(&loc, "tags"), v));
    checker.finish(|| IntegrationPatch {
        name,
        integration_type,
        description,
        config,
        status,
        tags,
        clear_description: false,
    })
}

/// The most env vars, secrets and files one config may hold. The reference
/// sets no bound, but every entry costs work wherever a bundle is built (a
/// config naming 40,000 secrets made one dry run 40,000 lookups); these are
/// far above what a real integration needs.
pub const MAX_ENV_VARS: usize = 1_000;
pub const MAX_SECRETS: usize = 1_000;
pub const MAX_FILES: usize = 100;

/// `CustomIntegrationConfig`, normalized: every key present.
fn config(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<IntegrationConfig> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    let env_vars = match fields.get("env_vars") {
        None => Some(Default::default()),
        Some(v) => env_vars(checker, &at(loc, "env_vars"), v),
    };
    let secrets = match fields.get("secrets") {
        None => Some(Vec::new()),
        Some(v) => secrets(checker, &at(loc, "secrets"), v),
    };
    let files = match fields.get("files") {
        None => Some(Vec::new()),
        Some(v) => files(checker, &at(loc, "files"), v),
    };
    let context_prompt = checker.optional_string(&at(loc, "context_prompt"), fields.get("context_prompt"));
    let connection_test = match fields.get("connection_test") {
        None | Some(Value::Null) => Some(None),
        Some(v) => connection_test(checker, &at(loc, "connection_test"), v).map(Some),
    };
    (checker.error_count() == before).then(|| IntegrationConfig {
        env_vars: env_vars.unwrap(),
        secrets: secrets.unwrap(),
        files: files.unwrap(),
        context_prompt: context_prompt.unwrap(),
        connection_test: connection_test.unwrap(),
    })
}

fn env_vars(
    checker: &mut Checker,
    loc: &[LocItem],
    value: &Value,
) -> Option<indexmap::IndexMap<EnvVarName, String>> {
    let entries = checker.dict(loc, value)?;
    if !checker.at_most(loc, value, entries.len(), MAX_ENV_VARS, "Dictionary") {
        return None;
    }
    let before = checker.error_count();
    let mut vars = indexmap::IndexMap::with_capacity(entries.len());
    for (key, value) in entries {
        let name = match EnvVarName::parse(key) {
            Ok(name) => Some(name),
            Err(error) => {
                checker.domain(at(&at(loc, key.as_str()), "[key]"), Value::String(key.clone()), error);
                None
            }
        };
        let value = checker.string(&at(loc, key.as_str()), value);
        if let (Some(name), Some(value)) = (name, value) {
            vars.insert(name, value);
        }
    }
    (checker.error_count() == before).then_some(vars)
}

fn secrets(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<Vec<EnvVarName>> {
    let items = checker.list(loc, value)?;
    if !checker.at_most(loc, value, items.len(), MAX_SECRETS, "List") {
        return None;
    }
    let before = checker.error_count();
    let mut names = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(text) = checker.string(&at(loc, i), item) else { continue };
        match EnvVarName::parse(&text) {
            Ok(name) => names.push(name),
            Err(error) => checker.domain(at(loc, i), item.clone(), error),
        }
    }
    (checker.error_count() == before).then_some(names)
}

fn files(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<Vec<FileSpec>> {
    let items = checker.list(loc, value)?;
    if !checker.at_most(loc, value, items.len(), MAX_FILES, "List") {
        return None;
    }
    let before = checker.error_count();
    let specs: Vec<FileSpec> =
        items.iter().enumerate().filter_map(|(i, item)| file(checker, &at(loc, i), item)).collect();
    (checker.error_count() == before).then_some(specs)
}

/// `FileConfig`: `mode` defaults to `"0644"` only when absent; an explicit
/// `null` is kept, as the reference keeps it.
fn file(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<FileSpec> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    let path = match fields.get("path") {
        None => {
            checker.missing(at(loc, "path"), fields);
            None
        }
        Some(v) => checker.bounded_string(&at(loc, "path"), v, 1, usize::MAX).and_then(|text| {
            FilePath::parse(&text).map_err(|error| checker.domain(at(loc, "path"), v.clone(), error)).ok()
        }),
    };
    let content = checker.optional_string(&at(loc, "content"), fields.get("content"));
    let secret_ref = checker.optional_string(&at(loc, "secret_ref"), fields.get("secret_ref"));
    let mode = match fields.get("mode") {
        None => Some(Some(FileMode::parse(DEFAULT_FILE_MODE).expect("the default mode is valid"))),
        Some(Value::Null) => Some(None),
        Some(v) => checker.string(&at(loc, "mode"), v).and_then(|text| {
            FileMode::parse(&text)
                .map(Some)
                .map_err(|error| checker.domain(at(loc, "mode"), v.clone(), error))
                .ok()
        }),
    };
    let description = checker.optional_string(&at(loc, "description"), fields.get("description"));
    (checker.error_count() == before).then(|| FileSpec {
        path: path.unwrap(),
        content: content.unwrap(),
        secret_ref: secret_ref.unwrap(),
        mode: mode.unwrap(),
        description: description.unwrap(),
    })
}

/// `ConnectionTest`, fields in the reference's order: enabled, command, timeout.
fn connection_test(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<ConnectionTest> {
    let fields: &Map<String, Value> = checker.model(loc, value)?;
    let before = checker.error_count();
    let enabled = match fields.get("enabled") {
        None => Some(true),
        Some(v) => checker.bool(&at(loc, "enabled"), v),
    };
    let command = match fields.get("command") {
        None => {
            checker.missing(at(loc, "command"), fields);
            None
        }
        Some(v) => checker.string(&at(loc, "command"), v),
    };
    let timeout = match fields.get("timeout") {
        None => Some(DEFAULT_TEST_TIMEOUT_SECS),
        Some(v) => checker.int(&at(loc, "timeout"), v),
    }
    .and_then(|seconds| {
        let input = fields.get("timeout").cloned().unwrap_or(Value::from(seconds));
        TestTimeout::parse(seconds).map_err(|error| checker.domain(at(loc, "timeout"), input, error)).ok()
    });
    (checker.error_count() == before).then(|| ConnectionTest {
        enabled: enabled.unwrap(),
        command: command.unwrap(),
        timeout: timeout.unwrap(),
    })
}
