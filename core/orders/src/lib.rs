//! # ILS lab orders
//!
//! Lab orders (spectacle jobs) and their production: what is ordered, the lifecycle as an explicit
//! state machine ([`status`]), a timeline row for every change, and the production queue; and the
//! lab [`accounts`] through which a practice sends jobs to another tenant's lab.
//!
//! An order carries a copy of the prescription it is made to, so lab staff work from the order
//! without reading the patient's record, and a newer prescription never changes a job already in
//! production. Remakes, returns and non-adapts are new orders linked to the original.
//!
//! The services ([`place`], [`transition`], [`move_station`], [`annotate`], and
//! [`accounts::open`]/[`accounts::close`]) take a command of plain values and a
//! [`UnitOfWork`](ils_outbox::UnitOfWork): they write the rows, the audit entries and the
//! [`events`] through the unit, and the caller commits. Reads ([`store`], [`accounts::list`])
//! take the tenant's transaction. The crate knows no HTTP: the API's handlers live in `ils-core`.
//!
//! ```
//! use ils_orders::status::OrderStatus;
//! use ils_orders::{LensType, Money, Order};
//! use ils_kernel::permissions::Role;
//! use jiff::civil::date;
//!
//! // Lab staff start production; a practice's dispenser may not.
//! assert!(OrderStatus::Pending.transition(OrderStatus::InProduction, Role::LabTech, None, None).is_ok());
//! assert!(OrderStatus::Pending.transition(OrderStatus::InProduction, Role::Dispenser, None, None).is_err());
//! // A job due yesterday and still in production is overdue.
//! assert!(Order::is_overdue(OrderStatus::InProduction, date(2026, 11, 20), date(2026, 11, 21)));
//! assert!(LensType::Progressive.is_multifocal());
//! let price = Money { amount_minor: 12950, currency: "gbp".into() }.checked("price")?;
//! assert_eq!(price.currency, "GBP");
//! # Ok::<(), ils_kernel::Error>(())
//! ```

pub mod accounts;
mod attach;
pub mod events;
mod moves;
mod place;
pub mod shapes;
pub mod status;
pub mod store;

use serde::{Deserialize, Serialize};

use ils_clinical::prescriptions::EyeView;
use ils_kernel::Result;
use ils_storage::ids::{ItemId, OrderId, PatientId, PrescriptionId, TenantId, TimelineEntryId, UserId};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;
use status::OrderStatus;

pub use attach::{AttachShapes, attach_shapes};
pub use moves::{StationMove, Transition, annotate, move_station, transition};
pub use place::{Centration, FrameOrder, LensOrder, PlaceOrder, place};
pub use store::{NewOrder, get, insert, next_number};

text_enum! {
    /// The lens design (DCS `LTYP`: SV, BI, TR, PR).
    pub enum LensType {
        /// One focal power.
        SingleVision = "single_vision",
        /// Distance and near segments.
        Bifocal = "bifocal",
        /// Distance, intermediate and near segments.
        Trifocal = "trifocal",
        /// Progressive addition (varifocal).
        Progressive = "progressive",
        /// Occupational (near and intermediate, office) lens.
        Occupational = "occupational",
    }
}

impl LensType {
    /// Whether the lens has a near portion: it needs a reading addition and fitting heights.
    pub fn is_multifocal(self) -> bool {
        !matches!(self, LensType::SingleVision)
    }
}

text_enum! {
    /// The lens material (DCS `LMATTYPE`).
    pub enum Material {
        /// Standard plastic (CR-39 and similar).
        Plastic = "plastic",
        /// Polycarbonate, made in index 1.59.
        Polycarbonate = "polycarbonate",
        /// Trivex, made in index 1.53.
        Trivex = "trivex",
        /// Mineral glass.
        Glass = "glass",
        /// High-index plastic.
        HighIndex = "high_index",
    }
}

impl Material {
    /// The refractive indices made in this material, in thousandths.
    pub fn indices(self) -> &'static [u16] {
        match self {
            Material::Plastic => &[1500, 1560],
            Material::Polycarbonate => &[1590],
            Material::Trivex => &[1530],
            Material::Glass => &[1523, 1600, 1700, 1800, 1900],
            Material::HighIndex => &[1600, 1670, 1740],
        }
    }
}

text_enum! {
    /// A coating or treatment applied to the lenses.
    pub enum Coating {
        /// Scratch-resistant hard coat.
        HardCoat = "hard_coat",
        /// Multi-layer anti-reflection coating.
        AntiReflective = "anti_reflective",
        /// Water- and smudge-repellent top coat.
        Hydrophobic = "hydrophobic",
        /// Blue-light filter.
        BlueFilter = "blue_filter",
        /// UV-400 protection.
        UvFilter = "uv_filter",
        /// Mirror finish (tinted lenses).
        Mirror = "mirror",
    }
}

