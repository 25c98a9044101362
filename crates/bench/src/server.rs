//! The server under test: the real release `patchbay` binary in its own
//! process (so client and server never share a runtime, and its memory is
//! its own), or this benchmark's in-memory ceiling server, also a child.
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub address: String,
    data_dir: Option<PathBuf>,
}

/// `target/release/patchbay`, next to this benchmark's own binary; built
/// first when missing, so `cargo run --release -p patchbay-bench` suffices.
pub fn patchbay_binary() -> anyhow::Result<PathBuf> {
    let dir = std::env::current_exe()?.parent().context("the benchmark's directory")?.to_owned();
    let binary = dir.join("patchbay");
    let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("release").to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("building the patchbay binary ({profile})...");
    let mut build = Command::new(cargo);
    build.args(["build", "-p", "patchbay"]);
    if profile == "release" {
        build.arg("--release");
    }
    let status = build.status().context("running cargo build")?;
    if !status.success() || !binary.exists() {
        bail!("could not build {}", binary.display());
    }
    if profile != "release" {
        eprintln!("warning: benchmarking a {profile} build; use `cargo run --release -p patchbay-bench`");
    }
    Ok(binary)
}

fn free_address() -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.to_string())
}

impl Server {
    /// `patchbay serve` on SQLite in a fresh data directory, or on `database_url`.
    pub fn patchbay(
        binary: &Path,
        secret: &str,
        master_key: &str,
        database_url: Option<&str>,
        sandbox: &str,
    ) -> anyhow::Result<Self> {
        let address = free_address()?;
        let data_dir = std::env::temp_dir().join(format!("patchbay-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&data_dir)?;
        let mut command = Command::new(binary);
        command
            .args(["serve", "--listen", &address, "--jwt-secret", secret, "--master-key", master_key])
            // Connection tests run on the embedded worker, on either backend,
            // in the sandbox named (never one left over in the environment).
            .arg("--embedded-worker")
            .args(["--sandbox", sandbox])
            .arg("--data-dir")
            .arg(&data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // Every other setting at its default (SQLite's `synchronous=FULL`
        // among them), never one left over in the environment.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PATCHBAY_") {
                command.env_remove(name);
            }
        }
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let child = command.spawn().with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self { child, address, data_dir: Some(data_dir) };
        server.wait_until_up()?;
        Ok(server)
    }

    /// This benchmark again, as `--ceiling-server ADDR`.
    pub fn ceiling(body: &str) -> anyhow::Result<Self> {
        let address = free_address()?;
        let child = Command::new(std::env::current_exe()?)
            .args(["--ceiling-server", &address])
            .env("PATCHBAY_BENCH_CEILING_BODY", body)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut server = Self { child, address, data_dir: None };
        server.wait_until_up()?;
        Ok(server)
    }

    fn wait_until_up(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited during start-up: {status}");
            }
            if std::net::TcpStream::connect(&self.address).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("the server did not listen on {} within 60 s", self.address)
    }

    /// Resident memory now and at its peak, in MiB (Linux `/proc`).
    pub fn memory(&self) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(0.0, |kib| kib / 1024.0)
        };
        Memory { rss_mib: field("VmRSS:"), peak_rss_mib: field("VmHWM:") }
    }

    /// Resets the peak (`VmHWM`) to the current resident memory, so the next
    /// reading is the peak of what ran in between (Linux 4.0 and later);
    /// false when the kernel refused.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").is_ok()
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A database of its own on the given PostgreSQL server, dropped afterwards.
pub struct ThrowawayDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

async fn admin(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.context("connecting to PostgreSQL")?;
    tokio::spawn(connection);
    Ok(client)
}

impl ThrowawayDatabase {
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("patchbay_bench_{}", uuid::Uuid::new_v4().simple());
        admin(admin_url).await?.batch_execute(&format!("CREATE DATABASE {name}")).await?;
        let (base, _) = admin_url.rsplit_once('/').context("the database URL names no database")?;
        let (base, query) = match admin_url.split_once('?') {
            Some((_, query)) => (base, format!("?{query}")),
            None => (base, String::new()),
        };
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}{query}"), name })
    }

    pub async fn drop_now(self) -> anyhow::Result<()> {
        admin(&self.admin_url)
            .await?
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .await?;
        Ok(())
    }
}
