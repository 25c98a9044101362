//! `POST /api/v1/custom-integrations/resolve`: which integrations, and the
//! bundle that comes back.
use crate::lax::{Checker, at};
use crate::{FieldError, LocItem};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The request body: `integration_ids` or `names`, one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
}

/// What to resolve, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveTargets {
    Ids(Vec<String>),
    Names(Vec<String>),
}

/// The most integrations one resolution may name: each is a lookup, and a
/// bundle of more than a hundred systems is no agent's environment.
pub const MAX_TARGETS: usize = 100;

pub fn parse_resolve_request(value: &Value) -> Result<ResolveTargets, Vec<FieldError>> {
    let mut checker = Checker::new();
    let loc: Vec<LocItem> = vec!["body".into()];
    let Some(fields) = checker.model(&loc, value) else { return Err(checker.finish(|| ()).unwrap_err()) };
    let given = |key: &str| fields.get(key).filter(|v| !v.is_null());
    let list = |checker: &mut Checker, key: &str| {
        let value = given(key)?;
        let items = checker.string_list(&at(&loc, key), value)?;
        checker.at_most(&at(&loc, key), value, items.len(), MAX_TARGETS, "List").then_some(items)
    };
    let ids = list(&mut checker, "integration_ids");
    let names = list(&mut checker, "names");
    let targets = match (ids, names) {
        (Some(ids), None) if !ids.is_empty() => Some(ResolveTargets::Ids(ids)),
        (None, Some(names)) if !names.is_empty() => Some(ResolveTargets::Names(names)),
        (Some(_), Some(_)) => {
            checker.push(FieldError::new(
                "value_error",
                loc.clone(),
                "Value error, give either integration_ids or names, not both",
                value.clone(),
            ));
            None
        }
        _ if checker.error_count() > 0 => None,
        _ => {
            checker.push(FieldError::new(
                "value_error",
                loc.clone(),
                "Value error, give a non-empty list of integration_ids or names",
                value.clone(),
            ));
            None
        }
    };
    checker.finish(|| targets.expect("no errors means a target list"))
}

/// A file of the bundle: where, what, and the mode to write it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFileResponse {
    pub path: String,
    pub content: String,
    /// Octal, e.g. `"0600"`: the effective mode (owner-only for secret content).
    pub mode: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedIntegrationResponse {
    pub id: String,
    pub name: String,
    pub integration_type: String,
    pub revision: i64,
}

/// Text in an env var value or a file's content that looks like a
/// reference but is not one, so it is kept as written (`{{secrets.X}}` for
/// `{{.secret.X}}`). Patchbay's extension: a warning, never a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceWarning {
    /// Where, as a problem's `loc`: `["integrations", NAME, "config", "env_vars", KEY]`.
    pub loc: Vec<String>,
    pub msg: String,
    /// The text as written.
    pub text: String,
    /// The reference it most likely meant, when that is clear.
    pub suggestion: Option<String>,
}

/// The execution bundle. In a dry run every secret value reads `***`, and
/// `missing` lists the problems a real resolution would refuse with 422.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleResponse {
    pub env_vars: IndexMap<String, String>,
    pub files: Vec<BundleFileResponse>,
    pub context_prompt: String,
    pub integrations: Vec<ResolvedIntegrationResponse>,
    pub missing: Vec<FieldError>,
    pub dry_run: bool,
    /// Absent from older servers' answers, hence the default.
    #[serde(default)]
    pub warnings: Vec<ReferenceWarning>,
    /// The leases this resolution made (none in a dry run); absent from
    /// older servers' answers.
    #[serde(default)]
    pub leases: Vec<crate::BundleLease>,
}

/// A mode as the bundle reports it: four octal digits.
pub fn format_mode(mode: u32) -> String {
    format!("{mode:04o}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_non_empty_list_is_required() {
        assert_eq!(
            parse_resolve_request(&json!({"names": ["a"]})),
            Ok(ResolveTargets::Names(vec!["a".into()]))
        );
        assert_eq!(
            parse_resolve_request(&json!({"integration_ids": ["x"], "names": null})),
            Ok(ResolveTargets::Ids(vec!["x".into()]))
        );
        for bad in [json!({}), json!({"names": []}), json!({"names": ["a"], "integration_ids": ["b"]})] {
            assert_eq!(parse_resolve_request(&bad).unwrap_err()[0].kind, "value_error", "{bad}");
        }
        assert_eq!(parse_resolve_request(&json!({"names": [1]})).unwrap_err()[0].loc.len(), 3);
    }

    #[test]
    fn modes_are_four_octal_digits() {
        assert_eq!(format_mode(0o600), "0600");
        assert_eq!(format_mode(0o4755), "4755");
    }
}
