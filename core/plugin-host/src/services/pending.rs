//! Services of `ils:platform@0.2.0` still being built (issue 13): each answers `unavailable`,
//! which a plugin sees as a passing outage. Removed piece by piece as the real ones land.

use async_trait::async_trait;
use ils_host_api::Scope;
use ils_host_api::services::{
    Examination, MovementRow, OrderRow, Page, PageRequest, Period, PurchaseOrderRow, QualityRow, Query,
    ReportsReader, ResultSet, ServiceError, ServiceResult, StockRow, Tenant, TenantDirectory,
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
