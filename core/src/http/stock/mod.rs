//! The purchasing and stock handlers, one module per area. Each extracts the request, checks the
//! permission, builds the `ils_stock` command from the HTTP input type, calls one service and
//! maps its answer.

pub mod counts;
pub mod directory;
pub mod items;
pub mod levels;
pub mod locations;
pub mod movements;
pub mod purchase_orders;
pub mod receipts;
pub mod received;
pub mod suppliers;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(suppliers::router())
        .merge(items::router())
        .merge(locations::router())
        .merge(levels::router())
        .merge(movements::router())
        .merge(purchase_orders::router())
        .merge(counts::router())
        .merge(received::router())
        .merge(directory::router())
}
