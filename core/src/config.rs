//! Run-time settings of the host, with the defaults a single-machine install wants.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub use ils_files::FileStorage;
use ils_kernel::secrets::Sealer;
pub use ils_plugin_host::{PackageStorage, PluginsConfig};

/// Authentication settings.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// How long a session lasts.
    pub session_ttl: Duration,
    /// Consecutive failed sign-ins before an account locks.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked.
    pub lockout: Duration,
    /// Sign-in and registration attempts allowed per client address per minute.
    pub attempts_per_minute: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            attempts_per_minute: 20,
        }
    }
}

/// Live event stream settings.
#[derive(Clone, Debug)]
pub struct EventsConfig {
    /// Event streams (`GET /events/stream`) one caller — a user, whatever their sessions, or an
    /// API key — may hold open at once in this process; more answer 429.
    pub streams_per_caller: usize,
}

impl Default for EventsConfig {
    fn default() -> Self {
        // A few browser tabs and an integration; each stream polls the database.
        Self { streams_per_caller: 5 }
    }
}

/// Job-queue settings.
#[derive(Clone, Debug)]
pub struct JobsConfig {
    /// First retry delay; each further retry doubles it (with jitter), up to `retry_max`.
    pub retry_base: Duration,
    /// Longest delay between two attempts.
    pub retry_max: Duration,
    /// Attempts of a webhook delivery or e-mail before it becomes a dead (discarded) job.
    pub delivery_attempts: u16,
    /// Jobs worked at once by this process (deliveries mostly wait on the network).
    pub workers: usize,
    /// Webhook deliveries (and, apart, plugin deliveries and jobs) one tenant may have running at
    /// once on this process; more are snoozed so other tenants' jobs get the workers. `None`: a
    /// quarter of `workers` (docs/adr/016-fair-queues.md).
    pub tenant_share: Option<usize>,
    /// Shortest pause between two fetches of available jobs.
    pub fetch_cooldown: Duration,
    /// Longest wait before looking for available jobs when no insert notification came (the job
    /// client paces notifications to one per `fetch_cooldown`, so one can be skipped).
    pub fetch_poll_interval: Duration,
    /// Most events the outbox relay hands to their consumers in one transaction.
    pub relay_batch: usize,
    /// Longest wait of an event nobody woke the relay for: one committed by another process, or
    /// outside a unit of work (docs/adr/035-outbox-relay.md).
    pub relay_poll: Duration,
    /// Batches relayed at once by this process on PostgreSQL (SQLite: always one).
    pub relay_concurrency: usize,
    /// A job running longer than this is cancelled (and retried).
    pub job_timeout: Duration,
    /// A job still marked running after this long is presumed lost with its process and run
    /// again. Longer than `job_timeout`, so a live job is never run twice.
    pub rescue_after: Duration,
    /// When host maintenance runs (cron syntax, e.g. `@hourly` or `0 * * * *`).
    pub maintenance_schedule: String,
    /// How long ended sessions are kept before maintenance deletes them.
    pub session_retention: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(6 * 3600),
            delivery_attempts: 12,
            workers: 100,
            tenant_share: None,
            fetch_cooldown: Duration::from_millis(20),
            fetch_poll_interval: Duration::from_millis(200),
            relay_batch: 200,
            relay_poll: Duration::from_millis(100),
            relay_concurrency: 2,
            job_timeout: Duration::from_secs(60),
            rescue_after: Duration::from_secs(120),
            maintenance_schedule: "@hourly".to_owned(),
            session_retention: Duration::from_secs(7 * 86_400),
        }
    }
}

