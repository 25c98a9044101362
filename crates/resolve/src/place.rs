//! Where in the config a problem is, and the problems themselves. Messages
//! name integrations, env vars, secrets and paths, never a value: they end
//! up in 422 bodies, dry runs and logs.
use crate::{Problem, ProblemKind};

/// A position in the config of one integration (named by its `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place<'a> {
    Integration(&'a str),
    EnvVar {
        integration: &'a str,
        var: &'a str,
    },
    /// The `index`th entry of `config.secrets`.
    ListedSecret {
        integration: &'a str,
        index: usize,
    },
    File {
        integration: &'a str,
        index: usize,
    },
    FileContent {
        integration: &'a str,
        index: usize,
    },
    FileSecretRef {
        integration: &'a str,
        index: usize,
    },
}

impl Place<'_> {
    /// The integration this place belongs to.
    pub(crate) fn integration_name(&self) -> &str {
        match *self {
            Self::Integration(integration)
            | Self::EnvVar { integration, .. }
            | Self::ListedSecret { integration, .. }
            | Self::File { integration, .. }
            | Self::FileContent { integration, .. }
            | Self::FileSecretRef { integration, .. } => integration,
        }
    }

    /// As the 422 `loc`: `["integrations", NAME, "config", ...]`, list
    /// entries by index as Pydantic does.
    pub(crate) fn loc(self) -> Vec<String> {
        let mut loc = vec!["integrations".to_owned(), self.integration_name().to_owned()];
        let mut push = |parts: &[&str]| loc.extend(parts.iter().map(|part| (*part).to_owned()));
        match self {
            Self::Integration(_) => {}
            Self::EnvVar { var, .. } => push(&["config", "env_vars", var]),
            Self::ListedSecret { index, .. } => push(&["config", "secrets", &index.to_string()]),
            Self::File { index, .. } => push(&["config", "files", &index.to_string()]),
            Self::FileContent { index, .. } => push(&["config", "files", &index.to_string(), "content"]),
            Self::FileSecretRef { index, .. } => {
                push(&["config", "files", &index.to_string(), "secret_ref"]);
            }
        }
        loc
    }

    pub(crate) fn problem(self, kind: ProblemKind, message: String) -> Problem {
        Problem { kind, loc: self.loc(), message }
    }
}
