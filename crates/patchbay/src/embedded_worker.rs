//! The embedded worker: `patchbay serve` starts `patchbay worker` as a child
//! process that runs every organization's tests, so tests never run inside
//! the API server process, yet `patchbay serve` alone can test connections.
//!
//! Authentication: the server draws a random credential at start and gives
//! it to the child in `PATCHBAY_EMBEDDED_WORKER_CREDENTIAL`; the child sends
//! it back over loopback (see the server's `jobs::embedded`). The child gets
//! a cleared environment (no master key, no signing key of the server), and
//! its stdin is a pipe from the server: when the server dies, even by
//! SIGKILL, the pipe closes and the child stops.
use patchbay_server::jobs::EmbeddedCredential;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::watch;

pub const CREDENTIAL_ENV: &str = "PATCHBAY_EMBEDDED_WORKER_CREDENTIAL";

/// Variables the child keeps: enough to find programs (bubblewrap too), log
/// and make temp dirs.
const KEPT: [&str; 6] = ["PATH", "TMPDIR", "RUST_LOG", "PATCHBAY_LOG_FORMAT", "LANG", "PATCHBAY_BWRAP"];

/// What the server's options decide about the child.
#[derive(Clone, Copy)]
pub struct ChildOptions {
    pub concurrency: u16,
    pub sandbox: crate::cli::SandboxKind,
}

/// The loopback address of the server's listener.
fn loopback_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn spawn(addr: SocketAddr, credential: &EmbeddedCredential, options: ChildOptions) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command
        .args(["worker", "--server", &loopback_url(addr), "--name", "embedded", "--concurrency"])
        .arg(options.concurrency.to_string())
        .args(["--sandbox", options.sandbox.as_arg()])
        .env_clear()
        .envs(KEPT.iter().filter_map(|name| std::env::var_os(name).map(|value| (name, value))))
        .env(CREDENTIAL_ENV, credential.expose())
        .stdin(Stdio::piped())
        .kill_on_drop(true);
    command.spawn()
}

/// What the supervisor tells the server when its child is gone, so the dead
/// worker is not listed as online and its jobs go to the next claim at once.
pub struct Retire {
    pub queue: std::sync::Arc<patchbay_server::jobs::JobQueue>,
    pub store: std::sync::Arc<dyn patchbay_store::Store>,
}

/// Keeps the child running (restarting it if it dies) until `stop` flips.
pub async fn supervise(
    addr: SocketAddr,
    credential: EmbeddedCredential,
    options: ChildOptions,
    gone: Retire,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let mut child = match spawn(addr, &credential, options) {
            Ok(child) => child,
            Err(error) => {
                tracing::error!(%error, "could not start the embedded worker; connection tests need `patchbay worker`");
                return;
            }
        };
        // `wait` closes the child's stdin; held here, it stays open until
        // this process ends, which is the child's cue to exit.
        let _parent_alive = child.stdin.take();
        tracing::info!(pid = child.id(), "embedded worker started");
        tokio::select! {
            status = child.wait() => {
                tracing::error!(?status, "the embedded worker exited; restarting it in 1 s");
                gone.queue.embedded_exited(gone.store.as_ref()).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            _ = stop.changed() => {
                stop_child(&mut child, Duration::from_secs(5)).await;
                gone.queue.embedded_exited(gone.store.as_ref()).await;
                return;
            }
        }
    }
}

/// In the child: resolves when the parent server's pipe closes, so the
/// worker stops (killing the tests it runs) when its server is gone.
pub fn parent_gone() -> tokio::sync::oneshot::Receiver<()> {
    let (gone, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
        let _ = gone.send(());
    });
    receiver
}

/// SIGTERM first, so the worker kills the tests it runs; SIGKILL if it
/// has not exited within `grace`.
async fn stop_child(child: &mut Child, grace: Duration) {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
    }
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_url;

    #[test]
    fn unspecified_listeners_are_reached_on_loopback() {
        assert_eq!(loopback_url("0.0.0.0:8080".parse().unwrap()), "http://127.0.0.1:8080");
        assert_eq!(loopback_url("[::]:80".parse().unwrap()), "http://[::1]:80");
        assert_eq!(loopback_url("127.0.0.1:9".parse().unwrap()), "http://127.0.0.1:9");
    }
}
