//! The client commands end to end: the built binary against a real
//! `patchbay serve` on a free port (SQLite in a temporary directory), each
//! test with its own server, config home and token.
mod apply;
mod connection;
mod credentials;
mod editing;
mod errors;
mod guards;
mod health;
mod history;
mod identity;
mod mcp;
#[path = "../support/postgres.rs"]
mod postgres;
mod session;
#[path = "../support/mod.rs"]
mod support;
mod webhooks;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{Options, Server};

pub use support::BIN;

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A server, a temporary directory, and an admin logged in through
/// `XDG_CONFIG_HOME` inside it. Everything is removed on drop.
pub struct Session {
    pub dir: PathBuf,
    server: Option<Server>,
    pub url: String,
}

impl Session {
    /// A running server; nobody logged in yet.
    pub fn start() -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("patchbay-cli-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let server = Server::start(Options::new(dir.join("data")).show_stderr());
        let url = server.url();
        Self { dir, server: Some(server), url }
    }

    /// A running server and an admin of `acme` logged in.
    pub fn logged_in() -> Self {
        let session = Self::start();
        let token = session.token("admin");
        let out = session.run(&["login", "--server", &session.url, "--token", &token]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        session
    }

    pub fn token(&self, role: &str) -> String {
        support::mint(&self.dir.join("data"), &["--org", "acme", "--role", role])
    }

    pub fn config_file(&self) -> PathBuf {
        self.dir.join("config").join("patchbay").join("config.toml")
    }

    /// The binary as a user of this session runs it (stdout is a pipe, so
    /// JSON unless `-o table`).
    pub fn command(&self, args: &[&str]) -> Command {
        self.program(BIN, args)
    }

    /// Any program, in this session's directory and environment.
    pub fn program(&self, program: &str, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("HOME", self.dir.join("home"))
            .env_remove("PATCHBAY_SERVER")
            .env_remove("PATCHBAY_TOKEN")
            .env_remove("PATCHBAY_OUTPUT")
            .env_remove("PATCHBAY_CONFIG")
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs, expects success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
        text(&out.stdout)
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let stdout = self.ok(args);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout}"))
    }

    /// The live integrations' names, sorted.
    pub fn names(&self) -> Vec<String> {
        let listed = self.json(&["integrations", "list"]);
        let mut names: Vec<String> =
            listed.as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    pub fn stop_server(&mut self) {
        // Dropping the server kills it.
        self.server.take();
    }

    pub fn path(&self, name: &str) -> String {
        path_str(&self.dir.join(name))
    }
}

pub fn path_str(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop_server();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
