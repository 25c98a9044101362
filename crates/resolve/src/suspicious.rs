//! Text that looks like a reference but is not one: `{{secrets.NAME}}`,
//! `{{ .Secret.NAME }}`, `{{.env.1X}}`, `{{.secret.X}` ...
//!
//! The grammar (see `template`) keeps such text literal on purpose, so that
//! Jinja and Go templates reach the agent untouched; a typo in a reference
//! then reaches it untouched too, silently. These warnings say so where a
//! person reads them (a dry run, the console's form). Double braces that
//! name neither a secret nor an env var (`{{ user }}`, `{{.Values.image}}`)
//! are left alone.
use crate::template::{Piece, Pieces};
use patchbay_domain::IntegrationConfig;

/// One `{{...}}` that looks like a reference but is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The text as written.
    pub text: String,
    /// What is wrong with it, and that it is kept as written.
    pub message: String,
    /// The reference it most likely meant, when that is clear.
    pub suggestion: Option<String>,
}

/// A warning about a config, and where: `["env_vars", KEY]` or
/// `["files", INDEX, "content"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub loc: Vec<String>,
    pub warning: Warning,
}

/// Every `{{...}}` in `text` that looks like a secret or env reference but
/// is not one, left to right.
pub fn suspicious_references(text: &str) -> Vec<Warning> {
    let mut warnings = Vec::new();
    // Real references come out of the scanner as their own pieces, so only
    // literal text is searched.
    for piece in Pieces::new(text) {
        if let Piece::Text(literal) = piece {
            let mut rest = literal;
            while let Some(at) = rest.find("{{") {
                let (warning, used) = examine(&rest[at..]);
                warnings.extend(warning);
                rest = &rest[at + used..];
            }
        }
    }
    warnings
}

/// The warnings of a config's env var values and file contents: the texts
/// the grammar applies to.
pub fn config_warnings(config: &IntegrationConfig) -> Vec<ConfigWarning> {
    let vars =
        config.env_vars.iter().map(|(name, value)| (vec!["env_vars".to_owned(), name.to_string()], value));
    let files = config.files.iter().enumerate().filter_map(|(index, file)| {
        let content = file.content.as_ref()?;
        Some((vec!["files".to_owned(), index.to_string(), "content".to_owned()], content))
    });
    vars.chain(files)
        .flat_map(|(loc, text)| {
            suspicious_references(text)
                .into_iter()
                .map(move |warning| ConfigWarning { loc: loc.clone(), warning })
        })
        .collect()
}

/// Which kind of reference a `{{...}}` seems to mean.
#[derive(Clone, Copy)]
enum Kind {
    Secret,
    Env,
}

/// Looks at the `{{...}}` that `text` starts with: a warning if it seems
/// meant as a reference, and how many bytes it spans. An unclosed one spans
/// the rest of its line.
fn examine(text: &str) -> (Option<Warning>, usize) {
    let line_end = text.find('\n').unwrap_or(text.len());
    let (inner, span, closed) = match text[2..line_end].find("}}") {
        Some(close) => (&text[2..2 + close], 2 + close + 2, true),
        None => (&text[2..line_end], line_end, false),
    };
    let raw = &text[..span];
    let body = inner.trim();
    let body = body.strip_prefix('.').unwrap_or(body);
    let head_len = body.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(body.len());
    let kind = match body[..head_len].to_ascii_lowercase().as_str() {
        "secret" | "secrets" => Kind::Secret,
        "env" => Kind::Env,
        _ => return (None, span.max(2)),
    };
    let name = name_after(&body[head_len..]);
    (Some(warning(raw, kind, name, closed)), span.max(2))
}

/// The name after the head word: `.NAME`, `['NAME']`, `["NAME"]` or `[NAME]`,
/// up to the first blank or filter.
fn name_after(rest: &str) -> &str {
    let rest = rest.trim_start();
    let name = if let Some(dotted) = rest.strip_prefix('.') {
        dotted
    } else if let Some(indexed) = rest.strip_prefix('[') {
        let indexed = indexed.trim_start_matches(['\'', '"']);
        indexed.split([']', '\'', '"']).next().unwrap_or_default()
    } else {
        rest
    };
    name.split(|c: char| c.is_whitespace() || c == '|' || c == '}').next().unwrap_or_default()
}

