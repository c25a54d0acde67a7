//! # ILS tenancy
//!
//! Who is on the platform and what they may do: [`tenants`] (the companies, their status, plan
//! and settings), [`users`] (accounts and their memberships in tenants, with roles) and [`auth`]
//! (passwords, sessions, TOTP, API keys, and the [`auth::Principal`] a request acts as).
//! The operations are services: a domain command in, a domain result or an
//! [`ils_kernel::Error`] out. Work inside one tenant goes through an [`ils_outbox::UnitOfWork`];
//! platform work (sign-in, registration, tenant administration) opens its own system
//! transaction and takes the actor to audit. The crate knows no HTTP: the host's handlers
//! extract, authorise, call one service and map its answer.
//!
//! The rules that need no database read as plain code:
//!
//! ```
//! use ils_kernel::permissions::{Action, Role};
//! use ils_tenancy::auth::{Credential, Grant, Principal, RequestMeta, TenantAccess};
//! use ils_tenancy::tenants::{Slug, TenantStatus};
//! use ils_tenancy::users::MembershipStatus;
//! use ils_storage::ids::{SessionId, TenantId, UserId};
//!
//! assert!(Slug::parse("bright-eyes").is_ok());
//! assert!(Slug::parse("-nope").is_err());
//!
//! let dispenser = Principal {
//!     credential: Credential::Session { session_id: SessionId::new(), user_id: UserId::new() },
//!     is_platform_admin: false,
//!     mfa_satisfied: true,
//!     tenant: Some(TenantAccess {
//!         tenant_id: TenantId::new(),
//!         tenant_status: TenantStatus::Active,
//!         membership: MembershipStatus::Active,
//!         grant: Grant::Role(Role::Dispenser),
//!     }),
//!     meta: RequestMeta::default(),
//! };
//! assert!(dispenser.tenant(Action::OrdersCreate).is_ok());
//! assert!(dispenser.tenant(Action::UsersManage).is_err());
//! assert!(dispenser.platform_admin().is_err());
//! ```

pub mod auth;
pub mod events;
pub mod tenants;
pub mod users;
