//! Which vault secrets a resolution will read, so the caller can fetch
//! exactly those, in one query, before resolving.
use crate::is_active;
use crate::template::{Piece, Pieces};
use patchbay_domain::{Integration, IntegrationConfig};
use std::collections::HashSet;

/// Mirrors what `resolve` reads: only active integrations, and a file's
/// `secret_ref` only when it has no `content` (content wins). In bundle
/// order: each integration's env values, its listed secrets, then its files.
pub(crate) fn secret_names(integrations: &[Integration]) -> Vec<String> {
    let mut names = Names::default();
    for integration in integrations.iter().filter(|integration| is_active(integration)) {
        names.add_config(&integration.config);
    }
    names.list.into_iter().map(str::to_owned).collect()
}

/// The same, for one config whatever its integration's status.
pub(crate) fn config_secret_names(config: &IntegrationConfig) -> Vec<String> {
    let mut names = Names::default();
    names.add_config(config);
    names.list.into_iter().map(str::to_owned).collect()
}

/// Names in first-seen order, each once.
#[derive(Default)]
struct Names<'a> {
    seen: HashSet<&'a str>,
    list: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn add_config(&mut self, config: &'a IntegrationConfig) {
        config.env_vars.values().for_each(|template| self.add_from(template));
        config.secrets.iter().for_each(|secret| self.add(secret.as_str()));
        for file in &config.files {
            match (&file.content, &file.secret_ref) {
                (Some(template), _) => self.add_from(template),
                (None, Some(secret)) => self.add(secret),
                (None, None) => {}
            }
        }
    }

    fn add(&mut self, name: &'a str) {
        if self.seen.insert(name) {
            self.list.push(name);
        }
    }

    fn add_from(&mut self, template: &'a str) {
        for piece in Pieces::new(template) {
            if let Piece::Secret { name, .. } = piece {
                self.add(name);
            }
        }
    }
}
