//! What every test binary of the real `patchbay` needs: a temporary
//! directory, and `patchbay serve` started on a free port with its address
//! read from its log (pretty or JSON) and the log kept.
// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub const BIN: &str = env!("CARGO_BIN_EXE_patchbay");

/// A fresh directory under the system's temporary one, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(kind: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("patchbay-{kind}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `patchbay` command that sees none of the caller's `PATCHBAY_*`
/// variables, so a developer's own settings never leak into a test.
pub fn patchbay(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("PATCHBAY_")) {
        command.env_remove(name);
    }
    command
}

/// How to start `patchbay serve`; `--listen 127.0.0.1:0` and `--data-dir`
/// are always given.
pub struct Options {
    data_dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    rust_log: String,
    show_stderr: bool,
}

impl Options {
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        Self {
            data_dir: data_dir.as_ref().to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            rust_log: "info".to_owned(),
            show_stderr: false,
        }
    }

    /// More flags for `serve`.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|arg| (*arg).to_owned()));
        self
    }

    /// `--database-url` when there is one (SQLite in the data directory otherwise).
    pub fn database_url(self, url: Option<&str>) -> Self {
        match url {
            Some(url) => self.args(&["--database-url", url]),
            None => self,
        }
    }

    pub fn env(mut self, vars: &[(&str, &str)]) -> Self {
        self.env.extend(vars.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
        self
    }

    pub fn rust_log(mut self, filter: &str) -> Self {
        filter.clone_into(&mut self.rust_log);
        self
    }

    /// Passes the server's stderr on to the test's (it is dropped otherwise).
    pub fn show_stderr(mut self) -> Self {
        self.show_stderr = true;
        self
    }
}

/// A running `patchbay serve`, killed on drop if still running.
pub struct Server {
    pub child: Child,
    /// `host:port` it listens on.
    pub address: String,
    /// What it logged up to and including the line with its address.
    pub startup: Vec<String>,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

/// The address in a log line, JSON (`fields.listen`) or pretty (`listen=`).
fn listen_address(line: &str) -> Option<String> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(line) {
        return json["fields"]["listen"].as_str().map(str::to_owned);
    }
    let rest = line.split("listen=").nth(1)?;
    rest.split_whitespace().next().map(str::to_owned)
}

impl Server {
    /// Starts the server and waits until it logs its address; panics with
    /// what it logged if it exits first.
    pub fn start(options: Options) -> Self {
        let mut command = patchbay(&["serve", "--listen", "127.0.0.1:0", "--data-dir"]);
        command.arg(&options.data_dir).args(&options.args);
        command.env("RUST_LOG", &options.rust_log).envs(options.env.iter().map(|(k, v)| (k, v)));
        let stderr = if options.show_stderr { Stdio::inherit() } else { Stdio::null() };
        let mut child = command.stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut startup = Vec::new();
        for line in stdout.by_ref() {
            let line = line.unwrap();
            startup.push(line.clone());
            if let Some(address) = listen_address(&line) {
                let log = Arc::new(Mutex::new(startup.clone()));
                let keep = log.clone();
                // Keep reading: the server must never write into a closed pipe.
                let reader = std::thread::spawn(move || {
                    stdout.map_while(Result::ok).for_each(|line| keep.lock().unwrap().push(line))
                });
                return Self { child, address, startup, log, reader: Some(reader) };
            }
        }
        let status = child.wait();
        panic!("the server exited ({status:?}) before serving: {startup:?}");
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Everything logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Log lines so far that contain `text`.
    pub fn logged(&self, text: &str) -> Vec<String> {
        self.log.lock().unwrap().iter().filter(|line| line.contains(text)).cloned().collect()
    }

    /// Sends SIGTERM, as an operator's service manager does.
    pub fn terminate(&self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    }

    /// Waits for the server to exit and for the last of its log.
    pub fn wait(&mut self) -> ExitStatus {
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `patchbay token mint` against a data directory's signing key.
pub fn mint(data_dir: &Path, args: &[&str]) -> String {
    let output = patchbay(&["token", "mint", "--data-dir"]).arg(data_dir).args(args).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// An hour's admin token of `org` for `user`, signed in the test with the
/// `--jwt-secret` the server was given, without a `token mint` process.
pub fn admin_token(secret: &str, org: &str, user: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let claims = patchbay_server::auth::Claims {
        organization: org.to_owned(),
        exp: now + 3600,
        email: None,
        user_id: Some(user.to_owned()),
        sub: None,
        token_id: None,
        role: Some("admin".to_owned()),
        jti: None,
        iat: Some(now),
    };
    patchbay_server::auth::mint(&patchbay_server::auth::JwtSecret::new(secret), &claims).unwrap()
}
