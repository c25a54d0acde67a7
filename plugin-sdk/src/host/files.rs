//! The tenant's file store (capability `files-write`): store a file, get its id; the tenant's
//! users download it at `GET /api/v1/files/{id}` with their own sign-in.

pub use ils_records::FileInfo;
pub use ils_records::reports::{Page, PageRequest};

#[cfg(target_arch = "wasm32")]
use super::wit;
use crate::HostError;

/// Stores `body` as a file named `name` of media type `content_type`.
///
/// ```
/// use ils_plugin_sdk::host::files;
/// let mock = ils_plugin_sdk::testing::MockHost::install();
/// let file = files::put("turnaround.csv", "text/csv", b"week,median\n").unwrap();
/// assert_eq!(mock.file(&file.id).unwrap().1, b"week,median\n");
/// ```
pub fn put(name: &str, content_type: &str, body: &[u8]) -> Result<FileInfo, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::files::put(name, content_type, body).map(Into::into).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("files-write")?;
        let info = FileInfo {
            id: format!("file-{}", s.files.len() + 1),
            name: name.into(),
            content_type: content_type.into(),
            size: body.len() as u64,
            created_at_ms: s.now_ms,
        };
        s.files.push((info.clone(), body.to_vec()));
        Ok(info)
    })
}

/// Files this plugin stored for the tenant, newest first.
pub fn list(page: &PageRequest) -> Result<Page<FileInfo>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::files::list_files(&wit::types::PageRequest {
        cursor: page.cursor.clone(),
        limit: page.limit,
    })
    .map(|p| Page { rows: p.files.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor })
    .map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("files-write")?;
        let all: Vec<FileInfo> = s.files.iter().rev().map(|(f, _)| f.clone()).collect();
        Ok(crate::testing::page_of(all, page))
    })
}

/// Removes a file this plugin stored.
pub fn delete(id: &str) -> Result<(), HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::files::delete(id).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("files-write")?;
        let before = s.files.len();
        s.files.retain(|(f, _)| f.id != id);
        if s.files.len() == before { Err(HostError::NotFound) } else { Ok(()) }
    })
}