/// Privacy settings (docs/adr/039-privacy.md).
#[derive(Clone, Debug)]
pub struct PrivacyConfig {
    /// Days between restricting a patient past their retention date and erasing them: time for
    /// a returning patient's record to be noticed, and for a last subject-access export.
    pub erasure_grace_days: u16,
    /// Years audit entries are kept before the purge archives and deletes them.
    pub audit_retention_years: u16,
    /// Where the purge writes its archives (JSON lines); no directory, no purge. `ils serve`
    /// uses `DATA_DIR/audit-archive` unless told otherwise.
    pub audit_archive_dir: Option<std::path::PathBuf>,
    /// When the retention sweep and the audit purge run (cron syntax, UTC).
    pub schedule: String,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self {
            erasure_grace_days: 30,
            audit_retention_years: 26,
            audit_archive_dir: None,
            schedule: "30 2 * * *".to_owned(),
        }
    }
}

/// SMTP settings.
#[derive(Clone, Debug, Default)]
pub struct EmailConfig {
    /// `smtp://host:port` (STARTTLS when offered… see lettre), `smtps://host:port`, with
    /// optional `user:password@`. No URL: no e-mail is sent.
    pub smtp_url: Option<String>,
    /// The sender, e.g. `ILS <noreply@example.com>`.
    pub from: String,
}

/// Everything the host needs besides the database.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Authentication settings.
    pub auth: AuthConfig,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Outbound webhooks.
    pub webhooks: ils_webhooks::WebhookConfig,
    /// The job queue.
    pub jobs: JobsConfig,
    /// Live event streams.
    pub events: EventsConfig,
    /// E-mail.
    pub email: EmailConfig,
    /// Plugin settings: where packages and compiled components are kept, and the limits plugins run under.
    pub plugins: PluginsConfig,
    /// Where the bytes of tenants' files are kept (`ILS_FILE_STORE`, default `DATA_DIR/files`).
    pub files: FileStorage,
    /// The address users reach this server at (`ILS_PUBLIC_URL`): links in e-mail point here.
    /// `ils serve` defaults it to `http://` and the address it listens on.
    pub public_url: url::Url,
    /// Retention, erasure and audit retention.
    pub privacy: PrivacyConfig,
}

/// The public address when none is configured: the default listen address.
fn default_public_url() -> url::Url {
    url::Url::parse("http://127.0.0.1:8080/").expect("a valid URL")
}

impl Default for AppConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl AppConfig {
    /// Defaults with a 1 MiB body limit.
    pub fn new() -> Self {
        Self {
            auth: AuthConfig::default(),
            max_body_bytes: 1024 * 1024,
            webhooks: Default::default(),
            jobs: Default::default(),
            events: Default::default(),
            email: EmailConfig { smtp_url: None, from: "ILS <noreply@localhost>".to_owned() },
            plugins: Default::default(),
            files: Default::default(),
            public_url: default_public_url(),
            privacy: PrivacyConfig::default(),
        }
    }
}

/// Errors reading the secret key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `ILS_SECRET_KEY` is not 32 bytes of base64.
    #[error("ILS_SECRET_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)")]
    Malformed,
    /// The key file could not be read or written.
    #[error("secret key file {path}: {source}")]
    Io {
        /// The key file's path.
        path: String,
        /// Why reading or writing it failed.
        source: std::io::Error,
    },
}

/// The key that seals secrets at rest: `ILS_SECRET_KEY` (base64, 32 bytes) when given —
/// required when several nodes share a database — else `secret.key` in the data directory,
/// created with mode 0600 on first start.
pub fn load_sealer(env_key: Option<&str>, data_dir: &Path) -> Result<Sealer, KeyError> {
    let decode = |text: &str| -> Result<[u8; 32], KeyError> {
        STANDARD.decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(KeyError::Malformed)
    };
    if let Some(key) = env_key.filter(|k| !k.trim().is_empty()) {
        return Ok(Sealer::new(decode(key)?));
    }
    let path = data_dir.join("secret.key");
    let io = |source| KeyError::Io { path: path.display().to_string(), source };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Sealer::new(decode(&text)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = ils_kernel::secrets::random_bytes::<32>();
            write_private(&path, STANDARD.encode(key).as_bytes()).map_err(io)?;
            Ok(Sealer::new(key))
        }
        Err(e) => Err(io(e)),
    }
}

