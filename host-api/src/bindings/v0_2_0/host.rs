//! `Host` trait impls for 0.2.0, the current version: each calls its capability and converts
//! types. Older versions' impls call these.

use super::ils::platform as p;
use super::ils::platform::types::Error;
use crate::cap::{
    CapResult, clinical, config, context, events, files, inventory, kv, log, notify, orders, progress,
    reports, secrets,
};

fn wit<T, U: From<T>>(r: CapResult<T>) -> wasmtime::Result<Result<U, Error>> {
    Ok(r?.map(U::from).map_err(Error::from))
}

fn wit_list<T, U: From<T>>(r: CapResult<Vec<T>>) -> wasmtime::Result<Result<Vec<U>, Error>> {
    Ok(r?.map(|v| v.into_iter().map(U::from).collect()).map_err(Error::from))
}

impl p::context::Host for context::ContextCap {
    async fn tenant_id(&mut self) -> wasmtime::Result<String> {
        Ok(context::ContextCap::tenant_id(self))
    }
    async fn plugin_id(&mut self) -> wasmtime::Result<String> {
        Ok(context::ContextCap::plugin_id(self))
    }
    async fn current_caller(&mut self) -> wasmtime::Result<Option<p::context::Caller>> {
        Ok(self.caller().map(Into::into))
    }
    async fn current_tenant(&mut self) -> wasmtime::Result<Result<p::context::Tenant, Error>> {
        wit(context::ContextCap::tenant(self).await)
    }
    async fn now(&mut self) -> wasmtime::Result<i64> {
        Ok(self.now_ms())
    }
}

impl p::log::Host for log::LogCap {
    async fn log(&mut self, level: p::log::Level, message: String) -> wasmtime::Result<()> {
        log::LogCap::log(self, level.into(), message);
        Ok(())
    }
}

impl p::config::Host for config::ConfigCap {
    async fn get(&mut self) -> wasmtime::Result<String> {
        config::ConfigCap::get(self)
    }
}

impl p::secrets::Host for secrets::SecretsCap {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<Option<String>, Error>> {
        wit(secrets::SecretsCap::get(self, name).await)
    }
}

impl p::kv::Host for kv::KvCap {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        wit(kv::KvCap::get(self, key).await)
    }
    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        wit(kv::KvCap::set(self, key, value).await)
    }
    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), Error>> {
        wit(kv::KvCap::delete(self, key).await)
    }
    async fn compare_and_set(
        &mut self,
        key: String,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> wasmtime::Result<Result<bool, Error>> {
        wit(kv::KvCap::compare_and_set(self, key, expected, new).await)
    }
    async fn list_keys(
        &mut self,
        prefix: String,
        start_after: Option<String>,
        limit: u32,
    ) -> wasmtime::Result<Result<p::kv::KeyPage, Error>> {
        let page = kv::KvCap::list_keys(self, prefix, start_after, limit).await?;
        Ok(page
            .map(|(keys, more)| {
                let next_start_after = if more { keys.last().cloned() } else { None };
                p::kv::KeyPage { keys, next_start_after }
            })
            .map_err(Error::from))
    }
}

impl p::events::Host for events::EventsCap {
    async fn publish(&mut self, kind: String, payload: String) -> wasmtime::Result<Result<(), Error>> {
        wit(events::EventsCap::publish(self, kind, payload).await)
    }
}

