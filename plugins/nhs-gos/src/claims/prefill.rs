//! Filling a voucher claim (GOS 3/4) from ILS, so its band and value are worked out without
//! typing the prescription again:
//!
//! - from its **order** (`orders-read`): the powers the job is made to (with prism), the lens
//!   type, the patient and the prescription;
//! - from its **prescription** (`clinical-read`, audited): the issue date, the patient, and the
//!   powers when the order gave none.
//!
//! Only empty fields are filled: what a user typed wins. What cannot be read is said in words.

use ils_plugin_sdk::HostError;
use ils_plugin_sdk::host::clinical::{self, Prescription};
use ils_plugin_sdk::host::orders::{self, Order};
use serde::Deserialize;
use serde_json::Value;

use crate::band::{BandRequest, Eye, LensType, Power, plausible};
use crate::claims::ClaimFields;
use crate::date::Date;
use crate::error::ApiError;
use crate::facts::PatientId;

/// What a claim can take from an order's `details` (ILS's order as its API shows it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FromOrder {
    /// The patient (absent on a lab's copy of a practice's order).
    pub patient_id: Option<PatientId>,
    /// The prescription the job was made from.
    pub prescription_id: Option<String>,
    /// The lens type, mapped to GOS's three.
    pub lens_type: Option<LensType>,
    /// The powers the job is made to, with the lens type (single vision when it was unknown).
    pub glasses: Option<BandRequest>,
    /// What could not be read, in words.
    pub problems: Vec<String>,
}

#[derive(Deserialize)]
struct Details {
    #[serde(default)]
    patient_id: Option<String>,
    #[serde(default)]
    prescription_id: Option<String>,
    #[serde(default)]
    rx: Option<Rx>,
    #[serde(default)]
    lens: Option<Lens>,
}

#[derive(Deserialize)]
struct Rx {
    right: RxEye,
    left: RxEye,
}

#[derive(Deserialize)]
struct RxEye {
    sphere: String,
    #[serde(default)]
    cylinder: Option<String>,
    #[serde(default)]
    axis: Option<u16>,
    #[serde(default)]
    add: Option<String>,
    #[serde(default)]
    prism_horizontal: Option<PrismPart>,
    #[serde(default)]
    prism_vertical: Option<PrismPart>,
    /// Magnitude and base of the resultant prism.
    #[serde(default)]
    prism_compound: Option<(f64, f64)>,
}

#[derive(Deserialize)]
struct PrismPart {
    amount: f64,
}

#[derive(Deserialize)]
struct Lens {
    #[serde(rename = "type")]
    kind: String,
}

/// GOS knows single vision, bifocal and varifocal. ILS's trifocal has a near segment like a
/// bifocal; its occupational (office) lens is a degressive progressive, so varifocal.
fn lens_type(ils: &str) -> Option<LensType> {
    match ils {
        "single_vision" => Some(LensType::SingleVision),
        "bifocal" | "trifocal" => Some(LensType::Bifocal),
        "progressive" | "occupational" => Some(LensType::Varifocal),
        _ => None,
    }
}

impl RxEye {
    fn prism(&self) -> Option<f64> {
        let compound = self.prism_compound.map(|(m, _)| m);
        let parts = match (&self.prism_horizontal, &self.prism_vertical) {
            (None, None) => None,
            (h, v) => Some(h.as_ref().map_or(0.0, |p| p.amount).hypot(v.as_ref().map_or(0.0, |p| p.amount))),
        };
        compound.or(parts).filter(|p| *p > 0.0)
    }

    /// The eye as the band calculation reads it, checked as if typed in.
    fn eye(&self, side: &str) -> Result<Eye, String> {
        // A zero cylinder is no cylinder: drop its axis rather than refuse the eye.
        let cylinder = self.cylinder.clone().filter(|c| c.trim().parse::<f64>().is_ok_and(|c| c != 0.0));
        let axis = cylinder.as_ref().and(self.axis);
        let prism = self.prism().map(|p| (p * 100.0).round() / 100.0);
        let mut eye = serde_json::json!({
            "sphere": self.sphere, "cylinder": cylinder, "axis": axis, "add": self.add, "prism": prism,
        });
        if let Value::Object(fields) = &mut eye {
            fields.retain(|_, v| !v.is_null());
        }
        serde_json::from_value(eye).map_err(|e| format!("the order's {side} eye cannot be read ({e})"))
    }
}

