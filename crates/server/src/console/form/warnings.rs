//! Text in the form that looks like a reference but is not one
//! (`{{secrets.NAME}}`): saved as written, so only a warning, beside the env
//! var or the file row it is in. Read from the form's text itself, so the
//! warnings show whether or not the form is otherwise valid.
use super::{IntegrationForm, Source};
use patchbay_resolve::suspicious_references;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Warnings {
    /// For the env vars field: `KEY: message`.
    pub env_vars: Vec<String>,
    /// By file row on the page.
    pub rows: BTreeMap<usize, Vec<String>>,
}

impl Warnings {
    pub fn of(form: &IntegrationForm) -> Self {
        let mut warnings = Self::default();
        for line in form.env_vars.lines() {
            if let Some((key, value)) = line.split_once('=') {
                let key = key.trim();
                warnings.env_vars.extend(
                    suspicious_references(value).into_iter().map(|w| format!("{key}: {}", w.message)),
                );
            }
        }
        for (i, row) in form.files.iter().enumerate() {
            if row.source == Source::Content && !row.remove {
                let found: Vec<String> =
                    suspicious_references(&row.content).into_iter().map(|w| w.message).collect();
                if !found.is_empty() {
                    warnings.rows.insert(i, found);
                }
            }
        }
        warnings
    }

    pub fn is_empty(&self) -> bool {
        self.env_vars.is_empty() && self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::form::FileRow;

    #[test]
    fn warns_beside_the_env_var_and_the_file_row() {
        let form = IntegrationForm {
            env_vars: "TOKEN={{secrets.TOKEN}}\nOK={{.secret.TOKEN}}\nNOT A PAIR {{secrets.X}}\n".into(),
            files: vec![
                FileRow { content: "{{ user }}".into(), ..FileRow::default() },
                FileRow { content: "pw={{env.PW}}".into(), ..FileRow::default() },
                FileRow { content: "{{env.GONE}}".into(), remove: true, ..FileRow::default() },
            ],
            ..IntegrationForm::default()
        };
        let warnings = Warnings::of(&form);
        assert_eq!(warnings.env_vars.len(), 1);
        assert!(
            warnings.env_vars[0].starts_with("TOKEN: `{{secrets.TOKEN}}` is not a reference"),
            "{warnings:?}"
        );
        assert_eq!(warnings.rows.keys().copied().collect::<Vec<_>>(), [1]);
        assert!(warnings.rows[&1][0].contains("{{.env.PW}}"));
    }
}
