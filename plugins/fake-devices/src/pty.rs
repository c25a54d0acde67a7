//! A pseudo-terminal the device talks on from the master side, while the host opens the slave
//! path (`/dev/pts/N`) as it would a serial port.
//!
//! Linux behaviour this relies on (checked in `tests/it/refractor.rs`):
//! - termios set through the master apply to the slave, so one raw setting (no echo, no CR/LF
//!   translation, 8 bits) covers both directions; the master side itself is always raw;
//! - bytes written before the host opens the slave wait in the line's buffer;
//! - once the host has opened and closed the slave, the master reads EIO and polls HUP until it
//!   is opened again: that is how the device sees the host hang up;
//! - closing the master discards what the host has not read, so a device holds the line until
//!   the host hangs up (or its linger runs out) before it lets go.

use std::ffi::OsString;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, tcgetattr, tcsetattr};
use tokio::io::unix::AsyncFd;

/// How often a device looks again at a line whose host has hung up, or whose buffer is full.
const RECHECK: Duration = Duration::from_millis(50);

/// The master side of a pseudo-terminal pair, non-blocking and raw.
#[derive(Debug)]
pub(crate) struct Pty {
    master: AsyncFd<OwnedFd>,
    path: PathBuf,
}

impl Pty {
    /// Opens a pair and puts the line in raw mode.
    pub(crate) fn open() -> io::Result<Self> {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let path = PathBuf::from(OsString::from_vec(ptsname(&master, Vec::new())?.into_bytes()));
        let mut termios = tcgetattr(&master)?;
        termios.make_raw();
        tcsetattr(&master, OptionalActions::Now, &termios)?;
        rustix::io::ioctl_fionbio(&master, true)?;
        // Deprecated for a `T` whose descriptor could close or change under the registration
        // (tokio#8587); an `OwnedFd` owns its descriptor, keeps it open and always returns it,
        // which is what the unsafe `AsyncFd::register` would have us promise (unsafe code is
        // denied in this workspace).
        #[allow(deprecated)]
        let master = AsyncFd::new(master)?;
        Ok(Self { master, path })
    }

    /// The slave path the host opens.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the host opened the slave and has closed it since.
    fn hung_up(&self) -> io::Result<bool> {
        let mut fds = [PollFd::new(self.master.get_ref(), PollFlags::IN)];
        poll(&mut fds, Some(&Timespec { tv_sec: 0, tv_nsec: 0 }))?;
        Ok(fds[0].revents().contains(PollFlags::HUP))
    }

    /// Waits until no host is hung up on the line: before the first open, or once it reopens.
    pub(crate) async fn wait_open(&self) -> io::Result<()> {
        while self.hung_up()? {
            tokio::time::sleep(RECHECK).await;
        }
        Ok(())
    }

    /// Reads what the host sent; `Ok(0)` once the host has hung up.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.master.readable().await?;
            match guard.try_io(|fd| match rustix::io::read(fd.get_ref(), &mut *buf) {
                Err(Errno::IO) => Ok(0),
                other => other.map_err(io::Error::from),
            }) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Writes all of `bytes`; fails with `BrokenPipe` if the host has hung up.
    pub(crate) async fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            // A full buffer whose reader has gone never turns writable: look again now and then.
            if self.hung_up()? {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let Ok(guard) = tokio::time::timeout(RECHECK, self.master.writable()).await else {
                continue;
            };
            match guard?.try_io(|fd| rustix::io::write(fd.get_ref(), bytes).map_err(io::Error::from)) {
                Ok(written) => bytes = &bytes[written?..],
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }
}
