//! Checking a provider's role when it is written, so a lease never finds
//! out at creation that its role cannot work. Each error names the field
//! (and the list index) it is about, for the API's field errors.
use crate::acl::split_rules;
use crate::scan::{Context, Piece, ScanError, scan};
use patchbay_domain::{ProviderKind, ProviderRole};
use std::fmt;

/// One thing wrong with a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleError {
    /// `creation`, `revocation` or `rules`.
    pub field: &'static str,
    /// The statement's index, for an error about one statement.
    pub index: Option<usize>,
    pub message: String,
}

impl RoleError {
    fn new(field: &'static str, index: Option<usize>, message: impl Into<String>) -> Self {
        Self { field, index, message: message.into() }
    }
}

impl fmt::Display for RoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(f, "{}[{index}]: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

/// Whether `role` can make and drop users of `kind`. SQL kinds: at least
/// one creation statement and no rules; every statement uses `{{name}}`;
/// only `{{name}}`, `{{password}}` and `{{expiration}}`; creation sets the
/// password; revocation uses neither the password nor the expiration (it
/// knows neither). Redis: rules only, none setting passwords or flags.
pub fn validate_role(kind: ProviderKind, role: &ProviderRole) -> Result<(), Vec<RoleError>> {
    let errors = if kind.is_sql() { sql_errors(kind, role) } else { redis_errors(role) };
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

fn sql_errors(kind: ProviderKind, role: &ProviderRole) -> Vec<RoleError> {
    let mut errors = Vec::new();
    if role.rules.as_deref().is_some_and(|rules| !rules.trim().is_empty()) {
        errors.push(RoleError::new(
            "rules",
            None,
            format!("{kind} roles take creation statements, not rules"),
        ));
    }
    if role.creation.is_empty() {
        errors.push(RoleError::new("creation", None, "at least one creation statement is needed"));
    }
    let mut sets_password = false;
    for (field, statements) in [("creation", &role.creation), ("revocation", &role.revocation)] {
        for (index, statement) in statements.iter().enumerate() {
            let error = |message: String| RoleError::new(field, Some(index), message);
            if statement.trim().is_empty() {
                errors.push(error("the statement is empty".into()));
                continue;
            }
            let pieces = match scan(kind, statement) {
                Ok(pieces) => pieces,
                Err(ScanError::Unclosed) => {
                    errors.push(error("`{{` is not closed by `}}`".into()));
                    continue;
                }
                Err(ScanError::Unknown(name)) => {
                    errors.push(error(format!(
                        "unknown placeholder {{{{{name}}}}}: use {{{{name}}}}, {{{{password}}}} or {{{{expiration}}}}"
                    )));
                    continue;
                }
            };
            let placeholders: Vec<_> = pieces
                .iter()
                .filter_map(|piece| match piece {
                    Piece::Placeholder { name, context } => Some((*name, *context)),
                    Piece::Text(_) => None,
                })
                .collect();
            if !placeholders.iter().any(|(name, _)| *name == "name") {
                errors.push(error("the statement must use {{name}}".into()));
            }
            for (name, context) in &placeholders {
                if field == "revocation" && *name != "name" {
                    errors.push(error(format!(
                        "{{{{{name}}}}} cannot be used in revocation: only {{{{name}}}} is known then"
                    )));
                } else if *name != "name" && *context == Context::Bare {
                    errors.push(error(format!("{{{{{name}}}}} must be inside '...' quotes")));
                }
            }
            sets_password |= field == "creation" && placeholders.iter().any(|(name, _)| *name == "password");
        }
    }
    if !role.creation.is_empty() && !sets_password {
        errors.push(RoleError::new(
            "creation",
            None,
            "no creation statement uses {{password}}: the user would have no password",
        ));
    }
    errors
}

fn redis_errors(role: &ProviderRole) -> Vec<RoleError> {
    let mut errors = Vec::new();
    for (field, statements) in [("creation", &role.creation), ("revocation", &role.revocation)] {
        if !statements.is_empty() {
            errors.push(RoleError::new(
                field,
                None,
                "redis roles take ACL rules, not statements (revocation is always ACL DELUSER)",
            ));
        }
    }
    if let Err(rule_errors) = split_rules(role.rules.as_deref().unwrap_or_default()) {
        errors.extend(rule_errors.into_iter().map(|e| RoleError::new("rules", None, e.to_string())));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Values, default_revocation, generate, render};

    fn sql_role(creation: &[&str], revocation: &[&str]) -> ProviderRole {
        ProviderRole {
            creation: creation.iter().map(|s| s.to_string()).collect(),
            revocation: revocation.iter().map(|s| s.to_string()).collect(),
            rules: None,
        }
    }

    const PG_CREATE: &str =
        "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'";

    fn errors(kind: ProviderKind, role: &ProviderRole) -> Vec<String> {
        validate_role(kind, role).unwrap_err().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn good_sql_roles_pass_and_render_with_generated_values() {
        let postgres = sql_role(&[PG_CREATE, "GRANT SELECT ON t TO {{name}}"], &["DROP ROLE \"{{name}}\""]);
        let mysql = sql_role(
            &[
                "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'",
                "GRANT SELECT ON db.* TO '{{name}}'@'%'",
            ],
            &[],
        );
        for (kind, role) in [(ProviderKind::Postgres, postgres), (ProviderKind::Mysql, mysql)] {
            validate_role(kind, &role).unwrap();
            let creds: Credentials = generate(kind, "acme", time::OffsetDateTime::now_utc());
            for statement in &role.creation {
                render(kind, statement, Values::Creation(&creds)).unwrap();
            }
            for statement in role.revocation.iter().chain(&default_revocation(kind)) {
                render(kind, statement, Values::Revocation(&creds.username)).unwrap();
            }
        }
    }

    #[test]
    fn the_default_revocations_pass_as_revocation_statements() {
        for kind in [ProviderKind::Postgres, ProviderKind::Mysql] {
            let revocation = default_revocation(kind);
            let role = ProviderRole { creation: vec![PG_CREATE.into()], revocation, rules: None };
            validate_role(kind, &role).unwrap();
        }
    }

    #[test]
    fn sql_roles_need_creation_and_take_no_rules() {
        let role = ProviderRole { rules: Some("+get".into()), ..ProviderRole::default() };
        assert_eq!(
            errors(ProviderKind::Mysql, &role),
            [
                "rules: mysql roles take creation statements, not rules",
                "creation: at least one creation statement is needed"
            ]
        );
        let errors = validate_role(ProviderKind::Postgres, &role).unwrap_err();
        assert_eq!((errors[1].field, errors[1].index), ("creation", None));
    }

    #[test]
    fn every_statement_uses_the_name() {
        let role = sql_role(&[PG_CREATE, "GRANT SELECT ON t TO someone"], &["DROP ROLE x"]);
        let errors = validate_role(ProviderKind::Postgres, &role).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].field, errors[0].index), ("creation", Some(1)));
        assert_eq!((errors[1].field, errors[1].index), ("revocation", Some(0)));
        assert!(errors.iter().all(|e| e.message == "the statement must use {{name}}"));
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_named() {
        let role =
            sql_role(&[PG_CREATE, "GRANT x TO \"{{name}}\" {{ username }}"], &["DROP ROLE \"{{name\""]);
        assert_eq!(
            errors(ProviderKind::Postgres, &role),
            [
                "creation[1]: unknown placeholder {{username}}: use {{name}}, {{password}} or {{expiration}}",
                "revocation[0]: `{{` is not closed by `}}`",
            ]
        );
    }

    #[test]
    fn creation_must_set_a_password() {
        let role = sql_role(&["CREATE ROLE \"{{name}}\" LOGIN"], &[]);
        assert_eq!(
            errors(ProviderKind::Postgres, &role),
            ["creation: no creation statement uses {{password}}: the user would have no password"]
        );
    }

    #[test]
    fn revocation_uses_neither_password_nor_expiration() {
        let role = sql_role(
            &[PG_CREATE],
            &["ALTER ROLE \"{{name}}\" PASSWORD '{{password}}'", "SELECT '{{expiration}}', '{{name}}'"],
        );
        assert_eq!(
            errors(ProviderKind::Postgres, &role),
            [
                "revocation[0]: {{password}} cannot be used in revocation: only {{name}} is known then",
                "revocation[1]: {{expiration}} cannot be used in revocation: only {{name}} is known then",
            ]
        );
    }

    #[test]
    fn password_and_expiration_must_be_quoted() {
        let role =
            sql_role(&["CREATE ROLE \"{{name}}\" PASSWORD {{password}} VALID UNTIL {{expiration}}"], &[]);
        assert_eq!(
            errors(ProviderKind::Postgres, &role),
            [
                "creation[0]: {{password}} must be inside '...' quotes",
                "creation[0]: {{expiration}} must be inside '...' quotes",
            ]
        );
    }

    #[test]
    fn empty_statements_are_refused() {
        let role = sql_role(&[PG_CREATE, "  "], &[""]);
        assert_eq!(
            errors(ProviderKind::Mysql, &role),
            ["creation[1]: the statement is empty", "revocation[0]: the statement is empty"]
        );
    }

    #[test]
    fn redis_roles_take_rules_only() {
        let good = ProviderRole { rules: Some("~app:* +get +set".into()), ..ProviderRole::default() };
        validate_role(ProviderKind::Redis, &good).unwrap();
        let bad = ProviderRole { creation: vec!["x".into()], revocation: vec!["y".into()], rules: None };
        let errors = validate_role(ProviderKind::Redis, &bad).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["creation", "revocation", "rules"]);
        assert_eq!(errors[2].message, "redis roles need ACL rules, such as `~app:* +@read`");
    }

    #[test]
    fn redis_rules_setting_passwords_or_flags_are_refused() {
        let role = ProviderRole { rules: Some("~app:* >secret nopass on".into()), ..ProviderRole::default() };
        let errors = errors(ProviderKind::Redis, &role);
        assert_eq!(errors.len(), 3);
        assert!(errors.iter().all(|e| e.starts_with("rules: rule ")), "{errors:?}");
        assert!(errors.iter().all(|e| !e.contains("secret")));
    }
}
