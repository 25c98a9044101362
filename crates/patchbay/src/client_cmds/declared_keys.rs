//! The keys a declaration may hold, level by level. The API ignores a key
//! it does not know, so a mistyped one (`env_var:`, `conection_test:`)
//! would apply as an empty field with exit 0; `apply` refuses it instead,
//! naming the closest known key.
use crate::suggest::closest;
use serde_json::Value;

const TOP: &[&str] = &["name", "integration_type", "description", "config", "tags"];
const CONFIG: &[&str] =
    &["env_vars", "secrets", "files", "context_prompt", "connection_test", "dynamic_credentials"];
const FILE: &[&str] = &["path", "content", "secret_ref", "mode", "description"];
const TEST: &[&str] = &["command", "timeout", "enabled", "interval_seconds"];
const LEASE: &[&str] = &["provider", "role", "ttl_seconds", "env"];
const LEASE_ENV: &[&str] = &["username", "password"];

/// `path: unknown key; did you mean "x"?` for every unknown key of `body`,
/// the path dotted from the declaration's top (`config.files.0.conten`).
pub fn unknown_keys(body: &Value) -> Vec<String> {
    let mut found = Vec::new();
    // At the top, a config key written one level too high is suggested
    // with its place (`env_vars` → `config.env_vars`).
    let top: Vec<(String, &str)> = TOP
        .iter()
        .map(|k| ((*k).to_owned(), *k))
        .chain(CONFIG.iter().map(|k| (format!("config.{k}"), *k)))
        .collect();
    check(body, "", TOP, &top, &mut found);
    let Some(config) = body.get("config") else { return found };
    check(config, "config.", CONFIG, &level(CONFIG), &mut found);
    if let Some(files) = config.get("files").and_then(Value::as_array) {
        for (index, file) in files.iter().enumerate() {
            check(file, &format!("config.files.{index}."), FILE, &level(FILE), &mut found);
        }
    }
    if let Some(test) = config.get("connection_test") {
        check(test, "config.connection_test.", TEST, &level(TEST), &mut found);
    }
    if let Some(leases) = config.get("dynamic_credentials").and_then(Value::as_array) {
        for (index, lease) in leases.iter().enumerate() {
            let at = format!("config.dynamic_credentials.{index}.");
            check(lease, &at, LEASE, &level(LEASE), &mut found);
            if let Some(env) = lease.get("env") {
                check(env, &format!("{at}env."), LEASE_ENV, &level(LEASE_ENV), &mut found);
            }
        }
    }
    found
}

fn level(keys: &[&'static str]) -> Vec<(String, &'static str)> {
    keys.iter().map(|k| ((*k).to_owned(), *k)).collect()
}

/// An object's keys that are not among `own`; a suggestion is taken from
/// `suggestions` (shown as its first element, compared by its second).
fn check(value: &Value, prefix: &str, own: &[&str], suggestions: &[(String, &str)], found: &mut Vec<String>) {
    let Some(object) = value.as_object() else { return };
    for key in object.keys().filter(|key| !own.contains(&key.as_str())) {
        let hint = match closest(key, suggestions.iter().map(|(_, bare)| *bare)) {
            Some(meant) => {
                let shown = suggestions.iter().find(|(_, bare)| *bare == meant).map_or(meant, |(s, _)| s);
                format!("; did you mean {shown:?}?")
            }
            None => format!(" (known: {})", own.join(", ")),
        };
        found.push(format!("{prefix}{key}: unknown key{hint}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_domain::IntegrationConfig;

    #[test]
    fn typos_are_named_with_the_key_meant() {
        let body = serde_json::json!({
            "name": "x", "integration_type": "api", "tag": ["a"], "env_var": {"A": "1"},
            "config": {"secret": ["S"], "conection_test": {"command": "true", "timout": 5},
                       "files": [{"path": "a", "conten": "b"}]}
        });
        let found = unknown_keys(&body);
        assert_eq!(
            found,
            [
                r#"tag: unknown key; did you mean "tags"?"#,
                r#"env_var: unknown key; did you mean "config.env_vars"?"#,
                r#"config.secret: unknown key; did you mean "secrets"?"#,
                r#"config.conection_test: unknown key; did you mean "connection_test"?"#,
                r#"config.files.0.conten: unknown key; did you mean "content"?"#,
            ]
        );
        let body = serde_json::json!({"name": "x", "zzz": 1});
        assert_eq!(
            unknown_keys(&body),
            ["zzz: unknown key (known: name, integration_type, description, config, tags)"]
        );
    }

    /// What `integrations export` writes (a stored config with every field
    /// set) must read back without a complaint.
    #[test]
    fn every_key_export_writes_is_known() {
        let config: IntegrationConfig = serde_json::from_value(serde_json::json!({
            "env_vars": {"A": "1"}, "secrets": ["S"], "context_prompt": "p",
            "files": [{"path": "a", "content": "b", "secret_ref": "S", "mode": "0600", "description": "d"}],
            "connection_test": {"enabled": true, "command": "true", "timeout": 5, "interval_seconds": 60},
            "dynamic_credentials": [{"provider": "pg", "role": "readonly", "ttl_seconds": 600,
                                     "env": {"username": "PGUSER", "password": "PGPASSWORD"}}]
        }))
        .unwrap();
        let body = serde_json::json!({
            "name": "x", "integration_type": "api", "description": "d", "tags": [], "config": config
        });
        assert_eq!(unknown_keys(&body), Vec::<String>::new());
    }

    #[test]
    fn a_mistyped_lease_key_is_named_with_its_place() {
        let body = serde_json::json!({"name": "x", "config": {"dynamic_credentials": [
            {"provider": "pg", "rol": "readonly", "env": {"usernme": "U"}}
        ]}});
        assert_eq!(
            unknown_keys(&body),
            [
                r#"config.dynamic_credentials.0.rol: unknown key; did you mean "role"?"#,
                r#"config.dynamic_credentials.0.env.usernme: unknown key; did you mean "username"?"#,
            ]
        );
    }
}
