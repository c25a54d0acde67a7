//! `files`: files a plugin stores in the tenant's file store; the tenant's users download them
//! over the API. Capability `files-write`.

use std::sync::Arc;

use ils_records::FileInfo;
use ils_records::reports::{MAX_PAGE, Page, PageRequest};
use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::FileStore;
use crate::state::Invocation;

/// The largest file a plugin may store in one call.
pub(crate) const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// Files one invocation may store.
const MAX_PER_INVOCATION: usize = 20;

pub(crate) struct FilesCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) store: Arc<dyn FileStore>,
    /// Files stored in this invocation.
    pub(crate) stored: usize,
}

/// A file name users will see and save: 1 to 200 characters, no path and no control characters.
fn check_name(name: &str) -> Result<(), GuestError> {
    if name.is_empty() || name.chars().count() > 200 {
        return Err(GuestError::Invalid("a file name is 1 to 200 characters".into()));
    }
    if name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\')) || name == "." || name == ".." {
        return Err(GuestError::Invalid("a file name has no path separators or control characters".into()));
    }
    Ok(())
}

/// A media type as `type/subtype` with optional parameters, nothing that could split a header.
fn check_content_type(ct: &str) -> Result<(), GuestError> {
    let essence = ct.split(';').next().unwrap_or("").trim();
    let token =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    let valid = ct.len() <= 200
        && ct.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence.split_once('/').is_some_and(|(t, s)| token(t) && token(s));
    if valid { Ok(()) } else { Err(GuestError::Invalid(format!("{ct:?} is not a media type"))) }
}

impl FilesCap {
    fn check(&self) -> Result<(), GuestError> {
        require(&self.inv, Capability::FilesWrite)
    }

    pub(crate) async fn put(
        &mut self,
        name: String,
        content_type: String,
        body: Vec<u8>,
    ) -> CapResult<FileInfo> {
        if let Err(e) =
            self.check().and_then(|()| check_name(&name)).and_then(|()| check_content_type(&content_type))
        {
            return Ok(Err(e));
        }
        if body.len() > MAX_FILE_BYTES {
            return Ok(Err(GuestError::TooLarge));
        }
        if self.stored >= MAX_PER_INVOCATION {
            return Ok(Err(GuestError::Invalid(format!(
                "at most {MAX_PER_INVOCATION} files per invocation"
            ))));
        }
        self.stored += 1;
        Ok(self.store.put(&self.inv.scope, &name, &content_type, body.into()).await.map_err(Into::into))
    }

    pub(crate) async fn list(&self, page: PageRequest) -> CapResult<Page<FileInfo>> {
        if let Err(e) = self.check() {
            return Ok(Err(e));
        }
        let page = PageRequest { cursor: page.cursor, limit: page.limit.clamp(1, MAX_PAGE) };
        match self.store.list(&self.inv.scope, &page).await {
            Ok(files) => {
                self.inv.charge(files.rows.iter().map(|f| 64 + f.id.len() + f.name.len()).sum())?;
                Ok(Ok(files))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn delete(&self, id: String) -> CapResult<()> {
        if let Err(e) = self.check() {
            return Ok(Err(e));
        }
        Ok(self.store.delete(&self.inv.scope, &id).await.map_err(Into::into))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_media_types_cannot_carry_paths_or_headers() {
        assert_eq!(check_name("turnaround-2026.pdf"), Ok(()));
        for bad in ["", "../etc/passwd", "a/b", "a\\b", "line\nbreak", ".."] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_content_type("text/csv; charset=utf-8"), Ok(()));
        assert_eq!(check_content_type("application/pdf"), Ok(()));
        for bad in ["pdf", "text/html\r\nSet-Cookie: a=b", "/", "text/"] {
            assert!(check_content_type(bad).is_err(), "{bad:?}");
        }
    }
}
