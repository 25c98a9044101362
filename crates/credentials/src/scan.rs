//! Finding a statement's placeholders and the SQL quoting each stands in,
//! so rendering can escape a value for exactly that context. A small lexer
//! per dialect: strings, quoted identifiers, comments and (PostgreSQL)
//! dollar-quoted bodies.
use patchbay_domain::ProviderKind;

/// The placeholders a statement may use.
pub(crate) const PLACEHOLDERS: [&str; 3] = ["name", "password", "expiration"];

/// Where in the SQL a placeholder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// Outside any quotes: the value becomes SQL tokens.
    Bare,
    /// Inside a quoted identifier closed by `quote`.
    Identifier { quote: u8 },
    /// Inside a string closed by `quote`; `backslash` when a backslash
    /// escapes the next character there.
    String { quote: u8, backslash: bool },
    /// Inside a comment or a dollar-quoted body, which no quoting applies to.
    Opaque,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Text(&'a str),
    /// `name` is one of [`PLACEHOLDERS`].
    Placeholder {
        name: &'static str,
        context: Context,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// A `{{` with no `}}` after it.
    Unclosed,
    /// A placeholder other than the three, as written (trimmed).
    Unknown(String),
}

/// Where the lexer is between two characters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Code,
    Identifier {
        quote: u8,
    },
    String {
        quote: u8,
        backslash: bool,
    },
    LineComment,
    BlockComment,
    /// PostgreSQL `$tag$ ... $tag$`, holding `$tag$`.
    Dollar(String),
}

impl State {
    fn context(&self) -> Context {
        match self {
            Self::Code => Context::Bare,
            Self::Identifier { quote } => Context::Identifier { quote: *quote },
            Self::String { quote, backslash } => Context::String { quote: *quote, backslash: *backslash },
            Self::LineComment | Self::BlockComment | Self::Dollar(_) => Context::Opaque,
        }
    }
}

pub(crate) fn scan(kind: ProviderKind, statement: &str) -> Result<Vec<Piece<'_>>, ScanError> {
    let bytes = statement.as_bytes();
    let mut pieces = Vec::new();
    let mut state = State::Code;
    let mut text_start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at..].starts_with(b"{{") {
            let close = statement[at + 2..].find("}}").ok_or(ScanError::Unclosed)?;
            let written = statement[at + 2..at + 2 + close].trim();
            let name = PLACEHOLDERS
                .into_iter()
                .find(|known| *known == written)
                .ok_or_else(|| ScanError::Unknown(written.to_owned()))?;
            if text_start < at {
                pieces.push(Piece::Text(&statement[text_start..at]));
            }
            pieces.push(Piece::Placeholder { name, context: state.context() });
            at += 2 + close + 2;
            text_start = at;
            continue;
        }
        at = step(kind, statement, at, &mut state);
    }
    if text_start < bytes.len() {
        pieces.push(Piece::Text(&statement[text_start..]));
    }
    Ok(pieces)
}

/// Moves past the character at `at` (and whatever it opens or closes),
/// returning the next position.
fn step(kind: ProviderKind, statement: &str, at: usize, state: &mut State) -> usize {
    let bytes = statement.as_bytes();
    let byte = bytes[at];
    let next = bytes.get(at + 1).copied();
    match state {
        State::Code => match byte {
            b'\'' => {
                let backslash = match kind {
                    ProviderKind::Mysql => true,
                    _ => postgres_escape_string(bytes, at),
                };
                *state = State::String { quote: b'\'', backslash };
            }
            b'"' if kind == ProviderKind::Mysql => *state = State::String { quote: b'"', backslash: true },
            b'"' => *state = State::Identifier { quote: b'"' },
            b'`' if kind == ProviderKind::Mysql => *state = State::Identifier { quote: b'`' },
            b'#' if kind == ProviderKind::Mysql => *state = State::LineComment,
            b'-' if next == Some(b'-') => {
                // MySQL needs a space or control character after `--`.
                let third = bytes.get(at + 2).copied();
                if kind != ProviderKind::Mysql || third.is_none_or(|c| c <= b' ') {
                    *state = State::LineComment;
                    return at + 2;
                }
            }
            b'/' if next == Some(b'*') => {
                *state = State::BlockComment;
                return at + 2;
            }
            b'$' if kind == ProviderKind::Postgres => {
                if let Some(tag) = dollar_tag(statement, at) {
                    let len = tag.len();
                    *state = State::Dollar(tag);
                    return at + len;
                }
            }
            _ => {}
        },
        State::Identifier { quote } | State::String { quote, .. } if byte == *quote => {
            if next == Some(*quote) {
                return at + 2;
            }
            *state = State::Code;
        }
        State::String { backslash: true, .. } if byte == b'\\' => {
            // The escaped character is skipped unless a placeholder starts there.
            return if bytes[at + 1..].starts_with(b"{{") { at + 1 } else { (at + 2).min(bytes.len()) };
        }
        State::LineComment if byte == b'\n' => *state = State::Code,
        State::BlockComment if byte == b'*' && next == Some(b'/') => {
            *state = State::Code;
            return at + 2;
        }
        State::Dollar(tag) if bytes[at..].starts_with(tag.as_bytes()) => {
            let len = tag.len();
            *state = State::Code;
            return at + len;
        }
        _ => {}
    }
    at + 1
}

