//! Giving a config's vault secrets other names: how a second integration
//! made from one template gets its own secrets instead of sharing the
//! first one's (`PGPASSWORD` of the template becomes `ANALYTICS_PGPASSWORD`
//! in the vault, while the agent still sees `PGPASSWORD`).
use crate::template::{Piece, Pieces};
use patchbay_domain::IntegrationConfig;

/// `config` with every reference to a secret that `new_name` renames
/// pointing at the new name:
/// - `{{.secret.OLD}}` in env values and file contents;
/// - a file's `secret_ref`;
/// - a name in `secrets`, which injects the secret as the env var of the
///   same name: it leaves the list, and the env var keeps its name with the
///   value `{{.secret.NEW}}`, so the agent's environment is unchanged.
pub fn rename_secrets(
    config: &IntegrationConfig,
    new_name: &dyn Fn(&str) -> Option<String>,
) -> IntegrationConfig {
    let mut renamed = config.clone();
    for value in renamed.env_vars.values_mut() {
        *value = rename_in(value, new_name);
    }
    let mut kept = Vec::with_capacity(config.secrets.len());
    for secret in &config.secrets {
        match new_name(secret.as_str()) {
            Some(new) if !renamed.env_vars.contains_key(secret) => {
                renamed.env_vars.insert(secret.clone(), format!("{{{{.secret.{new}}}}}"));
            }
            // The config also sets that env var itself: its own value stays,
            // and the listed secret, which would only clash with it, goes.
            Some(_) => {}
            None => kept.push(secret.clone()),
        }
    }
    renamed.secrets = kept;
    for file in &mut renamed.files {
        if let Some(content) = &file.content {
            file.content = Some(rename_in(content, new_name));
        }
        if let Some(new) = file.secret_ref.as_deref().and_then(new_name) {
            file.secret_ref = Some(new);
        }
    }
    renamed
}

/// `template` with each renamed `{{.secret.OLD}}` written `{{.secret.NEW}}`;
/// every other byte as it was (escapes included).
fn rename_in(template: &str, new_name: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut copied = 0;
    for piece in Pieces::new(template) {
        let Piece::Secret { name, raw } = piece else { continue };
        let Some(new) = new_name(name) else { continue };
        // Pieces borrow from `template`, so their offset is their address's.
        let start = raw.as_ptr() as usize - template.as_ptr() as usize;
        out.push_str(&template[copied..start]);
        out.push_str(&format!("{{{{.secret.{new}}}}}"));
        copied = start + raw.len();
    }
    out.push_str(&template[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_domain::{EnvVarName, FilePath, FileSpec};

    fn prefixed(name: &str) -> Option<String> {
        (name != "KEEP").then(|| format!("B_{name}"))
    }

    #[test]
    fn references_are_renamed_and_everything_else_kept_byte_for_byte() {
        assert_eq!(
            rename_in("$$x {{ .secret.PW }}-${PW}-{{.env.PW}}-{{.secret.KEEP}}$${{.secret.PW}}", &prefixed),
            "$$x {{.secret.B_PW}}-${PW}-{{.env.PW}}-{{.secret.KEEP}}$${{.secret.B_PW}}"
        );
        assert_eq!(rename_in("no references, {{ user }}", &prefixed), "no references, {{ user }}");
        assert_eq!(rename_in("", &prefixed), "");
    }

    #[test]
    fn a_listed_secret_keeps_its_env_var_name() {
        let name = |n: &str| EnvVarName::parse(n).unwrap();
        let mut config = IntegrationConfig::default();
        config.env_vars.insert(name("URL"), "postgres://u:{{.secret.PGPASSWORD}}@h".into());
        config.env_vars.insert(name("SET_HERE"), "literal".into());
        config.secrets = vec![name("PGPASSWORD"), name("KEEP"), name("SET_HERE")];
        config.files.push(FileSpec {
            path: FilePath::parse("~/cert").unwrap(),
            content: None,
            secret_ref: Some("CERT".into()),
            mode: None,
            description: None,
        });
        let renamed = rename_secrets(&config, &prefixed);
        assert_eq!(renamed.secrets, [name("KEEP")]);
        let env: Vec<(&str, &str)> = renamed.env_vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            env,
            [
                ("URL", "postgres://u:{{.secret.B_PGPASSWORD}}@h"),
                ("SET_HERE", "literal"),
                ("PGPASSWORD", "{{.secret.B_PGPASSWORD}}"),
            ]
        );
        assert_eq!(renamed.files[0].secret_ref.as_deref(), Some("B_CERT"));
    }
}
