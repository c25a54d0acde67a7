//! Job download: a lab order as JSON, written as DCS records, and read back.
//!
//! The JSON is core's `Order` as the API shows it (`number`, `rx.right/left`, `lens`, `frame`,
//! `measurements`, `frame.shapes`; other fields are ignored), plus optional `frame.type`,
//! `frame.edge` and near PDs. See the README for the shape and an example.
//!
//! Rules chosen (README, "Job download"):
//! - Powers are written with their sign and two decimals (`+2.00`, `-0.75`, `0.00`); an eighth
//!   step keeps its third decimal (`-1.125`) so the lab's machine computes with the exact value.
//! - An eye without a cylinder is written `CYL=0.00`, `AX=0`; read back, a zero cylinder has no axis.
//! - `ADD`, `PRVM`/`PRVA`, `IPD`, `NPD` and heights are written only when the order has them;
//!   a side without one is left empty (`ADD=;+2.00`), a side without prism gets `0.00` / `0`.
//! - Prism is written as `PRVM` (Δ, 2 decimals) and `PRVA` (0–360°, 2 decimals) from the
//!   horizontal and vertical parts: base in is 0° on the right eye and 180° on the left, up is 90°.
//! - Heights go in `SEGHT` for multifocal lenses and `OCHT` for single vision.
//! - `LTYP`: SV, BI, TR, PR; an occupational lens is written PR (and reads back as progressive).
//! - `HBOX`/`VBOX` are the frame's A and B for both eyes; read back from the right eye. Box sizes
//!   and DBL are written to 0.01 mm, as a tracer measures them.
//! - The frame's traced shapes (one for both eyes, or one per eye) follow the job's records, each
//!   a TRCFMT and its radii; read back in the order written.
//! - A job for one eye (`DO=R` or `L`) writes the other eye's side of every pair empty, PDs
//!   and heights included.

pub use ils_optics::{HorizontalBase, Power, VerticalBase};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::power;
use crate::record::{Document, Record};
use crate::trace::{Trace, read_traces};
use crate::values::{Eyes, decimal_at, pair_of};

/// A prism component, as core writes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrismPart<B> {
    /// Prism dioptres (Δ).
    pub amount: f64,
    /// Base direction.
    pub base: B,
}

/// One eye of the order (core's `EyeView`/`EyeInput`, minus `written` and the compound prism).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EyeJob {
    /// Sphere, in the form the order is written in.
    #[serde(with = "power")]
    pub sphere: Power,
    /// Cylinder, in the form the order is written in.
    #[serde(default, with = "power::option")]
    pub cylinder: Option<Power>,
    /// Axis 1–180 (0 is read as 180); required with a cylinder.
    #[serde(default)]
    pub axis: Option<u16>,
    /// Reading addition.
    #[serde(default, with = "power::option")]
    pub add: Option<Power>,
    /// Horizontal prism.
    #[serde(default)]
    pub prism_horizontal: Option<PrismPart<HorizontalBase>>,
    /// Vertical prism.
    #[serde(default)]
    pub prism_vertical: Option<PrismPart<VerticalBase>>,
}

/// Both eyes; an order for one eye leaves the other out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRx {
    /// Right eye.
    #[serde(default)]
    pub right: Option<EyeJob>,
    /// Left eye.
    #[serde(default)]
    pub left: Option<EyeJob>,
}

/// Lens design, as core names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LensType {
    /// `SV`.
    SingleVision,
    /// `BI`.
    Bifocal,
    /// `TR`.
    Trifocal,
    /// `PR`.
    Progressive,
    /// Written `PR`.
    Occupational,
}

/// Lens material, as core names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Material {
    /// `LMATTYPE=1`.
    Plastic,
    /// `LMATTYPE=2`.
    Polycarbonate,
    /// `LMATTYPE=3`.
    Glass,
    /// `LMATTYPE=5`.
    HighIndex,
    /// `LMATTYPE=6`.
    Trivex,
}