impl p::orders::Host for orders::OrdersCap {
    async fn get(&mut self, id: String) -> wasmtime::Result<Result<p::orders::Order, Error>> {
        wit(orders::OrdersCap::get(self, id).await)
    }
    async fn list_orders(
        &mut self,
        status: Option<p::orders::OrderStatus>,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<p::orders::Order>, Error>> {
        wit_list(orders::OrdersCap::list(self, status.map(Into::into), limit).await)
    }
    async fn annotate(&mut self, id: String, note: String) -> wasmtime::Result<Result<(), Error>> {
        wit(orders::OrdersCap::annotate(self, id, note).await)
    }
    async fn transition(
        &mut self,
        id: String,
        to: p::orders::OrderStatus,
        reason: String,
    ) -> wasmtime::Result<Result<p::orders::Order, Error>> {
        wit(orders::OrdersCap::transition(self, id, to.into(), reason).await)
    }
}

impl p::clinical::Host for clinical::ClinicalCap {
    async fn get_patient(&mut self, id: String) -> wasmtime::Result<Result<p::clinical::Patient, Error>> {
        wit(clinical::ClinicalCap::patient(self, id).await)
    }
    async fn get_prescription(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Result<p::clinical::Prescription, Error>> {
        wit(clinical::ClinicalCap::prescription(self, id).await)
    }
    async fn get_examination(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Result<p::clinical::Examination, Error>> {
        wit(clinical::ClinicalCap::examination(self, id).await)
    }
}

impl p::inventory::Host for inventory::InventoryCap {
    async fn stock_by_sku(
        &mut self,
        sku: String,
    ) -> wasmtime::Result<Result<Vec<p::inventory::StockLevel>, Error>> {
        wit_list(inventory::InventoryCap::stock_by_sku(self, sku).await)
    }
    async fn list_locations(&mut self) -> wasmtime::Result<Result<Vec<p::inventory::Location>, Error>> {
        wit_list(inventory::InventoryCap::locations(self).await)
    }
    async fn list_items(
        &mut self,
        after: Option<String>,
        limit: u32,
    ) -> wasmtime::Result<Result<p::inventory::ItemPage, Error>> {
        wit(inventory::InventoryCap::items(self, after, limit).await)
    }
    async fn record_movements(
        &mut self,
        movements: Vec<p::inventory::Movement>,
    ) -> wasmtime::Result<Result<Vec<p::inventory::MovementOutcome>, Error>> {
        let movements = movements.into_iter().map(Into::into).collect();
        wit_list(inventory::InventoryCap::record_movements(self, movements).await)
    }
}

impl p::reports::Host for reports::ReportsCap {
    async fn orders(
        &mut self,
        period: p::types::Period,
        page: p::types::PageRequest,
    ) -> wasmtime::Result<Result<p::reports::OrderPage, Error>> {
        wit(reports::ReportsCap::orders(self, period.into(), page.into()).await)
    }
    async fn quality(
        &mut self,
        period: p::types::Period,
        page: p::types::PageRequest,
    ) -> wasmtime::Result<Result<p::reports::QualityPage, Error>> {
        wit(reports::ReportsCap::quality(self, period.into(), page.into()).await)
    }
    async fn dispensing(
        &mut self,
        period: p::types::Period,
        page: p::types::PageRequest,
    ) -> wasmtime::Result<Result<p::reports::DispensingPage, Error>> {
        wit(reports::ReportsCap::dispensing(self, period.into(), page.into()).await)
    }
    async fn stock_levels(
        &mut self,
        page: p::types::PageRequest,
    ) -> wasmtime::Result<Result<p::reports::StockPage, Error>> {
        wit(reports::ReportsCap::stock_levels(self, page.into()).await)
    }
    async fn stock_movements(
        &mut self,
        period: p::types::Period,
        page: p::types::PageRequest,
    ) -> wasmtime::Result<Result<p::reports::MovementPage, Error>> {
        wit(reports::ReportsCap::stock_movements(self, period.into(), page.into()).await)
    }
    async fn purchase_orders(
        &mut self,
        period: p::types::Period,
        page: p::types::PageRequest,
    ) -> wasmtime::Result<Result<p::reports::PurchaseOrderPage, Error>> {
        wit(reports::ReportsCap::purchase_orders(self, period.into(), page.into()).await)
    }
    async fn aggregate(
        &mut self,
        q: p::reports::Query,
    ) -> wasmtime::Result<Result<p::reports::ResultSet, Error>> {
        wit(reports::ReportsCap::aggregate(self, q.into()).await)
    }
}

impl p::files::Host for files::FilesCap {
    async fn put(
        &mut self,
        name: String,
        content_type: String,
        body: Vec<u8>,
    ) -> wasmtime::Result<Result<p::files::FileInfo, Error>> {
        wit(files::FilesCap::put(self, name, content_type, body).await)
    }
    async fn list_files(
        &mut self,
        page: p::types::PageRequest,
    ) -> wasmtime::Result<Result<p::files::FilePage, Error>> {
        wit(files::FilesCap::list(self, page.into()).await)
    }
    async fn delete(&mut self, id: String) -> wasmtime::Result<Result<(), Error>> {
        wit(files::FilesCap::delete(self, id).await)
    }
}

impl p::notify::Host for notify::NotifyCap {
    async fn email_roles(
        &mut self,
        roles: Vec<String>,
        message: p::notify::Email,
    ) -> wasmtime::Result<Result<u32, Error>> {
        wit(notify::NotifyCap::email_roles(self, roles, message.into()).await)
    }
}

impl p::progress::Host for progress::ProgressCap {
    async fn report(&mut self, done: u32, total: u32, note: String) -> wasmtime::Result<()> {
        progress::ProgressCap::report(self, done, total, note);
        Ok(())
    }
}

impl p::types::Host for crate::state::StoreState {}
