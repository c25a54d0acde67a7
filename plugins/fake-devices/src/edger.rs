//! A DCS edger receiving jobs: each intact frame is a job document, kept, then ACKed; a
//! damaged one is NAKed. So when the host has its ACK, the job is in the `--out` file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dcs_driver::record::Document;
use tokio::io::AsyncWriteExt;

use crate::error::Error;
use crate::line::{Line, LinkOptions, Received};
use crate::transport::Endpoint;

/// How an edger behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgerOptions {
    /// ACKs and NAKs (the edger sends no frames of its own).
    pub link: LinkOptions,
    /// A file each job is appended to: its records one a line, then a blank line.
    pub out: Option<PathBuf>,
    /// Stop after this many jobs (otherwise when the host hangs up).
    pub jobs: Option<usize>,
    /// How long the line is held after the last job, unless the host hangs up.
    pub linger: Duration,
}

impl Default for EdgerOptions {
    fn default() -> Self {
        Self { link: LinkOptions::default(), out: None, jobs: None, linger: Duration::from_secs(2) }
    }
}

/// What an edger received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgerReport {
    /// The jobs, in order.
    pub jobs: Vec<Document>,
    /// Damaged frames, NAKed.
    pub rejected: u32,
    /// Intact frames whose body is not DCS records (ACKed, as they arrived whole, but not kept).
    pub unreadable: u32,
}

/// A job as the edger writes it: its records one a line (LF), as DCS writes them.
pub fn job_text(job: &Document) -> String {
    String::from_utf8_lossy(&job.to_bytes()).replace("\r\n", "\n")
}

async fn append(path: &Path, job: &Document) -> Result<(), Error> {
    let error = |source| Error::Out { path: path.to_path_buf(), source };
    let mut file = tokio::fs::OpenOptions::new().create(true).append(true).open(path).await.map_err(error)?;
    let mut text = job_text(job);
    text.push('\n');
    file.write_all(text.as_bytes()).await.map_err(error)?;
    file.sync_data().await.map_err(error)
}

/// Receives jobs on `endpoint` (one connection, or the pty until the host hangs up), calling
/// `on_job` with each after it is written to `options.out` and before it is ACKed.
pub async fn run_edger(
    endpoint: &mut Endpoint,
    options: &EdgerOptions,
    mut on_job: impl FnMut(&Document) + Send,
) -> Result<EdgerReport, Error> {
    let port = endpoint.session().await?;
    let mut line = Line::new(port, options.link);
    let mut report = EdgerReport::default();
    while options.jobs.is_none_or(|n| report.jobs.len() < n) {
        match line.receive(None).await? {
            Received::Frame(body) => match Document::parse(&body) {
                Ok(job) => {
                    if let Some(path) = &options.out {
                        append(path, &job).await?;
                    }
                    on_job(&job);
                    report.jobs.push(job);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "an intact frame that is not DCS records");
                    report.unreadable += 1;
                }
            },
            Received::HungUp | Received::TimedOut => break,
        }
    }
    report.rejected = line.stats.rejected;
    line.linger(options.linger).await;
    Ok(report)
}
