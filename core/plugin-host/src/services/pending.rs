//! Services of `ils:platform@0.2.0` still being built (issue 13): each answers `unavailable`,
//! which a plugin sees as a passing outage. Removed piece by piece as the real ones land.

use async_trait::async_trait;
use ils_host_api::Scope;
use ils_host_api::services::{
    Email, Examination, FileInfo, FileStore, MovementRow, Notifier, OrderRow, Page, PageRequest, Period,
    PurchaseOrderRow, QualityRow, Query, ReportsReader, ResultSet, ServiceError, ServiceResult, StockRow,
    Tenant, TenantDirectory,
};

pub(crate) struct Pending;

fn pending<T>() -> ServiceResult<T> {
    Err(ServiceError::Unavailable("not available on this server yet".into()))
}

#[async_trait]
impl TenantDirectory for Pending {
    async fn tenant(&self, _: &Scope) -> ServiceResult<Tenant> {
        pending()
    }
}

impl Pending {
    pub(crate) async fn list_keys_after<T>(&self) -> ServiceResult<T> {
        pending()
    }

    pub(crate) async fn examination(&self, _: &Scope, _: &str) -> ServiceResult<Examination> {
        pending()
    }
}

#[async_trait]
impl ReportsReader for Pending {
    async fn orders(&self, _: &Scope, _: &Period, _: &PageRequest) -> ServiceResult<Page<OrderRow>> {
        pending()
    }
    async fn quality(&self, _: &Scope, _: &Period, _: &PageRequest) -> ServiceResult<Page<QualityRow>> {
        pending()
    }
    async fn stock_levels(&self, _: &Scope, _: &PageRequest) -> ServiceResult<Page<StockRow>> {
        pending()
    }
    async fn stock_movements(
        &self,
        _: &Scope,
        _: &Period,
        _: &PageRequest,
    ) -> ServiceResult<Page<MovementRow>> {
        pending()
    }
    async fn purchase_orders(
        &self,
        _: &Scope,
        _: &Period,
        _: &PageRequest,
    ) -> ServiceResult<Page<PurchaseOrderRow>> {
        pending()
    }
    async fn aggregate(&self, _: &Scope, _: &Query) -> ServiceResult<ResultSet> {
        pending()
    }
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
