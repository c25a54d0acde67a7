//! The bridge against a fake ILS on loopback, with devices on real TCP sockets and a
//! pseudo-terminal. Waits are on what the fake ILS records (or the bridge's status file), each
//! guarded by [`fake_ils::GUARD`]; nothing sleeps to let something happen.

#![allow(clippy::unwrap_used, missing_docs)]

mod config;
mod delivery;
mod fake_ils;
mod restart;
mod send;
mod serial;

use std::path::{Path, PathBuf};

use ils_bridge::{Config, Error, Overrides, Status};
use tokio::io::AsyncReadExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use fake_ils::GUARD;

/// A bridge running in this process.
pub struct Bridge {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl Bridge {
    /// Starts a bridge named `test-bridge` on `data_dir` with the fake's key and `devices`
    /// (TOML `[[device]]` tables).
    pub fn start(server: &str, data_dir: &Path, devices: &str) -> Self {
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("ils_bridge=debug").try_init();
        let text = format!(
            "server = {server:?}\ndata_dir = {:?}\nname = \"test-bridge\"\n{devices}",
            data_dir.display().to_string()
        );
        let overrides = Overrides { key: Some(fake_ils::KEY.into()), ..Overrides::default() };
        let config =
            Config::from_toml(&text, Path::new("bridge.toml"), &overrides).expect("the test config is valid");
        Self::start_with(config)
    }

    /// Starts a bridge with a configuration of the test's own.
    pub fn start_with(config: Config) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(ils_bridge::run(config, async {
            let _ = stopped.await;
        }));
        Self { stop: Some(stop), task: Some(task) }
    }

    /// Shuts the bridge down and waits for `run` to return.
    pub async fn stop(mut self) {
        let _ = self.stop.take().expect("running").send(());
        let task = self.task.take().expect("running");
        tokio::time::timeout(GUARD, task)
            .await
            .expect("the bridge stops in time")
            .expect("the bridge's task did not panic")
            .expect("the bridge stopped without error");
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A fresh data directory.
pub fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge");
    (dir, path)
}

/// Waits until the bridge's status file satisfies `cond`. The file is all the bridge shows from
/// outside, so this one wait polls.
pub async fn wait_status(data_dir: &Path, what: &str, cond: impl Fn(&Status) -> bool) -> Status {
    let poll = async {
        loop {
            if let Ok(status) = ils_bridge::status(data_dir)
                && cond(&status)
            {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    match tokio::time::timeout(GUARD, poll).await {
        Ok(status) => status,
        Err(_) => panic!("timed out waiting for {what}; status: {:#?}", ils_bridge::status(data_dir)),
    }
}

/// A device the bridge dials (`tcp_connect`): a listener on loopback.
pub struct DialledDevice {
    listener: TcpListener,
}

impl DialledDevice {
    /// Listens on a free loopback port.
    pub async fn new() -> Self {
        Self { listener: TcpListener::bind("127.0.0.1:0").await.unwrap() }
    }

    /// The `[[device]]` table for it.
    pub fn toml(&self, name: &str) -> String {
        format!("[[device]]\nname = {name:?}\ntcp_connect = \"{}\"\n", self.listener.local_addr().unwrap())
    }

    /// Waits for the bridge to dial.
    pub async fn accept(&self) -> TcpStream {
        let (stream, _) = tokio::time::timeout(GUARD, self.listener.accept())
            .await
            .expect("the bridge dials the device")
            .unwrap();
        stream
    }
}

/// Reads exactly `n` bytes from the device's side of a connection.
pub async fn read_exact(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    tokio::time::timeout(GUARD, stream.read_exact(&mut buf))
        .await
        .expect("the bytes arrive at the device")
        .expect("the connection stays up");
    buf
}
