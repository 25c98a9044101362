//! The bundle as a whole: inactive integrations, the prompt context, the
//! integration metadata, `secret_names`, and every problem at once.
use super::*;
use crate::{IntegrationRef, secret_names};

fn two_integrations() -> Vec<Integration> {
    vec![
        integration("prod-db", "postgres")
            .env("DB_HOST", "db.internal")
            .env("DB_URL", "postgres://app:${DB_PASSWORD}@${DB_HOST}/app")
            .secret("DB_PASSWORD")
            .prompt("Production database: read-only queries."),
        integration("notes", "custom").file(content_file("notes.txt", "hi")),
    ]
}

#[test]
fn context_prompt_follows_the_reference_exactly() {
    let vault = Vault::with(&[("DB_PASSWORD", "pw")]);
    let resolution = resolve_ok(&two_integrations(), &vault);
    assert_eq!(
        resolution.bundle.context_prompt,
        "## Available Integrations\n\n\
         The following integrations are configured and available for use:\n\n\
         \n### prod-db (postgres)\n\
         - Available environment variables: DB_HOST, DB_URL, DB_PASSWORD\n\
         - Production database: read-only queries.\n\
         \n### notes (custom)"
    );
    assert!(!resolution.bundle.context_prompt.contains("pw"));
    assert!(!resolution.bundle.context_prompt.contains("db.internal"));
}

#[test]
fn context_prompt_is_empty_without_active_integrations() {
    let resolution = resolve(&[], &Vault::default());
    assert_eq!(resolution, Resolution::default());
    let idle = integration("idle", "custom").status(IntegrationStatus::Inactive).prompt("p");
    assert_eq!(resolve(&[idle], &Vault::default()).bundle.context_prompt, "");
}

#[test]
fn empty_context_prompt_adds_no_line() {
    let app = integration("app", "custom").secret("S").prompt("");
    let resolution = resolve_ok(&[app], &Vault::with(&[("S", "s")]));
    assert!(
        resolution
            .bundle
            .context_prompt
            .ends_with("\n### app (custom)\n- Available environment variables: S")
    );
}

#[test]
fn integrations_are_listed_with_their_revision() {
    let integrations = two_integrations();
    let resolution = resolve_ok(&integrations, &Vault::with(&[("DB_PASSWORD", "pw")]));
    let expected: Vec<IntegrationRef> = integrations
        .iter()
        .map(|integration| IntegrationRef {
            id: integration.id,
            name: integration.name.clone(),
            integration_type: integration.integration_type.clone(),
            revision: 3,
        })
        .collect();
    assert_eq!(resolution.bundle.integrations, expected);
}

#[test]
fn inactive_and_deleted_integrations_are_reported_and_skipped() {
    let vault = Vault::with(&[("S", "s")]);
    let integrations = vec![
        integration("old", "custom")
            .status(IntegrationStatus::Inactive)
            .env("X", "{{.secret.S}}")
            .secret("S"),
        integration("live", "custom").env("Y", "y"),
        integration("gone", "custom").status(IntegrationStatus::Deleted).file(secret_file("f", "S")),
    ];
    let resolution = resolve(&integrations, &vault);
    assert_eq!(
        problems(&resolution),
        vec![
            (
                ProblemKind::IntegrationNotActive,
                "integrations/old".to_owned(),
                "integration `old` is inactive; only active integrations can be resolved".to_owned()
            ),
            (
                ProblemKind::IntegrationNotActive,
                "integrations/gone".to_owned(),
                "integration `gone` is deleted; only active integrations can be resolved".to_owned()
            ),
        ]
    );
    assert_eq!(env_pairs(&resolution), vec![("Y", "y")]);
    assert!(resolution.bundle.files.is_empty());
    assert_eq!(resolution.bundle.integrations.len(), 1);
    assert!(!resolution.bundle.context_prompt.contains("old"));
    assert!(vault.reads().is_empty(), "no secret of an inactive integration is read");
    assert!(secret_names(&integrations).is_empty());
}

