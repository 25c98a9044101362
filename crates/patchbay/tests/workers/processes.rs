//! The server and worker processes of these tests, stopped on drop.
use patchbay_client::Client;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub const BIN: &str = env!("CARGO_BIN_EXE_patchbay");

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("patchbay-workers-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Server {
    child: Child,
    pub base: String,
    data_dir: PathBuf,
    /// What the server and its embedded worker have logged so far.
    log: Arc<Mutex<Vec<String>>>,
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
        let mut command = Command::new(BIN);
        command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&data_dir).args(extra);
        command.env_remove("PATCHBAY_DATABASE_URL").env_remove("PATCHBAY_JWT_SECRET").env("RUST_LOG", "info");
        command.env_remove("PATCHBAY_SANDBOX").env_remove("PATCHBAY_BWRAP").envs(env.iter().copied());
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let log = Arc::new(Mutex::new(Vec::new()));
        for line in stdout.by_ref() {
            let line = line.unwrap();
            log.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("listen=").nth(1) {
                let address = rest.split_whitespace().next().unwrap().to_owned();
                let keep = log.clone();
                std::thread::spawn(move || {
                    stdout.map_while(Result::ok).for_each(|l| keep.lock().unwrap().push(l))
                });
                return Self { child, base: format!("http://{address}"), data_dir, log };
            }
        }
        panic!("the server exited before serving: {:?}", child.wait());
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Log lines so far that contain `text`.
    pub fn logged(&self, text: &str) -> Vec<String> {
        self.log.lock().unwrap().iter().filter(|line| line.contains(text)).cloned().collect()
    }

    pub fn token(&self, org: &str, role: &str) -> String {
        let output = Command::new(BIN)
            .args(["token", "mint", "--org", org, "--role", role, "--data-dir"])
            .arg(&self.data_dir)
            .env_remove("PATCHBAY_JWT_SECRET")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    pub fn client(&self, org: &str, role: &str) -> Client {
        Client::new(&self.base, Some(self.token(org, role)))
    }

    /// Process ids of the server's children.
    pub fn children(&self) -> Vec<u32> {
        let parent = self.child.id().to_string();
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
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
