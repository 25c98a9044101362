//! Emulation of CPython's `json.loads` error reporting.
//!
//! FastAPI answers an unparsable body with a 422 whose `loc` and `ctx.error`
//! are `e.pos` and `e.msg` of the `json.JSONDecodeError` raised by
//! `json.loads(body_bytes)`. serde_json's errors look nothing like that, so
//! this module re-runs the input through a scanner that mirrors CPython's
//! C accelerator (`Modules/_json.c`, which is what `json.loads` actually uses)
//! plus the driver in `Lib/json/decoder.py`, with the default `strict=True`.
//!
//! Where the C scanner and the pure-Python fallback (`Lib/json/scanner.py`)
//! disagree, the C one wins: e.g. its message is `Invalid \escape` (the
//! Python fallback says `Invalid \escape: 'x'`), and it demands at least one
//! character after the four hex digits of a `\uXXXX` escape.
//!
//! Positions are CHARACTER offsets into the decoded text, as in Python.
//!
//! Known gaps, all outside what a `JSONDecodeError` can express:
//! * Bodies whose first bytes contain NUL are decoded by `json.loads` as
//!   UTF-16/UTF-32 (`json.detect_encoding`); we treat them as UTF-8.
//! * Nesting deeper than Python's recursion limit raises `RecursionError`,
//!   and integers over 4300 digits raise `ValueError`; we accept both. (The
//!   scanner below is iterative, so hostile nesting cannot overflow our stack.)

/// A `json.JSONDecodeError` as CPython would report it: `e.pos` and `e.msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonJsonError {
    /// Character (not byte) offset into the text, after any stripped BOM.
    pub position: usize,
    /// The bare message, without the ": line X column Y (char Z)" suffix.
    pub message: String,
}

/// Where and why CPython's `json.loads` rejects `text`, or `None` when it accepts it.
///
/// `text` is the request body decoded as UTF-8. `json.loads` on *bytes*
/// decodes a leading UTF-8 BOM away (`utf-8-sig`) and only then scans, so one
/// BOM is skipped here and positions are relative to the text after it. (On a
/// `str`, Python would instead raise "Unexpected UTF-8 BOM" at 0; FastAPI
/// always passes bytes.)
pub fn python_json_error(text: &str) -> Option<PythonJsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let scanner = Scanner { chars: text.chars().collect() };
    scanner
        .decode()
        .err()
        .map(|(message, position)| PythonJsonError { position, message: message.to_owned() })
}

