//! `ils`: the ILS host's command line.

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ils_core::auth::password::Password;
use ils_core::db::{Db, DbOptions};
use ils_core::tenants::{self, FirstAdmin, NewTenant, PlanSlug, Slug, TenantKind};
use ils_core::users::{self, Bootstrap, Email};
use ils_core::{AppConfig, AppState, Error};

mod cli;

#[derive(Parser)]
#[command(name = "ils", version, about = "ILS: the platform for optical practices and labs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (migrating the database first).
    Serve(Box<ServeArgs>),
    /// Create a new, empty installation in the data directory (and database), or bring an
    /// existing one's schema up to date. Other commands refuse to run without an installation.
    Init(DbArgs),
    /// Apply pending database migrations to an installation and exit.
    Migrate(DbArgs),
    /// Platform administrators.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Tenants: create one with its first company admin.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Plugins: create, build and test them.
    #[command(subcommand)]
    Plugin(cli::plugin::PluginCommand),
    /// The on-site bridge: connect a lab's or practice's devices (serial, TCP) to ILS.
    #[command(subcommand)]
    Bridge(cli::bridge::BridgeCommand),
}

#[derive(Args)]
pub(crate) struct DbArgs {
    /// Directory for ILS's own files (the SQLite database, the secret key).
    #[arg(long, default_value = "./ils-data", env = "ILS_DATA_DIR")]
    pub(crate) data_dir: PathBuf,
    /// `postgres://…` or `sqlite:PATH`. Without it, ILS uses `DATA_DIR/ils.db` (SQLite).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// PostgreSQL only: the schema owner's URL for migrations, when the service role may not
    /// change the schema.
    #[arg(long, env = "ILS_MIGRATE_DATABASE_URL", hide_env_values = true)]
    migrate_database_url: Option<String>,
    /// Where plugin packages are kept: `database` (every node on the database reads them) or
    /// `dir:PATH` (a directory; nodes on one database must then share it).
    #[arg(long, env = "ILS_PLUGIN_STORE", default_value = "database")]
    plugin_store: ils_plugin_host::PackageStorage,
    /// Where the bytes of tenants' files are kept: `dir:PATH` (default `DATA_DIR/files`); nodes
    /// on one database must share it.
    #[arg(long, env = "ILS_FILE_STORE")]
    file_store: Option<ils_core::config::FileStorage>,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ILS_LISTEN")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// Create a new, empty installation when the data directory holds none (as `ils init`);
    /// without it, `serve` refuses to start on a directory with no installation.
    #[arg(long)]
    init: bool,
    /// Let webhooks go to http:// and to private, loopback and link-local addresses (tests and
    /// closed networks only).
    #[arg(long, env = "ILS_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: bool,
    /// SMTP server for e-mail notifications: smtp://host:port or smtps://user:pass@host:port.
    #[arg(long, env = "ILS_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Sender of e-mail notifications.
    #[arg(long, env = "ILS_SMTP_FROM", default_value = "ILS <noreply@localhost>")]
    smtp_from: String,
    /// Jobs this process works at once; 0 runs no workers (an API-only node).
    #[arg(long, env = "ILS_JOB_WORKERS", default_value_t = 100)]
    job_workers: usize,
    /// Webhook deliveries, and apart plugin deliveries, one tenant may run at once on this
    /// process (more wait their turn); default a quarter of the job workers.
    #[arg(long, env = "ILS_JOB_TENANT_SHARE")]
    job_tenant_share: Option<usize>,
    /// First retry delay of a failed job, in milliseconds (doubling, with jitter).
    #[arg(long, env = "ILS_JOB_RETRY_BASE_MS", default_value_t = 5_000)]
    job_retry_base_ms: u64,
    /// Attempts of a webhook delivery or e-mail before it is a dead job.
    #[arg(long, env = "ILS_JOB_DELIVERY_ATTEMPTS", default_value_t = 12)]
    job_delivery_attempts: u16,
    /// Seconds a job may run before it is cancelled and retried.
    #[arg(long, env = "ILS_JOB_TIMEOUT_SECS", default_value_t = 60)]
    job_timeout_secs: u64,
    /// Seconds after which a job still marked running is presumed lost with its process and
    /// rerun; must exceed the job timeout.
    #[arg(long, env = "ILS_JOB_RESCUE_AFTER_SECS", default_value_t = 120)]
    job_rescue_after_secs: u64,
    /// Let plugins call http:// and private, loopback and link-local addresses (development
    /// and closed networks only).
    #[arg(long, env = "ILS_PLUGINS_ALLOW_PRIVATE")]
    plugins_allow_private: bool,
    /// Calls per minute each tenant's inbound plugin webhook takes (per node); more answer 429.
    #[arg(long, env = "ILS_PLUGIN_HOOKS_PER_MINUTE", default_value_t = 600)]
    plugin_hooks_per_minute: u32,
    /// Plugin calls one tenant may have running at once on this node (default: a quarter of the
    /// instance pool); more wait briefly, then answer 503 `plugin_busy`.
    #[arg(long, env = "ILS_PLUGIN_CALLS_PER_TENANT")]
    plugin_calls_per_tenant: Option<usize>,
    /// CPU-bound plugin calls running at once on this node (default: one fewer than the cores).
    #[arg(long, env = "ILS_PLUGIN_CPU_SLOTS")]
    plugin_cpu_slots: Option<usize>,
    /// Live event streams each user (all their sessions and console tabs) or API key may hold
    /// open; more answer 429.
    #[arg(long, env = "ILS_EVENT_STREAMS_PER_CALLER", default_value_t = 5)]
    event_streams_per_caller: usize,
    /// The address users reach ILS at (`https://ils.example.com`), for links in e-mail; default
    /// `http://` and the listen address.
    #[arg(long, env = "ILS_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<url::Url>,
    /// Days between restricting a patient past their clinical retention date and erasing them.
    #[arg(long, env = "ILS_ERASURE_GRACE_DAYS", default_value_t = 30)]
    erasure_grace_days: u16,
    /// Years audit entries are kept; older ones are archived to the audit archive, then deleted.
    #[arg(long, env = "ILS_AUDIT_RETENTION_YEARS", default_value_t = 26,
          value_parser = clap::value_parser!(u16).range(1..=200))]
    audit_retention_years: u16,
    /// Where purged audit entries are archived (JSON lines); default `DATA_DIR/audit-archive`.
    #[arg(long, env = "ILS_AUDIT_ARCHIVE_DIR")]
    audit_archive_dir: Option<PathBuf>,
    /// When the retention sweep and the audit purge run (cron syntax, UTC).
    #[arg(long, env = "ILS_PRIVACY_SCHEDULE", default_value = "30 2 * * *")]
    privacy_schedule: String,
    /// Testing only: send plugins' outbound calls for `host:port` to another address instead of
    /// resolving the name, `host:port=ip:port`, comma-separated (TLS still checks the name).
    #[arg(long, env = "ILS_OUTBOUND_CONNECT_TO", value_parser = ils_core::config::ConnectTo::parse)]
    outbound_connect_to: Option<ils_core::config::ConnectTo>,
    /// Testing only: a PEM file of certificates plugins' outbound TLS trusts beside the usual
    /// roots (a fake service's own).
    #[arg(long, env = "ILS_OUTBOUND_EXTRA_ROOTS", value_parser = parse_extra_roots)]
    outbound_extra_roots: Option<ils_core::config::ExtraRoots>,
}

