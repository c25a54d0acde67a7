//! Storage: one API over SQLite (the embedded default) and PostgreSQL.
//!
//! Data is reached only through a transaction that knows its scope:
//! - [`TenantTx`] acts for one tenant. Store functions take it and filter by its tenant id, so a
//!   query for tenant-owned rows cannot be written without a tenant. On PostgreSQL the
//!   transaction also sets `ils.tenant_id`, and row-level security (forced, against a role that
//!   neither owns the tables nor bypasses RLS) filters again.
//! - [`SystemTx`] is for platform work that spans tenants: authentication, tenant administration.
//!   It is opened explicitly, so every such place is easy to find.
//!
//! Both backends run the same SQL text: numbered `$1` placeholders work on both, and column types
//! that differ ([`types::Timestamp`], uuids) encode per backend.

pub mod credentials;
pub mod ids;
mod numbers;
pub mod types;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use crate::credentials::CredentialsEpoch;
use crate::ids::TenantId;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long a SQLite writer waits for its turn before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The statement that makes a PostgreSQL transaction act for `tenant` (row-level security), sent
/// in the same round trip as its `BEGIN`. The id is a uuid we made, never caller text.
pub(crate) fn tenant_scope(tenant: TenantId) -> String {
    format!("SELECT set_config('ils.tenant_id', '{tenant}', true), set_config('ils.scope', '', true)")
}

/// A SQLite write transaction's turn as the one writer, given back when the transaction ends.
type WriterPermit = tokio::sync::OwnedSemaphorePermit;

/// Which database engine is behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A local SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// `sqlite:PATH` or `postgres://…`: the connection the service uses.
    pub url: String,
    /// On PostgreSQL, the owner's connection used to run migrations, when the service role may
    /// not change the schema. Defaults to `url`.
    pub migrate_url: Option<String>,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl DbOptions {
    /// Options for `url` with defaults for the rest.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), migrate_url: None, max_connections: 16 }
    }
}

/// A connection pool to either backend, with the job queue's client on the same pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    jobs: riverqueue::Client,
    shared: Arc<Shared>,
}

/// What every transaction of a [`Db`] may need besides its connection.
#[derive(Debug)]
struct Shared {
    /// Job-number blocks (PostgreSQL only).
    blocks: Option<numbers::Blocks>,
    /// Moves when credentials change.
    credentials: Arc<CredentialsEpoch>,
    /// The side connections (PostgreSQL only), closed with the pool.
    side: Option<PgPool>,
    /// SQLite's one writer: a write transaction holds the permit from `BEGIN IMMEDIATE` to its
    /// end, so writers queue here, woken in turn, instead of polling SQLite's busy handler.
    writer: Option<Arc<tokio::sync::Semaphore>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("pool", &self.pool).finish_non_exhaustive()
    }
}

/// A moment's view of the connection pool ([`Db::pool_stats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections, in use or idle.
    pub size: u32,
    /// Open connections waiting for work.
    pub idle: usize,
    /// The most connections the pool opens.
    pub max: u32,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on either backend. Store code matches on it with [`on_conn!`].
#[derive(Debug)]
pub enum Conn {
    /// On SQLite.
    Sqlite(Transaction<'static, Sqlite>),
    /// On PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same query code against whichever backend a [`Conn`] holds; inside the body the
/// named binding is `&mut Transaction<'static, DB>` for that backend, so `&mut **c` executes.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}

/// Executes one statement with its binds on whichever backend `conn` holds; yields
/// `Result<u64, sqlx::Error>` with the number of rows affected.
#[macro_export]
macro_rules! execute {
    ($conn:expr, $sql:expr $(, $bind:expr)* $(,)?) => {
        $crate::on_conn!($conn, c => sqlx::query($sql)
            $(.bind($bind))*
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected()))
    };
}

/// Runs a `query_as` or `query_scalar` with its binds on whichever backend the transaction holds.
#[macro_export]
macro_rules! query {
    ($tx:expr, $kind:ident, $fetch:ident, $sql:expr $(, $bind:expr)* $(,)?) => {
        $crate::on_conn!($tx.conn(), c => sqlx::$kind(sqlx::AssertSqlSafe($sql))
            $(.bind($bind))*
            .$fetch(&mut **c)
            .await)
    };
}

fn jobs_builder(pool: &Pool) -> riverqueue::ClientBuilder {
    match pool {
        Pool::Sqlite(pool) => riverqueue::Client::builder(pool.clone()),
        // River's daily reindex needs table ownership, which the service role must not have.
        Pool::Postgres(pool) => riverqueue::Client::builder(
            riverqueue::database::PostgresDatabase::new(pool.clone()).with_reindex(
                riverqueue::database::PostgresReindexConfig::default().with_index_names(Vec::<String>::new()),
            ),
        ),
    }
}

fn backend_of(url: &str) -> Result<Backend, DbError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(DbError::UnsupportedUrl(redact(url)))
    }
}

