//! # ILS kernel
//!
//! What every domain of the ILS host shares and nothing else: the domain [`Error`] (no transport
//! status in it), the checks on free text ([`input`]), cursor pages ([`page`]), the permission
//! matrix of roles and actions ([`permissions`]), the append-only audit log ([`audit`]) and
//! random credentials and sealed secrets ([`secrets`]).
//! It sits on [`ils_storage`] and below every domain crate; it knows no HTTP.
//!
//! ```
//! use ils_kernel::permissions::{Action, Role};
//! use ils_kernel::{Error, input};
//!
//! assert!(Role::Dispenser.allows(Action::OrdersCreate));
//! assert!(!Role::LabTech.allows(Action::PatientsRead));
//! let name = input::required_text("name", "  Bright Eyes ", 100)?;
//! assert_eq!(name, "Bright Eyes");
//! assert!(matches!(input::required_text("name", " ", 100), Err(Error::Invalid { .. })));
//! # Ok::<(), Error>(())
//! ```

pub mod audit;
pub mod context;
pub mod error;
pub mod input;
pub mod page;
pub mod permissions;
pub mod secrets;

pub use context::TenantCtx;
pub use error::{Error, FieldError, PluginFailure, Result, Unreadable};
