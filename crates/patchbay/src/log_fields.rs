//! How the pretty log format writes an event's fields: every value with its
//! control characters escaped. Values carry text users chose (integration
//! and secret names, worker names, paths); a newline in one would otherwise
//! start a forged log line, and an escape sequence would repaint the
//! operator's terminal. The JSON format escapes by itself.
use std::fmt;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// `FormatFields` for `tracing_subscriber::fmt().fmt_fields(..)`.
pub struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Visitor { writer, result: Ok(()), first: true };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct Visitor<'writer> {
    writer: Writer<'writer>,
    result: fmt::Result,
    first: bool,
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, &format!("{value:?}"));
    }
}

impl Visitor<'_> {
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        let separator = if self.first { "" } else { " " };
        self.first = false;
        let value = escape_controls(value);
        self.result = match field.name() {
            "message" => write!(self.writer, "{separator}{value}"),
            // `log` crate records arrive with these; they add nothing here.
            name if name.starts_with("log.") => Ok(()),
            name => write!(self.writer, "{separator}{name}={value}"),
        };
    }
}

/// `\n`, `\r`, `\t`, ESC and every other control character as an escape.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn control_characters_cannot_break_a_line() {
        assert_eq!(escape_controls("plain name"), "plain name");
        assert_eq!(
            escape_controls("pg\n2026-12-01T00:00:00Z  INFO forged\r\u{1b}[2J"),
            "pg\\n2026-12-01T00:00:00Z  INFO forged\\r\\u{1b}[2J"
        );
    }
}