/// Hides a password in a connection URL before it reaches a message or a log.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..scheme], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Db {
    /// Connects to the database named by `options.url` (not yet migrated).
    pub async fn connect(options: &DbOptions) -> Result<Self, DbError> {
        let pool = match backend_of(&options.url)? {
            Backend::Sqlite => {
                let connect = SqliteConnectOptions::from_str(&options.url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(BUSY_TIMEOUT);
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(options.max_connections)
                        .connect_with(connect)
                        .await?,
                )
            }
            Backend::Postgres => {
                let connect = PgConnectOptions::from_str(&options.url)?.application_name("ils");
                Pool::Postgres(
                    PgPoolOptions::new()
                        .max_connections(options.max_connections)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_with(connect)
                        .await?,
                )
            }
        };
        let shared = match &pool {
            Pool::Sqlite(_) => Shared {
                blocks: None,
                credentials: Arc::new(CredentialsEpoch::new(None)),
                side: None,
                writer: Some(Arc::new(tokio::sync::Semaphore::new(1))),
            },
            Pool::Postgres(main) => {
                // A few connections of its own, opened when first needed, for what must not wait
                // behind (or hold) the main pool's: number blocks and the credentials listener.
                let side = PgPoolOptions::new()
                    .max_connections(3)
                    .min_connections(0)
                    .idle_timeout(Duration::from_secs(60))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_lazy_with(main.connect_options().as_ref().clone().application_name("ils-side"));
                Shared {
                    blocks: Some(numbers::Blocks::new(side.clone())),
                    credentials: Arc::new(CredentialsEpoch::new(Some(side.clone()))),
                    side: Some(side),
                    writer: None,
                }
            }
        };
        let jobs = jobs_builder(&pool).build().map_err(|e| DbError::Jobs(e.to_string()))?;
        Ok(Self { pool, jobs, shared: Arc::new(shared) })
    }

    /// Counts credential changes, for caches of resolved principals.
    pub fn credentials(&self) -> &Arc<CredentialsEpoch> {
        &self.shared.credentials
    }

    /// The job queue's client (inserting and administering jobs; workers run elsewhere).
    pub fn jobs(&self) -> &riverqueue::Client {
        &self.jobs
    }

    /// A job-queue client builder on this database's pool, for running workers.
    pub fn jobs_builder(&self) -> riverqueue::ClientBuilder {
        jobs_builder(&self.pool)
    }

    /// Connects, then applies pending migrations (with `migrate_url` when given).
    pub async fn connect_and_migrate(options: &DbOptions) -> Result<Self, DbError> {
        migrate(options).await?;
        Self::connect(options).await
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Opens a transaction acting for `tenant`. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so concurrent writers queue instead of failing with `SQLITE_BUSY`.
    pub async fn tenant(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        self.tenant_tx(tenant, true).await
    }

    /// Opens a read-only-in-intent transaction for `tenant` (no write lock on SQLite).
    pub async fn tenant_read(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        self.tenant_tx(tenant, false).await
    }

    async fn tenant_tx(&self, tenant: TenantId, write: bool) -> Result<TenantTx, DbError> {
        let (conn, writer) = self.begin(write, &tenant_scope(tenant)).await?;
        Ok(TenantTx {
            conn,
            tenant,
            jobs: self.jobs.clone(),
            shared: self.shared.clone(),
            credentials_changed: false,
            _writer: writer,
        })
    }

    /// Opens a transaction for platform work across tenants. Use only for authentication and
    /// platform administration.
    pub async fn system(&self) -> Result<SystemTx, DbError> {
        self.system_tx(true).await
    }

    /// Opens a read-only-in-intent platform transaction (no write lock on SQLite).
    pub async fn system_read(&self) -> Result<SystemTx, DbError> {
        self.system_tx(false).await
    }

    async fn system_tx(&self, write: bool) -> Result<SystemTx, DbError> {
        let (conn, writer) = self.begin(write, "SELECT set_config('ils.scope', 'system', true)").await?;
        Ok(SystemTx {
            conn,
            jobs: self.jobs.clone(),
            shared: self.shared.clone(),
            credentials_changed: false,
            _writer: writer,
        })
    }

    /// Begins a transaction; on PostgreSQL `scope` (which sets the row-level-security scope)
    /// runs in the same round trip as `BEGIN`. A SQLite write transaction first waits its turn
    /// for the writer's permit (as long as SQLite's own busy timeout would have waited).
    async fn begin(&self, write: bool, scope: &str) -> Result<(Conn, Option<WriterPermit>), DbError> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) if write => {
                let permit = match &self.shared.writer {
                    Some(writer) => Some(
                        tokio::time::timeout(BUSY_TIMEOUT, writer.clone().acquire_owned())
                            .await
                            .map_err(|_| DbError::Sqlx(sqlx::Error::PoolTimedOut))?
                            .map_err(|_| DbError::Sqlx(sqlx::Error::PoolClosed))?,
                    ),
                    None => None,
                };
                (Conn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?), permit)
            }
            Pool::Sqlite(pool) => (Conn::Sqlite(pool.begin().await?), None),
            Pool::Postgres(pool) => {
                (Conn::Postgres(pool.begin_with(AssertSqlSafe(format!("BEGIN; {scope}"))).await?), None)
            }
        })
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await?.rows_affected(),
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await?.rows_affected(),
        };
        Ok(())
    }

    /// Whether `sql` returns a row, asked in one round trip outside any transaction: for tables
    /// without row-level security only (a work list's "anything to do?"), since no tenant or
    /// platform scope is set.
    pub async fn exists(&self, sql: &'static str) -> Result<bool, DbError> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => sqlx::query(sql).fetch_optional(pool).await?.is_some(),
            Pool::Postgres(pool) => sqlx::query(sql).fetch_optional(pool).await?.is_some(),
        })
    }

    /// Whether every migration this build knows has been applied.
    pub async fn is_migrated(&self) -> Result<bool, DbError> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success";
        let (applied, known): (Vec<i64>, &sqlx::migrate::Migrator) = match &self.pool {
            Pool::Sqlite(pool) => (sqlx::query_scalar(SQL).fetch_all(pool).await?, &SQLITE_MIGRATIONS),
            Pool::Postgres(pool) => (sqlx::query_scalar(SQL).fetch_all(pool).await?, &POSTGRES_MIGRATIONS),
        };
        Ok(known.iter().all(|m| applied.contains(&m.version)))
    }

    /// How many connections the pool holds now, how many of them are idle, and its limit.
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle, max) = match &self.pool {
            Pool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            Pool::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        };
        PoolStats { size, idle, max }
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        if let Some(side) = &self.shared.side {
            side.close().await;
        }
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Applies pending migrations, as the owner when `options.migrate_url` is set.
pub async fn migrate(options: &DbOptions) -> Result<(), DbError> {
    let url = options.migrate_url.as_deref().unwrap_or(&options.url);
    let owner =
        Db::connect(&DbOptions { url: url.to_owned(), migrate_url: None, max_connections: 2 }).await?;
    match &owner.pool {
        Pool::Sqlite(pool) => {
            SQLITE_MIGRATIONS.run(pool).await?;
            riverqueue::migrate::SqliteMigrator::new(pool.clone())
                .migrate_up()
                .await
                .map_err(|e| DbError::Jobs(e.to_string()))?;
        }
        Pool::Postgres(pool) => {
            POSTGRES_MIGRATIONS.run(pool).await?;
            // River's migrator takes no lock of its own; nodes starting together must not race.
            let mut lock = pool.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock(hashtext('ils.river_migrate'))").execute(&mut *lock).await?;
            let migrated = riverqueue::migrate::PostgresMigrator::new(pool.clone())
                .migrate_up()
                .await
                .map_err(|e| DbError::Jobs(e.to_string()));
            sqlx::query("SELECT pg_advisory_unlock(hashtext('ils.river_migrate'))")
                .execute(&mut *lock)
                .await?;
            migrated?;
            // River's tables are created by River's migrator; the service role works them.
            sqlx::raw_sql(RIVER_GRANTS).execute(pool).await?;
        }
    }
    owner.close().await;
    Ok(())
}

