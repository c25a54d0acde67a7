//! Optical values, one type per concept, shared by the ILS host (`core`), the plugin SDK and the
//! plugins: a lens [`Power`] held in exact eighths of a dioptre, a cylinder [`Axis`], [`Prism`]
//! and its resultant, one eye's prescription ([`EyeRx`]) checked and transposed as DOMAIN.md
//! sets out, and a traced lens shape's points and box ([`outline_points`], [`outline_box`]). A
//! value of these types exists only in a valid state; a refused value is an
//! [`InvalidValue`] that names the field and the rule broken.
//!
//! The crate is pure — no I/O, no database or HTTP types — so it builds for `wasm32-wasip2`
//! plugins as well as for the host. The optional `openapi` feature gives the host's OpenAPI
//! schemas for the enums its API shows.
//!
//! ```
//! use ils_optics::{CylinderForm, Eye, EyeRx, Power, Prism, Steps};
//!
//! // Entered in plus-cylinder form, kept in minus-cylinder form.
//! let rx = EyeRx::new(Eye::Right, "+2.00", Some("+1.00"), Some(180), None, Prism::default(), Steps::Quarter)?;
//! assert_eq!(rx.to_string(), "+3.00/-1.00×90");
//! assert_eq!(rx.in_form(CylinderForm::Plus).to_string(), "+2.00/+1.00×180");
//!
//! // Eighth steps only where the lab takes them; the trade writes 0.125 D as `.12`.
//! let eighth = Power::parse("sphere", "-0.12", Steps::Eighth)?;
//! assert_eq!((eighth.eighths(), eighth.dioptres()), (-1, -0.125));
//! let refused = Power::parse("sphere", "-0.12", Steps::Quarter).unwrap_err();
//! assert_eq!(refused.to_string(), r#"sphere: "-0.12" is in 0.125 D steps; this lab takes 0.25 D steps"#);
//! # Ok::<(), ils_optics::InvalidValue>(())
//! ```

mod error;
mod eye;
mod outline;
mod power;
mod prism;
mod rx;

pub use error::InvalidValue;
pub use eye::Eye;
pub use outline::{outline_box, outline_points};
pub use power::{Power, Steps};
pub use prism::{HorizontalBase, Prism, VerticalBase, prentice, resultant};
pub use rx::{Axis, CylinderForm, EyeRx};
