//! Where a device talks: a TCP connection it dials or accepts, or a pseudo-terminal.
//!
//! An [`Endpoint`] is opened once (bound, or the pty created) so its address can be told to the
//! host before anything is sent; each session then takes a [`Port`] from it: a new connection
//! dialled or accepted, or the same pty once the host has it open.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::error::Error;
use crate::pty::Pty;

/// How a device reaches the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Dial `HOST:PORT`.
    Connect(String),
    /// Listen on this address and accept the host's connection (port 0 picks a free port).
    Listen(SocketAddr),
    /// Open a pseudo-terminal; the host opens its slave path like a serial port.
    Pty,
}

/// A transport made ready: listening, or with its pty open.
#[derive(Debug)]
pub struct Endpoint {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Connect(String),
    Listen(TcpListener),
    Pty(Pty),
}

impl Endpoint {
    /// Binds the listener or opens the pty (dialling waits for the first session).
    pub async fn open(transport: &Transport) -> Result<Self, Error> {
        let kind = match transport {
            Transport::Connect(addr) => Kind::Connect(addr.clone()),
            Transport::Listen(addr) => Kind::Listen(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| Error::Open { action: format!("listen on {addr}"), source })?,
            ),
            Transport::Pty => Kind::Pty(
                Pty::open()
                    .map_err(|source| Error::Open { action: "open a pseudo-terminal".into(), source })?,
            ),
        };
        Ok(Self { kind })
    }

    /// The address listened on, with the real port when port 0 was asked for.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.kind {
            Kind::Listen(listener) => listener.local_addr().ok(),
            _ => None,
        }
    }

    /// The pty's slave path (`/dev/pts/N`) the host opens.
    pub fn pty_path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Pty(pty) => Some(pty.path()),
            _ => None,
        }
    }

    /// What the binary prints first so a test or the bridge can find the device:
    /// `listening on ADDR:PORT` or `pty /dev/pts/N`; nothing when dialling.
    pub fn announcement(&self) -> Option<String> {
        match &self.kind {
            Kind::Connect(_) => None,
            Kind::Listen(_) => self.local_addr().map(|addr| format!("listening on {addr}")),
            Kind::Pty(pty) => Some(format!("pty {}", pty.path().display())),
        }
    }

    /// A line for one session: dials, accepts one connection, or waits until the pty is not
    /// hung up (bytes written before the host opens it wait in its buffer).
    pub(crate) async fn session(&mut self) -> Result<Port<'_>, Error> {
        match &mut self.kind {
            Kind::Connect(addr) => {
                let stream = TcpStream::connect(addr.as_str())
                    .await
                    .map_err(|source| Error::Connect { addr: addr.clone(), source })?;
                tcp(stream)
            }
            Kind::Listen(listener) => {
                let (stream, peer) = listener
                    .accept()
                    .await
                    .map_err(|source| Error::Open { action: "accept a connection".into(), source })?;
                tracing::info!(%peer, "host connected");
                tcp(stream)
            }
            Kind::Pty(pty) => {
                pty.wait_open().await.map_err(Error::Io)?;
                Ok(Port::Pty(pty))
            }
        }
    }
}

fn tcp(stream: TcpStream) -> Result<Port<'static>, Error> {
    // Single ACK bytes go out at once rather than waiting to be coalesced.
    stream.set_nodelay(true).map_err(Error::Io)?;
    Ok(Port::Tcp(stream))
}

/// One session's line.
#[derive(Debug)]
pub(crate) enum Port<'a> {
    Tcp(TcpStream),
    Pty(&'a Pty),
}

impl Port<'_> {
    /// Reads what the host sent; `Ok(0)` when it hung up.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        match self {
            Port::Tcp(stream) => stream.read(buf).await,
            Port::Pty(pty) => pty.read(buf).await,
        }
        .map_err(Error::Io)
    }

    /// Writes all of `bytes`.
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let result = match self {
            Port::Tcp(stream) => stream.write_all(bytes).await,
            Port::Pty(pty) => pty.write_all(bytes).await,
        };
        result.map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => Error::HungUp,
            _ => Error::Io(e),
        })
    }

    /// Says the device has nothing more to send (TCP: FIN; a serial line has no such signal).
    pub(crate) async fn finish_sending(&mut self) {
        if let Port::Tcp(stream) = self {
            // The host may already be gone; there is nothing left to tell it either way.
            let _ = stream.shutdown().await;
        }
    }

    /// Discards what the host sends until it hangs up (`true`) or `limit` passes (`false`).
    pub(crate) async fn wait_hang_up(&mut self, limit: Option<Duration>) -> bool {
        let deadline = limit.map(|d| Instant::now() + d);
        let mut buf = vec![0; 1024];
        loop {
            let read = self.read(&mut buf);
            let n = match deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline, read).await {
                    Ok(n) => n,
                    Err(_) => return false,
                },
                None => read.await,
            };
            if !matches!(n, Ok(n) if n > 0) {
                return true;
            }
        }
    }
}