/// The lenses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobLens {
    /// Lens design (`LTYP`; JSON `type`).
    #[serde(rename = "type")]
    pub lens_type: LensType,
    /// Lens material (`LMATTYPE`).
    pub material: Material,
    /// Refractive index, such as 1.6.
    pub index: f64,
}

/// Frame type (`FTYP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameType {
    /// 1.
    Plastic,
    /// 2.
    Metal,
    /// 3.
    Rimless,
}

/// Edge type (`ETYP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeType {
    /// 1.
    Bevel,
    /// 2.
    Rimless,
    /// 3.
    Groove,
}

/// The frame.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobFrame {
    /// Boxed lens width (A), mm.
    #[serde(default)]
    pub a_mm: Option<f64>,
    /// Boxed lens height (B), mm.
    #[serde(default)]
    pub b_mm: Option<f64>,
    /// Distance between lenses, mm.
    #[serde(default)]
    pub dbl_mm: Option<f64>,
    /// Frame type.
    #[serde(default, rename = "type")]
    pub frame_type: Option<FrameType>,
    /// Edge type.
    #[serde(default)]
    pub edge: Option<EdgeType>,
    /// The traced shapes: none, one for both eyes, or one per eye.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shapes: Vec<Trace>,
}

/// Centration: pupillary distances and fitting heights, mm.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobMeasurements {
    /// Right monocular distance PD (`IPD`), mm.
    #[serde(default)]
    pub pd_right_mm: Option<f64>,
    /// Left monocular distance PD, mm.
    #[serde(default)]
    pub pd_left_mm: Option<f64>,
    /// Right monocular near centration (`NPD`), mm.
    #[serde(default)]
    pub near_pd_right_mm: Option<f64>,
    /// Left monocular near centration, mm.
    #[serde(default)]
    pub near_pd_left_mm: Option<f64>,
    /// Right fitting height (`SEGHT` or `OCHT`), mm.
    #[serde(default)]
    pub height_right_mm: Option<f64>,
    /// Left fitting height, mm.
    #[serde(default)]
    pub height_left_mm: Option<f64>,
}

/// A lab job to download to a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Job number (`JOB`).
    pub number: String,
    /// Both eyes' powers and prism (`SPH`, `CYL`, `AX`, `ADD`, `PRVM`/`PRVA`).
    pub rx: JobRx,
    /// Lens design, material and index (`LTYP`, `LMATTYPE`, `LIND`).
    pub lens: JobLens,
    /// Frame box and type (`HBOX`, `VBOX`, `DBL`, `FTYP`, `ETYP`).
    #[serde(default)]
    pub frame: JobFrame,
    /// Centration: PDs and fitting heights (`IPD`, `NPD`, `SEGHT`/`OCHT`).
    #[serde(default)]
    pub measurements: JobMeasurements,
}

fn job_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Job(message.into()))
}

fn mm(value: f64) -> String {
    format!("{value:.2}")
}

