//! Filling a role's statement with a user's name, password and expiration,
//! each escaped for the quotes it stands in. Generated values are plain
//! `[A-Za-z0-9_]`, so escaping is defence in depth: a value that cannot be
//! made safe where it stands is refused rather than pasted in.
use crate::Credentials;
use crate::scan::{Context, Piece, ScanError, scan};
use patchbay_domain::ProviderKind;
use time::OffsetDateTime;
use time::macros::format_description;

/// What a statement's placeholders are filled with.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    /// Creating a user: `{{name}}`, `{{password}}` and `{{expiration}}`.
    Creation(&'a Credentials),
    /// Revoking the user of this name: only `{{name}}`; the password is
    /// never kept and the expiration not known then.
    Revocation(&'a str),
}

/// Why a statement could not be rendered. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("`{{{{` is not closed by `}}}}`")]
    Unclosed,
    #[error("unknown placeholder {{{{{0}}}}}: use {{{{name}}}}, {{{{password}}}} or {{{{expiration}}}}")]
    UnknownPlaceholder(String),
    #[error("{{{{{0}}}}} cannot be used when revoking: only {{{{name}}}} is known then")]
    NotAvailable(&'static str),
    #[error("the value of {{{{{placeholder}}}}} cannot be made safe {reason}")]
    Unsafe { placeholder: &'static str, reason: &'static str },
}

impl From<ScanError> for RenderError {
    fn from(error: ScanError) -> Self {
        match error {
            ScanError::Unclosed => Self::Unclosed,
            ScanError::Unknown(name) => Self::UnknownPlaceholder(name),
        }
    }
}

/// `statement` with its placeholders replaced by `values`, escaped for
/// `kind`'s SQL: inside `"..."` (or MySQL's `` `...` ``) the quote is
/// doubled; inside `'...'` the quote is doubled and, where backslashes
/// escape (MySQL, PostgreSQL's `E'...'`), backslashes are doubled too.
/// Outside quotes a value must be plain `[A-Za-z0-9_]`.
pub fn render(kind: ProviderKind, statement: &str, values: Values<'_>) -> Result<String, RenderError> {
    let mut out = String::with_capacity(statement.len() + 64);
    for piece in scan(kind, statement)? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder { name, context } => {
                let value = value(name, values)?;
                quote_into(&mut out, kind, context, name, &value)?;
            }
        }
    }
    Ok(out)
}

/// `{{expiration}}`: UTC, `YYYY-MM-DD HH:MM:SS+00`, as PostgreSQL's
/// `VALID UNTIL` takes it.
pub fn format_expiration(expiration: OffsetDateTime) -> String {
    expiration
        .to_offset(time::UtcOffset::UTC)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second]+00"))
        .expect("a UTC date formats")
}

fn value(placeholder: &'static str, values: Values<'_>) -> Result<zeroize::Zeroizing<String>, RenderError> {
    let value = match (placeholder, values) {
        ("name", Values::Creation(creds)) => creds.username.clone(),
        ("name", Values::Revocation(name)) => name.to_owned(),
        ("password", Values::Creation(creds)) => creds.password.as_str().to_owned(),
        ("expiration", Values::Creation(creds)) => format_expiration(creds.expiration),
        _ => return Err(RenderError::NotAvailable(placeholder)),
    };
    Ok(zeroize::Zeroizing::new(value))
}

fn quote_into(
    out: &mut String,
    kind: ProviderKind,
    context: Context,
    placeholder: &'static str,
    value: &str,
) -> Result<(), RenderError> {
    let refuse = |reason| Err(RenderError::Unsafe { placeholder, reason });
    if value.contains('\0') {
        return refuse("(it holds a NUL character)");
    }
    match context {
        Context::Bare => {
            if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return refuse("outside quotes: only letters, digits and `_` can stand there");
            }
            out.push_str(value);
        }
        Context::Opaque => {
            // Nothing here can end a comment or a dollar-quoted body.
            if !value.chars().all(|c| c.is_ascii_alphanumeric() || " _:+.-".contains(c)) {
                return refuse("inside a comment or dollar-quoted body");
            }
            out.push_str(value);
        }
        Context::Identifier { quote } => push_doubling(out, value, quote as char, false),
        Context::String { quote, backslash } => {
            // A PostgreSQL standard string takes a backslash literally, but
            // not on a server with standard_conforming_strings off.
            if kind == ProviderKind::Postgres && !backslash && value.contains('\\') {
                return refuse("in a standard string (it holds a backslash): use E'...'");
            }
            push_doubling(out, value, quote as char, backslash);
        }
    }
    Ok(())
}

