//! A request built from flags is explained in flags: `--type is required`,
//! `--env 1BAD: ...`, not `body.integration_type: Field required`. The
//! user never wrote a body; the API's field paths mean nothing to them.
use patchbay_api_types::LocItem;
use serde_json::Value;

/// How one command's flags name the fields of the request it sends.
pub struct FlagWords {
    /// `--name` (create) or `--rename` (update).
    name: &'static str,
    /// The `-f` file the body came from: its fields are named by their
    /// path in it, after the file's name.
    file: Option<String>,
}

impl FlagWords {
    pub fn create(file: Option<&std::path::Path>) -> Self {
        Self { name: "--name", file: file.map(|f| f.display().to_string()) }
    }

    pub fn update() -> Self {
        Self { name: "--rename", file: None }
    }

    /// One problem, in the words of the command line.
    pub fn problem(&self, loc: &[LocItem], msg: &str, input: &Value) -> String {
        let path: Vec<String> = loc
            .iter()
            .skip_while(|item| matches!(item, LocItem::Key(key) if key == "body"))
            .map(|item| match item {
                LocItem::Key(key) => key.clone(),
                LocItem::Index(index) => index.to_string(),
            })
            .collect();
        let field = path.join(".");
        let flag = match &self.file {
            Some(file) => Some(format!("{file}: {field}")),
            None => self.flag(&path, input),
        };
        match (flag, msg) {
            (Some(flag), "Field required") => format!("{flag} is required"),
            (Some(flag), _) => format!("{flag}: {msg}"),
            (None, _) if field.is_empty() => msg.to_owned(),
            (None, _) => format!("{field}: {msg}"),
        }
    }

    /// The flag that set the field at `path` (below `body`; the config's
    /// fields sit under `config` on create and update, at the top on a
    /// create from a template), with the value it was given when several
    /// values share the flag.
    fn flag(&self, path: &[String], input: &Value) -> Option<String> {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let keys = match keys.as_slice() {
            ["config", rest @ ..] if !rest.is_empty() => rest,
            all => all,
        };
        let given = |flag: &str| match input {
            Value::String(value) => format!("{flag} {value}"),
            _ => flag.to_owned(),
        };
        Some(match keys {
            ["name", ..] => self.name.to_owned(),
            ["integration_type", ..] => "--type".to_owned(),
            ["description", ..] => "--description".to_owned(),
            ["status", ..] => "--status".to_owned(),
            ["tags", ..] => given("--tag"),
            ["env_vars", key, ..] => format!("--env {key}"),
            ["env_vars"] => "--env".to_owned(),
            ["secrets", ..] => given("--secret"),
            ["context_prompt", ..] => "--context-prompt".to_owned(),
            ["files", ..] => "--file".to_owned(),
            ["connection_test", "timeout", ..] => "--test-timeout".to_owned(),
            ["connection_test", "interval_seconds", ..] => "--test-interval".to_owned(),
            ["connection_test", ..] => "--test-command".to_owned(),
            ["secret_prefix", ..] => "--secret-prefix".to_owned(),
            ["secret_names", ..] => "--secret-name".to_owned(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::FlagWords;
    use patchbay_api_types::LocItem;
    use serde_json::{Value, json};

    fn loc(path: &str) -> Vec<LocItem> {
        path.split('.')
            .map(|part| part.parse().map_or_else(|_| LocItem::Key(part.to_owned()), LocItem::Index))
            .collect()
    }

    #[test]
    fn fields_are_named_by_the_flags_that_set_them() {
        let create = FlagWords::create(None);
        let say = |path: &str, msg: &str, input: Value| create.problem(&loc(path), msg, &input);
        assert_eq!(say("body.integration_type", "Field required", Value::Null), "--type is required");
        assert_eq!(say("body.name", "too short", json!("")), "--name: too short");
        assert_eq!(say("body.config.env_vars.1BAD.[key]", "bad", json!("1BAD")), "--env 1BAD: bad");
        assert_eq!(say("body.env_vars.1BAD.[key]", "bad", json!("1BAD")), "--env 1BAD: bad");
        assert_eq!(say("body.secrets.0", "bad", json!("NO-DASH")), "--secret NO-DASH: bad");
        assert_eq!(say("body.config.connection_test.timeout", "big", json!(999)), "--test-timeout: big");
        assert_eq!(
            say("body.config.connection_test.interval_seconds", "small", json!(0)),
            "--test-interval: small"
        );
        assert_eq!(say("body.something_new", "odd", Value::Null), "something_new: odd");
        assert_eq!(FlagWords::update().problem(&loc("body.name"), "bad", &json!("")), "--rename: bad");

        let file = FlagWords::create(Some(std::path::Path::new("db.yaml")));
        let said = file.problem(&loc("body.config.env_vars.X"), "Input should be a valid string", &json!(5));
        assert_eq!(said, "db.yaml: config.env_vars.X: Input should be a valid string");
    }
}
