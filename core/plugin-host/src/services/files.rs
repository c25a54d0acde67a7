//! `files`: a plugin's files in the tenant's file store ([`ils_files`]). A plugin lists and
//! removes only the files it stored; the tenant's users download all of them over the API.

use async_trait::async_trait;
use ils_files::{FileName, Files, MediaType, NewFile, Owner, StoredFile};
use ils_host_api::Scope;
use ils_host_api::services::{FileInfo, FileStore, Page, PageRequest, ServiceResult};
use ils_kernel::page::{MAX_LIMIT, PageQuery, PageRequest as Paging};
use ils_storage::ids::FileId;

use super::{actor, id, service_error};

/// The tenant's file store as plugins reach it.
pub(crate) struct PluginFiles {
    files: Files,
}

impl PluginFiles {
    pub(crate) fn new(files: Files) -> Self {
        Self { files }
    }
}

fn info(file: StoredFile) -> FileInfo {
    FileInfo {
        id: file.id.to_string(),
        name: file.name,
        content_type: file.content_type,
        size: file.size,
        created_at_ms: file.created_at.as_jiff().as_millisecond(),
    }
}

#[async_trait]
impl FileStore for PluginFiles {
    async fn put(
        &self,
        scope: &Scope,
        name: &str,
        content_type: &str,
        body: bytes::Bytes,
    ) -> ServiceResult<FileInfo> {
        let new = NewFile {
            name: FileName::parse(name).map_err(service_error)?,
            content_type: MediaType::parse(content_type).map_err(service_error)?,
            plugin_id: Some(scope.plugin.as_str().to_owned()),
            body,
        };
        let stored = self.files.put(scope.tenant, &actor(scope), new).await.map_err(service_error)?;
        Ok(info(stored))
    }

    async fn list(&self, scope: &Scope, page: &PageRequest) -> ServiceResult<Page<FileInfo>> {
        // The API's cursors and pages (at most MAX_LIMIT rows; the guest asked for up to 500).
        let query = PageQuery { cursor: page.cursor.clone(), limit: Some(page.limit.clamp(1, MAX_LIMIT)) };
        let paging = Paging::parse(&query).map_err(service_error)?;
        let owner = Owner::Plugin(scope.plugin.as_str());
        let files = self.files.list(scope.tenant, owner, &paging).await.map_err(service_error)?;
        Ok(Page { rows: files.items.into_iter().map(info).collect(), next_cursor: files.next_cursor })
    }

    async fn delete(&self, scope: &Scope, file: &str) -> ServiceResult<()> {
        let file = id::<FileId>(file)?;
        let owner = Owner::Plugin(scope.plugin.as_str());
        self.files.delete(scope.tenant, &actor(scope), file, owner).await.map_err(service_error)
    }
}
