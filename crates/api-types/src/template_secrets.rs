//! The vault names a `from-template` body gives the template's secrets, so
//! a second integration made from one template does not silently share the
//! first one's: `secret_names` (`{"PGPASSWORD": "ANALYTICS_DB_PASSWORD"}`)
//! names them one by one, `secret_prefix` (`"ANALYTICS_"`) names the rest.
use crate::lax::{Checker, at};
use crate::{FieldError, LocItem};
use patchbay_domain::{ParseError, SecretName};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `{template secret: its new vault name}`, only for the secrets renamed.
/// `secrets` are the names the template's config reads from the vault.
pub fn parse_secret_renames(
    template_id: &str,
    secrets: &[String],
    body: &Value,
) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut checker = Checker::new();
    let mut renames = BTreeMap::new();
    let Value::Object(fields) = body else { return Ok(renames) };
    let body_loc: Vec<LocItem> = vec!["body".into()];
    if let Some(value) = fields.get("secret_names").filter(|v| !v.is_null())
        && let Some(entries) = checker.dict(&at(&body_loc, "secret_names"), value)
    {
        for (old, new) in entries {
            let loc = at(&at(&body_loc, "secret_names"), old.as_str());
            if !secrets.contains(old) {
                let known = if secrets.is_empty() { "none".to_owned() } else { secrets.join(", ") };
                checker.push(
                    FieldError::new(
                        "value_error",
                        loc,
                        format!("Value error, '{old}' is not a secret of template '{template_id}' (its secrets: {known})"),
                        Value::String(old.clone()),
                    )
                    .with_ctx(json!({"error": {}})),
                );
                continue;
            }
            let Some(text) = checker.string(&loc, new) else { continue };
            match SecretName::parse(&text) {
                Ok(name) => {
                    renames.insert(old.clone(), name.as_str().to_owned());
                }
                Err(error) => checker.domain(loc, new.clone(), error),
            }
        }
    }
    if let Some(value) = fields.get("secret_prefix").filter(|v| !v.is_null()) {
        let loc = at(&body_loc, "secret_prefix");
        if let Some(prefix) = checker.string(&loc, value) {
            match prefixed(&prefix, secrets) {
                Ok(names) => {
                    for (old, new) in names {
                        renames.entry(old).or_insert(new);
                    }
                }
                Err(error) => checker.domain(loc, value.clone(), error),
            }
        }
    }
    checker.finish(|| renames)
}

/// Each secret with `prefix` in front, when every result is a valid name.
fn prefixed(prefix: &str, secrets: &[String]) -> Result<Vec<(String, String)>, ParseError> {
    // An empty prefix is a valid name's prefix but renames nothing: refuse it
    // rather than accept a request that does not do what it says.
    SecretName::parse(prefix)?;
    let longest = secrets.iter().map(String::len).max().unwrap_or(0);
    if prefix.len() + longest > SecretName::MAX_LEN {
        return Err(ParseError::Pattern { pattern: SecretName::PATTERN });
    }
    Ok(secrets.iter().map(|old| (old.clone(), format!("{prefix}{old}"))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Vec<String> {
        vec!["PGPASSWORD".into(), "PG_CERT".into()]
    }

    #[test]
    fn explicit_names_win_and_the_prefix_names_the_rest() {
        let body = json!({"name": "x", "secret_prefix": "B_", "secret_names": {"PG_CERT": "shared.cert"}});
        let renames = parse_secret_renames("postgres", &secrets(), &body).unwrap();
        assert_eq!(renames["PGPASSWORD"], "B_PGPASSWORD");
        assert_eq!(renames["PG_CERT"], "shared.cert");
        let none = parse_secret_renames("postgres", &secrets(), &json!({"name": "x", "secret_prefix": null}));
        assert!(none.unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_field_and_the_template_secrets() {
        let body = json!({"secret_prefix": "bad prefix", "secret_names": {"NOPE": "X", "PGPASSWORD": "a b"}});
        let errors = parse_secret_renames("postgres", &secrets(), &body).unwrap_err();
        let found: Vec<(Value, &str)> = errors.iter().map(|e| (json!(e.loc), e.msg.as_str())).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].0, json!(["body", "secret_names", "NOPE"]));
        assert!(found[0].1.contains("its secrets: PGPASSWORD, PG_CERT"), "{}", found[0].1);
        assert_eq!(found[1].0, json!(["body", "secret_names", "PGPASSWORD"]));
        assert_eq!(found[2].0, json!(["body", "secret_prefix"]));
        let errors = parse_secret_renames("t", &secrets(), &json!({"secret_prefix": ""})).unwrap_err();
        assert_eq!(json!(errors[0].loc), json!(["body", "secret_prefix"]));
        let errors = parse_secret_renames("t", &secrets(), &json!({"secret_names": []})).unwrap_err();
        assert_eq!(errors[0].kind, "dict_type");
    }
}
