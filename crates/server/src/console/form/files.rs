//! The form's files, one row each: a path, where its content comes from
//! (text typed here, or a vault secret), a mode and a description.
//!
//! Rows are repeated fields (`file_path`, `file_source`, ...), one of each
//! per row and always sent (a select and a text field are always part of a
//! submission), so the n-th of every name is the n-th row. Only the
//! "remove" checkbox is sent when ticked, so its value is the row's number.
use crate::console::Fields;
use crate::console::lines::{self, LineEndings};
use patchbay_domain::FileSpec;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Where a file's content comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    #[default]
    Content,
    Secret,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Content => "content",
            Self::Secret => "secret",
        }
    }
}

/// One file row as typed (or as loaded), kept verbatim across a 422.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRow {
    pub path: String,
    pub source: Source,
    /// With LF line breaks, as a textarea holds it; `endings` says how it is saved.
    pub content: String,
    pub endings: LineEndings,
    /// The stored content the row was loaded with: sent back unchanged,
    /// byte for byte (even with mixed line endings), unless it was edited.
    pub original: Option<String>,
    pub secret_ref: String,
    pub mode: String,
    pub description: String,
    /// The row's "remove" box was ticked: the file is dropped on save.
    pub remove: bool,
}

impl FileRow {
    /// The rows of a submitted form, in page order.
    pub fn from_fields(fields: &Fields) -> Vec<Self> {
        let paths = fields.all("file_path");
        let column = |name: &str| {
            let mut values: Vec<&str> = fields.all(name);
            values.resize(paths.len(), "");
            values
        };
        let (sources, contents, endings) =
            (column("file_source"), column("file_content"), column("file_endings"));
        let (secrets, modes, descriptions) =
            (column("file_secret"), column("file_mode"), column("file_description"));
        let originals = column("file_original");
        let removed: BTreeSet<usize> =
            fields.all("file_remove").iter().filter_map(|n| n.parse().ok()).collect();
        paths
            .iter()
            .enumerate()
            .map(|(i, path)| Self {
                path: (*path).to_owned(),
                source: if sources[i] == "secret" { Source::Secret } else { Source::Content },
                content: contents[i].to_owned(),
                endings: LineEndings::parse(endings[i]),
                original: serde_json::from_str(originals[i]).ok(),
                secret_ref: secrets[i].to_owned(),
                mode: modes[i].to_owned(),
                description: descriptions[i].to_owned(),
                remove: removed.contains(&i),
            })
            .collect()
    }

    /// A row showing a stored file. A file with both `content` and
    /// `secret_ref` shows its content, which is what resolution uses.
    pub fn from_spec(file: &FileSpec) -> Self {
        let (source, content, secret_ref) = match (&file.content, &file.secret_ref) {
            (None, Some(secret)) => (Source::Secret, String::new(), secret.clone()),
            (content, _) => (Source::Content, content.clone().unwrap_or_default(), String::new()),
        };
        Self {
            path: file.path.to_string(),
            source,
            endings: LineEndings::of(&content),
            content: LineEndings::Lf.apply(&content),
            original: file.content.clone(),
            secret_ref,
            mode: file.mode.as_ref().map(|m| m.as_str().to_owned()).unwrap_or_default(),
            description: file.description.clone().unwrap_or_default(),
            remove: false,
        }
    }

    /// A row with nothing typed in it (the spare row for a new file).
    pub fn is_blank(&self) -> bool {
        [&self.path, &self.content, &self.secret_ref, &self.description].iter().all(|s| s.trim().is_empty())
    }

    /// The file as a client would send it; a blank mode is left out, so the
    /// API's default applies.
    pub fn to_json(&self) -> Value {
        let mut file = Map::new();
        file.insert("path".into(), json!(self.path));
        match self.source {
            Source::Content => file.insert("content".into(), json!(self.content_to_save())),
            Source::Secret => file.insert("secret_ref".into(), json!(self.secret_ref.trim())),
        };
        if !self.mode.trim().is_empty() {
            file.insert("mode".into(), json!(self.mode.trim()));
        }
        if !self.description.trim().is_empty() {
            file.insert("description".into(), json!(self.description));
        }
        Value::Object(file)
    }
}

