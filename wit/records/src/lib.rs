//! The records ILS and its plugins exchange through the `ils:platform` WIT package, defined once
//! for both sides: the host (`ils-host-api`) and the guest (`ils-plugin-sdk`) each convert their
//! generated bindings to and from these types in one module, and use only these in their APIs.
//!
//! They are independent of WIT versions, and typed where the WIT carries text or bare numbers:
//! the tenant is a [`TenantId`] (a UUID), powers are [`ils_optics::Power`]s, an order's status
//! is an [`OrderStatus`] and its details are JSON. Ids of records a plugin reads (orders,
//! patients, prescriptions, stock) stay text: they are opaque to plugins, which compare and
//! pass them back but never parse them.
//!
//! Pure: serde, no I/O, no wasmtime or wit-bindgen, so it builds for `wasm32-wasip2` guests. The
//! `sqlx` and `openapi` features give the host's storage and OpenAPI traits for the ids.
//!
//! ```
//! use ils_records::{Event, Order, OrderStatus, TenantId};
//!
//! #[derive(serde::Deserialize)]
//! struct Created { order_id: String }
//!
//! let event = Event { id: "ev-1".into(), kind: "order.created".into(), occurred_at_ms: 0,
//!                     payload: r#"{"order_id":"o-1"}"#.into() };
//! assert_eq!(event.payload_as::<Created>()?.order_id, "o-1");
//!
//! let order = Order::new("o-1", OrderStatus::Pending);
//! assert_eq!("in-production".parse::<OrderStatus>(), Ok(OrderStatus::InProduction));
//! assert!(!order.status.is_final());
//!
//! let tenant: TenantId = "0190a6b8-7c3e-7d4a-9b2f-1c2d3e4f5a6b".parse().unwrap();
//! assert_eq!(tenant.to_string(), "0190a6b8-7c3e-7d4a-9b2f-1c2d3e4f5a6b");
//! # Ok::<(), serde_json::Error>(())
//! ```

pub mod clinical;
pub mod context;
pub mod devices;
pub mod events;
pub mod extension;
pub mod files;
pub mod inventory;
pub mod log;
pub mod orders;
pub mod reports;

pub use clinical::{Examination, Eye, Patient, Prescription};
pub use context::{Caller, ROLES, Tenant, TenantId};
pub use devices::{DeviceReading, DeviceStep, Happening, ShapeSource, ShapesSent, TracedShape};
pub use events::PublishedEvent;
pub use extension::{
    DraftPurchaseOrder, Event, Figure, Measurement, Progress, ProposedAction, PurchaseLine, RecallAdvice,
    Recommendation, RenderedReport, ReportFormat, ReportInfo, ReportOutput, Side, SmsError, SmsMessage,
};
pub use files::{Email, FileInfo};
pub use inventory::{
    CatalogueItem, FrameSize, ItemPage, MovementKind, MovementOutcome, Rim, StockLevel, StockLocation,
    StockMovement,
};
pub use orders::{Order, OrderStatus, UnknownStatus};

/// Converts both ways between a WIT enum as one side's bindings generate it and the record enum
/// here, variant by variant (the names are the same on both sides). host-api and the SDK each
/// write one line per enum with it.
#[macro_export]
macro_rules! same_enum {
    ($a:path, $b:path, [$($v:ident),*]) => {
        impl From<$a> for $b {
            fn from(v: $a) -> Self {
                use $a as A;
                match v { $(A::$v => Self::$v),* }
            }
        }
        impl From<$b> for $a {
            fn from(v: $b) -> Self {
                use $b as B;
                match v { $(B::$v => Self::$v),* }
            }
        }
    };
}
