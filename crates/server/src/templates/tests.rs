//! Every embedded template validates, resolves cleanly given its secrets,
//! and keeps secrets off its connection test's command line.
use super::*;
use patchbay_domain::{Integration, IntegrationConfig, IntegrationStatus, OrganizationId, now_utc};
use patchbay_resolve::{SecretSource, resolve, secret_names};
use std::collections::BTreeSet;

/// A vault holding a recognizable value for every name.
struct AnyVault;

impl SecretSource for AnyVault {
    fn secret(&self, name: &str) -> Option<String> {
        Some(format!("value-of-{name}"))
    }
}

fn integration(template: &IntegrationTemplateResponse) -> Integration {
    let config: IntegrationConfig = serde_json::from_value(template.config.clone()).unwrap();
    Integration {
        id: uuid::Uuid::nil(),
        organization_id: OrganizationId::parse("org").unwrap(),
        name: template.template_id.clone(),
        integration_type: template.integration_type.clone(),
        description: Some(template.description.clone()),
        status: IntegrationStatus::Active,
        config,
        tags: template.tags.clone(),
        created_at: now_utc(),
        updated_at: now_utc(),
        created_by: None,
        revision: 1,
    }
}

/// Names a shell command or text references: `$NAME`, `${NAME}`,
/// `{{.env.NAME}}`, `{{.secret.NAME}}`.
fn references(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let ident = |start: usize| {
        let end = (start..bytes.len()).find(|&i| !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_'));
        &text[start..end.unwrap_or(bytes.len())]
    };
    for (i, _) in text.match_indices('$') {
        let start = if bytes.get(i + 1) == Some(&b'{') { i + 2 } else { i + 1 };
        let name = ident(start);
        // `$0`, `$1`: positional parameters (of an awk or shell script), not env vars.
        if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            names.insert(name.to_owned());
        }
    }
    for marker in ["{{.env.", "{{.secret."] {
        for (i, _) in text.match_indices(marker) {
            names.insert(ident(i + marker.len()).to_owned());
        }
    }
    names
}

#[test]
fn every_file_loads_and_validates_with_the_api_parser() {
    let templates = load().expect("every template is valid");
    assert!(templates.len() >= 16);
    let ids: BTreeSet<&str> = templates.iter().map(|t| t.template_id.as_str()).collect();
    assert_eq!(ids.len(), templates.len(), "template ids are unique");
    for required in [
        "postgres",
        "mysql",
        "mongodb",
        "redis",
        "elasticsearch",
        "rabbitmq",
        "kafka",
        "api",
        "sftp",
        "s3",
        "kubernetes",
        "aws",
        "gcp",
        "github",
        "snowflake",
        "clickhouse",
    ] {
        assert!(ids.contains(required), "missing template {required}");
    }
    for template in &templates {
        assert!(
            !template.name.is_empty() && !template.description.is_empty() && !template.category.is_empty()
        );
        assert!(!template.tags.is_empty(), "{}", template.template_id);
    }
}

#[test]
fn every_template_resolves_cleanly_given_its_secrets() {
    for template in catalogue() {
        let integration = integration(template);
        let declared: BTreeSet<String> = integration
            .config
            .secrets
            .iter()
            .map(|s| s.as_str().to_owned())
            .chain(integration.config.files.iter().filter_map(|f| f.secret_ref.clone()))
            .collect();
        for name in secret_names(std::slice::from_ref(&integration)) {
            assert!(declared.contains(&name), "{}: reads undeclared secret {name}", template.template_id);
        }
        let resolution = resolve(std::slice::from_ref(&integration), &AnyVault);
        assert!(resolution.problems.is_empty(), "{}: {:?}", template.template_id, resolution.problems);
        for file in &resolution.bundle.files {
            for leftover in ["${", "{{."] {
                assert!(
                    !file.content.contains(leftover),
                    "{}: {} keeps {leftover}",
                    template.template_id,
                    file.path
                );
            }
        }
    }
}

#[test]
fn connection_tests_use_defined_names_and_no_secret_on_the_command_line() {
    for template in catalogue() {
        let id = &template.template_id;
        let integration = integration(template);
        let test = integration.config.connection_test.as_ref().unwrap_or_else(|| panic!("{id}: no test"));
        assert!(test.enabled, "{id}");
        let bundle = resolve(std::slice::from_ref(&integration), &AnyVault).bundle;
        let secret_derived: BTreeSet<&str> = bundle.secret_env_vars.iter().map(String::as_str).collect();
        for name in references(&test.command) {
            assert!(
                bundle.env_vars.contains_key(&name),
                "{id}: the test uses ${name}, which it does not define"
            );
            assert!(
                !secret_derived.contains(name.as_str()),
                "{id}: the test puts secret ${name} on its command line"
            );
        }
        for value in bundle.env_vars.values().filter(|v| v.starts_with("value-of-")) {
            assert!(!test.command.contains(value.as_str()), "{id}");
        }
        for file in &integration.config.files {
            for name in references(file.content.as_deref().unwrap_or_default()) {
                assert!(
                    bundle.env_vars.contains_key(&name),
                    "{id}: {} uses undefined {name}",
                    file.path.as_str()
                );
            }
        }
    }
}

#[test]
fn mysql_option_file_gets_its_values() {
    let mysql = integration(find("mysql").unwrap());
    let bundle = resolve(&[mysql], &AnyVault).bundle;
    let cnf = bundle.files.iter().find(|f| f.path == "~/.my.cnf").unwrap();
    assert!(cnf.content.contains("password=value-of-MYSQL_PASSWORD\n"), "{}", cnf.content);
    assert!(cnf.content.contains("host=localhost\n"));
    assert_eq!(cnf.mode, 0o600);
}

#[test]
fn references_are_found_in_every_syntax() {
    let found = references("a $A ${B_1} {{.env.C}} {{.secret.D}} $$ \"$E\"/x");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["A", "B_1", "C", "D", "E"]);
}
