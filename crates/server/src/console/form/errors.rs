//! Where each of the form's errors belongs: beside the field (or the file
//! row) the API's `loc` names, or at the top when it names none.
use patchbay_api_types::{FieldError, LocItem};
use std::collections::BTreeMap;

/// Errors by form field; `rows` holds those of file rows (by row number on
/// the page), `general` those that name no field.
#[derive(Debug, Default)]
pub struct Errors {
    pub fields: BTreeMap<&'static str, Vec<String>>,
    pub rows: BTreeMap<usize, Vec<String>>,
    pub general: Vec<String>,
}

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.rows.is_empty() && self.general.is_empty()
    }

    pub fn add(&mut self, field: &'static str, message: String) {
        self.fields.entry(field).or_default().push(message);
    }

    /// Files a 422's errors under the fields their `loc`s name. `rows[i]` is
    /// the page's row of the i-th file sent (blank and removed rows are not
    /// sent, so the API's index is not the page's).
    pub fn add_api(&mut self, errors: &[FieldError], rows: &[usize]) {
        for error in errors {
            match place(&error.loc) {
                Place::Field(field, Some(at)) => self.add(field, format!("{at}: {}", error.msg)),
                Place::Field(field, None) => self.add(field, error.msg.clone()),
                Place::File(index, key) => match rows.get(index) {
                    Some(row) => {
                        let message =
                            key.map_or_else(|| error.msg.clone(), |key| format!("{key}: {}", error.msg));
                        self.rows.entry(*row).or_default().push(message);
                    }
                    None => self.add("files", error.msg.clone()),
                },
                Place::General => self.general.push(error.msg.clone()),
            }
        }
    }
}

/// Where one `loc` points on the form.
enum Place {
    /// A field, and the key or line within it.
    Field(&'static str, Option<String>),
    /// The i-th file sent, and which of its keys.
    File(usize, Option<String>),
    General,
}

fn text(item: &LocItem) -> String {
    match item {
        LocItem::Key(key) => key.clone(),
        LocItem::Index(index) => index.to_string(),
    }
}

fn place(loc: &[LocItem]) -> Place {
    // `loc` starts with "body".
    let keys: Vec<&LocItem> = loc.iter().skip(1).collect();
    let key = |i: usize| keys.get(i).map(|item| text(item));
    let index = |i: usize| match keys.get(i) {
        Some(LocItem::Index(n)) => Some(*n),
        Some(LocItem::Key(raw)) => raw.parse().ok(),
        None => None,
    };
    // A zero-based index as the one-based number people count in.
    let line = |i: usize| index(i).map(|n| format!("line {}", n + 1));
    let Some(first) = key(0) else { return Place::General };
    let field = match first.as_str() {
        "name" => "name",
        "integration_type" => "integration_type",
        "description" => "description",
        "status" => "status",
        "tags" => return Place::Field("tags", index(1).map(|n| format!("tag {}", n + 1))),
        "config" => match key(1).as_deref() {
            Some("env_vars") => return Place::Field("env_vars", key(2)),
            Some("secrets") => return Place::Field("secrets", line(2)),
            Some("files") => {
                return match index(2) {
                    Some(n) => Place::File(n, key(3)),
                    None => Place::Field("files", None),
                };
            }
            Some("context_prompt") => "context_prompt",
            Some("connection_test") if key(2).as_deref() == Some("timeout") => "test_timeout",
            Some("connection_test") if key(2).as_deref() == Some("interval_seconds") => "test_interval",
            Some("connection_test") => "test_command",
            _ => return Place::General,
        },
        _ => return Place::General,
    };
    Place::Field(field, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn error(loc: Value, msg: &str) -> FieldError {
        serde_json::from_value(json!({"type": "x", "loc": loc, "msg": msg, "input": null})).unwrap()
    }

    #[test]
    fn files_api_errors_under_their_fields() {
        let mut errors = Errors::default();
        let api = [
            error(json!(["body", "name"]), "Field required"),
            error(json!(["body", "config", "env_vars", "1BAD"]), "bad name"),
            error(json!(["body", "config", "secrets", 0]), "bad secret"),
            error(json!(["body", "config", "connection_test", "timeout"]), "too big"),
            error(json!(["body", "config", "connection_test", "interval_seconds"]), "too small"),
            error(json!(["body", "config", "files", 1, "mode"]), "bad mode"),
            error(json!(["body", "config", "files"]), "too many"),
            error(json!(["body", "tags", 2]), "bad tag"),
            error(json!(["body"]), "whole body"),
        ];
        // The second file sent is the page's fourth row (index 3).
        errors.add_api(&api, &[0, 3]);
        assert_eq!(errors.fields["name"], ["Field required"]);
        assert_eq!(errors.fields["env_vars"], ["1BAD: bad name"]);
        assert_eq!(errors.fields["secrets"], ["line 1: bad secret"]);
        assert_eq!(errors.fields["test_timeout"], ["too big"]);
        assert_eq!(errors.fields["test_interval"], ["too small"]);
        assert_eq!(errors.rows[&3], ["mode: bad mode"]);
        assert_eq!(errors.fields["files"], ["too many"]);
        assert_eq!(errors.fields["tags"], ["tag 3: bad tag"]);
        assert_eq!(errors.general, ["whole body"]);
    }
}
