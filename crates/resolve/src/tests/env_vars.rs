//! Env vars: the grammar end to end, references in dependency order,
//! cycles, undefined names, missing secrets, conflicts and secret taint.
use super::*;

fn one(name: &str, value: &str) -> Vec<Integration> {
    vec![integration("app", "custom").env(name, value)]
}

fn value_of(integrations: &[Integration], vault: &Vault, name: &str) -> String {
    resolve_ok(integrations, vault).bundle.env_vars[name].clone()
}

#[test]
fn literal_values_pass_through() {
    let vault = Vault::default();
    assert_eq!(value_of(&one("X", "plain value"), &vault, "X"), "plain value");
    assert_eq!(value_of(&one("X", ""), &vault, "X"), "");
}

#[test]
fn every_syntax_resolves() {
    let vault = Vault::with(&[("api.key-1", "s3cr3t")]);
    let integrations = vec![
        integration("app", "custom")
            .env("HOST", "db")
            .env("DOLLAR", "${HOST}")
            .env("GO", "{{.env.HOST}}")
            .env("GO_SPACED", "{{ .env.HOST }}")
            .env("SECRET", "{{.secret.api.key-1}}")
            .env("SECRET_SPACED", "key={{ .secret.api.key-1 }};")
            .env("ESCAPED", "$$HOST costs $$5")
            .env("LONE", "$HOME and $ and ${ and ${HOST and ${1}")
            .env("TRIPLE", "$$${HOST}|$$$HOST")
            .env("JINJA", "{{ user }} {% raw %}{{.Values.x}}")
            .env("UNTERMINATED", "{{.env.HOST"),
    ];
    let resolution = resolve_ok(&integrations, &vault);
    assert_eq!(
        env_pairs(&resolution),
        vec![
            ("HOST", "db"),
            ("DOLLAR", "db"),
            ("GO", "db"),
            ("GO_SPACED", "db"),
            ("SECRET", "s3cr3t"),
            ("SECRET_SPACED", "key=s3cr3t;"),
            ("ESCAPED", "$HOST costs $5"),
            ("LONE", "$HOME and $ and ${ and ${HOST and ${1}"),
            ("TRIPLE", "$db|$$HOST"),
            ("JINJA", "{{ user }} {% raw %}{{.Values.x}}"),
            ("UNTERMINATED", "{{.env.HOST"),
        ]
    );
    assert_eq!(resolution.bundle.secret_env_vars, vec!["SECRET", "SECRET_SPACED"]);
}

#[test]
fn inserted_values_are_not_expanded_again() {
    let vault = Vault::with(&[("PW", "pa$$w0rd ${HOST}")]);
    let integrations =
        vec![integration("app", "custom").env("URL", "u:${PW}@x").env("HOST", "h").secret("PW")];
    let resolution = resolve_ok(&integrations, &vault);
    assert_eq!(
        env_pairs(&resolution),
        vec![("URL", "u:pa$$w0rd ${HOST}@x"), ("HOST", "h"), ("PW", "pa$$w0rd ${HOST}")]
    );
}

#[test]
fn listed_secrets_follow_env_vars_in_bundle_order() {
    let vault = Vault::with(&[("TOKEN", "t"), ("KEY", "k")]);
    let integrations = vec![
        integration("a", "custom").secret("TOKEN").env("A1", "1").env("A2", "2"),
        integration("b", "custom").env("B1", "${KEY}").secret("KEY"),
    ];
    let resolution = resolve_ok(&integrations, &vault);
    assert_eq!(
        env_pairs(&resolution),
        vec![("A1", "1"), ("A2", "2"), ("TOKEN", "t"), ("B1", "k"), ("KEY", "k")]
    );
    assert_eq!(resolution.bundle.secret_env_vars, vec!["TOKEN", "B1", "KEY"]);
}

