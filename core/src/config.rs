//! Run-time settings of the host, with the defaults a single-machine install wants.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::auth::secrets::Sealer;

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

/// Everything the host needs besides the database.
#[derive(Clone, Debug, Default)]
pub struct AppConfig {
    /// Authentication settings.
    pub auth: AuthConfig,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Outbound webhooks.
    pub webhooks: crate::webhooks::WebhookConfig,
    /// The job queue.
    pub jobs: crate::jobs::JobsConfig,
    /// E-mail.
    pub email: crate::notify::EmailConfig,
    /// Plugins.
    pub plugins: crate::plugins::PluginsConfig,
}

impl AppConfig {
    /// Defaults with a 1 MiB body limit.
    pub fn new() -> Self {
        Self {
            auth: AuthConfig::default(),
            max_body_bytes: 1024 * 1024,
            webhooks: Default::default(),
            jobs: Default::default(),
            email: crate::notify::EmailConfig { smtp_url: None, from: "ILS <noreply@localhost>".to_owned() },
            plugins: Default::default(),
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
        /// The file.
        path: String,
        /// Why.
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
            let key = crate::auth::secrets::random_bytes::<32>();
            write_private(&path, STANDARD.encode(key).as_bytes()).map_err(io)?;
            Ok(Sealer::new(key))
        }
        Err(e) => Err(io(e)),
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
}