/// An index: two decimals unless it needs three (1.523).
fn index_text(value: f64) -> String {
    let hundredths = value * 100.0;
    if (hundredths - hundredths.round()).abs() < 1e-9 { format!("{value:.2}") } else { format!("{value:.3}") }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

impl EyeJob {
    fn check(&self, eye: &str) -> Result<()> {
        let cyl = self.cylinder.filter(|c| !c.is_zero());
        match (cyl, self.axis) {
            (Some(_), None) => return Err(job_error(format!("rx.{eye}: a cylinder needs an axis"))),
            (None, Some(_)) => return Err(job_error(format!("rx.{eye}: an axis without a cylinder"))),
            (_, Some(a)) if a > 180 => return Err(job_error(format!("rx.{eye}.axis: {a} is outside 1–180"))),
            _ => {}
        }
        let prisms = [self.prism_horizontal.map(|p| p.amount), self.prism_vertical.map(|p| p.amount)];
        if prisms.into_iter().flatten().any(|a| !(0.0..=30.0).contains(&a)) {
            return Err(job_error(format!("rx.{eye}: a prism amount must be 0–30 Δ")));
        }
        // DCS carries the resultant (PRVM), which the reader holds to 0–30 Δ too: refuse here a
        // job that could not be read back.
        if let Some((magnitude, _)) = self.prism_polar(true)
            && magnitude > 30.0 + 1e-9
        {
            return Err(job_error(format!(
                "rx.{eye}: the combined prism is {magnitude:.2} Δ; DCS carries at most 30 Δ"
            )));
        }
        Ok(())
    }

    /// The prism as (magnitude Δ, base angle 0–360°), seen from the front; an angle that would
    /// be written `360.00` is 0°.
    fn prism_polar(&self, right_eye: bool) -> Option<(f64, f64)> {
        let eye = if right_eye { ils_optics::Eye::Right } else { ils_optics::Eye::Left };
        let (magnitude, angle) = ils_optics::resultant(
            eye,
            self.prism_horizontal.map(|p| (p.amount, p.base)),
            self.prism_vertical.map(|p| (p.amount, p.base)),
        )?;
        Some((magnitude, if angle >= 359.995 { 0.0 } else { angle }))
    }

    fn set_prism_polar(&mut self, magnitude: f64, angle: f64, right_eye: bool) {
        let (sin, cos) = angle.to_radians().sin_cos();
        let (h, v) = (round2(magnitude * cos), round2(magnitude * sin));
        self.prism_horizontal = (h != 0.0).then(|| PrismPart {
            amount: h.abs(),
            base: if (h > 0.0) == right_eye { HorizontalBase::In } else { HorizontalBase::Out },
        });
        self.prism_vertical = (v != 0.0).then(|| PrismPart {
            amount: v.abs(),
            base: if v > 0.0 { VerticalBase::Up } else { VerticalBase::Down },
        });
    }
}

/// Both sides of a binocular record, each eye's value formatted or empty.
fn both<T>(rx: &JobRx, f: impl Fn(&EyeJob, bool) -> Option<T>, fmt: impl Fn(T) -> String) -> Vec<String> {
    [(rx.right.as_ref(), true), (rx.left.as_ref(), false)]
        .into_iter()
        .map(|(eye, right)| eye.and_then(|e| f(e, right)).map(&fmt).unwrap_or_default())
        .collect()
}

fn rec(label: &str, values: Vec<String>) -> Result<Record> {
    Record::new(label, values)
}

impl Job {
    /// Reads and checks a job from its JSON.
    pub fn from_json(json: &str) -> Result<Self> {
        let mut job: Job = serde_json::from_str(json).map_err(|e| job_error(e.to_string()))?;
        job.check()?;
        // A lens not made has no centration: drop the other eye's measurements.
        let m = &mut job.measurements;
        if job.rx.right.is_none() {
            (m.pd_right_mm, m.near_pd_right_mm, m.height_right_mm) = (None, None, None);
        }
        if job.rx.left.is_none() {
            (m.pd_left_mm, m.near_pd_left_mm, m.height_left_mm) = (None, None, None);
        }
        Ok(job)
    }

    fn check(&self) -> Result<()> {
        if self.number.is_empty() {
            return Err(job_error("number: empty"));
        }
        if self.rx.right.is_none() && self.rx.left.is_none() {
            return Err(job_error("rx: neither eye"));
        }
        if let Some(e) = &self.rx.right {
            e.check("right")?;
        }
        if let Some(e) = &self.rx.left {
            e.check("left")?;
        }
        if !(1.4..=2.0).contains(&self.lens.index) {
            return Err(job_error(format!("lens.index: {} is not 1.4–2.0", self.lens.index)));
        }
        let m = &self.measurements;
        let lengths = [
            ("frame.a_mm", self.frame.a_mm),
            ("frame.b_mm", self.frame.b_mm),
            ("frame.dbl_mm", self.frame.dbl_mm),
            ("measurements.pd_right_mm", m.pd_right_mm),
            ("measurements.pd_left_mm", m.pd_left_mm),
            ("measurements.near_pd_right_mm", m.near_pd_right_mm),
            ("measurements.near_pd_left_mm", m.near_pd_left_mm),
            ("measurements.height_right_mm", m.height_right_mm),
            ("measurements.height_left_mm", m.height_left_mm),
        ];
        for (field, value) in lengths {
            if let Some(v) = value
                && !(0.0..=200.0).contains(&v)
            {
                return Err(job_error(format!("{field}: {v} is not 0–200 mm")));
            }
        }
        Ok(())
    }

    /// Which eyes the job is for.
    pub fn eyes(&self) -> Eyes {
        match (&self.rx.right, &self.rx.left) {
            (Some(_), None) => Eyes::Right,
            (None, Some(_)) => Eyes::Left,
            _ => Eyes::Both,
        }
    }

    /// The job as DCS records.
    pub fn to_document(&self) -> Result<Document> {
        let rx = &self.rx;
        let mut doc = Document::default();
        doc.push(rec("JOB", vec![self.number.clone()])?);
        doc.push(rec("DO", vec![self.eyes().letter().into()])?);
        doc.push(rec("SPH", both(rx, |e, _| Some(e.sphere), power::to_dcs))?);
        let cyl = |e: &EyeJob| e.cylinder.filter(|c| !c.is_zero());
        doc.push(rec("CYL", both(rx, |e, _| Some(cyl(e).unwrap_or_default()), power::to_dcs))?);
        doc.push(rec(
            "AX",
            both(
                rx,
                |e, _| Some(cyl(e).and(e.axis).map_or(0, |a| if a == 0 { 180 } else { a })),
                |a| a.to_string(),
            ),
        )?);
        let eyes = || rx.right.iter().chain(rx.left.iter());
        if eyes().any(|e| e.add.is_some()) {
            doc.push(rec("ADD", both(rx, |e, _| e.add, power::to_dcs))?);
        }
        if eyes().any(|e| e.prism_horizontal.is_some() || e.prism_vertical.is_some()) {
            let polar = |e: &EyeJob, right| Some(e.prism_polar(right).unwrap_or((0.0, 0.0)));
            doc.push(rec("PRVM", both(rx, polar, |(m, _)| format!("{m:.2}")))?);
            doc.push(rec("PRVA", both(rx, polar, |(_, a)| format!("{a:.2}")))?);
        }
        let m = &self.measurements;
        let pairs = [
            ("IPD", m.pd_right_mm, m.pd_left_mm),
            ("NPD", m.near_pd_right_mm, m.near_pd_left_mm),
            (
                if self.lens.lens_type == LensType::SingleVision { "OCHT" } else { "SEGHT" },
                m.height_right_mm,
                m.height_left_mm,
            ),
            ("HBOX", self.frame.a_mm, self.frame.a_mm),
            ("VBOX", self.frame.b_mm, self.frame.b_mm),
        ];
        let eyes = self.eyes();
        for (label, right, left) in pairs {
            // Only the eyes the job is for (also for a `Job` built in code, not from JSON).
            let right = right.filter(|_| eyes != Eyes::Left);
            let left = left.filter(|_| eyes != Eyes::Right);
            if right.is_some() || left.is_some() {
                doc.push(rec(
                    label,
                    vec![right.map(mm).unwrap_or_default(), left.map(mm).unwrap_or_default()],
                )?);
            }
        }
        if let Some(dbl) = self.frame.dbl_mm {
            doc.push(rec("DBL", vec![mm(dbl)])?);
        }
        let ltyp = match self.lens.lens_type {
            LensType::SingleVision => "SV",
            LensType::Bifocal => "BI",
            LensType::Trifocal => "TR",
            LensType::Progressive | LensType::Occupational => "PR",
        };
        doc.push(rec("LTYP", vec![ltyp.into(), ltyp.into()])?);
        let mat = match self.lens.material {
            Material::Plastic => "1",
            Material::Polycarbonate => "2",
            Material::Glass => "3",
            Material::HighIndex => "5",
            Material::Trivex => "6",
        };
        doc.push(rec("LMATTYPE", vec![mat.into(), mat.into()])?);
        let index = index_text(self.lens.index);
        doc.push(rec("LIND", vec![index.clone(), index])?);
        if let Some(t) = self.frame.frame_type {
            let v = match t {
                FrameType::Plastic => "1",
                FrameType::Metal => "2",
                FrameType::Rimless => "3",
            };
            doc.push(rec("FTYP", vec![v.into()])?);
        }
        if let Some(t) = self.frame.edge {
            let v = match t {
                EdgeType::Bevel => "1",
                EdgeType::Rimless => "2",
                EdgeType::Groove => "3",
            };
            doc.push(rec("ETYP", vec![v.into(), v.into()])?);
        }
        for shape in &self.frame.shapes {
            doc.records.extend(shape.to_records());
        }
        Ok(doc)
    }

    /// Reads a job back from DCS records (the inverse of [`Job::to_document`]).
    pub fn from_document(doc: &Document) -> Result<Self> {
        let eyes = Eyes::of(doc)?;
        let number = doc.require("JOB")?.value().to_string();
        let (sph_r, sph_l) =
            pair_of(doc, "SPH", eyes)?.ok_or_else(|| Error::in_label("SPH", ErrorKind::Missing))?;
        let get = |label: &str| pair_of(doc, label, eyes).map(|p| p.unwrap_or((None, None)));
        let (cyl, ax, add, prvm, prva) = (get("CYL")?, get("AX")?, get("ADD")?, get("PRVM")?, get("PRVA")?);
        let in_range =
            |label: &str, (r, l): (Option<f64>, Option<f64>), max: f64, expected: &str| -> Result<()> {
                for (i, v) in [(0, r), (1, l)] {
                    if let Some(v) = v
                        && !(v >= 0.0 && v <= max && (label != "AX" || v.fract() == 0.0))
                        && let Some(record) = doc.get(label)
                    {
                        let index = if record.values().len() == 1 { 0 } else { i };
                        return Err(record.bad_value(index, expected));
                    }
                }
                Ok(())
            };
        in_range("AX", ax, 180.0, "an axis 0–180")?;
        in_range("PRVA", prva, 360.0, "a prism base 0–360°")?;
        in_range("PRVM", prvm, 30.0, "a prism 0–30 Δ")?;
        let read_power = |label: &str, v: f64| {
            power::from_dioptres(v).ok_or_else(|| {
                let r = doc.get(label);
                Error {
                    line: r.map(Record::line),
                    label: Some(label.into()),
                    kind: ErrorKind::Job(format!("{v} is not in 0.125 D steps")),
                }
            })
        };
        let eye = |sph: Option<f64>, i: usize| -> Result<Option<EyeJob>> {
            let Some(sph) = sph else { return Ok(None) };
            let pick = |p: (Option<f64>, Option<f64>)| if i == 0 { p.0 } else { p.1 };
            let cylinder = pick(cyl).map(|c| read_power("CYL", c)).transpose()?.filter(|c| !c.is_zero());
            let axis = cylinder.and(pick(ax)).map(|a| if a == 0.0 { 180 } else { a as u16 });
            let mut e = EyeJob {
                sphere: read_power("SPH", sph)?,
                cylinder,
                axis,
                add: pick(add).map(|a| read_power("ADD", a)).transpose()?,
                prism_horizontal: None,
                prism_vertical: None,
            };
            if let Some(m) = pick(prvm).filter(|m| *m != 0.0) {
                e.set_prism_polar(m, pick(prva).unwrap_or(0.0), i == 0);
            }
            Ok(Some(e))
        };
        let rx = JobRx { right: eye(sph_r, 0)?, left: eye(sph_l, 1)? };
        let lens_type = match doc.require("LTYP")?.value() {
            "SV" => LensType::SingleVision,
            "BI" | "FT" => LensType::Bifocal,
            "TR" => LensType::Trifocal,
            "PR" => LensType::Progressive,
            _ => return Err(doc.require("LTYP")?.bad_value(0, "SV, BI, FT, TR or PR")),
        };
        let mat = doc.require("LMATTYPE")?;
        let material = match mat.value() {
            "1" => Material::Plastic,
            "2" => Material::Polycarbonate,
            "3" => Material::Glass,
            "5" => Material::HighIndex,
            "6" => Material::Trivex,
            _ => return Err(mat.bad_value(0, "a material type 1, 2, 3, 5 or 6")),
        };
        let lind = doc.require("LIND")?;
        let index = decimal_at(lind, 0)?.ok_or_else(|| lind.bad_value(0, "an index"))?;
        let (hbox, vbox) = (get("HBOX")?, get("VBOX")?);
        let frame = JobFrame {
            a_mm: hbox.0.or(hbox.1),
            b_mm: vbox.0.or(vbox.1),
            dbl_mm: doc.single("DBL")?.map(|r| decimal_at(r, 0)).transpose()?.flatten(),
            frame_type: match doc.single("FTYP")? {
                None => None,
                Some(r) => Some(match r.value() {
                    "1" => FrameType::Plastic,
                    "2" => FrameType::Metal,
                    "3" => FrameType::Rimless,
                    _ => return Err(r.bad_value(0, "a frame type 1, 2 or 3")),
                }),
            },
            edge: match doc.single("ETYP")? {
                None => None,
                Some(r) => Some(match r.value() {
                    "1" => EdgeType::Bevel,
                    "2" => EdgeType::Rimless,
                    "3" => EdgeType::Groove,
                    _ => return Err(r.bad_value(0, "an edge type 1, 2 or 3")),
                }),
            },
            shapes: read_traces(doc)?,
        };
        let (ipd, npd) = (get("IPD")?, get("NPD")?);
        let heights = if lens_type == LensType::SingleVision { get("OCHT")? } else { get("SEGHT")? };
        let measurements = JobMeasurements {
            pd_right_mm: ipd.0,
            pd_left_mm: ipd.1,
            near_pd_right_mm: npd.0,
            near_pd_left_mm: npd.1,
            height_right_mm: heights.0,
            height_left_mm: heights.1,
        };
        Ok(Job { number, rx, lens: JobLens { lens_type, material, index }, frame, measurements })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eye(sph: &str) -> EyeJob {
        EyeJob {
            sphere: power::parse(sph).unwrap(),
            cylinder: None,
            axis: None,
            add: None,
            prism_horizontal: None,
            prism_vertical: None,
        }
    }

    #[test]
    fn prism_goes_to_360_notation_per_domain() {
        let mut right = eye("+1.00");
        right.prism_vertical = Some(PrismPart { amount: 1.5, base: VerticalBase::Up });
        right.prism_horizontal = Some(PrismPart { amount: 2.0, base: HorizontalBase::In });
        let (m, a) = right.prism_polar(true).unwrap();
        assert!((m - 2.5).abs() < 1e-9 && (a - 36.87).abs() < 0.01, "{m} {a}");
        let mut left = eye("+1.00");
        left.prism_vertical = Some(PrismPart { amount: 1.5, base: VerticalBase::Down });
        left.prism_horizontal = Some(PrismPart { amount: 2.0, base: HorizontalBase::In });
        let (m, a) = left.prism_polar(false).unwrap();
        assert!((m - 2.5).abs() < 1e-9 && (a - 216.87).abs() < 0.01, "{m} {a}");
        let mut out_left = eye("+1.00");
        out_left.prism_horizontal = Some(PrismPart { amount: 1.0, base: HorizontalBase::Out });
        assert_eq!(out_left.prism_polar(false), Some((1.0, 0.0)), "base out on the left is 0°");
    }

    #[test]
    fn a_combined_prism_over_30_is_refused_as_dcs_cannot_carry_it() {
        let mut e = eye("+1.00");
        e.prism_horizontal = Some(PrismPart { amount: 30.0, base: HorizontalBase::In });
        assert!(e.check("right").is_ok(), "30 Δ alone is the edge");
        e.prism_vertical = Some(PrismPart { amount: 0.25, base: VerticalBase::Up });
        let err = e.check("right").unwrap_err().to_string();
        assert!(err.contains("combined prism is 30.00") && err.contains("at most 30"), "{err}");
        e.prism_horizontal = Some(PrismPart { amount: 18.0, base: HorizontalBase::In });
        e.prism_vertical = Some(PrismPart { amount: 24.0, base: VerticalBase::Up });
        assert!(e.check("right").is_ok(), "18 and 24 make exactly 30");
    }

    #[test]
    fn every_prism_in_quarter_steps_reads_back_exactly() {
        for (hq, vq, right) in
            (0..=40).flat_map(|h| (0..=40).flat_map(move |v| [(h, v, true), (h, v, false)]))
        {
            if hq == 0 && vq == 0 {
                continue;
            }
            let mut e = eye("+1.00");
            e.prism_horizontal =
                (hq != 0).then_some(PrismPart { amount: f64::from(hq) / 4.0, base: HorizontalBase::Out });
            e.prism_vertical =
                (vq != 0).then_some(PrismPart { amount: f64::from(vq) / 4.0, base: VerticalBase::Down });
            let (m, a) = e.prism_polar(right).unwrap();
            let (m, a): (f64, f64) = (format!("{m:.2}").parse().unwrap(), format!("{a:.2}").parse().unwrap());
            let mut back = eye("+1.00");
            back.set_prism_polar(m, a, right);
            assert_eq!((back.prism_horizontal, back.prism_vertical), (e.prism_horizontal, e.prism_vertical));
        }
    }

    #[test]
    fn read_back_values_out_of_range_are_refused() {
        let base = "JOB=1\r\nSPH=+1.00;+1.00\r\nLTYP=SV;SV\r\nLMATTYPE=1;1\r\nLIND=1.5;1.5\r\n";
        let err = |extra: &str| {
            let doc = Document::parse(format!("{base}{extra}").as_bytes()).unwrap();
            Job::from_document(&doc).unwrap_err().to_string()
        };
        assert_eq!(
            err("CYL=-1.00;-1.00\r\nAX=90;181\r\n"),
            "line 7, AX: value 2 \"181\" is not an axis 0–180"
        );
        assert_eq!(
            err("CYL=-1.00;-1.00\r\nAX=90.5;180\r\n"),
            "line 7, AX: value 1 \"90.5\" is not an axis 0–180"
        );
        assert_eq!(
            err("PRVM=1;1\r\nPRVA=-10;0\r\n"),
            "line 7, PRVA: value 1 \"-10\" is not a prism base 0–360°"
        );
        assert_eq!(err("SPH=+1.10;+1.00\r\n"), "line 6, SPH: protocol: repeats the record at line 2");
        let doc =
            Document::parse(b"JOB=1\r\nSPH=+1.10;+1.00\r\nLTYP=SV;SV\r\nLMATTYPE=1;1\r\nLIND=1.5;1.5\r\n")
                .unwrap();
        assert_eq!(
            Job::from_document(&doc).unwrap_err().to_string(),
            "line 2, SPH: job: 1.1 is not in 0.125 D steps"
        );
    }

    #[test]
    fn an_axis_needs_a_cylinder_and_the_reverse() {
        let mut e = eye("+1.00");
        e.axis = Some(90);
        assert!(e.check("right").unwrap_err().to_string().contains("an axis without a cylinder"));
        e.axis = None;
        e.cylinder = power::parse("-0.50");
        assert!(e.check("right").unwrap_err().to_string().contains("needs an axis"));
        e.axis = Some(181);
        assert!(e.check("right").unwrap_err().to_string().contains("outside 1–180"));
    }
}