/// Reads what a claim needs from an order's details. Pure: [`fill`] does the host calls.
pub fn from_details(details: &Value) -> FromOrder {
    let mut out = FromOrder::default();
    let d = match Details::deserialize(details) {
        Ok(d) => d,
        Err(e) => {
            out.problems.push(format!("the order's details cannot be read ({e})"));
            return out;
        }
    };
    out.patient_id = d.patient_id.and_then(|p| PatientId::parse(&p).ok());
    out.prescription_id = d.prescription_id.filter(|p| !p.trim().is_empty());
    match d.lens.as_ref().map(|l| (l, lens_type(&l.kind))) {
        Some((_, Some(t))) => out.lens_type = Some(t),
        Some((l, None)) => {
            out.problems.push(format!("the order's lens type {:?} is not one GOS knows", l.kind))
        }
        None => {}
    }
    if let Some(rx) = &d.rx {
        match (rx.right.eye("right"), rx.left.eye("left")) {
            (Ok(right), Ok(left)) => {
                out.glasses = Some(BandRequest {
                    right,
                    left,
                    lens_type: out.lens_type.unwrap_or_default(),
                    ..BandRequest::default()
                })
            }
            (r, l) => out.problems.extend(r.err().into_iter().chain(l.err())),
        }
    }
    if out.lens_type.is_none() {
        // Powers without a lens type would be priced as single vision: wrong for a bifocal.
        out.glasses = None;
    }
    out
}

/// The powers of an ILS prescription as the band calculation reads them. `None` when a power is
/// beyond what GOS accepts or a cylinder has no axis.
pub fn eyes_of(rx: &Prescription) -> Option<(Eye, Eye)> {
    fn eye(e: &clinical::Eye) -> Option<Eye> {
        let cylinder = e.cylinder.filter(|c| !c.is_zero());
        let axis = match (cylinder, e.axis) {
            (None, _) => None,
            (Some(_), Some(0)) => Some(180),
            (Some(_), Some(a @ 1..=180)) => Some(a),
            (Some(_), _) => return None,
        };
        Some(Eye {
            sphere: plausible(e.sphere)?,
            cylinder: match cylinder {
                Some(c) => plausible(c)?,
                None => Power::PLANO,
            },
            axis,
            prism: None,
            add: match e.add {
                Some(a) => Some(plausible(a)?),
                None => None,
            },
        })
    }
    Some((eye(&rx.right)?, eye(&rx.left)?))
}

/// Reads an order; a capability not granted says which one.
pub fn read_order(id: &str) -> Result<Order, ApiError> {
    orders::get(id).map_err(|e| match e {
        HostError::NotFound => ApiError::NotFound(format!("no order {id} in ILS")),
        HostError::Denied(m) => ApiError::Host(HostError::Denied(format!(
            "reading order {id} needs the orders-read capability, which this practice has not granted ({m})"
        ))),
        other => ApiError::Host(other),
    })
}

/// Reads a prescription (an audited read); a capability not granted says which one.
pub fn read_prescription(id: &str) -> Result<Prescription, ApiError> {
    clinical::prescription(id).map_err(|e| match e {
        HostError::NotFound => ApiError::NotFound(format!("no prescription {id} in ILS")),
        HostError::Denied(m) => ApiError::Host(HostError::Denied(format!(
            "reading prescription {id} needs the clinical-read capability, which this practice has not granted \
             ({m})"
        ))),
        other => ApiError::Host(other),
    })
}

/// What [`fill`] did, in words, for a proposal's note.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filled {
    /// What was filled in from ILS.
    pub filled: Vec<String>,
    /// What could not be read.
    pub problems: Vec<String>,
}