fn parse_extra_roots(path: &str) -> Result<ils_core::config::ExtraRoots, String> {
    ils_core::config::ExtraRoots::load(std::path::Path::new(path))
}

/// An `http(s)://` URL with nothing after the path.
fn parse_public_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?}: {e}"))?;
    let fits = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty();
    if fits {
        Ok(url)
    } else {
        Err(format!("{text:?} must be an http:// or https:// address, without a query"))
    }
}

/// The public address of a server that was given none: `http://` and where it listens (the
/// loopback name for an unspecified address).
fn listen_url(listen: SocketAddr) -> url::Url {
    let host = match listen.ip() {
        ip if ip.is_unspecified() => "localhost".to_owned(),
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    url::Url::parse(&format!("http://{host}:{}/", listen.port()))
        .unwrap_or_else(|_| AppConfig::new().public_url)
}

impl std::fmt::Debug for DbArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URLs may hold passwords.
        f.debug_struct("DbArgs").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl DbArgs {
    /// Plugin settings for this data directory: packages in the chosen store (packages an older
    /// installation kept in `DATA_DIR/plugins` are imported from there), compiled components in
    /// `DATA_DIR/plugin-cache`.
    fn plugins(&self) -> ils_plugin_host::PluginsConfig {
        ils_plugin_host::PluginsConfig {
            store: self.plugin_store.clone(),
            dir: self.data_dir.join("plugins"),
            cache_dir: self.data_dir.join("plugin-cache"),
            ..Default::default()
        }
    }

    /// Where file bytes are kept: the chosen store, else `DATA_DIR/files`.
    fn files(&self) -> ils_core::config::FileStorage {
        self.file_store
            .clone()
            .unwrap_or_else(|| ils_core::config::FileStorage::Dir(self.data_dir.join("files")))
    }
}

impl ServeArgs {
    fn config(&self) -> AppConfig {
        let mut config = AppConfig::new();
        config.webhooks.allow_private_targets = self.webhooks_allow_private;
        config.email.smtp_url = self.smtp_url.clone().filter(|u| !u.is_empty());
        config.email.from = self.smtp_from.clone();
        config.jobs.workers = self.job_workers;
        config.jobs.tenant_share = self.job_tenant_share;
        config.jobs.retry_base = Duration::from_millis(self.job_retry_base_ms.max(1));
        config.jobs.delivery_attempts = self.job_delivery_attempts.max(1);
        config.jobs.job_timeout = Duration::from_secs(self.job_timeout_secs.max(1));
        config.jobs.rescue_after = Duration::from_secs(self.job_rescue_after_secs.max(2));
        config.plugins = self.db.plugins();
        config.files = self.db.files();
        config.public_url = self.public_url.clone().unwrap_or_else(|| listen_url(self.listen));
        config.plugins.allow_private_networks = self.plugins_allow_private;
        config.plugins.hooks_per_minute = self.plugin_hooks_per_minute.max(1);
        if self.plugin_calls_per_tenant.is_some() || self.plugin_cpu_slots.is_some() {
            let mut fair = ils_host_api::FairConfig::for_pool(config.plugins.max_instances);
            if let Some(calls) = self.plugin_calls_per_tenant {
                fair.tenant_calls = calls.max(1);
                fair.plugin_calls = fair.plugin_calls.min(fair.tenant_calls);
            }
            if let Some(slots) = self.plugin_cpu_slots {
                fair.cpu_slots = slots.max(1);
                fair.tenant_cpu_slots = fair.cpu_slots.div_ceil(2);
            }
            config.plugins.fair = Some(fair);
        }
        if let Some(connect_to) = &self.outbound_connect_to {
            config.plugins.outbound_overrides.connect_to.extend(connect_to.0.iter().cloned());
        }
        if let Some(roots) = &self.outbound_extra_roots {
            config.plugins.outbound_overrides.extra_roots.extend(roots.certificates.iter().cloned());
        }
        config.events.streams_per_caller = self.event_streams_per_caller.max(1);
        config.privacy.erasure_grace_days = self.erasure_grace_days;
        config.privacy.audit_retention_years = self.audit_retention_years;
        config.privacy.schedule = self.privacy_schedule.clone();
        config.privacy.audit_archive_dir =
            Some(self.audit_archive_dir.clone().unwrap_or_else(|| self.db.data_dir.join("audit-archive")));
        // A delivery must be able to finish inside its job's time.
        config.webhooks.timeout = config.webhooks.timeout.min(config.jobs.job_timeout);
        config
    }
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform admin. The password is read from ILS_ADMIN_PASSWORD or standard input.
    Create {
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long, default_value = "Platform admin")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant with its first company admin. A new admin account's password is read
    /// from ILS_ADMIN_PASSWORD or standard input.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Unique handle (2–63 of a-z, 0-9, -).
        #[arg(long)]
        slug: String,
        /// ecp, lab, supplier or hybrid.
        #[arg(long, value_parser = parse_kind)]
        kind: TenantKind,
        /// The plan's slug (free, pro, premium, enterprise, or one a platform admin created);
        /// the lowest-ranked plan when absent.
        #[arg(long, value_parser = parse_plan)]
        plan: Option<PlanSlug>,
        /// The first admin's e-mail address.
        #[arg(long)]
        admin_email: String,
        /// The first admin's display name.
        #[arg(long, default_value = "Company admin")]
        admin_name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn parse_kind(s: &str) -> Result<TenantKind, String> {
    s.parse().map_err(|e: ils_core::db::types::UnknownVariant| e.to_string())
}

fn parse_plan(s: &str) -> Result<PlanSlug, String> {
    PlanSlug::parse(s).map_err(|e| e.to_string())
}

/// A failure to report: the message, and the exit code (1 failure, 2 bad input).
struct Failure(String, u8);

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match &error {
            Error::Invalid { .. }
            | Error::BadRequest { .. }
            | Error::Conflict { .. }
            | Error::NotFound(_) => Failure(error.to_string(), 2),
            _ => Failure(error.to_string(), 1),
        }
    }
}