/// `ILS_OUTBOUND_CONNECT_TO`: where plugins' outbound calls to some `host:port` go instead of
/// where DNS says (as curl's `--connect-to`), for running the console against a fake of an
/// outside service. TLS still checks the certificate for the name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectTo(pub Vec<((String, u16), SocketAddr)>);

impl ConnectTo {
    /// The variable's name, which every error names.
    pub const VAR: &'static str = "ILS_OUTBOUND_CONNECT_TO";

    /// Reads `host:port=ip:port[,host:port=ip:port…]` (IPv6 as `[::1]:9443`); blank is none.
    pub fn parse(text: &str) -> Result<Self, String> {
        let var = Self::VAR;
        let mut pairs: Vec<((String, u16), SocketAddr)> = Vec::new();
        for (n, entry) in text.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(format!("{var}: entry {} is empty (entries are separated by one comma)", n + 1));
            }
            let bad = |why: &str| format!("{var}: {entry:?}: {why}; expected host:port=ip:port");
            let (name, address) = entry.split_once('=').ok_or_else(|| bad("no '='"))?;
            let (host, port) = name.trim().rsplit_once(':').ok_or_else(|| bad("the name has no port"))?;
            let host = host.to_ascii_lowercase();
            let label_ok = |l: &str| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            };
            if host.len() > 253 || !host.split('.').all(label_ok) {
                return Err(bad("the name is not a DNS name"));
            }
            let port: u16 =
                port.parse().ok().filter(|p| *p != 0).ok_or_else(|| bad("the port is not 1–65535"))?;
            let address: SocketAddr =
                address.trim().parse().map_err(|_| bad("the address is not ip:port"))?;
            if pairs.iter().any(|((h, p), _)| *h == host && *p == port) {
                return Err(format!("{var}: {host}:{port} is given twice"));
            }
            pairs.push(((host, port), address));
        }
        Ok(Self(pairs))
    }

    /// Whether no name is redirected.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first redirect to an address plugins may reach only with private networks allowed.
    pub fn private_target(&self) -> Option<&((String, u16), SocketAddr)> {
        self.0.iter().find(|(_, addr)| !ils_webhooks::guard::is_public(addr.ip()))
    }
}

impl std::fmt::Display for ConnectTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries: Vec<String> = self.0.iter().map(|((h, p), a)| format!("{h}:{p}={a}")).collect();
        f.write_str(&entries.join(","))
    }
}

/// `ILS_OUTBOUND_EXTRA_ROOTS`: certificates (DER) plugins' outbound TLS trusts beside Mozilla's
/// roots, read from a PEM file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraRoots {
    /// The file they came from.
    pub path: std::path::PathBuf,
    /// Each certificate, DER.
    pub certificates: Vec<Vec<u8>>,
}

impl ExtraRoots {
    /// The variable's name, which every error names.
    pub const VAR: &'static str = "ILS_OUTBOUND_EXTRA_ROOTS";

