//! Pydantic v2's lax-mode coercions, with its error types and messages, so
//! a client written against the reference sees the same 422 bodies.
use crate::{FieldError, LocItem};
use patchbay_domain::ParseError;
use serde_json::{Map, Value, json};

/// Collects every problem of one body, in model field order, as Pydantic does.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

/// `loc` extended by one step.
pub fn at(loc: &[LocItem], step: impl Into<LocItem>) -> Vec<LocItem> {
    let mut next = loc.to_vec();
    next.push(step.into());
    next
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many problems were found so far: a part is valid when its
    /// checks added none.
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// `Ok(value)` when no problem was found.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() { Ok(value()) } else { Err(self.errors) }
    }

    /// A required field that is absent: Pydantic echoes the enclosing object.
    pub fn missing(&mut self, loc: Vec<LocItem>, parent: &Map<String, Value>) {
        self.push(FieldError::new("missing", loc, "Field required", Value::Object(parent.clone())));
    }

    /// A nested model (or the body itself) must be an object.
    pub fn model<'v>(&mut self, loc: &[LocItem], value: &'v Value) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.push(FieldError::new(
                    "model_attributes_type",
                    loc.to_vec(),
                    "Input should be a valid dictionary or object to extract fields from",
                    other.clone(),
                ));
                None
            }
        }
    }

    pub fn string(&mut self, loc: &[LocItem], value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            other => {
                self.push(FieldError::new(
                    "string_type",
                    loc.to_vec(),
                    "Input should be a valid string",
                    other.clone(),
                ));
                None
            }
        }
    }

    /// `Optional[str]`: absent and `null` are both `None`.
    pub fn optional_string(&mut self, loc: &[LocItem], value: Option<&Value>) -> Option<Option<String>> {
        match value {
            None | Some(Value::Null) => Some(None),
            Some(value) => self.string(loc, value).map(Some),
        }
    }

    /// A string with Pydantic's `min_length` / `max_length`, counted in
    /// characters (code points), as Python counts them.
    pub fn bounded_string(
        &mut self,
        loc: &[LocItem],
        value: &Value,
        min: usize,
        max: usize,
    ) -> Option<String> {
        let s = self.string(loc, value)?;
        let length = s.chars().count();
        if length < min {
            let plural = if min == 1 { "character" } else { "characters" };
            self.push(
                FieldError::new(
                    "string_too_short",
                    loc.to_vec(),
                    format!("String should have at least {min} {plural}"),
                    value.clone(),
                )
                .with_ctx(json!({ "min_length": min })),
            );
            return None;
        }
        if length > max {
            let plural = if max == 1 { "character" } else { "characters" };
            self.push(
                FieldError::new(
                    "string_too_long",
                    loc.to_vec(),
                    format!("String should have at most {max} {plural}"),
                    value.clone(),
                )
                .with_ctx(json!({ "max_length": max })),
            );
            return None;
        }
        Some(s)
    }

    pub fn list<'v>(&mut self, loc: &[LocItem], value: &'v Value) -> Option<&'v Vec<Value>> {
        match value {
            Value::Array(items) => Some(items),
            other => {
                self.push(FieldError::new(
                    "list_type",
                    loc.to_vec(),
                    "Input should be a valid list",
                    other.clone(),
                ));
                None
            }
        }
    }

    /// Pydantic's `too_long` for a list or dictionary (`field_type` `List`
    /// or `Dictionary`) of `len` items where at most `max` are allowed;
    /// `true` when it is within the bound.
    pub fn at_most(
        &mut self,
        loc: &[LocItem],
        value: &Value,
        len: usize,
        max: usize,
        field_type: &str,
    ) -> bool {
        if len <= max {
            return true;
        }
        let plural = if max == 1 { "item" } else { "items" };
        self.push(
            FieldError::new(
                "too_long",
                loc.to_vec(),
                format!("{field_type} should have at most {max} {plural} after validation, not {len}"),
                value.clone(),
            )
            .with_ctx(serde_json::json!({"field_type": field_type, "max_length": max, "actual_length": len})),
        );
        false
    }

    pub fn dict<'v>(&mut self, loc: &[LocItem], value: &'v Value) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.push(FieldError::new(
                    "dict_type",
                    loc.to_vec(),
                    "Input should be a valid dictionary",
                    other.clone(),
                ));
                None
            }
        }
    }

    /// `List[str]`: every item is checked, so each bad one is reported.
    pub fn string_list(&mut self, loc: &[LocItem], value: &Value) -> Option<Vec<String>> {
        let items = self.list(loc, value)?;
        let before = self.errors.len();
        let strings: Vec<String> =
            items.iter().enumerate().filter_map(|(i, item)| self.string(&at(loc, i), item)).collect();
        (self.errors.len() == before).then_some(strings)
    }

    /// Pydantic's lax `int`: whole numbers, booleans, and strings such as
    /// `" 7 "`, `"+7"`, `"1_000"` or `"7.0"`.
    pub fn int(&mut self, loc: &[LocItem], value: &Value) -> Option<i64> {
        let outcome = match value {
            Value::Bool(b) => Ok(i64::from(*b)),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Ok(i),
                (None, Some(_), _) => Ok(i64::MAX),
                (None, None, Some(f)) => int_from_float(f),
                _ => Err(IntError::Type),
            },
            Value::String(s) => parse_int_str(s),
            _ => Err(IntError::Type),
        };
        let (kind, msg) = match outcome {
            Ok(i) => return Some(i),
            Err(IntError::Type) => ("int_type", "Input should be a valid integer"),
            Err(IntError::Parsing) => {
                ("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
            }
            Err(IntError::Fraction) => {
                ("int_from_float", "Input should be a valid integer, got a number with a fractional part")
            }
            Err(IntError::Size) => {
                ("int_parsing_size", "Unable to parse input string as an integer, exceeded maximum size")
            }
        };
        self.push(FieldError::new(kind, loc.to_vec(), msg, value.clone()));
        None
    }

    /// Pydantic's lax `bool`: `true`/`false`, `0`/`1`, and the strings
    /// `0 off f false n no` / `1 on t true y yes` in any case.
    pub fn bool(&mut self, loc: &[LocItem], value: &Value) -> Option<bool> {
        let parsed = match value {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) => match n.as_f64() {
                Some(0.0) => Ok(false),
                Some(1.0) => Ok(true),
                Some(f) if f.fract() == 0.0 => Err(true),
                _ => Err(false),
            },
            Value::String(s) => parse_bool_str(s).ok_or(true),
            _ => Err(false),
        };
        match parsed {
            Ok(b) => Some(b),
            Err(parsing) => {
                self.push(bool_error(loc.to_vec(), value.clone(), parsing));
                None
            }
        }
    }

    /// A domain rule the reference does not have (Patchbay's stricter
    /// validation), reported with the closest Pydantic error type.
    pub fn domain(&mut self, loc: Vec<LocItem>, input: Value, error: ParseError) {
        let message = error.to_string();
        let error = match error {
            ParseError::Pattern { pattern } => {
                FieldError::new("string_pattern_mismatch", loc, message, input)
                    .with_ctx(json!({ "pattern": pattern }))
            }
            ParseError::TooSmall { min } => {
                FieldError::new("greater_than_equal", loc, message, input).with_ctx(json!({ "ge": min }))
            }
            ParseError::TooLarge { max } => {
                FieldError::new("less_than_equal", loc, message, input).with_ctx(json!({ "le": max }))
            }
            ParseError::Invalid(reason) => {
                FieldError::new("value_error", loc, format!("Value error, {reason}"), input)
                    .with_ctx(json!({ "error": reason }))
            }
        };
        self.push(error);
    }
}

