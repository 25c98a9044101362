//! `patchbay run` and `patchbay env` as a user runs them, real processes
//! against a fake resolve endpoint: files and modes as `stat` sees them, the
//! environment, exit codes, signals, and every refused path.
mod fake_api;
mod leases;
#[path = "../support/postgres.rs"]
mod postgres;
mod real_server;
#[path = "../support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{BIN, TempDir};

/// The binary with a server and token in the environment, as a worker has
/// them. Stdin is not a terminal, so SIGINT is forwarded like SIGTERM.
fn patchbay(server: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("PATCHBAY_SERVER", server)
        .env("PATCHBAY_TOKEN", fake_api::TOKEN)
        .stdin(Stdio::null());
    command
}

fn output(server: &str, args: &[&str]) -> Output {
    patchbay(server, args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn files_env_and_home_reach_the_command_and_the_home_is_removed() {
    let server = fake_api::start();
    let script = r#"stat -c '%a %n' ~/.postgresql/client.crt ~/config/app.toml ~/.postgresql ~/config "$HOME"
cat ~/.postgresql/client.crt
echo "host=$DB_HOST caller=$FROM_CALLER keep=$KEEP_ME token=${PATCHBAY_TOKEN-unset}"
echo "home=$HOME""#;
    let out = patchbay(&server, &["run", "-i", "prod-db", "--", "sh", "-c", script])
        .env("FROM_CALLER", "from-caller")
        .env("KEEP_ME", "kept")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let home = stdout.lines().find_map(|l| l.strip_prefix("home=")).unwrap().to_owned();
    assert!(home.starts_with(&std::env::temp_dir().display().to_string()), "{home}");
    let expected = [
        format!("600 {home}/.postgresql/client.crt"),
        format!("644 {home}/config/app.toml"),
        format!("700 {home}/.postgresql"),
        format!("700 {home}/config"),
        format!("700 {home}"),
        "-----BEGIN CERTIFICATE-----".to_owned(),
        "MIIB".to_owned(),
        // The bundle wins over the caller, the caller's other variables stay,
        // and the token is not handed on.
        "host=db.internal caller=from-bundle keep=kept token=unset".to_owned(),
    ];
    assert_eq!(stdout.lines().take(expected.len()).collect::<Vec<_>>(), expected);
    assert!(!Path::new(&home).exists(), "the temporary home is removed afterwards");
}

#[test]
fn the_commands_exit_code_is_passed_on() {
    let server = fake_api::start();
    assert_eq!(output(&server, &["run", "-i", "prod-db", "--", "sh", "-c", "exit 7"]).status.code(), Some(7));
    assert_eq!(output(&server, &["run", "-i", "prod-db", "--", "true"]).status.code(), Some(0));
    let killed = output(&server, &["run", "-i", "prod-db", "--", "sh", "-c", "kill -KILL $$"]);
    assert_eq!(killed.status.code(), Some(128 + 9), "a signal's death is 128 + its number");
}

#[test]
fn a_command_that_cannot_start_exits_127() {
    let server = fake_api::start();
    let out = output(&server, &["run", "-i", "prod-db", "--", "/nonexistent/patchbay-no-such-cmd"]);
    assert_eq!(out.status.code(), Some(127));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("could not start") && stderr.contains("patchbay-no-such-cmd"), "{stderr}");
    assert_eq!(stderr.matches("(os error 2)").count(), 1, "the cause is said once: {stderr}");
}

/// Sends `signal` to `patchbay run` (not to its child): the child must get it
/// from the forwarder, trap it, and its exit code must come back.
fn forwards(signal: nix::sys::signal::Signal, name: &str) {
    let server = fake_api::start();
    let dir = TempDir::new("run-test");
    let marker = dir.0.join("marker");
    let script = format!(
        "trap 'echo got-{name} > \"$MARKER\"; exit 3' {name}; echo ready; while :; do sleep 0.05; done"
    );
    let mut child = patchbay(&server, &["run", "-i", "prod-db", "--", "sh", "-c", &script])
        .env("MARKER", &marker)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3), "patchbay run exits with the child's code");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), format!("got-{name}\n"));
}

#[test]
fn sigterm_is_forwarded_to_the_command() {
    forwards(nix::sys::signal::Signal::SIGTERM, "TERM");
}

#[test]
fn sigint_is_forwarded_to_the_command() {
    forwards(nix::sys::signal::Signal::SIGINT, "INT");
}

#[test]
fn a_named_home_is_created_private_and_kept() {
    let server = fake_api::start();
    let dir = TempDir::new("run-test");
    let home = dir.0.join("agents/one");
    let home_arg = home.to_str().unwrap();
    let out = output(&server, &["run", "-i", "prod-db", "--home", home_arg, "--", "sh", "-c", "echo $HOME"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), home_arg);
    assert_eq!(std::fs::read_to_string(home.join("config/app.toml")).unwrap(), "port = 5432\n");
    assert_eq!(mode_of(&home.join(".postgresql/client.crt")), 0o600);
    for created in [dir.0.join("agents"), home.clone(), home.join(".postgresql")] {
        assert_eq!(mode_of(&created), 0o700, "{}", created.display());
    }
}

