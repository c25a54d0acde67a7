//! Purchasing and stock over HTTP. The domain — suppliers, items, locations, stock levels and
//! their ledger, adjustments and transfers, purchase orders with goods receipts, stock counts —
//! is the `ils-stock` crate, re-exported here so `crate::stock::…` paths keep naming it; the
//! handlers that turn requests into its commands are in [`routes`].

pub mod routes;

pub use ils_stock::*;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    routes::router()
}