fn push_doubling(out: &mut String, value: &str, quote: char, backslash: bool) {
    for c in value.chars() {
        if c == quote || (backslash && c == '\\') {
            out.push(c);
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use zeroize::Zeroizing;

    fn creds(username: &str, password: &str) -> Credentials {
        Credentials {
            username: username.into(),
            password: Zeroizing::new(password.into()),
            expiration: datetime!(2030-01-02 03:04:05.678 +02:00),
        }
    }

    #[test]
    fn fills_every_placeholder_with_or_without_spaces() {
        let creds = creds("patchbay_acme_abc", "Secret1");
        let sql = render(
            ProviderKind::Postgres,
            "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{ password }}' VALID UNTIL '{{expiration }}'",
            Values::Creation(&creds),
        )
        .unwrap();
        assert_eq!(
            sql,
            "CREATE ROLE \"patchbay_acme_abc\" LOGIN PASSWORD 'Secret1' VALID UNTIL '2030-01-02 01:04:05+00'"
        );
    }

    #[test]
    fn postgres_escapes_hostile_values_for_their_quotes() {
        let creds = creds("a\"b'c", "p'w\"d");
        let identifier = render(ProviderKind::Postgres, "\"{{name}}\"", Values::Creation(&creds)).unwrap();
        assert_eq!(identifier, "\"a\"\"b'c\"");
        let string = render(ProviderKind::Postgres, "'{{password}}'", Values::Creation(&creds)).unwrap();
        assert_eq!(string, "'p''w\"d'");
        let escape = creds_with_backslash();
        let escaped = render(ProviderKind::Postgres, "E'{{name}}'", Values::Creation(&escape)).unwrap();
        assert_eq!(escaped, "E'x\\\\'' OR 1=1 --'");
    }

    fn creds_with_backslash() -> Credentials {
        creds("x\\' OR 1=1 --", "pw")
    }

    #[test]
    fn postgres_refuses_a_backslash_in_a_standard_string() {
        let error = render(ProviderKind::Postgres, "'{{name}}'", Values::Creation(&creds_with_backslash()))
            .unwrap_err();
        assert!(matches!(error, RenderError::Unsafe { placeholder: "name", .. }), "{error}");
    }

    #[test]
    fn mysql_escapes_quotes_and_backslashes() {
        let hostile = creds_with_backslash();
        let string = render(ProviderKind::Mysql, "'{{name}}'@'%'", Values::Creation(&hostile)).unwrap();
        assert_eq!(string, "'x\\\\'' OR 1=1 --'@'%'");
        let double = render(ProviderKind::Mysql, "\"{{name}}\"", Values::Creation(&hostile)).unwrap();
        assert_eq!(double, "\"x\\\\' OR 1=1 --\"");
        let tick = render(ProviderKind::Mysql, "`{{name}}`", Values::Creation(&creds("a`b", "pw"))).unwrap();
        assert_eq!(tick, "`a``b`");
    }

    #[test]
    fn outside_quotes_only_plain_values() {
        let plain =
            render(ProviderKind::Postgres, "DROP ROLE {{name}}", Values::Revocation("patchbay_x_1")).unwrap();
        assert_eq!(plain, "DROP ROLE patchbay_x_1");
        let error =
            render(ProviderKind::Postgres, "DROP ROLE {{name}}", Values::Revocation("x; DROP TABLE t"))
                .unwrap_err();
        assert!(matches!(error, RenderError::Unsafe { placeholder: "name", .. }), "{error}");
        let expiration =
            render(ProviderKind::Mysql, "SELECT {{expiration}}", Values::Creation(&creds("n", "pw")))
                .unwrap_err();
        assert!(matches!(expiration, RenderError::Unsafe { placeholder: "expiration", .. }));
    }

    #[test]
    fn comments_and_dollar_bodies_take_only_values_that_cannot_end_them() {
        let ok = render(ProviderKind::Postgres, "$$ {{expiration}} $$", Values::Creation(&creds("n", "pw")))
            .unwrap();
        assert_eq!(ok, "$$ 2030-01-02 01:04:05+00 $$");
        for hostile in ["a$$; DROP TABLE t; $$", "a\nDROP TABLE t", "a*/ DROP TABLE t"] {
            for statement in ["$$ {{name}} $$", "-- {{name}}", "/* {{name}} */"] {
                let result = render(ProviderKind::Postgres, statement, Values::Revocation(hostile));
                assert!(
                    matches!(result, Err(RenderError::Unsafe { .. })),
                    "{statement} with {hostile:?}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn a_nul_character_is_refused_anywhere() {
        let error = render(ProviderKind::Mysql, "'{{name}}'", Values::Revocation("a\0b")).unwrap_err();
        assert!(matches!(error, RenderError::Unsafe { .. }));
    }

    #[test]
    fn revocation_has_no_password_nor_expiration() {
        for placeholder in ["password", "expiration"] {
            let statement = format!("SELECT '{{{{{placeholder}}}}}'");
            let error = render(ProviderKind::Postgres, &statement, Values::Revocation("n")).unwrap_err();
            assert_eq!(
                error,
                RenderError::NotAvailable(if placeholder == "password" { "password" } else { "expiration" })
            );
            assert!(error.to_string().contains("cannot be used when revoking"), "{error}");
        }
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_errors() {
        let unknown = render(ProviderKind::Postgres, "{{ username }}", Values::Revocation("n")).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "unknown placeholder {{username}}: use {{name}}, {{password}} or {{expiration}}"
        );
        let unclosed = render(ProviderKind::Postgres, "{{name", Values::Revocation("n")).unwrap_err();
        assert_eq!(unclosed.to_string(), "`{{` is not closed by `}}`");
    }

    #[test]
    fn error_messages_never_hold_the_value() {
        let creds = creds("n", "hunter2\\x");
        let error = render(ProviderKind::Postgres, "'{{password}}'", Values::Creation(&creds)).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