#[test]
fn set_id_sticky_and_shared_write_bits_are_dropped() {
    let server = fake_api::start();
    let script = "stat -c '%a %n' ~/bin/tool ~/shared";
    let out = output(&server, &["run", "-i", "setuid", "--", "sh", "-c", script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let modes: Vec<&str> = stdout.lines().map(|line| line.split(' ').next().unwrap()).collect();
    assert_eq!(modes, ["755", "644"], "{stdout}");
}

/// Runs a bundle that must be refused; returns stderr after checking that
/// the command never ran.
fn refused(server: &str, name: &str, home: &Path, extra: &[&str]) -> String {
    let ran = home.join("ran");
    let script = format!("touch {}", ran.display());
    let mut args = vec!["run", "-i", name, "--home", home.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "sh", "-c", &script]);
    let out = output(server, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(!ran.exists(), "the command must not run");
    text(&out.stderr)
}

#[test]
fn paths_leaving_the_home_are_refused_by_name() {
    let server = fake_api::start();
    let dir = TempDir::new("run-test");
    let home = dir.0.join("home");

    let stderr = refused(&server, "climb", &home, &[]);
    assert!(stderr.starts_with("error: ") && stderr.contains("\"../outside.txt\""), "{stderr}");
    assert!(!home.join("ok.txt").exists(), "nothing is written when one path is bad");
    assert!(!dir.0.join("outside.txt").exists());

    let stderr = refused(&server, "absolute", &home, &[]);
    assert!(stderr.contains("/etc/patchbay-must-not-exist") && stderr.contains("absolute"), "{stderr}");

    let outside = dir.0.join("outside");
    std::fs::create_dir(&outside).unwrap();
    symlink(&outside, home.join("link")).unwrap();
    let stderr = refused(&server, "linked", &home, &["--overwrite"]);
    assert!(stderr.contains("link/evil.txt") && stderr.contains("symlink"), "{stderr}");
    assert!(!outside.join("evil.txt").exists());

    let victim = dir.0.join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    symlink(&victim, home.join(".pgpass")).unwrap();
    let stderr = refused(&server, "pgpass", &home, &["--overwrite"]);
    assert!(stderr.contains("~/.pgpass") && stderr.contains("symlink"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
}

#[test]
fn start_up_variables_are_refused_naming_the_integration_that_set_them() {
    let server = fake_api::start();
    let dir = TempDir::new("run-test");
    let home = dir.0.join("home");
    let cases = [
        // With two integrations, the one that set it is read from the API.
        ("prod-db", &["-i", "bash-env"][..], "BASH_ENV, set by integration \"bash-env\": bash sources"),
        ("preload", &[][..], "LD_PRELOAD, set by integration \"preload\": the dynamic loader"),
        ("home-mover", &[][..], "HOME, set by integration \"home-mover\""),
    ];
    for (name, extra, expected) in cases {
        let stderr = refused(&server, name, &home, extra);
        assert!(stderr.starts_with("error: refusing the bundle") && stderr.contains(expected), "{stderr}");
        assert!(stderr.contains("--allow-env"), "{stderr}");
        assert!(!home.exists(), "nothing is written before the refusal");
    }
    // Accepting one variable leaves the others refused.
    let stderr = refused(&server, "bash-env", &home, &["-i", "preload", "--allow-env", "BASH_ENV"]);
    assert!(stderr.contains("LD_PRELOAD") && !stderr.contains("BASH_ENV,"), "{stderr}");
}

#[test]
fn allow_env_accepts_a_variable() {
    let server = fake_api::start();
    let args = ["run", "-i", "bash-env", "--allow-env", "BASH_ENV", "--", "sh", "-c", r#"echo "$BASH_ENV""#];
    let out = output(&server, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "$(id > f)\n");
}

#[test]
fn the_token_never_reaches_the_command() {
    let server = fake_api::start();
    let script = r#"echo "token=${PATCHBAY_TOKEN-unset}"
if cat "/proc/$PPID/environ" > /dev/null 2>&1; then echo environ=readable; else echo environ=unreadable; fi"#;
    // Given as a flag: warned about, since any process of the user reads a command line.
    let out =
        patchbay(&server, &["run", "--token", fake_api::TOKEN, "-i", "prod-db", "--", "sh", "-c", script])
            .env_remove("PATCHBAY_TOKEN")
            .output()
            .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: --token on the command line") && stderr.contains("PATCHBAY_TOKEN"),
        "{stderr}"
    );
    assert!(stdout.starts_with("token=unset\n"), "{stdout}");
    // `patchbay run` is not dumpable: a process of the same user cannot read
    // its environment (root, with CAP_SYS_PTRACE, still can).
    let root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0;
    if !root {
        assert!(stdout.contains("environ=unreadable"), "{stdout}");
    }
    // Given in the environment: no warning, and not handed on either.
    let out = output(&server, &["run", "-i", "prod-db", "--", "sh", "-c", script]);
    assert!(out.status.success() && !text(&out.stderr).contains("warning"), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("token=unset\n"));
}

#[test]
fn an_existing_file_is_kept_without_overwrite() {
    let server = fake_api::start();
    let dir = TempDir::new("run-test");
    let home = dir.0.join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join(".pgpass"), "mine").unwrap();

    let stderr = refused(&server, "pgpass", &home, &[]);
    assert!(stderr.contains("~/.pgpass") && stderr.contains("--overwrite"), "{stderr}");
    assert_eq!(std::fs::read_to_string(home.join(".pgpass")).unwrap(), "mine");

    let home_arg = home.to_str().unwrap();
    let out = output(
        &server,
        &["run", "-i", "pgpass", "--home", home_arg, "--overwrite", "--", "cat", "/dev/null"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(home.join(".pgpass")).unwrap(), "from-bundle");
    assert_eq!(mode_of(&home.join(".pgpass")), 0o600);
}

#[test]
fn env_shell_output_round_trips_through_eval() {
    let server = fake_api::start();
    let script = format!(
        r#"eval "$('{BIN}' env -i tricky -i prod-db --format shell)"; printf '%s|%s|%s' "$TRICKY" "$PLAIN" "$DB_HOST""#
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .env("PATCHBAY_SERVER", &server)
        .env("PATCHBAY_TOKEN", fake_api::TOKEN)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}|plain|db.internal", fake_api::TRICKY));
}

#[test]
fn env_dotenv_and_json_formats() {
    let server = fake_api::start();
    let out = output(&server, &["env", "-i", "tricky", "--format", "dotenv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected =
        "TRICKY=\"line1\\nline2 'single' \\\"double\\\" \\$HOME \\\\ \\`tick\\` it's\"\nPLAIN=\"plain\"\n";
    assert_eq!(text(&out.stdout), expected);

    let out = output(&server, &["env", "-i", "tricky", "-i", "prod-db", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = serde_json::json!({
        "TRICKY": fake_api::TRICKY, "PLAIN": "plain",
        "DB_HOST": "db.internal", "FROM_CALLER": "from-bundle",
    });
    assert_eq!(parsed, expected);
    let keys: Vec<&String> = parsed.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["TRICKY", "PLAIN", "DB_HOST", "FROM_CALLER"], "the bundle's order");
}

#[test]
fn env_writes_the_files_with_home_and_says_when_it_did_not() {
    let server = fake_api::start();
    let out = output(&server, &["env", "-i", "prod-db", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok(), "-o is --format");
    let note = text(&out.stderr);
    assert!(note.contains("files this did not write") && note.contains("~/.postgresql/client.crt"), "{note}");
    assert!(note.contains("--home DIR"), "{note}");

    let dir = TempDir::new("env-home");
    let home = dir.0.join("agent");
    let home_arg = home.to_str().unwrap();
    let out = output(&server, &["env", "-i", "prod-db", "--output", "shell", "--home", home_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("export DB_HOST='db.internal'"), "{}", text(&out.stdout));
    assert_eq!(std::fs::read_to_string(home.join("config/app.toml")).unwrap(), "port = 5432\n");
    assert_eq!(mode_of(&home.join(".postgresql/client.crt")), 0o600);
    assert!(text(&out.stderr).contains(&format!("set HOME={home_arg}")), "{}", text(&out.stderr));
    // A second time: the files are there, and kept unless --overwrite.
    let again = output(&server, &["env", "-i", "prod-db", "--home", home_arg]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("--overwrite"), "{}", text(&again.stderr));
    let out = output(&server, &["env", "-i", "prod-db", "--home", home_arg, "--overwrite"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn each_problem_of_a_422_is_printed_on_its_own_line() {
    let server = fake_api::start();
    for args in [
        &["run", "-i", "prod-db", "-i", "nope", "-i", "nada", "--", "true"][..],
        &["env", "-i", "prod-db", "-i", "nope", "-i", "nada"][..],
    ] {
        let out = output(&server, args);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines,
            [
                "error: the server could not resolve the integrations:",
                "  -i nope: Value error, integration \"nope\" not found",
                "  -i nada: Value error, integration \"nada\" not found",
            ],
            "{stderr}"
        );
    }
}

#[test]
fn a_server_that_is_down_is_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for args in [&["run", "-i", "prod-db", "--", "true"][..], &["env", "-i", "prod-db"][..]] {
        let out = output(&server, args);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("could not reach the Patchbay server at {server}")), "{stderr}");
    }
}

#[test]
fn a_wrong_token_is_reported() {
    let server = fake_api::start();
    let out = patchbay(&server, &["env", "-i", "prod-db"]).env("PATCHBAY_TOKEN", "wrong").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("401") && stderr.contains("Not authenticated"), "{stderr}");
}