text_enum! {
    /// How urgent a job is; the production queue takes urgent jobs first.
    pub enum Priority {
        /// Before everything else (a patient without glasses).
        Urgent = "urgent",
        /// Ahead of routine work.
        High = "high",
        /// Routine work; the priority of an order that names none.
        Normal = "normal",
        /// When there is capacity.
        Low = "low",
    }
}

text_enum! {
    /// Why an order was placed.
    pub enum OrderReason {
        /// A new job.
        New = "new",
        /// The original failed after shipping (breakage, wrong lens): made again.
        Remake = "remake",
        /// The practice returned the original job to the lab.
        Return = "return",
        /// The patient could not adapt to the original lenses (typically progressives).
        NonAdapt = "non_adapt",
    }
}

text_enum! {
    /// Where a job is on the lab floor.
    pub enum Station {
        /// Generating and polishing the lens surfaces.
        Surfacing = "surfacing",
        /// Hard coat and anti-reflection coating.
        Coating = "coating",
        /// Dyeing the lenses to the order's `tint`.
        Tinting = "tinting",
        /// Edging the lenses to the frame shape.
        Edging = "edging",
        /// Glazing the lenses into the frame.
        Fitting = "fitting",
        /// Quality inspection against tolerances.
        Inspection = "inspection",
        /// Packing and dispatch.
        Dispatch = "dispatch",
    }
}

text_enum! {
    /// Where a job is made.
    pub enum Routing {
        /// In the tenant's own lab.
        InHouse = "in_house",
        /// A practice's order, made by another tenant's lab (the counterpart).
        ToLab = "to_lab",
        /// A lab's copy of an order sent by a practice (the counterpart).
        FromPractice = "from_practice",
    }
}

/// The other tenant's copy of a job sent from a practice to a lab.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counterpart {
    /// The other tenant (the lab, or the practice).
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// Its copy of the order.
    pub order_id: OrderId,
    /// Its job number.
    pub number: String,
}

/// An amount of money in minor units (pence, cents) and its ISO 4217 currency.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Amount in minor units, e.g. `12950` for £129.50.
    pub amount_minor: i64,
    /// ISO 4217 currency code, e.g. `GBP`.
    pub currency: String,
}

impl Money {
    /// Checks a price: 0 to [`ils_kernel::input::MAX_AMOUNT_MINOR`], an ISO 4217 currency.
    pub fn checked(self, field: &str) -> Result<Money> {
        ils_kernel::input::amount_minor(&format!("{field}.amount_minor"), self.amount_minor)?;
        let currency = ils_kernel::input::currency_code(
            &format!("{field}.currency"),
            &self.currency.to_ascii_uppercase(),
        )?;
        Ok(Money { amount_minor: self.amount_minor, currency })
    }
}

/// The lenses ordered.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lens {
    /// The lens design, `type` in JSON; a multifocal design comes with fitting heights.
    #[serde(rename = "type")]
    pub lens_type: LensType,
    /// The lens material; `index` is one the material is made in.
    pub material: Material,
    /// Refractive index, e.g. `1.67`.
    pub index: f64,
    /// Coatings and treatments.
    pub coatings: Vec<Coating>,
    /// Tint, as the lab writes it (e.g. `brown 85%`, `grey gradient 50%`).
    pub tint: Option<String>,
}

/// The frame the lenses go into.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Frame {
    /// Brand, model, colour and size as written on the frame.
    pub description: String,
    /// Boxed lens width (A), mm to 0.01 (as a tracer measures it).
    pub a_mm: Option<f64>,
    /// Boxed lens height (B), mm to 0.01.
    pub b_mm: Option<f64>,
    /// Distance between lenses (DBL), mm to 0.01.
    pub dbl_mm: Option<f64>,
    /// The frame item from the practice's stock, when the order named one (on the practice's
    /// copy only).
    pub item_id: Option<ItemId>,
    /// The frame's traced shapes: none, one for both eyes, or one per eye. Given when one order
    /// is read (`GET /orders/{order_id}`, and the job a driver encodes); lists leave it empty.
    pub shapes: Vec<shapes::TracedShape>,
}

/// Centration measurements taken at dispensing.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measurements {
    /// Right monocular PD, mm.
    pub pd_right_mm: f64,
    /// Left monocular PD, mm.
    pub pd_left_mm: f64,
    /// Right fitting height (from the lowest point of the lens shape), mm.
    pub height_right_mm: Option<f64>,
    /// Left fitting height, mm.
    pub height_left_mm: Option<f64>,
}

/// The prescription a job is made to, minus-cylinder form.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderRx {
    /// Right eye.
    pub right: EyeView,
    /// Left eye.
    pub left: EyeView,
}

