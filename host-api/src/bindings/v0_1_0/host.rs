//! `Host` trait impls for 0.1.0: each calls the current version's impl (`bindings::latest`) and
//! converts its types to 0.1.0's (Zed's shape: old versions delegate to the latest). What 0.1.0
//! lacks (kv's cursor, the clock, reports, files) it simply does not ask for.

use super::ils::platform as p;
use super::ils::platform::types::Error;
use crate::bindings::latest::ils::platform as l;
use crate::cap::{clinical, config, context, events, inventory, kv, log, orders, secrets};

/// A latest-version answer in 0.1.0's types.
fn old<T, U: From<T>>(r: wasmtime::Result<Result<T, l::types::Error>>) -> wasmtime::Result<Result<U, Error>> {
    Ok(r?.map(U::from).map_err(Error::from))
}

fn old_list<T, U: From<T>>(
    r: wasmtime::Result<Result<Vec<T>, l::types::Error>>,
) -> wasmtime::Result<Result<Vec<U>, Error>> {
    Ok(r?.map(|v| v.into_iter().map(U::from).collect()).map_err(Error::from))
}

impl p::context::Host for context::ContextCap {
    async fn tenant_id(&mut self) -> wasmtime::Result<String> {
        l::context::Host::tenant_id(self).await
    }
    async fn plugin_id(&mut self) -> wasmtime::Result<String> {
        l::context::Host::plugin_id(self).await
    }
    async fn current_caller(&mut self) -> wasmtime::Result<Option<p::context::Caller>> {
        Ok(l::context::Host::current_caller(self).await?.map(Into::into))
    }
}

impl p::log::Host for log::LogCap {
    async fn log(&mut self, level: p::log::Level, message: String) -> wasmtime::Result<()> {
        l::log::Host::log(self, level.into(), message).await
    }
}

impl p::config::Host for config::ConfigCap {
    async fn get(&mut self) -> wasmtime::Result<String> {
        l::config::Host::get(self).await
    }
}

impl p::secrets::Host for secrets::SecretsCap {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<Option<String>, Error>> {
        old(l::secrets::Host::get(self, name).await)
    }
}

impl p::kv::Host for kv::KvCap {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        old(l::kv::Host::get(self, key).await)
    }
    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        old(l::kv::Host::set(self, key, value).await)
    }
    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), Error>> {
        old(l::kv::Host::delete(self, key).await)
    }
    /// 0.1.0 has no cursor: the first page.
    async fn list_keys(
        &mut self,
        prefix: String,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let page = l::kv::Host::list_keys(self, prefix, None, limit).await?;
        Ok(page.map(|page| page.keys).map_err(Error::from))
    }
}

impl p::events::Host for events::EventsCap {
    async fn publish(&mut self, kind: String, payload: String) -> wasmtime::Result<Result<(), Error>> {
        old(l::events::Host::publish(self, kind, payload).await)
    }
}

impl p::orders::Host for orders::OrdersCap {
    async fn get(&mut self, id: String) -> wasmtime::Result<Result<p::orders::Order, Error>> {
        old(l::orders::Host::get(self, id).await)
    }
    async fn list_orders(
        &mut self,
        status: Option<p::orders::OrderStatus>,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<p::orders::Order>, Error>> {
        old_list(l::orders::Host::list_orders(self, status.map(Into::into), limit).await)
    }
    async fn annotate(&mut self, id: String, note: String) -> wasmtime::Result<Result<(), Error>> {
        old(l::orders::Host::annotate(self, id, note).await)
    }
    async fn transition(
        &mut self,
        id: String,
        to: p::orders::OrderStatus,
        reason: String,
    ) -> wasmtime::Result<Result<p::orders::Order, Error>> {
        old(l::orders::Host::transition(self, id, to.into(), reason).await)
    }
}

impl p::clinical::Host for clinical::ClinicalCap {
    async fn get_patient(&mut self, id: String) -> wasmtime::Result<Result<p::clinical::Patient, Error>> {
        old(l::clinical::Host::get_patient(self, id).await)
    }
    async fn get_prescription(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Result<p::clinical::Prescription, Error>> {
        old(l::clinical::Host::get_prescription(self, id).await)
    }
}

impl p::inventory::Host for inventory::InventoryCap {
    async fn stock_by_sku(
        &mut self,
        sku: String,
    ) -> wasmtime::Result<Result<Vec<p::inventory::StockLevel>, Error>> {
        old_list(l::inventory::Host::stock_by_sku(self, sku).await)
    }
}

impl p::types::Host for crate::state::StoreState {}
