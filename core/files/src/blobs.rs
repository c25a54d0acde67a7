//! Where a file's bytes live: one trait, [`BlobStore`], keyed by tenant and file id, and its
//! default, [`DirBlobs`], a local directory (`<root>/<tenant>/<id>`). An S3-compatible store
//! would be a second implementation of the same trait (docs/adr/027).

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt as _};

use ils_storage::ids::{FileId, TenantId};

/// A stored file's bytes, opened for reading: sent as they are read, never held whole.
pub struct Blob {
    /// Its length in bytes.
    pub size: u64,
    /// The bytes.
    pub reader: Pin<Box<dyn AsyncRead + Send>>,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob").field("size", &self.size).finish_non_exhaustive()
    }
}

/// The bytes of tenants' files, by tenant and file id. A file's id is new for every write, so
/// a store never replaces bytes; the `files` table says which bytes are a file
/// ([`crate::Files`] writes the bytes before the row and removes the row before the bytes).
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores `body` as the bytes of `tenant`'s file `id`. Returns once they are durable; a
    /// reader never sees part of them.
    async fn put(&self, tenant: TenantId, id: FileId, body: Bytes) -> io::Result<()>;

    /// The bytes of `tenant`'s file `id`, or `None`.
    async fn open(&self, tenant: TenantId, id: FileId) -> io::Result<Option<Blob>>;

    /// The bytes of `tenant`'s file `id` in memory, or `None`.
    async fn get(&self, tenant: TenantId, id: FileId) -> io::Result<Option<Bytes>> {
        let Some(mut blob) = self.open(tenant, id).await? else { return Ok(None) };
        let mut bytes = Vec::with_capacity(usize::try_from(blob.size).unwrap_or(0));
        blob.reader.read_to_end(&mut bytes).await?;
        Ok(Some(bytes.into()))
    }

    /// Removes the bytes of `tenant`'s file `id`; removing what is not there is no error.
    async fn delete(&self, tenant: TenantId, id: FileId) -> io::Result<()>;
}

/// Where file bytes are kept: `dir:PATH` in `ILS_FILE_STORE` (default `DATA_DIR/files`). Nodes
/// that share a database must share the directory too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStorage {
    /// A local (or mounted) directory: `<PATH>/<tenant>/<file id>`.
    Dir(PathBuf),
}

impl FileStorage {
    /// The store this names. Nothing is created until the first file is written.
    pub fn open(&self) -> Arc<dyn BlobStore> {
        match self {
            Self::Dir(path) => Arc::new(DirBlobs::new(path.clone())),
        }
    }
}

impl Default for FileStorage {
    fn default() -> Self {
        Self::Dir(PathBuf::from("ils-data/files"))
    }
}

impl std::str::FromStr for FileStorage {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once(':') {
            Some(("dir", path)) if !path.is_empty() => Ok(Self::Dir(PathBuf::from(path))),
            _ => Err(format!("{text:?} is not a file store: use `dir:PATH`")),
        }
    }
}

impl std::fmt::Display for FileStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(path) => write!(f, "dir:{}", path.display()),
        }
    }
}

/// File bytes in a directory, one file per blob at `<root>/<tenant>/<id>`. Tenant and file ids
/// are UUIDs, so no path can be made to leave the root.
#[derive(Clone, Debug)]
pub struct DirBlobs {
    root: PathBuf,
}

impl DirBlobs {
    /// The store under `root`, created with the first file.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn dir(&self, tenant: TenantId) -> PathBuf {
        self.root.join(tenant.to_string())
    }

    fn path(&self, tenant: TenantId, id: FileId) -> PathBuf {
        self.dir(tenant).join(id.to_string())
    }
}

#[async_trait]
impl BlobStore for DirBlobs {
    async fn put(&self, tenant: TenantId, id: FileId, body: Bytes) -> io::Result<()> {
        let (root, dir) = (self.root.clone(), self.dir(tenant));
        tokio::task::spawn_blocking(move || write_durably(&root, &dir, &id.to_string(), &body))
            .await
            .map_err(io::Error::other)?
    }

    async fn open(&self, tenant: TenantId, id: FileId) -> io::Result<Option<Blob>> {
        let file = match tokio::fs::File::open(self.path(tenant, id)).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let size = file.metadata().await?.len();
        Ok(Some(Blob { size, reader: Box::pin(file) }))
    }

    async fn delete(&self, tenant: TenantId, id: FileId) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(tenant, id)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Writes `body` to `dir/name` so that a crash leaves either nothing or all of it: a temporary
/// file in the same directory, flushed to disk, renamed into place, and the directory flushed
/// (and the root, when the tenant's directory is new).
fn write_durably(root: &Path, dir: &Path, name: &str, body: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let new_dir = !dir.is_dir();
    std::fs::create_dir_all(dir)?;
    if new_dir {
        sync_dir(root)?;
    }
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(body)?;
        file.sync_all()?;
        std::fs::rename(&temp, dir.join(name))?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Flushes a directory's entries (a rename or a new file in it) to disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_store_keeps_each_tenants_bytes_apart_and_leaves_no_temporary_files() {
        let root = tempfile::tempdir().unwrap();
        let store = FileStorage::Dir(root.path().join("files")).open();
        let (a, b, id) = (TenantId::new(), TenantId::new(), FileId::new());
        store.put(a, id, Bytes::from_static(b"report")).await.unwrap();
        assert_eq!(store.get(a, id).await.unwrap().as_deref(), Some(&b"report"[..]));
        assert_eq!(store.get(b, id).await.unwrap(), None, "another tenant's id finds nothing");
        let dir = root.path().join("files").join(a.to_string());
        let names: Vec<_> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, [id.to_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(id.to_string())).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store.delete(a, id).await.unwrap();
        store.delete(a, id).await.unwrap();
        assert!(store.open(a, id).await.unwrap().is_none());
    }

    #[test]
    fn the_store_is_named_dir_with_a_path() {
        let dir: FileStorage = "dir:/var/lib/ils/files".parse().unwrap();
        assert_eq!(dir, FileStorage::Dir("/var/lib/ils/files".into()));
        assert_eq!(dir.to_string(), "dir:/var/lib/ils/files");
        for bad in ["", "dir:", "s3:bucket", "database", "/var/lib/ils/files"] {
            assert!(bad.parse::<FileStorage>().unwrap_err().contains("dir:PATH"), "{bad}");
        }
    }
}
