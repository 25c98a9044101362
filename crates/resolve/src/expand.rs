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
///
/// Expansion is bounded while it runs: a value may not grow past
/// `Bounds::value_bytes`, and all values together (env vars and files) past
/// `Bounds::bundle_bytes`. References multiply (ten vars that each
/// reference the one before ten times make a gigabyte from a kilobyte of
/// config), so the check happens before each piece is appended and nothing
/// larger than the bounds is ever allocated.
pub(crate) struct Expander<'a, 's> {
    source: &'s dyn SecretSource,
    /// Each secret is asked for once, however often it is referenced, so a
    /// value cannot differ between two places of one bundle.
    read: HashMap<&'a str, Option<String>>,
    problems: Vec<Problem>,
    bounds: Bounds,
    /// Bytes of every finished value so far.
    total: usize,
    /// The bundle bound was hit and reported: every later value fails.
    exhausted: bool,
}

impl<'a, 's> Expander<'a, 's> {
    pub(crate) fn new(source: &'s dyn SecretSource, bounds: Bounds) -> Self {
        Self { source, read: HashMap::new(), problems: Vec::new(), bounds, total: 0, exhausted: false }
    }

    /// Whether `len` more bytes at `place`, on top of `current` bytes of the
    /// value being built, stay within the bounds; reports the bound
    /// exceeded (the bundle's once) when they do not.
    fn fits(&mut self, current: usize, len: usize, place: Place<'a>) -> bool {
        let value = current.saturating_add(len);
        if value > self.bounds.value_bytes {
            let message = format!(
                "the expanded value would be larger than {} bytes (the limit for one value)",
                self.bounds.value_bytes
            );
            self.problems.push(place.problem(ProblemKind::ValueTooLarge, message));
            return false;
        }
        if self.exhausted {
            return false;
        }
        if self.total.saturating_add(value) > self.bounds.bundle_bytes {
            self.exhausted = true;
            let message = format!(
                "the bundle would be larger than {} bytes (the limit for all env vars and files together) \
                 when this value is added",
                self.bounds.bundle_bytes
            );
            self.problems.push(place.problem(ProblemKind::BundleTooLarge, message));
            return false;
        }
        true
    }

    /// Counts a finished value of `len` bytes into the bundle; `false` (and
    /// a problem at `place`) when it does not fit.
    pub(crate) fn account(&mut self, len: usize, place: Place<'a>) -> bool {
        let fits = self.fits(0, len, place);
        if fits {
            self.total += len;
        }
        fits
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

    /// A secret as a whole value (a listed secret, a `secret_ref` file),
    /// counted into the bundle; `None` when missing or over the bounds.
    pub(crate) fn secret_value(&mut self, name: &'a str, place: Place<'a>) -> Option<Resolved> {
        let len = self.secret(name, place)?.len();
        if !self.account(len, place) {
            return None;
        }
        let value = self.read[&name].clone().expect("read just now");
        Some(Resolved { value, from_secret: true })
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
                Piece::Text(text) => {
                    if !self.fits(value.len(), text.len(), place) {
                        return None;
                    }
                    value.push_str(text);
                }
                Piece::Env { name, raw } => match lookup(name) {
                    Lookup::Ready(resolved) => {
                        if !self.fits(value.len(), resolved.value.len(), place) {
                            return None;
                        }
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
                Piece::Secret { name, .. } => match self.secret(name, place).map(str::len) {
                    Some(len) => {
                        if !self.fits(value.len(), len, place) {
                            return None;
                        }
                        let secret = self.read[&name].as_deref().expect("read just now");
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
        if !complete || !self.account(value.len(), place) {
            return None;
        }
        Some(Resolved { value, from_secret })
    }
}

/// How large expansion may make things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// One env var's value or one file's content.
    pub value_bytes: usize,
    /// Every env var and file of the bundle together.
    pub bundle_bytes: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self { value_bytes: 64 * 1024, bundle_bytes: 1024 * 1024 }
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
