//! `Host` trait impls for 0.1.0: each delegates to its capability and converts types.

use super::ils::platform as p;
use super::ils::platform::types::Error;
use crate::cap::{CapResult, clinical, config, context, events, inventory, kv, log, orders, secrets};

fn wit<T, U: From<T>>(r: CapResult<T>) -> wasmtime::Result<Result<U, Error>> {
    Ok(r?.map(U::from).map_err(Error::from))
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
    async fn list_keys(
        &mut self,
        prefix: String,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        wit(kv::KvCap::list_keys(self, prefix, limit).await)
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
        let r = orders::OrdersCap::list(self, status.map(Into::into), limit).await;
        Ok(r?.map(|v| v.into_iter().map(Into::into).collect()).map_err(Error::from))
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
}

impl p::inventory::Host for inventory::InventoryCap {
    async fn stock_by_sku(
        &mut self,
        sku: String,
    ) -> wasmtime::Result<Result<Vec<p::inventory::StockLevel>, Error>> {
        let r = inventory::InventoryCap::stock_by_sku(self, sku).await;
        Ok(r?.map(|v| v.into_iter().map(Into::into).collect()).map_err(Error::from))
    }
}

impl p::types::Host for crate::state::StoreState {}