    /// Reads every `CERTIFICATE` of the PEM file at `path`; none, an unreadable file or a
    /// certificate rustls cannot use as a trust anchor is an error.
    pub fn load(path: &Path) -> Result<Self, String> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;
        let var = Self::VAR;
        let shown = path.display();
        let pem = std::fs::read(path).map_err(|e| format!("{var}: cannot read {shown}: {e}"))?;
        let mut certificates = Vec::new();
        for (n, certificate) in CertificateDer::pem_slice_iter(&pem).enumerate() {
            let certificate = certificate
                .map_err(|e| format!("{var}: {shown}: certificate {} is not readable PEM: {e}", n + 1))?;
            rustls::RootCertStore::empty().add(certificate.clone()).map_err(|e| {
                format!("{var}: {shown}: certificate {} cannot be a trust anchor: {e}", n + 1)
            })?;
            certificates.push(certificate.to_vec());
        }
        if certificates.is_empty() {
            return Err(format!("{var}: {shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
        }
        Ok(Self { path: path.to_owned(), certificates })
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_sealer(None, dir.path()).unwrap();
        let sealed = first.seal(b"secret");
        let second = load_sealer(None, dir.path()).unwrap();
        assert_eq!(second.open(&sealed).unwrap(), b"secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(load_sealer(Some("short"), dir.path()), Err(KeyError::Malformed)));
    }

    #[test]
    fn connect_to_reads_comma_separated_names_and_addresses() {
        let parsed = ConnectTo::parse(
            "Lenses.myshopify.com:443=127.0.0.1:9443, storage.googleapis.com:443=[::1]:9444",
        )
        .unwrap();
        assert_eq!(
            parsed.0,
            vec![
                (("lenses.myshopify.com".to_owned(), 443), "127.0.0.1:9443".parse().unwrap()),
                (("storage.googleapis.com".to_owned(), 443), "[::1]:9444".parse().unwrap()),
            ]
        );
        assert_eq!(
            parsed.to_string(),
            "lenses.myshopify.com:443=127.0.0.1:9443,storage.googleapis.com:443=[::1]:9444"
        );
        assert!(parsed.private_target().is_some(), "loopback needs private networks allowed");
        assert!(ConnectTo::parse("a.example:443=93.184.215.14:443").unwrap().private_target().is_none());
        assert!(ConnectTo::parse("").unwrap().is_empty());
        assert!(ConnectTo::parse("  ").unwrap().is_empty());
    }

    #[test]
    fn a_bad_connect_to_names_the_variable_and_the_entry() {
        for (bad, why) in [
            ("lenses.myshopify.com:443", "no '='"),
            ("lenses.myshopify.com=127.0.0.1:9443", "no port"),
            ("lenses.myshopify.com:0=127.0.0.1:9443", "1–65535"),
            ("lenses.myshopify.com:https=127.0.0.1:9443", "1–65535"),
            ("lenses.myshopify.com:443=localhost:9443", "not ip:port"),
            ("lenses.myshopify.com:443=127.0.0.1", "not ip:port"),
            ("bad host:443=127.0.0.1:1", "not a DNS name"),
            ("-x.example:443=127.0.0.1:1", "not a DNS name"),
            ("a.example:443=127.0.0.1:1,,b.example:443=127.0.0.1:2", "entry 2 is empty"),
            ("a.example:443=127.0.0.1:1,A.example:443=127.0.0.1:2", "given twice"),
        ] {
            let err = ConnectTo::parse(bad).unwrap_err();
            assert!(err.starts_with("ILS_OUTBOUND_CONNECT_TO: "), "{bad}: {err}");
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn extra_roots_are_read_from_a_pem_file_and_junk_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let certified = rcgen::generate_simple_self_signed(vec!["lenses.myshopify.com".to_owned()]).unwrap();
        let pem = dir.path().join("ca.pem");
        std::fs::write(&pem, format!("{}\n{}", certified.cert.pem(), certified.cert.pem())).unwrap();
        let roots = ExtraRoots::load(&pem).unwrap();
        assert_eq!(roots.certificates, vec![certified.cert.der().to_vec(); 2]);

        let missing = ExtraRoots::load(&dir.path().join("absent.pem")).unwrap_err();
        assert!(missing.starts_with("ILS_OUTBOUND_EXTRA_ROOTS: cannot read"), "{missing}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let err = ExtraRoots::load(&empty).unwrap_err();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let err = ExtraRoots::load(&broken).unwrap_err();
        assert!(err.starts_with("ILS_OUTBOUND_EXTRA_ROOTS: ") && err.contains("certificate 1"), "{err}");
    }
}
