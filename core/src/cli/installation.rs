//! What an installation is, and never making one by accident (issue 15, docs/adr/040-sku-case-and-installations.md).
//!
//! An installation is a data directory that exists, beside a database that holds ILS's schema:
//! `DATA_DIR/ils.db` (or the `sqlite:` file given) on SQLite; on PostgreSQL, ILS's migration
//! table in the database given. The data directory counts on PostgreSQL too: it holds the key
//! that seals tenants' secrets (unless `ILS_SECRET_KEY` is set), the files and the plugin cache.
//!
//! Every command refuses to run without one, naming the directory and how to make one — a
//! forgotten `--data-dir` used to start a new, empty ILS in `./ils-data` — except `ils init` and
//! `ils serve --init`, which create what is missing (the directory, mode 0700; the SQLite file,
//! mode 0600; the schema; the secret key) and leave an existing installation as it is.

use std::path::{Path, PathBuf};

use crate::{DbArgs, Failure};

/// What `init` found.
pub(crate) enum Initialised {
    /// A new, empty installation.
    Created,
    /// One was there already; its schema is now up to date.
    Existing,
}

impl DbArgs {
    /// The database's URL: the one given, else `DATA_DIR/ils.db`.
    pub(crate) fn url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!("sqlite:{}", self.sqlite_default().display()),
        }
    }

    fn sqlite_default(&self) -> PathBuf {
        self.data_dir.join("ils.db")
    }

    /// The SQLite file the URL names; `None` for PostgreSQL (and an in-memory database).
    fn sqlite_file(&self) -> Option<PathBuf> {
        let url = self.url();
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    fn is_sqlite(&self) -> bool {
        self.url().starts_with("sqlite:")
    }

    /// Whether the PostgreSQL database holds ILS's schema (its migration table).
    async fn postgres_has_schema(&self) -> Result<bool, Failure> {
        let db = ils_core::db::Db::connect(&self.options()).await?;
        let found =
            db.exists("SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = '_sqlx_migrations'").await;
        db.close().await;
        Ok(found?)
    }

    /// Why there is no installation here, or `None` when there is one.
    async fn missing(&self) -> Result<Option<String>, Failure> {
        if !self.data_dir.is_dir() {
            return Ok(Some("the directory does not exist".into()));
        }
        if let Some(file) = self.sqlite_file() {
            if !file.is_file() {
                return Ok(Some(format!("there is no database {}", file.display())));
            }
        } else if !self.is_sqlite() && !self.postgres_has_schema().await? {
            return Ok(Some("the database given by --database-url holds no ILS tables".into()));
        }
        Ok(None)
    }

    /// Refuses (exit code 2) unless the data directory and database hold an installation.
    pub(crate) async fn require_installation(&self) -> Result<(), Failure> {
        match self.missing().await? {
            None => Ok(()),
            Some(why) => {
                let dir = self.data_dir.display();
                Err(Failure(
                    format!(
                        "no ILS installation in {dir} ({why}). Give the directory ILS was set up in \
                         with --data-dir (or ILS_DATA_DIR); to create a new, empty installation \
                         there, run `ils init --data-dir {dir}` (or `ils serve --init …`)"
                    ),
                    2,
                ))
            }
        }
    }

    /// Creates what a new installation needs and brings the schema up to date; an existing
    /// installation is left as it is but for its migrations.
    pub(crate) async fn initialise(&self) -> Result<Initialised, Failure> {
        let existed = self.missing().await?.is_none();
        let env_key = std::env::var("ILS_SECRET_KEY").ok().filter(|k| !k.trim().is_empty());
        let keyless = env_key.is_none() && !self.data_dir.join("secret.key").is_file();
        if keyless && !self.is_sqlite() && self.postgres_has_schema().await? {
            // A new key would leave the secrets already sealed in that database unreadable.
            return Err(Failure(
                format!(
                    "the database given by --database-url already holds an ILS installation, but {} \
                     has no secret.key and ILS_SECRET_KEY is not set: give the data directory that \
                     installation uses, or set ILS_SECRET_KEY to its key",
                    self.data_dir.display()
                ),
                2,
            ));
        }
        let cannot = |what: String, e: std::io::Error| Failure(format!("cannot create {what}: {e}"), 1);
        private_dir(&self.data_dir)
            .map_err(|e| cannot(format!("data directory {}", self.data_dir.display()), e))?;
        if let Some(file) = self.sqlite_file() {
            private_file(&file).map_err(|e| cannot(format!("database {}", file.display()), e))?;
        }
        ils_core::db::migrate(&self.options()).await?;
        ils_core::config::load_sealer(env_key.as_deref(), &self.data_dir)?;
        Ok(if existed { Initialised::Existing } else { Initialised::Created })
    }
}

/// Creates the data directory, readable by its owner only (mode 0700) when this creates it: it
/// holds patients' records and the key that seals secrets.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the SQLite database file empty with mode 0600 before SQLite opens it, so it (and the
/// `-wal` and `-shm` files SQLite gives the same mode) is never readable by other users.
fn private_file(file: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