/// What the service role (`ils_app`) needs on River's tables: work jobs, elect a leader,
/// and read River's migration state (it checks it at start).
const RIVER_GRANTS: &str = "
    GRANT SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue TO ils_app;
    GRANT USAGE ON SEQUENCE river_job_id_seq TO ils_app;
    GRANT SELECT ON river_migration TO ils_app;
";

/// A transaction acting for one tenant. See the [module docs](self).
pub struct TenantTx {
    conn: Conn,
    tenant: TenantId,
    jobs: riverqueue::Client,
    shared: Arc<Shared>,
    credentials_changed: bool,
    _writer: Option<WriterPermit>,
}

impl std::fmt::Debug for TenantTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantTx").field("tenant", &self.tenant).finish_non_exhaustive()
    }
}

impl TenantTx {
    /// The tenant every query in this transaction is for.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    /// The open transaction, for store code (`on_conn!`, `execute!`, `query!`).
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// The connection and the job client, to enqueue jobs inside this transaction.
    pub fn with_jobs(&mut self) -> (&mut Conn, &riverqueue::Client) {
        (&mut self.conn, &self.jobs)
    }

    /// A number of the tenant's sequence `name` that no other transaction gets, without holding a
    /// lock until this one commits: on PostgreSQL from a block this node reserved (so numbers may
    /// skip: docs/adr/034-fast-orders.md); on SQLite as [`next_in`](Self::next_in). For
    /// numbers that only need to be unique and increasing, such as job numbers.
    pub async fn next_unique_in(&mut self, name: &'static str) -> Result<i64, DbError> {
        match &self.shared.blocks {
            Some(blocks) => blocks.take(self.tenant, name).await,
            None => self.next_in(name).await,
        }
    }

