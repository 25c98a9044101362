//! Line breaks in form fields, kept exactly.
//!
//! HTML form submission sends every line break of a textarea as CRLF, LF or
//! CRLF alike, and a textarea shows LF: what was typed cannot be told apart
//! on the server. So the console reads submitted text with LF line breaks
//! (`Fields::parse`), and a value that must be byte-exact (a secret, a
//! file's content) carries a line-endings choice, applied when it is saved.
use maud::{Markup, html};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEndings {
    #[default]
    Lf,
    CrLf,
}

impl LineEndings {
    /// The choice as a form sends it; anything but `crlf` is LF.
    pub fn parse(raw: &str) -> Self {
        if raw == "crlf" { Self::CrLf } else { Self::Lf }
    }

    /// The endings a stored text uses: CRLF when any line ends so.
    pub fn of(text: &str) -> Self {
        if text.contains("\r\n") { Self::CrLf } else { Self::Lf }
    }

    /// `text` with every line break written as these endings.
    pub fn apply(self, text: &str) -> String {
        let lf = to_lf(text);
        match self {
            Self::Lf => lf,
            Self::CrLf => lf.replace('\n', "\r\n"),
        }
    }

    /// The choice as a select, labelled.
    pub fn select(self, id: &str, name: &str) -> Markup {
        html! {
            span.endings {
                label for=(id) { "Line endings" }
                select id=(id) name=(name) {
                    option value="lf" selected[self == Self::Lf] { "LF (Unix)" }
                    option value="crlf" selected[self == Self::CrLf] { "CRLF (Windows)" }
                }
            }
        }
    }
}

/// Submitted text with LF line breaks (see the module's comment).
pub fn to_lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// A textarea's text, exactly: the HTML parser drops one line break right
/// after `<textarea>`, so one is written there and the text's own first
/// line break (a file that starts with an empty line) survives.
pub fn textarea_text(text: &str) -> Markup {
    html! { "\n" (text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_are_applied_to_every_line_break() {
        assert_eq!(LineEndings::CrLf.apply("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
        assert_eq!(LineEndings::Lf.apply("a\r\nb\r\n"), "a\nb\n");
        assert_eq!(LineEndings::of("a\nb\r\n"), LineEndings::CrLf);
        assert_eq!(LineEndings::of("a\nb\n"), LineEndings::Lf);
        assert_eq!(LineEndings::parse("crlf").apply("x"), "x");
    }

    #[test]
    fn a_textarea_keeps_a_leading_line_break() {
        assert_eq!(textarea_text("\nkey").into_string(), "\n\nkey");
    }
}
