//! A TCP proxy that a test can cut and restore, to play a dependency outage for real, slow
//! down, to play a slow network, or blackhole, to play a network partition.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards connections from a local port to `upstream` while up; when cut, live connections
/// are dropped and new ones are closed at once, as when the dependency dies. With a latency
/// set, every chunk waits that long before it is passed on, each way. Blackholed, it passes
/// nothing on and closes nothing (no FIN, no RST), as when a network drops every packet:
/// peers see silence until their own timeouts, and what was held flows again afterwards.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    latency: watch::Sender<Duration>,
    blackhole: watch::Sender<bool>,
}

impl TcpProxy {
    /// Starts a proxy to `upstream` (`host:port`) on an ephemeral loopback port.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (up, _) = watch::channel(true);
        let (latency, _) = watch::channel(Duration::ZERO);
        let (blackhole, _) = watch::channel(false);
        let upstream = upstream.to_owned();
        let state = up.subscribe();
        let delay = latency.subscribe();
        let silent = blackhole.subscribe();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut state = state.clone();
                if !*state.borrow() {
                    continue; // dropping `client` closes it: the dependency is down
                }
                let (upstream, delay, mut silent) =
                    (upstream.clone(), delay.clone(), silent.clone());
                tokio::spawn(async move {
                    // A connection opened into a blackhole hangs until it lifts.
                    let _ = silent.wait_for(|on| !*on).await;
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let link = Link { delay, silent };
                    tokio::select! {
                        () = pipe(client_read, server_write, link.clone()) => {}
                        () = pipe(server_read, client_write, link) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self {
            addr,
            up,
            latency,
            blackhole,
        }
    }

    /// Passes nothing on, either way, and closes nothing, until [`TcpProxy::heal`].
    pub fn blackhole(&self) {
        self.blackhole.send_replace(true);
        tracing::info!(addr = %self.addr, "proxy blackholed");
    }

    /// Ends a blackhole: what was held is passed on.
    pub fn heal(&self) {
        self.blackhole.send_replace(false);
        tracing::info!(addr = %self.addr, "proxy healed");
    }

    /// Delays every chunk by `latency` each way from now on (zero: none).
    pub fn set_latency(&self, latency: Duration) {
        self.latency.send_replace(latency);
        tracing::info!(addr = %self.addr, ?latency, "proxy latency set");
    }

    /// `host:port` to connect to instead of the upstream.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every live connection and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
        tracing::info!(addr = %self.addr, "proxy cut");
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.up.send_replace(true);
        tracing::info!(addr = %self.addr, "proxy restored");
    }
}

/// What a connection reads from the proxy's settings as it forwards.
#[derive(Debug, Clone)]
struct Link {
    delay: watch::Receiver<Duration>,
    silent: watch::Receiver<bool>,
}

/// Copies until either side closes; one direction of a connection, so the other may be closed
/// with it when this ends.
async fn pipe(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, mut link: Link) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(read) if read > 0 => read,
            // A close is held back by a blackhole too: the peer hears nothing until it lifts.
            _ => {
                let _ = link.silent.wait_for(|on| !*on).await;
                return;
            }
        };
        let delay = *link.delay.borrow();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // Held, not dropped: TCP would retransmit it once the network is back.
        let _ = link.silent.wait_for(|on| !*on).await;
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