    /// Records that this transaction changes credentials (sessions, API keys, memberships, a
    /// tenant's status, users): when it commits, cached principals are dropped at once.
    pub fn credentials_changed(&mut self) {
        self.credentials_changed = true;
    }

    /// The next number of the tenant's sequence `name` (1, 2, 3 …), from a counter row bumped
    /// with an upsert: concurrent transactions queue on the row and never get the same number,
    /// and none is skipped (gap-free, for numbers the law wants so).
    pub async fn next_in(&mut self, name: &'static str) -> Result<i64, DbError> {
        const SQL: &str = "INSERT INTO tenant_counters (tenant_id, name, value) VALUES ($1, $2, 1)
            ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1
            RETURNING value";
        let tenant = self.tenant;
        Ok(
            on_conn!(&mut self.conn, c => sqlx::query_scalar(SQL).bind(tenant).bind(name).fetch_one(&mut **c).await)?,
        )
    }

    /// Makes the rest of the transaction act for `tenant` instead, returning the tenant it acted
    /// for. Only for the explicit two-tenant flows — a practice's order made by a lab, where both
    /// copies of the job change together — and always switched back before anything else runs.
    pub async fn act_for(&mut self, tenant: TenantId) -> Result<TenantId, DbError> {
        if let Conn::Postgres(tx) = &mut self.conn {
            sqlx::query("SELECT set_config('ils.tenant_id', $1, true)")
                .bind(tenant.to_string())
                .execute(&mut **tx)
                .await?;
        }
        Ok(std::mem::replace(&mut self.tenant, tenant))
    }

