//! The server and worker processes of these tests, stopped on drop.
use crate::support::{self, Options};
use patchbay_client::Client;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub use crate::support::{BIN, TempDir};

pub struct Server {
    server: support::Server,
    pub base: String,
    data_dir: PathBuf,
}

impl Server {
    /// `patchbay serve` on a free port, on SQLite (with its embedded
    /// worker) or on `database_url` (without).
    pub fn start(dir: &TempDir, database_url: Option<&str>, extra: &[&str]) -> Self {
        Self::start_with_env(dir, database_url, extra, &[])
    }

    /// The same, with these environment variables set.
    pub fn start_with_env(
        dir: &TempDir,
        database_url: Option<&str>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let data_dir = dir.0.join("data");
        let options = Options::new(&data_dir).args(extra).env(env).database_url(database_url);
        let server = support::Server::start(options);
        Self { base: server.url(), server, data_dir }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// Log lines so far that contain `text`.
    pub fn logged(&self, text: &str) -> Vec<String> {
        self.server.logged(text)
    }

    pub fn token(&self, org: &str, role: &str) -> String {
        support::mint(&self.data_dir, &["--org", org, "--role", role])
    }

    pub fn client(&self, org: &str, role: &str) -> Client {
        Client::new(&self.base, Some(self.token(org, role)))
    }

    /// Process ids of the server's children.
    pub fn children(&self) -> Vec<u32> {
        let parent = self.server.child.id().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                    stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1))
                        == Some(parent.as_str())
                })
            })
            .collect()
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

pub struct Worker(Child);

impl Worker {
    /// `patchbay worker` with a worker token of `org`.
    pub fn start(server: &Server, org: &str) -> Self {
        Self::start_with(server, org, &[])
    }

    /// The same, with these extra arguments (`--sandbox none`).
    pub fn start_with(server: &Server, org: &str, extra: &[&str]) -> Self {
        let child = Command::new(BIN)
            .args(["worker", "--server", &server.base, "--token", &server.token(org, "worker")])
            .args(extra)
            .env_remove("PATCHBAY_TOKEN")
            .env_remove("PATCHBAY_EMBEDDED_WORKER_CREDENTIAL")
            .env_remove("PATCHBAY_SANDBOX")
            .env_remove("PATCHBAY_BWRAP")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// SIGTERM, as a service manager stops it.
    pub fn terminate(&self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.0.id()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    }

    /// SIGKILL, as a crashed machine would.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}
