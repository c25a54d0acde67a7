//! `context.current-tenant`: the name and kind of the tenant a plugin runs for, as a report
//! prints it.

use async_trait::async_trait;
use ils_host_api::Scope;
use ils_host_api::services::{ServiceResult, Tenant, TenantDirectory};

use super::DbServices;

#[async_trait]
impl TenantDirectory for DbServices {
    async fn tenant(&self, scope: &Scope) -> ServiceResult<Tenant> {
        let mut tx = self.read_tx(scope).await?;
        let own = ils_tenancy::tenants::get_own(&mut tx).await;
        let own = self.finish(tx, own).await?;
        Ok(Tenant { id: own.id, name: own.name, kind: own.kind.as_str().to_owned() })
    }
}
