//! The bundle's files: content from a template or a secret, the effective
//! mode, and one file per path.
//!
//! A file that cannot be built is left out; when two integrations write one
//! path differently, neither version is kept, since neither is "the" file.
use crate::env::EnvVars;
use crate::expand::Expander;
use crate::place::Place;
use crate::{BundleFile, ProblemKind};
use indexmap::IndexMap;
use patchbay_domain::{FileSpec, Integration};

/// The mode of a file whose config has none: the reference's default, `0644`.
const DEFAULT_MODE: u32 = 0o644;
/// Group and other permission bits, dropped from secret files.
const GROUP_AND_OTHER: u32 = 0o077;

enum Slot<'a> {
    Kept { file: BundleFile, integration: &'a str },
    Conflicting,
}

pub(crate) fn build<'a>(
    active: &[&'a Integration],
    env: &EnvVars<'a>,
    expander: &mut Expander<'a, '_>,
) -> Vec<BundleFile> {
    let mut by_path: IndexMap<&'a str, Slot<'a>> = IndexMap::new();
    for integration in active {
        let name = integration.name.as_str();
        for (index, spec) in integration.config.files.iter().enumerate() {
            let Some(file) = build_one(name, index, spec, env, expander) else { continue };
            let path = spec.path.as_str();
            match by_path.get_mut(path) {
                None => {
                    by_path.insert(path, Slot::Kept { file, integration: name });
                }
                Some(Slot::Kept { file: kept, integration: first }) => {
                    if kept.content == file.content && kept.mode == file.mode {
                        kept.from_secret |= file.from_secret;
                    } else {
                        let message = conflict_message(path, first, name);
                        let place = Place::File { integration: name, index };
                        expander.report(place.problem(ProblemKind::FileConflict, message));
                        by_path.insert(path, Slot::Conflicting);
                    }
                }
                // Already reported against the first version.
                Some(Slot::Conflicting) => {}
            }
        }
    }
    by_path
        .into_values()
        .filter_map(|slot| match slot {
            Slot::Kept { file, .. } => Some(file),
            Slot::Conflicting => None,
        })
        .collect()
}

fn build_one<'a>(
    integration: &'a str,
    index: usize,
    spec: &'a FileSpec,
    env: &EnvVars<'a>,
    expander: &mut Expander<'a, '_>,
) -> Option<BundleFile> {
    // `content` wins over `secret_ref`, as in the reference; the secret is
    // then not read at all.
    let content = match (&spec.content, &spec.secret_ref) {
        (Some(template), _) => {
            let place = Place::FileContent { integration, index };
            expander.expand(template, place, |name| env.lookup(name))?
        }
        (None, Some(secret)) => {
            let place = Place::FileSecretRef { integration, index };
            expander.secret_value(secret, place)?
        }
        (None, None) => {
            let message = format!("file `{}` has neither `content` nor `secret_ref`", spec.path);
            let place = Place::File { integration, index };
            expander.report(place.problem(ProblemKind::FileWithoutContent, message));
            return None;
        }
    };
    Some(BundleFile {
        path: spec.path.as_str().to_owned(),
        mode: effective_mode(spec, content.from_secret),
        content: content.value,
        description: spec.description.clone(),
        from_secret: content.from_secret,
    })
}

/// The configured mode (an explicit `null` means the default), owner-only
/// when the content holds a secret; setuid and owner bits stay as given.
pub(crate) fn effective_mode(spec: &FileSpec, from_secret: bool) -> u32 {
    let mode = spec.mode.as_ref().map_or(DEFAULT_MODE, |mode| mode.bits());
    if from_secret { mode & !GROUP_AND_OTHER } else { mode }
}

fn conflict_message(path: &str, first: &str, other: &str) -> String {
    if first == other {
        format!("file `{path}` is defined twice by integration `{first}`, with different contents or modes")
    } else {
        format!("file `{path}` is defined differently by integrations `{first}` and `{other}`")
    }
}
