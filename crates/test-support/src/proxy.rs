//! A TCP proxy that a test can cut and restore, to play a dependency outage for real, or slow
//! down, to play a slow network.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards connections from a local port to `upstream` while up; when cut, live connections
/// are dropped and new ones are closed at once, as when the dependency dies. With a latency
/// set, every chunk waits that long before it is passed on, each way.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    latency: watch::Sender<Duration>,
}

impl TcpProxy {
    /// Starts a proxy to `upstream` (`host:port`) on an ephemeral loopback port.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (up, _) = watch::channel(true);
        let (latency, _) = watch::channel(Duration::ZERO);
        let upstream = upstream.to_owned();
        let state = up.subscribe();
        let delay = latency.subscribe();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut state = state.clone();
                if !*state.borrow() {
                    continue; // dropping `client` closes it: the dependency is down
                }
                let (upstream, delay) = (upstream.clone(), delay.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::select! {
                        () = pipe(client_read, server_write, delay.clone()) => {}
                        () = pipe(server_read, client_write, delay) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { addr, up, latency }
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

/// Copies until either side closes; one direction of a connection, so the other may be closed
/// with it when this ends.
async fn pipe(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    latency: watch::Receiver<Duration>,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let delay = *latency.borrow();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