impl From<ils_core::db::DbError> for Failure {
    fn from(error: ils_core::db::DbError) -> Self {
        Failure(error.to_string(), 1)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure(error.to_string(), 1)
    }
}

impl From<ils_core::config::KeyError> for Failure {
    fn from(error: ils_core::config::KeyError) -> Self {
        Failure(error.to_string(), 1)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The plugin author's commands print their own results; the host's info lines would bury them.
    init_tracing(if matches!(cli.command, Command::Plugin(_)) { "warn" } else { "info,sqlx=warn" });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message, code)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn init_tracing(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ILS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let pretty = std::env::var("ILS_LOG_FORMAT").is_ok_and(|f| f == "pretty");
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if pretty {
        builder.init();
    } else {
        builder.json().flatten_event(true).init();
    }
}

impl DbArgs {
    /// The connection options; nothing is created (`ils init` does: `cli::installation`).
    fn options(&self) -> DbOptions {
        let mut options = DbOptions::new(self.url());
        options.migrate_url = self.migrate_database_url.clone().filter(|u| !u.trim().is_empty());
        options
    }

    /// The installation's database, migrated; refused when there is no installation.
    async fn open(&self) -> Result<Db, Failure> {
        self.require_installation().await?;
        Ok(Db::connect_and_migrate(&self.options()).await?)
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve(args) => serve(*args).await,
        Command::Init(db) => {
            let dir = db.data_dir.display();
            match db.initialise().await? {
                cli::installation::Initialised::Created => eprintln!("created a new installation in {dir}"),
                cli::installation::Initialised::Existing => {
                    eprintln!("{dir} already holds an installation; its migrations are applied")
                }
            }
            Ok(())
        }
        Command::Migrate(db) => {
            db.require_installation().await?;
            ils_core::db::migrate(&db.options()).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Admin(AdminCommand::Create { email, name, db }) => {
            let email = Email::parse("--email", &email)?;
            let password = Password::parse("password", &read_password()?)?;
            let db = db.open().await?;
            match users::bootstrap_platform_admin(&db, &email, &name, &password).await? {
                Bootstrap::Created(id) => {
                    eprintln!("created platform admin {} ({id})", email.as_str())
                }
                Bootstrap::AlreadyExists(id) => {
                    eprintln!("platform admin {} already exists ({id})", email.as_str())
                }
            }
            db.close().await;
            Ok(())
        }
        Command::Tenant(TenantCommand::Create { name, slug, kind, plan, admin_email, admin_name, db }) => {
            let new = NewTenant {
                slug: Slug::parse(&slug)?,
                name: tenants::parse_name("--name", &name)?,
                kind,
                plan,
            };
            let email = Email::parse("--admin-email", &admin_email)?;
            let db = db.open().await?;
            let existing = {
                let mut tx = db.system_read().await?;
                let user = users::user_by_email(&mut tx, &email).await?;
                tx.commit().await?;
                user
            };
            let password = match existing {
                Some(_) => None,
                None => Some(Password::parse("password", &read_password()?)?),
            };
            let admin = FirstAdmin { email, name: admin_name, password };
            let tenant =
                tenants::create_with_admin(&db, &ils_core::audit::AuditCtx::system(), &new, &admin).await?;
            eprintln!("created tenant {} ({})", tenant.slug.as_str(), tenant.id);
            db.close().await;
            Ok(())
        }
        Command::Plugin(command) => Ok(cli::plugin::run(command).await?),
        Command::Bridge(command) => cli::bridge::run(command).await.map_err(|e| Failure(e.0, e.1)),
    }
}

/// The password for a new account: `ILS_ADMIN_PASSWORD`, else the first line of standard input.
fn read_password() -> Result<String, Failure> {
    if let Ok(password) = std::env::var("ILS_ADMIN_PASSWORD") {
        return Ok(password);
    }
    eprintln!("password (at least 12 characters), then Enter:");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(Failure(
            "no password given: set ILS_ADMIN_PASSWORD or type it on standard input".into(),
            2,
        ));
    }
    Ok(password)
}

/// Refuses redirects plugins could never follow, and warns that outbound calls are redirected.
fn check_outbound_overrides(args: &ServeArgs) -> Result<(), Failure> {
    use ils_core::config::{ConnectTo, ExtraRoots};
    if let Some(connect_to) = args.outbound_connect_to.as_ref().filter(|c| !c.is_empty()) {
        if let Some(((host, port), addr)) =
            connect_to.private_target().filter(|_| !args.plugins_allow_private)
        {
            return Err(Failure(
                format!(
                    "{}: {host}:{port} is sent to {addr}, which plugins may reach only with \
                     ILS_PLUGINS_ALLOW_PRIVATE=true",
                    ConnectTo::VAR
                ),
                2,
            ));
        }
        tracing::warn!(
            connect_to = %connect_to,
            "{} is set: plugins' outbound calls to these names go to these addresses, not where DNS says (testing only)",
            ConnectTo::VAR
        );
    }
    if let Some(roots) = &args.outbound_extra_roots {
        tracing::warn!(
            file = %roots.path.display(),
            certificates = roots.certificates.len(),
            "{} is set: plugins' outbound TLS also trusts these certificates (testing only)",
            ExtraRoots::VAR
        );
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    check_outbound_overrides(&args)?;
    if args.init {
        args.db.initialise().await?;
    }
    let db = args.db.open().await?;
    let sealer =
        ils_core::config::load_sealer(std::env::var("ILS_SECRET_KEY").ok().as_deref(), &args.db.data_dir)?;
    bootstrap_from_env(&db).await?;
    let state = AppState::new(db.clone(), args.config(), sealer)?;
    let runner =
        if args.job_workers > 0 { Some(ils_core::jobs::Runner::start(state.clone())?) } else { None };
    // Compile the plugin versions tenants run in the background (a call before that compiles on
    // demand), then, every minute, drop the versions no tenant runs any more (tenants moved on
    // this node or another).
    let plugins = state.plugins.clone();
    tokio::spawn(async move {
        match plugins.preload().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(plugins = n, "plugins loaded"),
            Err(error) => tracing::warn!(%error, "plugins not loaded"),
        }
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(error) = plugins.sweep().await {
                tracing::warn!(%error, "sweeping unused plugin versions failed");
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure(format!("cannot listen on {}: {e}", args.listen), 1))?;
    let backend = match db.backend() {
        ils_core::db::Backend::Sqlite => "sqlite",
        ils_core::db::Backend::Postgres => "postgres",
    };
    tracing::info!(listen = %listener.local_addr()?, backend, data_dir = %args.db.data_dir.display(), "ILS is serving");
    if state.mailer.is_some() && args.public_url.is_none() {
        tracing::warn!(public_url = %state.config.public_url, "ILS_PUBLIC_URL is not set: links in e-mail point at the listen address");
    }
    ils_core::server::run(listener, state.clone(), ils_core::server::shutdown_signal()).await?;
    if let Some(runner) = runner {
        runner.stop().await;
        // The jobs' last plugin calls count too.
        if let Err(error) = state.plugins.metering().flush().await {
            tracing::warn!(%error, "plugin metering not flushed at shutdown");
        }
    }
    db.close().await;
    Ok(())
}

/// `ILS_BOOTSTRAP_EMAIL` / `ILS_BOOTSTRAP_PASSWORD`: make sure that platform admin exists.
async fn bootstrap_from_env(db: &Db) -> Result<(), Failure> {
    let (Ok(email), Ok(password)) =
        (std::env::var("ILS_BOOTSTRAP_EMAIL"), std::env::var("ILS_BOOTSTRAP_PASSWORD"))
    else {
        return Ok(());
    };
    let email = Email::parse("ILS_BOOTSTRAP_EMAIL", &email)?;
    let password = Password::parse("ILS_BOOTSTRAP_PASSWORD", &password)?;
    let name = std::env::var("ILS_BOOTSTRAP_NAME").unwrap_or_else(|_| "Platform admin".to_owned());
    match users::bootstrap_platform_admin(db, &email, &name, &password).await? {
        Bootstrap::Created(id) => {
            tracing::info!(email = email.as_str(), %id, "bootstrap platform admin created")
        }
        Bootstrap::AlreadyExists(_) => {
            tracing::info!(email = email.as_str(), "bootstrap platform admin already exists")
        }
    }
    Ok(())
}