/// Fills a voucher claim's empty fields from `order` (already read) and from the prescription it
/// names, read here when something it gives is still empty.
///
/// A prescription of another patient than the claim's is refused (`Invalid`); an unknown one is
/// `NotFound`; a capability not granted is a `Host(Denied)` that names it.
pub fn fill(fields: &mut ClaimFields, order: Option<&Order>) -> Result<Filled, ApiError> {
    let mut out = Filled::default();
    if fields.form.is_sight_test() {
        return Ok(out);
    }
    let mut lens_type = None;
    if let Some(order) = order {
        let from = from_details(&order.details);
        lens_type = from.lens_type;
        out.problems.extend(from.problems);
        if fields.patient_id.is_none() && from.patient_id.is_some() {
            fields.patient_id = from.patient_id;
            out.filled.push("the patient".into());
        }
        if fields.prescription_id.is_none() {
            fields.prescription_id = from.prescription_id;
        }
        if fields.glasses.is_none()
            && let Some(g) = from.glasses
        {
            out.filled.push(format!("the powers and lens type ({}) from the order", lens_words(g.lens_type)));
            fields.glasses = Some(g);
        }
    }
    let Some(rx_id) = fields.prescription_id.clone() else { return Ok(out) };
    let needs_rx =
        fields.prescription_date.is_none() || fields.glasses.is_none() || fields.patient_id.is_none();
    if !needs_rx {
        return Ok(out);
    }
    let rx = read_prescription(&rx_id)?;
    match &fields.patient_id {
        Some(p) if p.as_str() != rx.patient_id => {
            return Err(ApiError::Invalid(format!(
                "prescription {rx_id} belongs to another patient than the claim's ({p})"
            )));
        }
        Some(_) => {}
        None => {
            fields.patient_id = PatientId::parse(&rx.patient_id).ok();
            out.filled.push("the patient".into());
        }
    }
    if fields.prescription_date.is_none() {
        match Date::parse(&rx.issued_on) {
            Ok(d) => {
                fields.prescription_date = Some(d);
                out.filled.push(format!("the prescription date ({d}) from prescription {rx_id}"));
            }
            Err(_) => out.problems.push(format!("prescription {rx_id} has an unreadable issue date")),
        }
    }
    if fields.glasses.is_none() {
        let has_add = rx.right.add.is_some() || rx.left.add.is_some();
        // Without an add the glasses can only be single vision; with one, only the order knows.
        let lens_type = lens_type.or((!has_add).then_some(LensType::SingleVision));
        match (eyes_of(&rx), lens_type) {
            (Some((right, left)), Some(lens_type)) => {
                fields.glasses = Some(BandRequest { right, left, lens_type, ..BandRequest::default() });
                out.filled.push(format!("the powers from prescription {rx_id} ({})", lens_words(lens_type)));
            }
            (Some(_), None) => out.problems.push(format!(
                "prescription {rx_id} has a reading addition, so enter the lens type with the powers"
            )),
            (None, _) => out.problems.push(format!("prescription {rx_id} has powers GOS cannot band")),
        }
    }
    Ok(out)
}

