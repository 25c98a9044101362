//! Expanding one template into a value, and reading secrets at most once.
use crate::place::Place;
use crate::template::{Piece, Pieces};
use crate::{Problem, ProblemKind, SecretSource};
use std::collections::HashMap;

/// A finished value, and whether any secret went into it (directly, or
/// through an env var that holds one): such values are masked and such
/// files written owner-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) value: String,
    pub(crate) from_secret: bool,
}

/// What an env var name stands for when a template references it.
pub(crate) enum Lookup<'v> {
    Ready(&'v Resolved),
    /// Defined, but it could not be resolved; its problem is reported where
    /// it is defined, so referencing it adds none.
    Broken,
    Undefined,
}

/// Expands templates against the bundle's env vars and the secret source,
/// collecting every problem it meets.
pub(crate) struct Expander<'a, 's> {
    source: &'s dyn SecretSource,
    /// Each secret is asked for once, however often it is referenced, so a
    /// value cannot differ between two places of one bundle.
    read: HashMap<&'a str, Option<String>>,
    problems: Vec<Problem>,
}

impl<'a, 's> Expander<'a, 's> {
    pub(crate) fn new(source: &'s dyn SecretSource) -> Self {
        Self { source, read: HashMap::new(), problems: Vec::new() }
    }

    pub(crate) fn report(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    pub(crate) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// The value of vault secret `name`, or `None` (and a `MissingSecret`
    /// problem at `place`) when the vault has none.
    pub(crate) fn secret(&mut self, name: &'a str, place: Place<'a>) -> Option<&str> {
        let source = self.source;
        let value = self.read.entry(name).or_insert_with(|| source.secret(name)).as_deref();
        if value.is_none() {
            self.problems.push(missing_secret(name, place));
        }
        value
    }

    /// Expands `template` found at `place`; `None` when any reference in it
    /// fails, after reporting each failing name once.
    pub(crate) fn expand<'v>(
        &mut self,
        template: &'a str,
        place: Place<'a>,
        lookup: impl Fn(&str) -> Lookup<'v>,
    ) -> Option<Resolved> {
        let mut value = String::with_capacity(template.len());
        let mut from_secret = false;
        let mut complete = true;
        // A name used twice in one template is one problem, not two.
        let mut undefined: Vec<&str> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for piece in Pieces::new(template) {
            match piece {
                Piece::Text(text) => value.push_str(text),
                Piece::Env { name, raw } => match lookup(name) {
                    Lookup::Ready(resolved) => {
                        value.push_str(&resolved.value);
                        from_secret |= resolved.from_secret;
                    }
                    Lookup::Broken => complete = false,
                    Lookup::Undefined => {
                        complete = false;
                        if !undefined.contains(&name) {
                            undefined.push(name);
                            let message = format!("`{raw}` names no env var of the bundle");
                            self.problems.push(place.problem(ProblemKind::UndefinedReference, message));
                        }
                    }
                },
                Piece::Secret { name, .. } if missing.contains(&name) => complete = false,
                Piece::Secret { name, .. } => match self.secret(name, place) {
                    Some(secret) => {
                        value.push_str(secret);
                        from_secret = true;
                    }
                    None => {
                        complete = false;
                        missing.push(name);
                    }
                },
            }
        }
        complete.then_some(Resolved { value, from_secret })
    }
}

fn missing_secret(name: &str, place: Place<'_>) -> Problem {
    let message = match place {
        Place::ListedSecret { .. } => format!("secret `{name}` is listed but not in the vault"),
        Place::FileSecretRef { .. } => {
            format!("`secret_ref` names secret `{name}`, which is not in the vault")
        }
        _ => format!("`{{{{.secret.{name}}}}}` names secret `{name}`, which is not in the vault"),
    };
    place.problem(ProblemKind::MissingSecret, message)
}