impl FileRow {
    /// The content as saved: the stored one when neither the text nor the
    /// line endings were changed, otherwise the text with the chosen endings.
    fn content_to_save(&self) -> String {
        match &self.original {
            Some(original)
                if lines::to_lf(original) == self.content && LineEndings::of(original) == self.endings =>
            {
                original.clone()
            }
            _ => self.endings.apply(&self.content),
        }
    }

    /// The stored content as the hidden field carries it (JSON, so that no
    /// line break is rewritten on the way), or "".
    pub fn original_field(&self) -> String {
        self.original.as_ref().and_then(|o| serde_json::to_string(o).ok()).unwrap_or_default()
    }
}

/// The files to send, as JSON, and the page row each came from.
pub fn to_send(rows: &[FileRow]) -> (Vec<Value>, Vec<usize>) {
    rows.iter()
        .enumerate()
        .filter(|(_, row)| !row.remove && !row.is_blank())
        .map(|(i, row)| (row.to_json(), i))
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        Fields::parse(body.as_bytes())
    }

    fn row(path: &str, content: &str, mode: &str) -> [(&'static str, String); 7] {
        [
            ("file_path", path.into()),
            ("file_source", "content".into()),
            ("file_content", content.into()),
            ("file_endings", "lf".into()),
            ("file_secret", String::new()),
            ("file_mode", mode.into()),
            ("file_description", String::new()),
        ]
    }

    #[test]
    fn rows_pair_up_by_position_and_skip_blank_and_removed_ones() {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        pairs.extend(row("~/.a", "a\r\nb\r\n", "0600"));
        pairs.extend([
            ("file_path", "~/.pgpass".into()),
            ("file_source", "secret".into()),
            ("file_content", String::new()),
            ("file_endings", "crlf".into()),
            ("file_secret", " PGPASS ".into()),
            ("file_mode", String::new()),
            ("file_description", "the password file".into()),
        ]);
        pairs.extend(row("~/.gone", "x", ""));
        pairs.extend(row("", "", "0644"));
        pairs.push(("file_remove", "2".into()));
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let rows = FileRow::from_fields(&fields(&pairs));
        assert_eq!(rows.len(), 4);
        assert!(rows[2].remove && rows[3].is_blank());
        let (files, sent) = to_send(&rows);
        assert_eq!(sent, [0, 1]);
        assert_eq!(files[0], json!({"path": "~/.a", "content": "a\nb\n", "mode": "0600"}));
        assert_eq!(
            files[1],
            json!({"path": "~/.pgpass", "secret_ref": "PGPASS", "description": "the password file"})
        );
    }

    #[test]
    fn crlf_content_keeps_its_line_endings_through_the_form() {
        let spec: FileSpec = serde_json::from_value(json!({"path": "~/w.ini", "content": "a\r\nb\r\n",
            "secret_ref": null, "mode": "0644", "description": null}))
        .unwrap();
        let row = FileRow::from_spec(&spec);
        assert_eq!((row.content.as_str(), row.endings), ("a\nb\n", LineEndings::CrLf));
        assert_eq!(row.to_json()["content"], "a\r\nb\r\n");
    }

    #[test]
    fn unedited_content_is_saved_as_stored_and_edited_content_with_the_chosen_endings() {
        let mixed = "a\r\nb\nc";
        let loaded = FileRow::from_spec(
            &serde_json::from_value(json!({"path": "~/m", "content": mixed,
            "secret_ref": null, "mode": null, "description": null}))
            .unwrap(),
        );
        let submitted = |content: &str, endings: &str| {
            let original = loaded.original_field();
            let pairs = [
                ("file_path", "~/m"),
                ("file_source", "content"),
                ("file_content", content),
                ("file_endings", endings),
                ("file_original", original.as_str()),
            ];
            FileRow::from_fields(&fields(&pairs)).remove(0).to_json()["content"].clone()
        };
        assert_eq!(submitted("a\r\nb\r\nc", "crlf"), mixed, "a browser's CRLF for an untouched text");
        assert_eq!(submitted("a\nb\nc", "lf"), "a\nb\nc", "the endings were changed");
        assert_eq!(submitted("a\nb\nc!", "crlf"), "a\r\nb\r\nc!", "the text was edited");
    }
}
