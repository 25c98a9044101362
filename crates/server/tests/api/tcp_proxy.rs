//! A TCP proxy between a server and its PostgreSQL, so a test can cut the
//! database off and bring it back without touching the shared database
//! server. While down, it resets every connection, open or new; while hung,
//! it keeps every connection open and forwards nothing, as a database that
//! stopped answering.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    hung: Arc<AtomicBool>,
    /// Bumped on every `down`, so open tunnels close.
    generation: watch::Sender<u64>,
}

impl TcpProxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let hung = Arc::new(AtomicBool::new(false));
        let (generation, watcher) = watch::channel(0u64);
        let (accepting, hanging) = (up.clone(), hung.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                // The generation is taken before `up` is read: a `down` that
                // lands between the two still closes this tunnel.
                let mut closed = watcher.clone();
                closed.borrow_and_update();
                if !accepting.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let hanging = hanging.clone();
                tokio::spawn(async move {
                    if hanging.load(Ordering::SeqCst) {
                        // Held open, never answered, until the next change.
                        let _ = closed.changed().await;
                        return;
                    }
                    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                    // The change is polled first: once `down` or `hang`
                    // returns, no byte more is forwarded, even when data
                    // and the change wake the tunnel at once.
                    tokio::select! {
                        biased;
                        _ = closed.changed() => {
                            if hanging.load(Ordering::SeqCst) {
                                let _ = closed.changed().await;
                            }
                        }
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        Self { port, up, hung, generation }
    }

    /// The database becomes unreachable: open connections close, new ones are refused.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// The database stops answering: open and new connections stay open,
    /// and nothing more is forwarded either way.
    pub fn hang(&self) {
        self.hung.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }
}

/// `url` with its `host:port` replaced by the proxy's.
pub fn through(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (credentials, rest) = rest.rsplit_once('@').map_or(("", rest), |(c, r)| (c, r));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let upstream = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:5432") };
    let at = if credentials.is_empty() { String::new() } else { format!("{credentials}@") };
    (format!("{scheme}://{at}127.0.0.1:{port}/{path}"), upstream)
}
