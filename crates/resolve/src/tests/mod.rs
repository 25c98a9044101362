//! Tests of `resolve` and `secret_names` through the public API, over
//! hand-built integrations and a map-backed vault.
use crate::{Problem, ProblemKind, Resolution, SecretSource, resolve};
use patchbay_domain::{
    EnvVarName, FileMode, FilePath, FileSpec, Integration, IntegrationConfig, IntegrationStatus,
    OrganizationId, now_utc,
};
use std::cell::RefCell;
use std::collections::HashMap;
use uuid::Uuid;

mod bounds;
mod bundle;
mod env_vars;
mod files;

/// A vault that remembers which secrets were asked for.
#[derive(Default)]
pub(crate) struct Vault {
    values: HashMap<String, String>,
    reads: RefCell<Vec<String>>,
}

impl Vault {
    pub(crate) fn with(pairs: &[(&str, &str)]) -> Self {
        let values = pairs.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect();
        Self { values, reads: RefCell::default() }
    }

    pub(crate) fn reads(&self) -> Vec<String> {
        self.reads.borrow().clone()
    }
}

impl SecretSource for Vault {
    fn secret(&self, name: &str) -> Option<String> {
        self.reads.borrow_mut().push(name.to_owned());
        self.values.get(name).cloned()
    }
}

/// An active integration with an empty config, to be filled by the builders.
pub(crate) fn integration(name: &str, integration_type: &str) -> Integration {
    Integration {
        id: Uuid::from_u128(name.bytes().fold(7, |hash, byte| hash * 31 + u128::from(byte))),
        organization_id: OrganizationId::parse("org").unwrap(),
        name: name.to_owned(),
        integration_type: integration_type.to_owned(),
        description: None,
        status: IntegrationStatus::Active,
        config: IntegrationConfig::default(),
        tags: Vec::new(),
        created_at: now_utc(),
        updated_at: now_utc(),
        created_by: None,
        revision: 3,
    }
}

pub(crate) trait Build: Sized {
    fn env(self, name: &str, value: &str) -> Self;
    fn secret(self, name: &str) -> Self;
    fn file(self, spec: FileSpec) -> Self;
    fn prompt(self, prompt: &str) -> Self;
    fn status(self, status: IntegrationStatus) -> Self;
}

impl Build for Integration {
    fn env(mut self, name: &str, value: &str) -> Self {
        self.config.env_vars.insert(EnvVarName::parse(name).unwrap(), value.to_owned());
        self
    }

    fn secret(mut self, name: &str) -> Self {
        self.config.secrets.push(EnvVarName::parse(name).unwrap());
        self
    }

    fn file(mut self, spec: FileSpec) -> Self {
        self.config.files.push(spec);
        self
    }

    fn prompt(mut self, prompt: &str) -> Self {
        self.config.context_prompt = Some(prompt.to_owned());
        self
    }

    fn status(mut self, status: IntegrationStatus) -> Self {
        self.status = status;
        self
    }
}

/// A file with the compatible default mode, `0644`.
pub(crate) fn content_file(path: &str, content: &str) -> FileSpec {
    FileSpec {
        path: FilePath::parse(path).unwrap(),
        content: Some(content.to_owned()),
        secret_ref: None,
        mode: Some(FileMode::parse("0644").unwrap()),
        description: None,
    }
}

pub(crate) fn secret_file(path: &str, secret_ref: &str) -> FileSpec {
    FileSpec { content: None, secret_ref: Some(secret_ref.to_owned()), ..content_file(path, "") }
}

pub(crate) fn with_mode(spec: FileSpec, mode: Option<&str>) -> FileSpec {
    FileSpec { mode: mode.map(|mode| FileMode::parse(mode).unwrap()), ..spec }
}

/// Resolves and insists there was no problem.
pub(crate) fn resolve_ok(integrations: &[Integration], vault: &Vault) -> Resolution {
    let resolution = resolve(integrations, vault);
    assert_eq!(resolution.problems, vec![], "unexpected problems");
    resolution
}

/// Each problem as (kind, loc joined by `/`, message).
pub(crate) fn problems(resolution: &Resolution) -> Vec<(ProblemKind, String, String)> {
    resolution
        .problems
        .iter()
        .map(|Problem { kind, loc, message }| (*kind, loc.join("/"), message.clone()))
        .collect()
}

pub(crate) fn env_pairs(resolution: &Resolution) -> Vec<(&str, &str)> {
    resolution.bundle.env_vars.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect()
}