    /// Serialises this transaction with every other one that locks the same tenant, for checks
    /// that read a set and then change it (the last admin). SQLite write transactions are
    /// already serial.
    pub async fn lock_tenant(&mut self) -> Result<(), DbError> {
        if let Conn::Postgres(tx) = &mut self.conn {
            sqlx::query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE")
                .bind(self.tenant)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), DbError> {
        commit(self.conn, self.credentials_changed.then_some(&self.shared)).await
    }
}

/// A transaction for platform work across tenants. See the [module docs](self).
pub struct SystemTx {
    conn: Conn,
    jobs: riverqueue::Client,
    shared: Arc<Shared>,
    credentials_changed: bool,
    _writer: Option<WriterPermit>,
}

impl std::fmt::Debug for SystemTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemTx")
    }
}

impl SystemTx {
    /// The open transaction, for store code (`on_conn!`, `execute!`, `query!`).
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// The connection and the job client, to enqueue jobs inside this transaction.
    pub fn with_jobs(&mut self) -> (&mut Conn, &riverqueue::Client) {
        (&mut self.conn, &self.jobs)
    }

    /// Records that this transaction changes credentials; see [`TenantTx::credentials_changed`].
    pub fn credentials_changed(&mut self) {
        self.credentials_changed = true;
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), DbError> {
        commit(self.conn, self.credentials_changed.then_some(&self.shared)).await
    }
}

/// Commits; when the transaction changed credentials, moves the epoch before returning (whether
/// or not the commit went through: an unknown outcome must not leave stale principals cached).
async fn commit(conn: Conn, credentials_changed: Option<&Arc<Shared>>) -> Result<(), DbError> {
    let committed = match conn {
        Conn::Sqlite(tx) => tx.commit().await,
        Conn::Postgres(tx) => tx.commit().await,
    };
    if let Some(shared) = credentials_changed {
        shared.credentials.bump();
    }
    Ok(committed?)
}

/// What kind of database rule a write broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// A unique key or index.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// A `CHECK` constraint.
    Check,
    /// A `NOT NULL` column.
    NotNull,
    /// An exclusion constraint (PostgreSQL), or the trigger that stands for one on SQLite
    /// (`RAISE(ABORT, '<constraint name>')`): two rows that may not coexist, such as overlapping
    /// bookings of one clinician.
    Exclusion,
}

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported backend.
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A write broke a database constraint; the caller decides what that means for its domain.
    #[error("database constraint violated ({kind:?}): {message}")]
    Violation {
        /// Which kind of constraint.
        kind: ViolationKind,
        /// The constraint's name where the backend reports it.
        constraint: Option<String>,
        /// The backend's message.
        message: String,
    },
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Anything else from the driver.
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
    /// The job queue failed.
    #[error("job queue error: {0}")]
    Jobs(String),
}

impl DbError {
    /// The kind of constraint violated, if this is a violation.
    pub fn violation(&self) -> Option<ViolationKind> {
        match self {
            DbError::Violation { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Whether this is a violation of a constraint on `column`. PostgreSQL names the constraint
    /// (`patients_nhs_number`); SQLite names the columns in its message
    /// (`UNIQUE constraint failed: patients.tenant_id, patients.nhs_number`).
    pub fn concerns(&self, column: &str) -> bool {
        match self {
            DbError::Violation { constraint, message, .. } => {
                constraint.as_deref().is_some_and(|c| c.contains(column)) || message.contains(column)
            }
            _ => false,
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            let kind = match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => Some(ViolationKind::Unique),
                sqlx::error::ErrorKind::ForeignKeyViolation => Some(ViolationKind::ForeignKey),
                sqlx::error::ErrorKind::CheckViolation => Some(ViolationKind::Check),
                sqlx::error::ErrorKind::NotNullViolation => Some(ViolationKind::NotNull),
                // 23P01: exclusion_violation; 1811: SQLITE_CONSTRAINT_TRIGGER (a trigger's RAISE).
                _ if matches!(db.code().as_deref(), Some("23P01" | "1811")) => Some(ViolationKind::Exclusion),
                _ => None,
            };
            if let Some(kind) = kind {
                return DbError::Violation {
                    kind,
                    constraint: db.constraint().map(str::to_owned),
                    message: db.message().to_owned(),
                };
            }
        }
        DbError::Sqlx(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_backend_and_hide_passwords() {
        assert_eq!(backend_of("sqlite:ils.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgres://u@h/db").unwrap(), Backend::Postgres);
        let err = backend_of("mysql://root:hunter2@h/db").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("mysql://root:***@h/db"), "{err}");
    }
}