/// A lab order as the API shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    /// The order's id (UUIDv7, so ids sort by creation time). A lab's copy of a practice's order has its own
    /// id; `counterpart` links the two.
    pub id: OrderId,
    /// The job number (`J000123`), unique in the tenant.
    pub number: String,
    /// The patient (absent on a lab's copy of a practice's order).
    pub patient_id: Option<PatientId>,
    /// The prescription the job was made from (absent on a lab's copy).
    pub prescription_id: Option<PrescriptionId>,
    /// The practice's reference for the patient (its customer number), on a lab's copy.
    pub patient_ref: Option<String>,
    /// Made in house, sent to a lab, or received from a practice.
    pub routing: Routing,
    /// The other tenant's copy, for a job sent from a practice to a lab.
    pub counterpart: Option<Counterpart>,
    /// New, remake, return or non-adapt.
    pub reason: OrderReason,
    /// The order this one remakes, returns or replaces.
    pub original_order_id: Option<OrderId>,
    /// The prescription values the job is made to.
    pub rx: OrderRx,
    /// The lenses, the same design, material and index for both eyes.
    pub lens: Lens,
    /// The frame the lenses are fitted into, with its boxed size where known.
    pub frame: Frame,
    /// Centration: monocular PDs (given with the order, or else the prescription's) and fitting heights.
    pub measurements: Measurements,
    /// Due at the practice (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_on: jiff::civil::Date,
    /// How urgent: the production queue takes jobs by priority, then due date.
    pub priority: Priority,
    /// Price charged for the job.
    pub price: Money,
    /// Where the order is in its lifecycle.
    pub status: OrderStatus,
    /// For an order on hold, the status it resumes to.
    pub held_from: Option<OrderStatus>,
    /// Where the job is on the lab floor.
    pub station: Option<Station>,
    /// The last quality issue found (a failed check).
    pub quality_issue: Option<String>,
    /// Past its due date and not yet shipped.
    pub overdue: bool,
    /// Notes for the lab.
    pub notes: String,
    /// Who placed it.
    pub created_by: Option<UserId>,
    /// When the order was placed (UTC); never changes.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Order {
    /// Whether the order is late on `today`: due before today and not yet shipped.
    pub fn is_overdue(status: OrderStatus, due_on: jiff::civil::Date, today: jiff::civil::Date) -> bool {
        due_on < today
            && matches!(
                status,
                OrderStatus::Pending
                    | OrderStatus::InProduction
                    | OrderStatus::QualityCheck
                    | OrderStatus::OnHold
            )
    }
}

/// One row of an order's timeline: a status or station change.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// Id (time-ordered).
    pub id: TimelineEntryId,
    /// Status before (absent for the order's creation).
    pub from_status: Option<OrderStatus>,
    /// Status after.
    pub to_status: OrderStatus,
    /// Station before.
    pub from_station: Option<Station>,
    /// Station after.
    pub to_station: Option<Station>,
    /// Why, as the actor wrote it.
    pub note: Option<String>,
    /// The quality issue found, for a failed check.
    pub quality_issue: Option<String>,
    /// Who: `user` or `api_key`.
    pub actor_kind: ils_kernel::audit::ActorKind,
    /// The user or API key.
    pub actor_id: Option<uuid::Uuid>,
    /// When the change was made (UTC); a timeline lists its entries oldest first.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ils_kernel::input::tenths_of_mm;

    #[test]
    fn overdue_means_late_and_not_yet_shipped() {
        let today: jiff::civil::Date = "2026-11-21".parse().unwrap();
        let yesterday: jiff::civil::Date = "2026-11-20".parse().unwrap();
        assert!(Order::is_overdue(OrderStatus::InProduction, yesterday, today));
        assert!(Order::is_overdue(OrderStatus::OnHold, yesterday, today));
        assert!(!Order::is_overdue(OrderStatus::InProduction, today, today), "due today is not late yet");
        assert!(!Order::is_overdue(OrderStatus::Shipped, yesterday, today));
        assert!(!Order::is_overdue(OrderStatus::Cancelled, yesterday, today));
    }

    #[test]
    fn prices_and_lengths_are_checked() {
        let ok = Money { amount_minor: 12950, currency: "gbp".into() }.checked("price").unwrap();
        assert_eq!(ok.currency, "GBP");
        assert!(Money { amount_minor: -1, currency: "GBP".into() }.checked("price").is_err());
        assert!(Money { amount_minor: 1, currency: "POUND".into() }.checked("price").is_err());
        assert!(Money { amount_minor: 1, currency: "XYZ".into() }.checked("price").is_err());
        assert!(Money { amount_minor: i64::MAX, currency: "GBP".into() }.checked("price").is_err());
        assert_eq!(tenths_of_mm("h", Some(22.5), 8.0..=45.0).unwrap(), Some(225));
        assert!(tenths_of_mm("h", Some(22.3), 8.0..=45.0).is_err());
        assert!(tenths_of_mm("h", Some(60.0), 8.0..=45.0).is_err());
    }

    #[test]
    fn every_material_has_indices_the_schema_accepts() {
        for m in Material::ALL {
            assert!(m.indices().iter().all(|i| (1400..=2000).contains(i)), "{m}");
        }
    }
}