#[test]
fn references_resolve_in_dependency_order_across_integrations() {
    let vault = Vault::with(&[("DB_PASSWORD", "pw")]);
    let integrations = vec![
        integration("web", "custom").env("DSN", "${DB_URL}?sslmode=${SSL}").env("SSL", "require"),
        integration("db", "postgres")
            .env("DB_URL", "postgres://app:{{.env.DB_PASSWORD}}@${DB_HOST}:${DB_PORT}/app")
            .env("DB_HOST", "db.internal")
            .env("DB_PORT", "5432")
            .secret("DB_PASSWORD"),
    ];
    let resolution = resolve_ok(&integrations, &vault);
    assert_eq!(resolution.bundle.env_vars["DSN"], "postgres://app:pw@db.internal:5432/app?sslmode=require");
    assert_eq!(resolution.bundle.env_vars.keys().next().unwrap(), "DSN", "bundle order is config order");
    // The secret taints every var that holds it, however indirectly.
    assert_eq!(resolution.bundle.secret_env_vars, vec!["DSN", "DB_URL", "DB_PASSWORD"]);
}

#[test]
fn self_reference_is_a_cycle() {
    let resolution = resolve(&one("A", "x${A}"), &Vault::default());
    assert_eq!(
        problems(&resolution),
        vec![(
            ProblemKind::ReferenceCycle,
            "integrations/app/config/env_vars/A".to_owned(),
            "env vars reference each other in a cycle: A -> A".to_owned()
        )]
    );
    assert!(resolution.bundle.env_vars.is_empty());
}

#[test]
fn three_cycle_is_named_in_order_once() {
    let integrations = vec![
        integration("one", "custom").env("OK", "fine").env("A", "${B}"),
        integration("two", "custom").env("B", "{{.env.C}}").env("C", "${A}/${A}").env("AFTER", "${B}!"),
    ];
    let resolution = resolve(&integrations, &Vault::default());
    assert_eq!(
        problems(&resolution),
        vec![(
            ProblemKind::ReferenceCycle,
            "integrations/one/config/env_vars/A".to_owned(),
            "env vars reference each other in a cycle: A -> B -> C -> A".to_owned()
        )]
    );
    // Vars on the cycle and the var that depends on it are left out.
    assert_eq!(env_pairs(&resolution), vec![("OK", "fine")]);
}

#[test]
fn two_distinct_cycles_are_two_problems() {
    let integrations = vec![
        integration("app", "custom").env("A", "${B}").env("B", "${A}").env("C", "${D}").env("D", "${C}"),
    ];
    let messages: Vec<String> =
        problems(&resolve(&integrations, &Vault::default())).into_iter().map(|p| p.2).collect();
    assert_eq!(
        messages,
        vec![
            "env vars reference each other in a cycle: A -> B -> A",
            "env vars reference each other in a cycle: C -> D -> C"
        ]
    );
}

#[test]
fn a_cycle_var_still_reports_its_other_problems() {
    let resolution = resolve(&one("A", "${A}${NOPE}{{.secret.GONE}}"), &Vault::default());
    let kinds: Vec<ProblemKind> = resolution.problems.iter().map(|problem| problem.kind).collect();
    assert_eq!(
        kinds,
        vec![ProblemKind::ReferenceCycle, ProblemKind::UndefinedReference, ProblemKind::MissingSecret]
    );
}

#[test]
fn undefined_names_are_named_once_per_place() {
    let integrations = vec![
        integration("db", "postgres")
            .env("URL", "${DB_HOST}:{{.env.DB_HOST}}:{{ .env.PORT }}")
            .env("USES_URL", "${URL}"),
    ];
    let resolution = resolve(&integrations, &Vault::default());
    assert_eq!(
        problems(&resolution),
        vec![
            (
                ProblemKind::UndefinedReference,
                "integrations/db/config/env_vars/URL".to_owned(),
                "`${DB_HOST}` names no env var of the bundle".to_owned()
            ),
            (
                ProblemKind::UndefinedReference,
                "integrations/db/config/env_vars/URL".to_owned(),
                "`{{ .env.PORT }}` names no env var of the bundle".to_owned()
            ),
        ]
    );
    // `USES_URL` depends on a broken var: left out, not reported again.
    assert!(resolution.bundle.env_vars.is_empty());
}

#[test]
fn a_secret_name_is_not_an_env_var_unless_listed() {
    let vault = Vault::with(&[("TOKEN", "t")]);
    let problems = problems(&resolve(&one("AUTH", "Bearer ${TOKEN}"), &vault));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, ProblemKind::UndefinedReference);
}