/// Whether the `'` at `at` opens a PostgreSQL string where backslashes
/// escape: `E'...'` and `U&'...'`.
fn postgres_escape_string(bytes: &[u8], at: usize) -> bool {
    let word_before = |start: usize| start == 0 || !is_identifier_byte(bytes[start - 1]);
    match at {
        1.. if bytes[at - 1].eq_ignore_ascii_case(&b'e') => word_before(at - 1),
        2.. if bytes[at - 1] == b'&' && bytes[at - 2].eq_ignore_ascii_case(&b'u') => word_before(at - 2),
        _ => false,
    }
}

/// The `$tag$` opening a dollar-quoted string at `at`, if one does: not
/// inside an identifier (`a$b`) and not a parameter (`$1`).
fn dollar_tag(statement: &str, at: usize) -> Option<String> {
    let bytes = statement.as_bytes();
    if at > 0 && is_identifier_byte(bytes[at - 1]) {
        return None;
    }
    let rest = &bytes[at + 1..];
    let len = rest.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
    if rest.first().is_some_and(u8::is_ascii_digit) || rest.get(len) != Some(&b'$') {
        return None;
    }
    Some(statement[at..at + len + 2].to_owned())
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;
    use Context::*;

    fn contexts(kind: ProviderKind, statement: &str) -> Vec<(&'static str, Context)> {
        scan(kind, statement)
            .unwrap()
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Placeholder { name, context } => Some((name, context)),
                Piece::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn postgres_contexts() {
        let found = contexts(
            ProviderKind::Postgres,
            "CREATE ROLE \"{{name}}\" PASSWORD '{{ password }}' VALID UNTIL E'{{expiration}}' -- {{name}}\n{{name}}",
        );
        assert_eq!(
            found,
            [
                ("name", Identifier { quote: b'"' }),
                ("password", String { quote: b'\'', backslash: false }),
                ("expiration", String { quote: b'\'', backslash: true }),
                ("name", Opaque),
                ("name", Bare),
            ]
        );
    }

    #[test]
    fn postgres_doubled_quotes_and_dollar_bodies() {
        let found = contexts(
            ProviderKind::Postgres,
            "SELECT 'it''s {{name}}', \"a\"\"{{name}}\", $f$ ' {{name}} $f$, $1, a$b '{{name}}' /* {{name}} */ {{name}}",
        );
        assert_eq!(
            found,
            [
                ("name", String { quote: b'\'', backslash: false }),
                ("name", Identifier { quote: b'"' }),
                ("name", Opaque),
                ("name", String { quote: b'\'', backslash: false }),
                ("name", Opaque),
                ("name", Bare),
            ]
        );
    }

    #[test]
    fn postgres_unicode_escape_strings_take_backslashes() {
        let found = contexts(ProviderKind::Postgres, "SELECT U&'{{name}}', due'{{name}}'");
        assert_eq!(
            found,
            [
                ("name", String { quote: b'\'', backslash: true }),
                ("name", String { quote: b'\'', backslash: false })
            ]
        );
    }

    #[test]
    fn mysql_contexts() {
        let found = contexts(
            ProviderKind::Mysql,
            "CREATE USER '{{name}}'@'%' IDENTIFIED BY \"{{password}}\"; GRANT ALL ON `{{name}}`.* TO 'a\\'{{name}}' # {{name}}\n--x {{name}} -- {{name}}",
        );
        assert_eq!(
            found,
            [
                ("name", String { quote: b'\'', backslash: true }),
                ("password", String { quote: b'"', backslash: true }),
                ("name", Identifier { quote: b'`' }),
                ("name", String { quote: b'\'', backslash: true }),
                ("name", Opaque),
                ("name", Bare),
                ("name", Opaque),
            ]
        );
    }

    #[test]
    fn text_between_placeholders_is_kept() {
        let pieces = scan(ProviderKind::Postgres, "a {{name}}b").unwrap();
        assert_eq!(
            pieces,
            [Piece::Text("a "), Piece::Placeholder { name: "name", context: Bare }, Piece::Text("b")]
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders() {
        assert_eq!(scan(ProviderKind::Postgres, "x {{ user }}"), Err(ScanError::Unknown("user".into())));
        assert_eq!(scan(ProviderKind::Mysql, "x {{}}"), Err(ScanError::Unknown(std::string::String::new())));
        assert_eq!(scan(ProviderKind::Mysql, "x {{name"), Err(ScanError::Unclosed));
    }
}