fn warning(raw: &str, kind: Kind, name: &str, closed: bool) -> Warning {
    let valid = match kind {
        Kind::Secret => {
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        }
        Kind::Env => {
            name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
    };
    let suggestion = valid.then(|| match kind {
        Kind::Secret => format!("{{{{.secret.{name}}}}}"),
        Kind::Env => format!("{{{{.env.{name}}}}}"),
    });
    let what = match kind {
        Kind::Secret => "vault secret",
        Kind::Env => "env var",
    };
    let message = match (&suggestion, closed) {
        (_, false) => format!("`{raw}` is not closed with `}}}}`: it is kept as written"),
        (Some(meant), true) => {
            format!(
                "`{raw}` is not a reference and is kept as written; write `{meant}` to insert {what} {name}"
            )
        }
        (None, true) if name.is_empty() => format!("`{raw}` names no {what}: it is kept as written"),
        (None, true) => format!(
            "`{raw}` is not a reference: `{name}` is not a valid {what} name, so it is kept as written"
        ),
    };
    Warning { text: raw.to_owned(), message, suggestion: suggestion.filter(|_| closed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flagged(text: &str) -> Vec<(String, Option<String>)> {
        suspicious_references(text).into_iter().map(|w| (w.text, w.suggestion)).collect()
    }

    fn one(text: &str, suggestion: Option<&str>) {
        assert_eq!(flagged(text), vec![(text.trim().to_owned(), suggestion.map(str::to_owned))], "{text}");
    }

    #[test]
    fn near_misses_of_a_secret_reference_are_flagged_with_the_right_spelling() {
        for text in [
            "{{secrets.DB_PASSWORD}}",
            "{{secret.DB_PASSWORD}}",
            "{{ .secrets.DB_PASSWORD }}",
            "{{.Secret.DB_PASSWORD}}",
            "{{.SECRETS.DB_PASSWORD}}",
            "{{ secrets['DB_PASSWORD'] }}",
            "{{ .secret.DB_PASSWORD | b64enc }}",
        ] {
            one(text, Some("{{.secret.DB_PASSWORD}}"));
        }
        one("{{secrets.db.pass-1}}", Some("{{.secret.db.pass-1}}"));
    }

    #[test]
    fn near_misses_of_an_env_reference_are_flagged() {
        one("{{env.HOME}}", Some("{{.env.HOME}}"));
        one("{{ .ENV.HOME }}", Some("{{.env.HOME}}"));
        one("{{.env.1X}}", None);
        one("{{.env.A-B}}", None);
        one("{{.env.}}", None);
        one("{{.secret.}}", None);
        one("{{.secret.a b}}", Some("{{.secret.a}}"));
    }

    #[test]
    fn an_unclosed_reference_is_flagged_up_to_its_line_end() {
        let warnings = suspicious_references("user={{.secret.PW}\nnext line {{ fine }}");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].text, "{{.secret.PW}");
        assert!(warnings[0].message.contains("not closed"), "{}", warnings[0].message);
        assert_eq!(warnings[0].suggestion, None);
    }

    #[test]
    fn real_references_and_other_templates_are_not_flagged() {
        for text in [
            "postgres://{{.secret.DB_USER}}:{{ .secret.DB_PASSWORD }}@${HOST}/{{.env.DB}}",
            "{{ user }} {% if x %}{{ x | upper }}{% endif %}",
            "{{.Values.image}} {{ .Values.secrets.name }} {{ environment }}",
            "{{",
            "{{}}",
            "plain text",
        ] {
            assert_eq!(flagged(text), vec![], "{text}");
        }
    }

    #[test]
    fn every_near_miss_in_a_text_is_reported_in_order() {
        let text = "a={{secrets.A}} b={{.secret.B}} c={{env.C}} {{secrets.A}}";
        let texts: Vec<String> = flagged(text).into_iter().map(|(t, _)| t).collect();
        assert_eq!(texts, ["{{secrets.A}}", "{{env.C}}", "{{secrets.A}}"]);
    }

    #[test]
    fn a_config_is_checked_where_the_grammar_applies() {
        use crate::tests::{Build, content_file, integration, secret_file};
        let config = integration("app", "custom")
            .env("TOKEN", "{{secrets.TOKEN}}")
            .env("OK", "{{.secret.TOKEN}}")
            .prompt("{{secrets.NOT_TEMPLATED}}")
            .file(content_file("~/a", "x"))
            .file(secret_file("~/s", "S"))
            .file(content_file("~/b", "{{env.HOME}}"))
            .config;
        let found: Vec<(Vec<String>, String)> =
            config_warnings(&config).into_iter().map(|w| (w.loc, w.warning.text)).collect();
        let loc = |parts: &[&str]| parts.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            found,
            vec![
                (loc(&["env_vars", "TOKEN"]), "{{secrets.TOKEN}}".to_owned()),
                (loc(&["files", "2", "content"]), "{{env.HOME}}".to_owned()),
            ]
        );
    }
}