#[test]
fn an_inactive_integration_does_not_define_names_for_others() {
    let integrations = vec![
        integration("old", "custom").status(IntegrationStatus::Inactive).env("HOST", "h"),
        integration("live", "custom").env("URL", "${HOST}"),
    ];
    let kinds: Vec<ProblemKind> =
        resolve(&integrations, &Vault::default()).problems.iter().map(|problem| problem.kind).collect();
    assert_eq!(kinds, vec![ProblemKind::IntegrationNotActive, ProblemKind::UndefinedReference]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let integrations = vec![
        integration("a", "custom").env("LOOP", "${LOOP}").env("REGION", "eu").secret("NOT_IN_VAULT"),
        integration("b", "custom").env("REGION", "us").env("BROKEN", "${NOPE}"),
    ];
    let resolution = resolve(&integrations, &Vault::default());
    let kinds: Vec<ProblemKind> = resolution.problems.iter().map(|problem| problem.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ProblemKind::ReferenceCycle,
            ProblemKind::EnvVarConflict,
            ProblemKind::MissingSecret,
            ProblemKind::UndefinedReference,
        ]
    );
    assert!(resolution.bundle.env_vars.is_empty());
}

#[test]
fn all_seven_kinds_in_one_resolution() {
    let integrations = vec![
        integration("a", "custom")
            .env("LOOP", "${LOOP}")
            .env("REGION", "eu")
            .secret("NOT_IN_VAULT")
            .file(content_file("n.txt", "one"))
            .file(FileSpec { content: None, ..content_file("empty", "") }),
        integration("b", "custom")
            .env("REGION", "us")
            .env("BROKEN", "${NOPE}")
            .file(content_file("n.txt", "two")),
        integration("c", "custom").status(IntegrationStatus::Inactive),
    ];
    let mut kinds: Vec<&str> = resolve(&integrations, &Vault::default())
        .problems
        .iter()
        .map(|problem| problem.kind.as_str())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        vec![
            "env_var_conflict",
            "file_conflict",
            "file_without_content",
            "integration_not_active",
            "missing_secret",
            "reference_cycle",
            "undefined_reference",
        ]
    );
}

#[test]
fn secret_names_are_deduplicated_in_first_seen_order() {
    let mut content_and_ref = content_file("c", "{{ .secret.IN_CONTENT }} {{.secret.B}}");
    content_and_ref.secret_ref = Some("IGNORED_REF".to_owned());
    let integrations = vec![
        integration("a", "custom")
            .env("X", "{{.secret.db.pass}} ${NOT_A_SECRET} {{.env.NOR_THIS}}")
            .env("Y", "{{.secret.B}}{{.secret.db.pass}}")
            .secret("B")
            .secret("C")
            .file(secret_file("f", "CERT"))
            .file(content_and_ref),
        integration("b", "custom").secret("C").env("Z", "$${{.secret.D}}").file(secret_file("g", "CERT")),
    ];
    assert_eq!(secret_names(&integrations), vec!["db.pass", "B", "C", "CERT", "IN_CONTENT", "D"]);
}

#[test]
fn resolution_reads_only_named_secrets_each_once() {
    let vault = Vault::with(&[("DB_PASSWORD", "pw"), ("PG_CERT", "cert"), ("UNUSED", "u")]);
    let mut integrations = two_integrations();
    integrations.push(
        integration("more", "custom")
            .env("AGAIN", "{{.secret.DB_PASSWORD}}{{.secret.PG_CERT}}")
            .file(secret_file("c", "PG_CERT")),
    );
    resolve_ok(&integrations, &vault);
    let names = secret_names(&integrations);
    let mut reads = vault.reads();
    assert!(reads.iter().all(|read| names.contains(read)), "{reads:?} not within {names:?}");
    reads.sort_unstable();
    assert_eq!(reads, vec!["DB_PASSWORD", "PG_CERT"]);
}

#[test]
fn a_dry_run_source_masks_every_secret() {
    struct Masked;
    impl SecretSource for Masked {
        fn secret(&self, _name: &str) -> Option<String> {
            Some("***".to_owned())
        }
    }
    let resolution = resolve(&two_integrations(), &Masked);
    assert_eq!(resolution.problems, vec![]);
    assert_eq!(resolution.bundle.env_vars["DB_URL"], "postgres://app:***@db.internal/app");
    assert_eq!(resolution.bundle.secret_env_vars, vec!["DB_URL", "DB_PASSWORD"]);
}
