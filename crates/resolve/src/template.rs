//! The one interpolation grammar, shared by env var values and
//! file contents:
//!
//! - `$$` is a literal `$`;
//! - `${NAME}` (a POSIX name) and `{{.env.NAME}}` insert bundle env var NAME;
//! - `{{.secret.NAME}}` (`[A-Za-z0-9_.-]+`) inserts vault secret NAME;
//! - blanks are allowed inside the double braces: `{{ .secret.NAME }}`.
//!
//! Everything else is literal text, on purpose: `$HOME`, `${1}`, `${A:-x}`
//! and Jinja or Go templates such as `{{ user }}` in a config file must reach
//! the agent untouched, so the scanner never fails; it only recognizes.
//!
//! A hand-written scanner over bytes: resolution runs on every job claim, and
//! every delimiter is ASCII, so slicing at the positions found is always on a
//! character boundary.

/// One piece of a template, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'t> {
    /// Literal text, already unescaped (`$$` yields a piece ending in `$`).
    Text(&'t str),
    /// A reference to a bundle env var; `raw` is the token as written, for messages.
    Env { name: &'t str, raw: &'t str },
    /// A reference to a vault secret; `raw` is the token as written.
    Secret { name: &'t str, raw: &'t str },
}

/// Iterates over the pieces of a template, left to right.
pub(crate) struct Pieces<'t> {
    rest: &'t str,
}

impl<'t> Pieces<'t> {
    pub(crate) fn new(template: &'t str) -> Self {
        Self { rest: template }
    }
}

impl<'t> Iterator for Pieces<'t> {
    type Item = Piece<'t>;

    fn next(&mut self) -> Option<Piece<'t>> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let token = match bytes[at] {
                b'$' => dollar(&bytes[at..]),
                b'{' => braces(&bytes[at..]),
                _ => None,
            };
            if let Some(token) = token {
                return Some(self.emit(at, token));
            }
            at += 1;
        }
        Some(Piece::Text(std::mem::take(&mut self.rest)))
    }
}

/// What was recognized at some position: its kind and its length in bytes.
#[derive(Clone, Copy)]
enum Token {
    /// `$$`.
    Dollar,
    /// `${NAME}` or `{{.env.NAME}}`; the name spans `start..end` of the token.
    Env { len: usize, start: usize, end: usize },
    /// `{{.secret.NAME}}`.
    Secret { len: usize, start: usize, end: usize },
}

impl<'t> Pieces<'t> {
    /// Yields the text before a token found at `at`, or the token itself
    /// when it is first, so that each call returns one piece.
    fn emit(&mut self, at: usize, token: Token) -> Piece<'t> {
        let rest = self.rest;
        match token {
            // Text and the escaped `$` in one piece: the first `$` is kept.
            Token::Dollar => {
                self.rest = &rest[at + 2..];
                Piece::Text(&rest[..at + 1])
            }
            _ if at > 0 => {
                self.rest = &rest[at..];
                Piece::Text(&rest[..at])
            }
            Token::Env { len, start, end } => {
                self.rest = &rest[len..];
                Piece::Env { name: &rest[start..end], raw: &rest[..len] }
            }
            Token::Secret { len, start, end } => {
                self.rest = &rest[len..];
                Piece::Secret { name: &rest[start..end], raw: &rest[..len] }
            }
        }
    }
}

/// `$$` or `${NAME}` at the start of `bytes` (which starts with `$`).
fn dollar(bytes: &[u8]) -> Option<Token> {
    match bytes.get(1) {
        Some(b'$') => Some(Token::Dollar),
        Some(b'{') => {
            let end = 2 + env_name_len(&bytes[2..])?;
            (bytes.get(end) == Some(&b'}')).then_some(Token::Env { len: end + 1, start: 2, end })
        }
        _ => None,
    }
}

/// `{{.env.NAME}}` or `{{.secret.NAME}}`, blanks allowed inside the braces,
/// at the start of `bytes` (which starts with `{`).
fn braces(bytes: &[u8]) -> Option<Token> {
    if bytes.get(1) != Some(&b'{') {
        return None;
    }
    let mut at = skip_blanks(bytes, 2);
    let tail = &bytes[at..];
    let is_env = if tail.starts_with(b".env.") {
        at += b".env.".len();
        true
    } else if tail.starts_with(b".secret.") {
        at += b".secret.".len();
        false
    } else {
        return None;
    };
    let start = at;
    let name_len = if is_env { env_name_len(&bytes[at..])? } else { secret_name_len(&bytes[at..]) };
    if name_len == 0 {
        return None;
    }
    let end = start + name_len;
    let close = skip_blanks(bytes, end);
    if !bytes[close..].starts_with(b"}}") {
        return None;
    }
    let len = close + 2;
    Some(if is_env { Token::Env { len, start, end } } else { Token::Secret { len, start, end } })
}

fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The length of the POSIX name `[A-Za-z_][A-Za-z0-9_]*` starting `bytes`, if any.
fn env_name_len(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    Some(1 + bytes[1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count())
}

/// The length of the vault name `[A-Za-z0-9_.-]*` starting `bytes`.
fn secret_name_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &'static str, raw: &'static str) -> Piece<'static> {
        Piece::Env { name, raw }
    }

    fn pieces(template: &str) -> Vec<Piece<'_>> {
        Pieces::new(template).collect()
    }

    /// Renders with every reference shown as `<env:NAME>` / `<secret:NAME>`.
    fn render(template: &str) -> String {
        Pieces::new(template)
            .map(|piece| match piece {
                Piece::Text(text) => text.to_owned(),
                Piece::Env { name, .. } => format!("<env:{name}>"),
                Piece::Secret { name, .. } => format!("<secret:{name}>"),
            })
            .collect()
    }

    #[test]
    fn plain_text_is_one_piece() {
        assert_eq!(pieces("postgres://db:5432"), vec![Piece::Text("postgres://db:5432")]);
        assert_eq!(pieces(""), vec![]);
    }

    #[test]
    fn recognizes_each_reference_form() {
        assert_eq!(pieces("${DB_HOST}"), vec![env("DB_HOST", "${DB_HOST}")]);
        assert_eq!(pieces("{{.env.DB_HOST}}"), vec![env("DB_HOST", "{{.env.DB_HOST}}")]);
        assert_eq!(
            pieces("a{{ .secret.db.pass-1 }}b"),
            vec![
                Piece::Text("a"),
                Piece::Secret { name: "db.pass-1", raw: "{{ .secret.db.pass-1 }}" },
                Piece::Text("b")
            ]
        );
        assert_eq!(render("{{\t.env._X9\t}}"), "<env:_X9>");
    }

    #[test]
    fn dollar_escapes() {
        assert_eq!(render("$$"), "$");
        assert_eq!(render("pa$$w0rd"), "pa$w0rd");
        assert_eq!(render("$$5 and $HOME stay"), "$5 and $HOME stay");
        // `$$` binds first: `$$${X}` is a `$` then a reference, `$${X}` is literal.
        assert_eq!(render("$$${X}"), "$<env:X>");
        assert_eq!(render("$${X}"), "${X}");
        assert_eq!(render("$$$X"), "$$X");
        assert_eq!(render("$$$$"), "$$");
        assert_eq!(render("$$$"), "$$");
    }

    #[test]
    fn lone_dollars_are_literal() {
        for literal in ["$", "$HOME", "a$", "$ {X}", "cost: 5$", "$1", "${", "${}", "${X", "${X:-d}", "${1A}"]
        {
            assert_eq!(render(literal), literal);
        }
        assert_eq!(render("${X-Y}${Y}"), "${X-Y}<env:Y>");
        assert_eq!(render("${${X}}"), "${<env:X>}");
    }

    #[test]
    fn other_braces_are_literal() {
        for literal in [
            "{{ user }}",
            "{% if x %}{{ x | upper }}{% endif %}",
            "{{.Values.image}}",
            "{{.env.}}",
            "{{.env.1X}}",
            "{{.env.A-B}}",
            "{{.secret.}}",
            "{{.secret.a b}}",
            "{{.secret.X}",
            "{{.secret.X",
            "{ .env.X }",
            "{{.ENV.X}}",
            "{{ env.X }}",
            "{{",
            "{",
        ] {
            assert_eq!(render(literal), literal);
        }
    }

    #[test]
    fn references_next_to_braces() {
        assert_eq!(render("{{{.env.X}}}"), "{<env:X>}");
        assert_eq!(render("${{.env.X}}"), "$<env:X>");
        assert_eq!(render("{${X}}"), "{<env:X>}");
        assert_eq!(render("{{.env.A}}{{.secret.B}}${C}"), "<env:A><secret:B><env:C>");
    }

    #[test]
    fn non_ascii_text_survives() {
        assert_eq!(render("héllo ${X} wörld $ €"), "héllo <env:X> wörld $ €");
        assert_eq!(render("${É}"), "${É}");
    }
}
