//! # ILS till
//!
//! A practice's takings: a [`sales`] for a patient, with lines (frames and lenses from an order,
//! contact lenses and solutions from stock, sight tests and dispensing), each with its UK
//! [`vat`]; payments towards it — cash, card, NHS vouchers; a deposit when the order is placed
//! and the balance at collection — each with a receipt number; the sale completed with an invoice
//! number once paid in full, moving stock for its stocked lines in the same transaction; refunds
//! as credit notes that reverse exactly the lines refunded; and the [`day`]'s report: takings by
//! method, the VAT summary, and the cash to bank. The [`events`] it emits are declared here.
//!
//! Money is integer pence throughout, prices include VAT (a retail till), and every number —
//! invoice, receipt, credit note — comes from one gap-free sequence per practice and kind
//! ([`numbers`]), taken in the transaction that uses it (docs/adr/047-till.md).
//!
//! ```
//! use ils_till::vat::vat_in;
//!
//! // £120.00 including VAT at 20%: £20.00 of it is VAT.
//! assert_eq!(vat_in(12_000, 20), 2_000);
//! // Rounded to the nearest penny, a half up: £0.03 holds 0.5p.
//! assert_eq!(vat_in(3, 20), 1);
//! ```

pub mod day;
pub mod events;
pub mod kinds;
pub mod numbers;
pub mod refunds;
pub mod sales;
pub mod vat;

pub use kinds::{LineKind, PaymentMethod, SaleStatus};
pub use sales::{CreditNote, Line, Payment, Sale};
