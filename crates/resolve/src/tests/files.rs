//! Files: content from a template or a secret, effective modes, secret
//! taint, missing pieces and conflicting paths.
use super::*;
use crate::BundleFile;

fn only_file(integrations: &[Integration], vault: &Vault) -> BundleFile {
    let mut files = resolve_ok(integrations, vault).bundle.files;
    assert_eq!(files.len(), 1);
    files.remove(0)
}

fn mode_of(spec: FileSpec, vault: &Vault) -> u32 {
    only_file(&[integration("app", "custom").file(spec)], vault).mode
}

#[test]
fn content_is_templated_with_the_one_grammar() {
    let vault = Vault::with(&[("PW", "pw")]);
    let integrations =
        vec![integration("db", "postgres").env("HOST", "db.internal").secret("PW").file(content_file(
            "~/.pgpass",
            "{{.env.HOST}}:5432:*:app:{{ .secret.PW }}\n$$HOME stays $HOME\n",
        ))];
    let file = only_file(&integrations, &vault);
    assert_eq!(file.content, "db.internal:5432:*:app:pw\n$HOME stays $HOME\n");
    assert_eq!((file.mode, file.from_secret), (0o600, true));
}

#[test]
fn templates_of_other_tools_survive() {
    let content =
        "{% for host in hosts %}{{ host }}{% endfor %}\n{{ .Values.port }} {{.Release.Name}} ${ HOME }";
    let vault = Vault::default();
    let file = only_file(&[integration("app", "custom").file(content_file("t.j2", content))], &vault);
    assert_eq!((file.content.as_str(), file.mode, file.from_secret), (content, 0o644, false));
}

#[test]
fn secret_ref_content_is_the_secret_and_owner_only() {
    let cert = "-----BEGIN CERTIFICATE-----\n${NOT_EXPANDED}\n";
    let vault = Vault::with(&[("PG_CERT", cert)]);
    let mut spec = secret_file("~/.postgresql/client.crt", "PG_CERT");
    spec.description = Some("client certificate".to_owned());
    let file = only_file(&[integration("db", "postgres").file(spec)], &vault);
    assert_eq!(
        file,
        BundleFile {
            path: "~/.postgresql/client.crt".to_owned(),
            content: cert.to_owned(),
            mode: 0o600,
            description: Some("client certificate".to_owned()),
            from_secret: true,
        }
    );
}

#[test]
fn modes_drop_group_and_other_bits_only_for_secrets() {
    let vault = Vault::with(&[("S", "s")]);
    for (mode, plain, secret) in [
        (Some("0644"), 0o644, 0o600),
        (Some("0755"), 0o755, 0o700),
        (Some("4755"), 0o4755, 0o4700),
        (Some("0400"), 0o400, 0o400),
        (Some("7"), 0o7, 0),
        (None, 0o644, 0o600),
    ] {
        assert_eq!(mode_of(with_mode(content_file("f", "x"), mode), &vault), plain, "{mode:?}");
        assert_eq!(mode_of(with_mode(secret_file("f", "S"), mode), &vault), secret, "{mode:?}");
        assert_eq!(mode_of(with_mode(content_file("f", "{{.secret.S}}"), mode), &vault), secret, "{mode:?}");
    }
}

#[test]
fn content_wins_over_secret_ref_which_is_then_not_read() {
    let vault = Vault::with(&[("S", "secret")]);
    let mut spec = content_file("f", "literal");
    spec.secret_ref = Some("S".to_owned());
    let file = only_file(&[integration("app", "custom").file(spec)], &vault);
    assert_eq!((file.content.as_str(), file.mode, file.from_secret), ("literal", 0o644, false));
    assert!(vault.reads().is_empty(), "{:?}", vault.reads());
}

#[test]
fn secret_taint_flows_through_env_var_chains() {
    let vault = Vault::with(&[("TOKEN", "t0k")]);
    let integrations = vec![
        integration("a", "custom").secret("TOKEN").env("AUTH", "Bearer ${TOKEN}"),
        integration("b", "custom")
            .env("HEADER", "Authorization: {{.env.AUTH}}")
            .env("PLAIN", "p")
            .file(content_file("~/.curlrc", "header = \"${HEADER}\"\n"))
            .file(with_mode(content_file("~/.plain", "${PLAIN}"), Some("0755"))),
    ];
    let resolution = resolve_ok(&integrations, &vault);
    let files = &resolution.bundle.files;
    assert_eq!(files[0].content, "header = \"Authorization: Bearer t0k\"\n");
    assert_eq!((files[0].mode, files[0].from_secret), (0o600, true));
    assert_eq!((files[1].mode, files[1].from_secret), (0o755, false));
    assert_eq!(resolution.bundle.secret_env_vars, vec!["AUTH", "TOKEN", "HEADER"]);
}

