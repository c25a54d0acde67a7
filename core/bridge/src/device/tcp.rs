//! Devices on TCP: the device dials the bridge (`tcp_listen`), or the bridge dials the device
//! (`tcp_connect`).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::{DeviceEvent, Line, Reader, STEADY, Writer};
use crate::backoff::Backoff;

/// How long a dial may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Listens on `addr`; serves one connection at a time, a new one replacing the old.
pub(super) async fn listen(addr: SocketAddr, mut line: Line) {
    let mut backoff = Backoff::new();
    let listener = loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => break listener,
            Err(e) => {
                line.events.problem(format!("could not listen on {addr}: {e}")).await;
                if !line.pause(backoff.next_delay()).await {
                    return;
                }
            }
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    tracing::info!(%local, "listening for the device");
    line.events.send(DeviceEvent::Listening(local)).await;

    let mut next: Option<(TcpStream, SocketAddr)> = None;
    loop {
        let (stream, peer) = match next.take() {
            Some(connection) => connection,
            None => match line.while_down(listener.accept()).await {
                None => return,
                Some(Ok(connection)) => connection,
                Some(Err(e)) => {
                    // Out of descriptors, say: wait a little rather than spin.
                    line.events.problem(format!("could not accept a connection: {e}")).await;
                    if !line.pause(backoff.next_delay()).await {
                        return;
                    }
                    continue;
                }
            },
        };
        backoff.reset();
        tracing::info!(%peer, "the device connected");
        let _ = stream.set_nodelay(true);
        line.events.send(DeviceEvent::Up { peer: Some(peer.to_string()) }).await;
        let (r, w) = stream.into_split();
        let (mut reader, mut writer) = (Reader::Tcp(r), Writer::Tcp(w));
        let stopped = line.stopped();
        let until = async {
            tokio::select! {
                () = stopped => "the bridge is stopping".to_string(),
                replaced = accept_next(&listener) => {
                    let reason = format!("replaced by a new connection from {}", replaced.1);
                    next = Some(replaced);
                    reason
                }
            }
        };
        let reason = line.serve(&mut reader, &mut writer, until).await;
        tracing::info!(%peer, %reason, "the device's connection ended");
        line.events.send(DeviceEvent::Down { reason }).await;
        if line.stopping() {
            return;
        }
    }
}

async fn accept_next(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(connection) => return connection,
            Err(e) => {
                tracing::warn!(error = %e, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Dials `addr` and keeps dialling, with backoff, whenever the connection is lost.
pub(super) async fn dial(addr: String, mut line: Line) {
    let mut backoff = Backoff::new();
    loop {
        let dialled =
            line.while_down(tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(addr.as_str()))).await;
        match dialled {
            None => return,
            Some(Ok(Ok(stream))) => {
                let peer = stream.peer_addr().map(|p| p.to_string()).unwrap_or_else(|_| addr.clone());
                tracing::info!(%peer, "connected to the device");
                let _ = stream.set_nodelay(true);
                line.events.send(DeviceEvent::Up { peer: Some(peer.clone()) }).await;
                let started = Instant::now();
                let (r, w) = stream.into_split();
                let (mut reader, mut writer) = (Reader::Tcp(r), Writer::Tcp(w));
                let stopped = line.stopped();
                let until = async {
                    stopped.await;
                    "the bridge is stopping".to_string()
                };
                let reason = line.serve(&mut reader, &mut writer, until).await;
                tracing::info!(%peer, %reason, "the device's connection ended");
                line.events.send(DeviceEvent::Down { reason }).await;
                if line.stopping() {
                    return;
                }
                if started.elapsed() >= STEADY {
                    backoff.reset();
                }
            }
            Some(Ok(Err(e))) => {
                line.events.problem(format!("could not connect to {addr}: {e}")).await;
            }
            Some(Err(_elapsed)) => {
                line.events
                    .problem(format!("could not connect to {addr}: no answer in {DIAL_TIMEOUT:?}"))
                    .await;
            }
        }
        if !line.pause(backoff.next_delay()).await {
            return;
        }
    }
}