fn lens_words(t: LensType) -> &'static str {
    match t {
        LensType::SingleVision => "single vision",
        LensType::Bifocal => "bifocal",
        LensType::Varifocal => "varifocal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> Value {
        serde_json::json!({
            "id": "o-1", "number": "J000001", "patient_id": "p-1", "prescription_id": "rx-1",
            "rx": {
                "right": {"sphere": "+5.00", "cylinder": "-2.00", "axis": 90, "add": "+2.00",
                          "prism_horizontal": {"amount": 1.5, "base": "in"}, "prism_vertical": null,
                          "prism_compound": [1.5, 0.0], "written": "+5.00/-2.00×90"},
                "left": {"sphere": "+1.00", "cylinder": null, "axis": null, "add": "+2.00",
                         "prism_horizontal": null, "prism_vertical": null, "prism_compound": null,
                         "written": "+1.00"}
            },
            "lens": {"type": "progressive", "material": "plastic", "index": 1.5, "coatings": [], "tint": null},
        })
    }

    #[test]
    fn an_orders_details_give_powers_prism_lens_type_and_links() {
        let from = from_details(&details());
        assert_eq!(from.problems, Vec::<String>::new());
        assert_eq!(from.patient_id.as_ref().map(PatientId::as_str), Some("p-1"));
        assert_eq!(from.prescription_id.as_deref(), Some("rx-1"));
        let g = from.glasses.unwrap();
        assert_eq!(g.lens_type, LensType::Varifocal);
        assert_eq!(
            (g.right.sphere.hundredths(), g.right.cylinder.hundredths(), g.right.axis),
            (500, -200, Some(90))
        );
        assert!(g.right.has_prism() && !g.left.has_prism());
        assert_eq!(crate::band::calculate(&g).band, crate::band::Band::E);
    }

    #[test]
    fn each_ils_lens_type_maps_to_a_gos_one() {
        for (ils, gos) in [
            ("single_vision", LensType::SingleVision),
            ("bifocal", LensType::Bifocal),
            ("trifocal", LensType::Bifocal),
            ("progressive", LensType::Varifocal),
            ("occupational", LensType::Varifocal),
        ] {
            let mut d = details();
            d["lens"]["type"] = ils.into();
            assert_eq!(from_details(&d).glasses.map(|g| g.lens_type), Some(gos), "{ils}");
        }
    }

    #[test]
    fn what_cannot_be_read_is_said_and_not_guessed() {
        let mut d = details();
        d["lens"]["type"] = "contact".into();
        let from = from_details(&d);
        assert_eq!(from.glasses, None, "no lens type, no band");
        assert!(from.problems[0].contains("\"contact\""), "{:?}", from.problems);

        let mut d = details();
        d["rx"]["right"]["sphere"] = "+1.10".into();
        let from = from_details(&d);
        assert_eq!(from.glasses, None);
        assert!(from.problems[0].contains("right eye"), "{:?}", from.problems);

        // A lab's copy: no patient, no prescription; the powers still come.
        let mut d = details();
        d.as_object_mut().unwrap().remove("patient_id");
        d["prescription_id"] = Value::Null;
        let from = from_details(&d);
        assert_eq!((from.patient_id, from.prescription_id), (None, None));
        assert!(from.glasses.is_some());

        assert!(!from_details(&serde_json::json!("nonsense")).problems.is_empty());
        assert_eq!(from_details(&serde_json::json!({})), FromOrder::default());
    }

    #[test]
    fn a_zero_cylinder_is_no_cylinder() {
        let mut d = details();
        d["rx"]["left"]["cylinder"] = "+0.00".into();
        d["rx"]["left"]["axis"] = 180.into();
        assert_eq!(from_details(&d).glasses.unwrap().left.axis, None);
    }

    /// A power from hundredths of a dioptre.
    fn p(hundredths: i32) -> Power {
        Power::from_hundredths(hundredths).unwrap()
    }

    #[test]
    fn a_prescriptions_eyes_become_band_eyes() {
        let rx = Prescription {
            id: "rx-1".into(),
            patient_id: "p-1".into(),
            issued_on: "2025-04-01".into(),
            expires_on: None,
            right: clinical::Eye { sphere: p(-625), cylinder: Some(p(-50)), axis: Some(0), add: None },
            left: clinical::Eye { sphere: p(100), cylinder: Some(p(0)), axis: Some(90), add: None },
        };
        let (r, l) = eyes_of(&rx).unwrap();
        assert_eq!((r.sphere.hundredths(), r.cylinder.hundredths(), r.axis), (-625, -50, Some(180)));
        assert_eq!((l.cylinder.hundredths(), l.axis), (0, None));
        let far =
            Prescription { right: clinical::Eye { sphere: p(4500), ..Default::default() }, ..rx.clone() };
        assert_eq!(eyes_of(&far), None);
        let no_axis = Prescription {
            right: clinical::Eye { sphere: p(0), cylinder: Some(p(-100)), axis: None, add: None },
            ..rx
        };
        assert_eq!(eyes_of(&no_axis), None);
    }
}