/// An error message and the character offset it points at.
type ScanError = (&'static str, usize);
type Scan = Result<usize, ScanError>;

const EXPECTING_VALUE: &str = "Expecting value";
const EXPECTING_DELIMITER: &str = "Expecting ',' delimiter";
const EXPECTING_NAME: &str = "Expecting property name enclosed in double quotes";
const UNTERMINATED: &str = "Unterminated string starting at";
const BAD_UNICODE_ESCAPE: &str = "Invalid \\uXXXX escape";

/// Containers that are open while scanning; kept on an explicit stack
/// instead of recursing so that deep nesting cannot overflow.
enum Container {
    Array,
    Object,
}

struct Scanner {
    chars: Vec<char>,
}

impl Scanner {
    fn at(&self, idx: usize) -> Option<char> {
        self.chars.get(idx).copied()
    }

    /// `decoder.WHITESPACE` is `[ \t\n\r]*`: no form feed, no Unicode spaces.
    fn skip_ws(&self, mut idx: usize) -> usize {
        while matches!(self.at(idx), Some(' ' | '\t' | '\n' | '\r')) {
            idx += 1;
        }
        idx
    }

    fn starts_with(&self, idx: usize, literal: &str) -> bool {
        literal.chars().enumerate().all(|(k, c)| self.at(idx + k) == Some(c))
    }

    /// `JSONDecoder.decode`: skip whitespace, scan one value, skip
    /// whitespace, and anything left over is "Extra data".
    fn decode(&self) -> Result<(), ScanError> {
        let end = self.scan_value(self.skip_ws(0))?;
        let end = self.skip_ws(end);
        if end != self.chars.len() {
            return Err(("Extra data", end));
        }
        Ok(())
    }

    /// `scan_once`: scans the value starting exactly at `idx` (the caller has
    /// skipped whitespace) and returns the index just past it.
    fn scan_value(&self, mut idx: usize) -> Scan {
        let mut open: Vec<Container> = Vec::new();
        loop {
            // Scan the value at `idx`, or open a container and go scan its
            // first element.
            idx = match self.at(idx) {
                Some('"') => self.scan_string(idx)?,
                Some('[') => {
                    let first = self.skip_ws(idx + 1);
                    if self.at(first) == Some(']') {
                        first + 1
                    } else {
                        open.push(Container::Array);
                        idx = first;
                        continue;
                    }
                }
                Some('{') => {
                    let first = self.skip_ws(idx + 1);
                    if self.at(first) == Some('}') {
                        first + 1
                    } else {
                        open.push(Container::Object);
                        idx = self.scan_key(first)?;
                        continue;
                    }
                }
                _ => self.scan_scalar(idx)?,
            };
            // A value ended at `idx`: close finished containers, or step past
            // a ',' to the next element.
            loop {
                let Some(container) = open.last() else {
                    return Ok(idx);
                };
                idx = self.skip_ws(idx);
                let closer = match container {
                    Container::Array => ']',
                    Container::Object => '}',
                };
                match self.at(idx) {
                    Some(c) if c == closer => {
                        open.pop();
                        idx += 1;
                    }
                    // Python 3.11/3.12 just look for the next element here, so
                    // `[1,]` is "Expecting value" at the ']' and `{"a":1,}` is
                    // "Expecting property name..." at the '}'. Python 3.13+
                    // instead reports "Illegal trailing comma before end of
                    // array" / "... of object" at the comma; we follow the
                    // python3 (3.11) the fixtures were generated with.
                    Some(',') => {
                        let next = self.skip_ws(idx + 1);
                        idx = match container {
                            Container::Array => next,
                            Container::Object => self.scan_key(next)?,
                        };
                        break;
                    }
                    _ => return Err((EXPECTING_DELIMITER, idx)),
                }
            }
        }
    }

    /// Scans `"key" :` plus following whitespace, returning the value's index.
    fn scan_key(&self, idx: usize) -> Scan {
        if self.at(idx) != Some('"') {
            return Err((EXPECTING_NAME, idx));
        }
        let colon = self.skip_ws(self.scan_string(idx)?);
        if self.at(colon) != Some(':') {
            return Err(("Expecting ':' delimiter", colon));
        }
        Ok(self.skip_ws(colon + 1))
    }

    /// Literals and numbers. Anything else is "Expecting value" at `idx`
    /// (the scanner's StopIteration, turned into that message by `raw_decode`).
    fn scan_scalar(&self, idx: usize) -> Scan {
        // NaN and the infinities are accepted by default (`parse_constant`).
        for literal in ["null", "true", "false", "NaN", "Infinity", "-Infinity"] {
            if self.starts_with(idx, literal) {
                return Ok(idx + literal.chars().count());
            }
        }
        self.scan_number(idx).ok_or((EXPECTING_VALUE, idx))
    }

    /// `(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?` with ASCII digits only
    /// (the C scanner does not accept other Unicode digits). A fraction or
    /// exponent that is not followed by digits is simply not consumed, which
    /// is why `1.` and `01` end up as "Extra data" at 1.
    fn scan_number(&self, start: usize) -> Option<usize> {
        let digit = |i: usize| self.at(i).is_some_and(|c| c.is_ascii_digit());
        let digits_from = |mut i: usize| {
            while digit(i) {
                i += 1;
            }
            i
        };
        let mut idx = start;
        if self.at(idx) == Some('-') {
            idx += 1;
        }
        idx = match self.at(idx) {
            Some('0') => idx + 1,
            Some('1'..='9') => digits_from(idx + 1),
            _ => return None,
        };
        if self.at(idx) == Some('.') && digit(idx + 1) {
            idx = digits_from(idx + 1);
        }
        if matches!(self.at(idx), Some('e' | 'E')) {
            let mut exp = idx + 1;
            if matches!(self.at(exp), Some('+' | '-')) {
                exp += 1;
            }
            if digit(exp) {
                idx = digits_from(exp);
            }
        }
        Some(idx)
    }

    /// `scanstring` with `strict=True`; `quote` is the opening quote's index,
    /// which is also where "Unterminated string" points.
    fn scan_string(&self, quote: usize) -> Scan {
        let mut idx = quote + 1;
        loop {
            match self.at(idx) {
                None => return Err((UNTERMINATED, quote)),
                Some('"') => return Ok(idx + 1),
                Some('\\') => match self.at(idx + 1) {
                    None => return Err((UNTERMINATED, quote)),
                    Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => idx += 2,
                    Some('u') => idx = self.scan_unicode_escape(idx + 1)?,
                    // Reported at the backslash.
                    Some(_) => return Err(("Invalid \\escape", idx)),
                },
                Some(c) if u32::from(c) < 0x20 => {
                    return Err(("Invalid control character at", idx));
                }
                Some(_) => idx += 1,
            }
        }
    }

    /// The four hex digits after the `u` at `u`; errors point at the `u`.
    ///
    /// `_json.c` checks `end >= len` with `end` one past the last hex digit,
    /// so the escape must be followed by at least one more character:
    /// `"\u1234` is an invalid escape, not an unterminated string. Surrogate
    /// pairing only changes the decoded value, never the error, so each
    /// escape is checked on its own (lone surrogates are accepted).
    fn scan_unicode_escape(&self, u: usize) -> Scan {
        let end = u + 5;
        let hex_ok = (u + 1..end).all(|i| self.at(i).is_some_and(|c| c.is_ascii_hexdigit()));
        if end >= self.chars.len() || !hex_ok {
            return Err((BAD_UNICODE_ESCAPE, u));
        }
        Ok(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases generated by running CPython 3.11's `json.loads` on the UTF-8
    /// bytes of each input.
    #[test]
    fn matches_cpython_fixture() {
        let fixture = include_str!("../tests/fixtures/python_json_errors.json");
        let cases: Vec<serde_json::Value> = serde_json::from_str(fixture).unwrap();
        assert!(cases.len() > 100);
        for case in cases {
            let input = case["input"].as_str().unwrap();
            let expected = case["error"].as_object().map(|e| PythonJsonError {
                position: e["position"].as_u64().unwrap() as usize,
                message: e["message"].as_str().unwrap().to_owned(),
            });
            assert_eq!(python_json_error(input), expected, "input: {input:?}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = "[".repeat(1_000_000);
        let err = python_json_error(&deep).unwrap();
        assert_eq!((err.position, err.message.as_str()), (1_000_000, EXPECTING_VALUE));
    }
}