#[test]
fn broken_files_are_reported_where_they_break() {
    let integrations = vec![
        integration("app", "custom")
            .env("BROKEN", "${NOPE}")
            .file(secret_file("cert.pem", "PG_CERT"))
            .file(content_file("a", "{{ .secret.GONE }}"))
            .file(content_file("b", "${UNDEFINED} ${BROKEN}"))
            .file(FileSpec { content: None, ..content_file("empty", "") })
            .file(content_file("c", "${BROKEN}")),
    ];
    let resolution = resolve(&integrations, &Vault::default());
    let at = "integrations/app/config";
    assert_eq!(
        problems(&resolution),
        vec![
            (
                ProblemKind::UndefinedReference,
                format!("{at}/env_vars/BROKEN"),
                "`${NOPE}` names no env var of the bundle".into()
            ),
            (
                ProblemKind::MissingSecret,
                format!("{at}/files/0/secret_ref"),
                "`secret_ref` names secret `PG_CERT`, which is not in the vault".into()
            ),
            (
                ProblemKind::MissingSecret,
                format!("{at}/files/1/content"),
                "`{{.secret.GONE}}` names secret `GONE`, which is not in the vault".into()
            ),
            (
                ProblemKind::UndefinedReference,
                format!("{at}/files/2/content"),
                "`${UNDEFINED}` names no env var of the bundle".into()
            ),
            (
                ProblemKind::FileWithoutContent,
                format!("{at}/files/3"),
                "file `empty` has neither `content` nor `secret_ref`".into()
            ),
        ]
    );
    assert!(resolution.bundle.files.is_empty());
}

#[test]
fn identical_files_are_kept_once() {
    let vault = Vault::with(&[("S", "same")]);
    let integrations = vec![
        integration("a", "custom").env("V", "same").file(content_file("~/.shared", "x=${V}")),
        integration("b", "custom").file(content_file("~/.shared", "x=same")).file(secret_file("s", "S")),
        integration("c", "custom").file(with_mode(content_file("s", "{{.secret.S}}"), Some("0600"))),
    ];
    let resolution = resolve_ok(&integrations, &vault);
    let files: Vec<(&str, &str, u32)> = resolution
        .bundle
        .files
        .iter()
        .map(|file| (file.path.as_str(), file.content.as_str(), file.mode))
        .collect();
    assert_eq!(files, vec![("~/.shared", "x=same", 0o644), ("s", "same", 0o600)]);
}

#[test]
fn one_path_written_differently_conflicts() {
    let vault = Vault::with(&[("S", "same")]);
    let integrations = vec![
        integration("a", "custom")
            .file(content_file("notes.txt", "one"))
            .file(content_file("mode.txt", "m"))
            .file(content_file("taint.txt", "same")),
        integration("b", "custom")
            .file(content_file("notes.txt", "two"))
            .file(with_mode(content_file("mode.txt", "m"), Some("0600")))
            .file(secret_file("taint.txt", "S")),
        integration("c", "custom").file(content_file("notes.txt", "three")),
    ];
    let resolution = resolve(&integrations, &vault);
    assert_eq!(
        problems(&resolution),
        vec![
            (
                ProblemKind::FileConflict,
                "integrations/b/config/files/0".to_owned(),
                "file `notes.txt` is defined differently by integrations `a` and `b`".to_owned()
            ),
            (
                ProblemKind::FileConflict,
                "integrations/b/config/files/1".to_owned(),
                "file `mode.txt` is defined differently by integrations `a` and `b`".to_owned()
            ),
            (
                ProblemKind::FileConflict,
                "integrations/b/config/files/2".to_owned(),
                "file `taint.txt` is defined differently by integrations `a` and `b`".to_owned()
            ),
        ]
    );
    assert!(resolution.bundle.files.is_empty(), "no version of a conflicting path is kept");
}