#[test]
fn missing_secrets_are_reported_where_they_are_used() {
    let integrations =
        vec![integration("api", "custom").env("AUTH", "Bearer {{.secret.TOKEN}}").secret("KEY")];
    let resolution = resolve(&integrations, &Vault::default());
    assert_eq!(
        problems(&resolution),
        vec![
            (
                ProblemKind::MissingSecret,
                "integrations/api/config/env_vars/AUTH".to_owned(),
                "`{{.secret.TOKEN}}` names secret `TOKEN`, which is not in the vault".to_owned()
            ),
            (
                ProblemKind::MissingSecret,
                "integrations/api/config/secrets/0".to_owned(),
                "secret `KEY` is listed but not in the vault".to_owned()
            ),
        ]
    );
    assert!(resolution.bundle.env_vars.is_empty());
}

#[test]
fn a_var_referencing_a_missing_listed_secret_is_left_out_silently() {
    let integrations = vec![integration("api", "custom").env("AUTH", "Bearer ${KEY}").secret("KEY")];
    let resolution = resolve(&integrations, &Vault::default());
    assert_eq!(resolution.problems.len(), 1, "{:?}", resolution.problems);
    assert!(resolution.bundle.env_vars.is_empty());
}

#[test]
fn different_values_for_one_name_conflict() {
    let integrations = vec![
        integration("a", "custom").env("REGION", "eu").env("USES", "${REGION}"),
        integration("b", "custom").env("REGION", "us"),
        integration("c", "custom").env("REGION", "us"),
    ];
    let resolution = resolve(&integrations, &Vault::default());
    assert_eq!(
        problems(&resolution),
        vec![
            (
                ProblemKind::EnvVarConflict,
                "integrations/b/config/env_vars/REGION".to_owned(),
                "env var `REGION` is defined differently by integrations `a` and `b`".to_owned()
            ),
            (
                ProblemKind::EnvVarConflict,
                "integrations/c/config/env_vars/REGION".to_owned(),
                "env var `REGION` is defined differently by integrations `a` and `c`".to_owned()
            ),
        ]
    );
    assert!(resolution.bundle.env_vars.is_empty(), "neither value nor its user is kept");
}

#[test]
fn conflicts_compare_resolved_values() {
    let vault = Vault::with(&[("TOKEN", "t")]);
    // Written differently, resolved alike: no conflict, kept once, and masked
    // because one of the definitions is a secret.
    let integrations = vec![
        integration("a", "custom").env("HOST", "h").env("URL", "http://${HOST}"),
        integration("b", "custom").env("URL", "http://h").env("TOKEN", "t"),
        integration("c", "custom").secret("TOKEN"),
    ];
    let resolution = resolve_ok(&integrations, &vault);
    assert_eq!(env_pairs(&resolution), vec![("HOST", "h"), ("URL", "http://h"), ("TOKEN", "t")]);
    assert_eq!(resolution.bundle.secret_env_vars, vec!["TOKEN"]);
}

#[test]
fn one_integration_defining_a_name_twice_differently_conflicts() {
    let vault = Vault::with(&[("TOKEN", "from vault")]);
    let integrations = vec![integration("a", "custom").env("TOKEN", "literal").secret("TOKEN")];
    assert_eq!(
        problems(&resolve(&integrations, &vault)),
        vec![(
            ProblemKind::EnvVarConflict,
            "integrations/a/config/secrets/0".to_owned(),
            "env var `TOKEN` is defined twice by integration `a`, with different values".to_owned()
        )]
    );
}

#[test]
fn messages_never_hold_values() {
    let vault = Vault::with(&[("PW", "hunter2"), ("OTHER", "swordfish")]);
    let integrations = vec![
        integration("a", "custom").secret("PW").env("X", "other-value"),
        integration("b", "custom").env("PW", "{{.secret.OTHER}}").env("X", "plain-value"),
    ];
    let resolution = resolve(&integrations, &vault);
    assert_eq!(resolution.problems.len(), 2);
    let text = format!("{:?}", resolution.problems);
    for value in ["hunter2", "swordfish", "plain-value", "other-value"] {
        assert!(!text.contains(value), "{text}");
    }
}

#[test]
fn long_reference_chains_resolve() {
    let mut app = integration("app", "custom");
    for index in 0..5_000 {
        app = app.env(&format!("V{index}"), &format!("${{V{}}}", index + 1));
    }
    app = app.env("V5000", "end");
    let resolution = resolve_ok(&[app], &Vault::default());
    assert_eq!(resolution.bundle.env_vars["V0"], "end");
}