/// The error Pydantic gives a value that is no boolean: `bool_parsing` for
/// strings and numbers it tried to read, `bool_type` for other kinds.
pub fn bool_error(loc: Vec<LocItem>, input: Value, parsing: bool) -> FieldError {
    if parsing {
        FieldError::new(
            "bool_parsing",
            loc,
            "Input should be a valid boolean, unable to interpret input",
            input,
        )
    } else {
        FieldError::new("bool_type", loc, "Input should be a valid boolean", input)
    }
}

pub fn parse_bool_str(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
        "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum IntError {
    Type,
    Parsing,
    Fraction,
    Size,
}

fn int_from_float(f: f64) -> Result<i64, IntError> {
    if !f.is_finite() {
        Err(IntError::Parsing)
    } else if f.fract() != 0.0 {
        Err(IntError::Fraction)
    } else if f.abs() >= 9.2e18 {
        Err(IntError::Size)
    } else {
        Ok(f as i64)
    }
}

/// Python's `int(str)` as Pydantic applies it: surrounding whitespace, an
/// optional sign, digits with single underscores between them, and an
/// all-zero fraction (`"7.00"`).
fn parse_int_str(s: &str) -> Result<i64, IntError> {
    let s = s.trim();
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    if let Some(fraction) = fraction
        && (fraction.is_empty() || !fraction.bytes().all(|b| b == b'0'))
    {
        return Err(IntError::Parsing);
    }
    let well_formed = !whole.is_empty()
        && !whole.starts_with('_')
        && !whole.ends_with('_')
        && !whole.contains("__")
        && whole.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return Err(IntError::Parsing);
    }
    let digits: String = whole.chars().filter(|c| *c != '_').collect();
    let magnitude: i64 = digits.parse().unwrap_or(i64::MAX);
    Ok(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: Value) -> Result<i64, String> {
        let mut checker = Checker::new();
        checker.int(&["x".into()], &value).ok_or_else(|| checker.errors[0].kind.clone())
    }

    fn boolean(value: Value) -> Result<bool, String> {
        let mut checker = Checker::new();
        checker.bool(&["x".into()], &value).ok_or_else(|| checker.errors[0].kind.clone())
    }

    #[test]
    fn ints_coerce_like_pydantic() {
        assert_eq!(int(json!(7)), Ok(7));
        assert_eq!(int(json!(7.0)), Ok(7));
        assert_eq!(int(json!(true)), Ok(1));
        assert_eq!(int(json!(" +07 ")), Ok(7));
        assert_eq!(int(json!("1_000")), Ok(1000));
        assert_eq!(int(json!("7.00")), Ok(7));
        assert_eq!(int(json!("-3")), Ok(-3));
        assert_eq!(int(json!(1.5)), Err("int_from_float".into()));
        assert_eq!(int(json!(1e20)), Err("int_parsing_size".into()));
        for bad in ["abc", "7.5", "1e3", "", "0x10", "7.", "1__0", "_1"] {
            assert_eq!(int(json!(bad)), Err("int_parsing".into()), "{bad}");
        }
        for bad in [json!(null), json!([]), json!({})] {
            assert_eq!(int(bad), Err("int_type".into()));
        }
    }

    #[test]
    fn bools_coerce_like_pydantic() {
        for yes in [json!(true), json!(1), json!(1.0), json!("YES"), json!("on"), json!("t"), json!("1")] {
            assert_eq!(boolean(yes.clone()), Ok(true), "{yes}");
        }
        for no in [json!(false), json!(0), json!(-0.0), json!("Off"), json!("f"), json!("0")] {
            assert_eq!(boolean(no.clone()), Ok(false), "{no}");
        }
        for bad in [json!("maybe"), json!(" true"), json!(""), json!(2), json!(-1), json!(2.0)] {
            assert_eq!(boolean(bad.clone()), Err("bool_parsing".into()), "{bad}");
        }
        for bad in [json!(0.5), json!(null), json!([]), json!({})] {
            assert_eq!(boolean(bad.clone()), Err("bool_type".into()), "{bad}");
        }
    }

    #[test]
    fn lengths_count_characters() {
        let mut checker = Checker::new();
        let emoji = "🙂".repeat(255);
        assert!(checker.bounded_string(&[], &json!(emoji), 1, 255).is_some());
        assert!(checker.bounded_string(&[], &json!(format!("{emoji}x")), 1, 255).is_none());
        assert_eq!(checker.errors[0].msg, "String should have at most 255 characters");
    }
}
