//! Create and update bodies: the reference's Pydantic models, field by field
//! in model order (which is the order of the 422 list), plus Patchbay's
//! stricter rules reported at the exact `loc`. Which fields are required,
//! nullable or defaulted, and their limits, are their declarations in
//! `crate::models`, which the JSON schema is generated from too.
use crate::fields::Field;
use crate::lax::{Checker, at};
use crate::models::{
    config as cfg, connection_test as ct, create, credential_env as ce, dynamic_credential as dc, file as fc,
    update,
};
use crate::{FieldError, LocItem};
use patchbay_domain::{
    ConnectionTest, CredentialEnv, DynamicCredential, EnvVarName, FileMode, FilePath, FileSpec,
    IntegrationConfig, IntegrationPatch, IntegrationStatus, ParseError, ProviderName, TestTimeout,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
pub(crate) fn no_nul(checker: &mut Checker, loc: &[LocItem], text: Option<String>) -> Option<String> {
    let text = text?;
    if text.contains('\0') {
        checker.domain(
            loc.to_vec(),
            Value::String(text),
            ParseError::Invalid("text must not contain a NUL character"),
        );
        return None;
    }
    Some(text)
}

/// A string field of the integration's own row (see `no_nul`).
fn column_text(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &Map<String, Value>,
    field: &Field,
) -> Option<Option<String>> {
    match checker.text_field(loc, fields, field)? {
        None => Some(None),
        text => no_nul(checker, &at(loc, field.name), text).map(Some),
    }
}

/// A checked value turned into its domain type; a refusal is reported at
/// the field with the input as the client sent it (or the default).
fn refine<I: Clone + Into<Value>, T>(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &Map<String, Value>,
    field: &Field,
    checked: I,
    parse: impl FnOnce(&I) -> Result<T, ParseError>,
) -> Option<T> {
    parse(&checked)
        .map_err(|error| {
            let input = fields.get(field.name).cloned().unwrap_or_else(|| checked.clone().into());
            checker.domain(at(loc, field.name), input, error)
        })
        .ok()
}

fn tags(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &Map<String, Value>,
    field: &Field,
) -> Option<Option<Vec<String>>> {
    let Some(items) = checker.list_field(loc, fields, field)? else { return Some(None) };
    let before = checker.error_count();
    let tags: Vec<String> =
        items.each().filter_map(|(loc, item)| checker.text(&loc, item, items.kind)).collect();
    if checker.error_count() != before {
        return None;
    }
    for (i, tag) in tags.iter().enumerate() {
        no_nul(checker, &at(&items.loc, i), Some(tag.clone()));
    }
    (checker.error_count() == before).then_some(Some(tags))
}

pub fn parse_create_request(value: &Value) -> Result<CreateIntegrationRequest, Vec<FieldError>> {
    let mut checker = Checker::new();
    let Some(fields) = checker.model(&body(), value) else { return checker.finish(|| unreachable!()) };
    let loc = body();
    let name = column_text(&mut checker, &loc, fields, &create::NAME);
    let integration_type = column_text(&mut checker, &loc, fields, &create::INTEGRATION_TYPE);
    let description = column_text(&mut checker, &loc, fields, &create::DESCRIPTION);
    let config = checker
        .ref_field(&loc, fields, &create::CONFIG)
        .flatten()
        .and_then(|v| config(&mut checker, &at(&loc, create::CONFIG.name), v));
    let tags = tags(&mut checker, &loc, fields, &create::TAGS);
    checker.finish(|| CreateIntegrationRequest {
        name: name.flatten().unwrap(),
        integration_type: integration_type.flatten().unwrap(),
        description: description.unwrap(),
        config: config.unwrap(),
        tags: tags.unwrap().unwrap_or_default(),
    })
}

pub fn parse_update_request(value: &Value) -> Result<IntegrationPatch, Vec<FieldError>> {
    let mut checker = Checker::new();
    let Some(fields) = checker.model(&body(), value) else { return checker.finish(|| unreachable!()) };
    let loc = body();
    // Every field is declared nullable and optional here: absent or `null`
    // means "leave it", so `flatten` gives what to change.
    let name = column_text(&mut checker, &loc, fields, &update::NAME).flatten();
    let integration_type = column_text(&mut checker, &loc, fields, &update::INTEGRATION_TYPE).flatten();
    let description = column_text(&mut checker, &loc, fields, &update::DESCRIPTION).flatten();
    let config = checker
        .ref_field(&loc, fields, &update::CONFIG)
        .flatten()
        .and_then(|v| config(&mut checker, &at(&loc, update::CONFIG.name), v));
    let status = checker.ref_field(&loc, fields, &update::STATUS).flatten().and_then(|v| {
        let status = v.as_str().and_then(IntegrationStatus::parse);
        if status.is_none() {
            let allowed = IntegrationStatus::ALL.map(IntegrationStatus::as_str);
            checker.push(FieldError::enumeration(at(&loc, update::STATUS.name), &allowed, v.clone()));
        }
        status
    });
    let tags = tags(&mut checker, &loc, fields, &update::TAGS).flatten();
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

/// `CustomIntegrationConfig`, normalized: every key present.
fn config(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<IntegrationConfig> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    let env_vars = env_vars(checker, loc, fields);
    let secrets = secrets(checker, loc, fields);
    let files = files(checker, loc, fields);
    let context_prompt = checker.text_field(loc, fields, &cfg::CONTEXT_PROMPT);
    let connection_test = match checker.ref_field(loc, fields, &cfg::CONNECTION_TEST) {
        Some(Some(v)) => connection_test(checker, &at(loc, cfg::CONNECTION_TEST.name), v).map(Some),
        absent => absent.map(|_| None),
    };
    let dynamic_credentials = dynamic_credentials(checker, loc, fields);
    (checker.error_count() == before).then(|| IntegrationConfig {
        dynamic_credentials: dynamic_credentials.unwrap().unwrap_or_default(),
        env_vars: env_vars.unwrap().unwrap_or_default(),
        secrets: secrets.unwrap().unwrap_or_default(),
        files: files.unwrap().unwrap_or_default(),
        context_prompt: context_prompt.unwrap(),
        connection_test: connection_test.unwrap(),
    })
}

fn env_vars(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &Map<String, Value>,
) -> Option<Option<indexmap::IndexMap<EnvVarName, String>>> {
    let Some(entries) = checker.map_field(loc, fields, &cfg::ENV_VARS)? else { return Some(None) };
    let loc = at(loc, cfg::ENV_VARS.name);
    let before = checker.error_count();
    let mut vars = indexmap::IndexMap::with_capacity(entries.len());
    for (key, value) in entries {
        let name = match EnvVarName::parse(key) {
            Ok(name) => Some(name),
            Err(error) => {
                checker.domain(at(&at(&loc, key.as_str()), "[key]"), Value::String(key.clone()), error);
                None
            }
        };
        let value = checker.string(&at(&loc, key.as_str()), value);
        if let (Some(name), Some(value)) = (name, value) {
            vars.insert(name, value);
        }
    }
    (checker.error_count() == before).then_some(Some(vars))
}

fn secrets(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &Map<String, Value>,
) -> Option<Option<Vec<EnvVarName>>> {
    let Some(items) = checker.list_field(loc, fields, &cfg::SECRETS)? else { return Some(None) };
    let before = checker.error_count();
    let mut names = Vec::with_capacity(items.values.len());
    for (loc, item) in items.each() {
        let Some(text) = checker.text(&loc, item, items.kind) else { continue };
        match EnvVarName::parse(&text) {
            Ok(name) => names.push(name),
            Err(error) => checker.domain(loc, item.clone(), error),
        }
    }
    (checker.error_count() == before).then_some(Some(names))
}

fn files(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &Map<String, Value>,
) -> Option<Option<Vec<FileSpec>>> {
    let Some(items) = checker.list_field(loc, fields, &cfg::FILES)? else { return Some(None) };
    let before = checker.error_count();
    let specs: Vec<FileSpec> = items.each().filter_map(|(loc, item)| file(checker, &loc, item)).collect();
    (checker.error_count() == before).then_some(Some(specs))
}

/// `FileConfig`.
fn file(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<FileSpec> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    let path = checker
        .text_field(loc, fields, &fc::PATH)
        .flatten()
        .and_then(|text| refine(checker, loc, fields, &fc::PATH, text, |text| FilePath::parse(text)));
    let content = checker.text_field(loc, fields, &fc::CONTENT);
    let secret_ref = checker.text_field(loc, fields, &fc::SECRET_REF);
    let mode = match checker.text_field(loc, fields, &fc::MODE) {
        Some(Some(text)) => {
            refine(checker, loc, fields, &fc::MODE, text, |text| FileMode::parse(text)).map(Some)
        }
        null => null.map(|_| None),
    };
    let description = checker.text_field(loc, fields, &fc::DESCRIPTION);
    (checker.error_count() == before).then(|| FileSpec {
        path: path.unwrap(),
        content: content.unwrap(),
        secret_ref: secret_ref.unwrap(),
        mode: mode.unwrap(),
        description: description.unwrap(),
    })
}

fn dynamic_credentials(
    checker: &mut Checker,
    loc: &[LocItem],
    fields: &Map<String, Value>,
) -> Option<Option<Vec<DynamicCredential>>> {
    let Some(items) = checker.list_field(loc, fields, &cfg::DYNAMIC_CREDENTIALS)? else { return Some(None) };
    let before = checker.error_count();
    let entries: Vec<DynamicCredential> =
        items.each().filter_map(|(loc, item)| dynamic_credential(checker, &loc, item)).collect();
    (checker.error_count() == before).then_some(Some(entries))
}

/// `DynamicCredential`. That the provider and role exist, and the TTL is
/// within the provider's max, is the server's check (it needs the store).
fn dynamic_credential(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<DynamicCredential> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    let name = |checker: &mut Checker, field: &crate::fields::Field| {
        checker
            .text_field(loc, fields, field)
            .flatten()
            .and_then(|text| refine(checker, loc, fields, field, text, |text| ProviderName::parse(text)))
    };
    let provider = name(checker, &dc::PROVIDER);
    let role = name(checker, &dc::ROLE);
    let ttl_seconds = checker.int_field(loc, fields, &dc::TTL_SECONDS);
    let env = match checker.ref_field(loc, fields, &dc::ENV) {
        Some(Some(v)) => credential_env(checker, &at(loc, dc::ENV.name), v),
        _ => None,
    };
    (checker.error_count() == before).then(|| DynamicCredential {
        provider: provider.unwrap(),
        role: role.unwrap(),
        ttl_seconds: ttl_seconds.flatten().map(|seconds| seconds as u32),
        env: env.unwrap(),
    })
}

/// `DynamicCredentialEnv`: a lease whose username and password go nowhere
/// would be made for nothing, so at least one is named.
fn credential_env(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<CredentialEnv> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    let mut name = |field: &crate::fields::Field| -> Option<Option<EnvVarName>> {
        match checker.text_field(loc, fields, field)? {
            Some(text) => refine(checker, loc, fields, field, text, |text| EnvVarName::parse(text)).map(Some),
            None => Some(None),
        }
    };
    let username = name(&ce::USERNAME);
    let password = name(&ce::PASSWORD);
    if checker.error_count() != before {
        return None;
    }
    let env = CredentialEnv { username: username.flatten(), password: password.flatten() };
    if env.username.is_none() && env.password.is_none() {
        checker.push(FieldError::new(
            "value_error",
            loc.to_vec(),
            "Value error, name an env var for the username, the password or both",
            value.clone(),
        ));
        return None;
    }
    if env.username == env.password {
        checker.push(FieldError::new(
            "value_error",
            loc.to_vec(),
            "Value error, the username and the password need two different env vars",
            value.clone(),
        ));
        return None;
    }
    Some(env)
}

/// `ConnectionTest`.
fn connection_test(checker: &mut Checker, loc: &[LocItem], value: &Value) -> Option<ConnectionTest> {
    let fields = checker.model(loc, value)?;
    let before = checker.error_count();
    let enabled = checker.bool_field(loc, fields, &ct::ENABLED);
    let command = checker.text_field(loc, fields, &ct::COMMAND);
    let timeout = checker
        .int_field(loc, fields, &ct::TIMEOUT)
        .flatten()
        .and_then(|seconds| refine(checker, loc, fields, &ct::TIMEOUT, seconds, |s| TestTimeout::parse(*s)));
    let interval = checker.int_field(loc, fields, &ct::INTERVAL_SECONDS);
    (checker.error_count() == before).then(|| ConnectionTest {
        enabled: enabled.flatten().expect("enabled has a default"),
        command: command.flatten().unwrap(),
        timeout: timeout.unwrap(),
        interval_seconds: interval.flatten().map(|seconds| seconds as u32),
    })
}
