//! `ils-fake-devices`: a simulated tracer, edger or refractor on TCP or a pseudo-terminal.
//!
//! The first line on stdout says where the device is (`listening on ADDR:PORT` or
//! `pty /dev/pts/N`); the edger then prints each job it receives. Logs go to stderr
//! (`RUST_LOG=debug` for every frame).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dcs_driver::frame::CrcStyle;
use ils_fake_devices::{
    EdgerOptions, Endpoint, Error, LinkOptions, RefractorOptions, TracerOptions, TracerRecording, Transport,
    job_text, run_edger, run_refractor, run_tracer,
};

#[derive(Parser)]
#[command(name = "ils-fake-devices", version, about = "Simulated lab devices replaying recorded sessions")]
struct Cli {
    #[command(subcommand)]
    device: Device,
}

#[derive(Subcommand)]
enum Device {
    /// A DCS tracer: INI and TRC handshake, then the recording's shape.
    Tracer {
        #[command(flatten)]
        transport: TransportArgs,
        #[command(flatten)]
        link: LinkArgs,
        /// The session to replay (see the README's recording format).
        recording: PathBuf,
        /// The job number sent and expected, replacing every JOB in the recording.
        #[arg(long, value_name = "N")]
        job: Option<String>,
        /// Start the session again on a new connection when the line drops.
        #[arg(long)]
        reconnect: bool,
        /// With --reconnect: sessions started again at most.
        #[arg(long, value_name = "N", default_value_t = 5)]
        attempts: u32,
        /// How long to wait for each answer of the host.
        #[arg(long, value_name = "MS", default_value_t = 30_000)]
        answer_timeout_ms: u64,
        /// How long to hold the line after the last answer unless the host hangs up.
        #[arg(long, value_name = "MS", default_value_t = 2_000)]
        linger_ms: u64,
    },
    /// A DCS edger: ACKs each job packet and prints it (records one a line).
    Edger {
        #[command(flatten)]
        transport: TransportArgs,
        #[command(flatten)]
        link: LinkArgs,
        /// Append each job to this file, followed by a blank line.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Do not print jobs on stdout.
        #[arg(long)]
        quiet: bool,
        /// Stop after this many jobs (otherwise when the host hangs up).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// How long to hold the line after the last job unless the host hangs up.
        #[arg(long, value_name = "MS", default_value_t = 2_000)]
        linger_ms: u64,
    },
    /// A one-way refractor (Nidek RT-5100 style): sends a recorded transmission.
    Refractor {
        #[command(flatten)]
        transport: TransportArgs,
        /// The bytes to send, exactly as the instrument sends them.
        transmission: PathBuf,
        /// Bytes per write.
        #[arg(long, value_name = "N")]
        chunk: Option<usize>,
        /// Pause between chunks.
        #[arg(long, value_name = "MS", default_value_t = 0)]
        delay_ms: u64,
        /// Send again and again until the host hangs up.
        #[arg(long)]
        repeat: bool,
        /// Pause between transmissions with --repeat.
        #[arg(long, value_name = "MS", default_value_t = 1_000)]
        pause_ms: u64,
        /// Hold the line at most this long after sending (default: until the host hangs up).
        #[arg(long, value_name = "MS")]
        linger_ms: Option<u64>,
    },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct TransportArgs {
    /// Dial the host.
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// Accept one connection from the host (port 0: any free port, printed).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Open a pseudo-terminal; the host opens the printed /dev/pts path as a serial port.
    #[arg(long)]
    pty: bool,
}

impl TransportArgs {
    fn transport(&self) -> Transport {
        match (&self.connect, self.listen) {
            (Some(addr), _) => Transport::Connect(addr.clone()),
            (None, Some(addr)) => Transport::Listen(addr),
            (None, None) => Transport::Pty,
        }
    }
}

#[derive(Args)]
struct LinkArgs {
    /// Wait this long for the host's ACK before sending a frame again.
    #[arg(long, value_name = "MS", default_value_t = 3_000)]
    ack_timeout_ms: u64,
    /// Resends of a frame before giving up.
    #[arg(long, value_name = "N", default_value_t = 3)]
    retries: u8,
    /// Write CRCs zero-padded to 5 digits.
    #[arg(long)]
    crc5: bool,
}

impl LinkArgs {
    fn options(&self) -> LinkOptions {
        LinkOptions {
            ack_timeout: Duration::from_millis(self.ack_timeout_ms),
            retries: self.retries,
            crc: if self.crc5 { CrcStyle::Padded } else { CrcStyle::Plain },
        }
    }
}

/// Opens the endpoint and prints where it is, first on stdout, flushed.
async fn open(transport: &TransportArgs) -> Result<Endpoint, Error> {
    let endpoint = Endpoint::open(&transport.transport()).await?;
    if let Some(line) = endpoint.announcement() {
        let mut out = std::io::stdout().lock();
        // A closed stdout only loses the announcement; the device still works.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
    Ok(endpoint)
}

async fn run(device: Device) -> Result<(), Error> {
    match device {
        Device::Tracer {
            transport,
            link,
            recording,
            job,
            reconnect,
            attempts,
            answer_timeout_ms,
            linger_ms,
        } => {
            let mut recording = TracerRecording::load(&recording)?;
            if let Some(job) = job {
                recording.set_job(&job)?;
            }
            let options = TracerOptions {
                link: link.options(),
                answer_timeout: Duration::from_millis(answer_timeout_ms),
                reconnects: if reconnect { attempts } else { 0 },
                linger: Duration::from_millis(linger_ms),
                ..TracerOptions::default()
            };
            let mut endpoint = open(&transport).await?;
            let report = run_tracer(&mut endpoint, &recording, &options).await?;
            tracing::info!(
                sessions = report.sessions,
                frames = report.frames_sent,
                resends = report.resends,
                "upload complete"
            );
        }
        Device::Edger { transport, link, out, quiet, jobs, linger_ms } => {
            let options =
                EdgerOptions { link: link.options(), out, jobs, linger: Duration::from_millis(linger_ms) };
            let mut endpoint = open(&transport).await?;
            let report = run_edger(&mut endpoint, &options, |job| {
                if !quiet {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{}", job_text(job)).and_then(|()| out.flush());
                }
            })
            .await?;
            tracing::info!(jobs = report.jobs.len(), rejected = report.rejected, "host hung up");
        }
        Device::Refractor { transport, transmission, chunk, delay_ms, repeat, pause_ms, linger_ms } => {
            let data = std::fs::read(&transmission)
                .map_err(|source| Error::ReadFile { path: transmission, source })?;
            let options = RefractorOptions {
                chunk,
                delay: Duration::from_millis(delay_ms),
                repeat,
                pause: Duration::from_millis(pause_ms),
                linger: linger_ms.map(Duration::from_millis),
            };
            let mut endpoint = open(&transport).await?;
            let report = run_refractor(&mut endpoint, &data, &options).await?;
            tracing::info!(transmissions = report.transmissions, bytes = report.bytes, "sent");
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(cli.device).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ils-fake-devices: {e}");
            ExitCode::FAILURE
        }
    }
}
