//! Services of `ils:platform@0.2.0` still being built (issue 13): each answers `unavailable`,
//! which a plugin sees as a passing outage. Removed piece by piece as the real ones land.

use async_trait::async_trait;
use ils_host_api::Scope;
use ils_host_api::services::{
    Email, FileInfo, FileStore, Notifier, Page, PageRequest, ServiceError, ServiceResult,
};

pub(crate) struct Pending;

fn pending<T>() -> ServiceResult<T> {
    Err(ServiceError::Unavailable("not available on this server yet".into()))
}

#[async_trait]
impl FileStore for Pending {
    async fn put(&self, _: &Scope, _: &str, _: &str, _: bytes::Bytes) -> ServiceResult<FileInfo> {
        pending()
    }
    async fn list(&self, _: &Scope, _: &PageRequest) -> ServiceResult<Page<FileInfo>> {
        pending()
    }
    async fn delete(&self, _: &Scope, _: &str) -> ServiceResult<()> {
        pending()
    }
}

#[async_trait]
impl Notifier for Pending {
    async fn email_roles(&self, _: &Scope, _: &[String], _: &Email) -> ServiceResult<u32> {
        pending()
    }
}
