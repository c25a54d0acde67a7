//! Traced frame shapes: what a tracer measured of the frame an order's lenses go into, kept with
//! the order so the lab's edger cuts the lens to it.
//!
//! A shape is radii from the shape's centre in hundredths of a millimetre, equiangular (point *i*
//! of *n* at 360°·i/n, anticlockwise from the horizontal, seen from the front) or at the given
//! angles in hundredths of a degree — the DCS `TRCFMT` 1 model, so a tracer's upload is kept
//! exactly and a job packet writes it back unchanged. An order holds none, one for both eyes, or
//! one for each eye; a new trace replaces them all (docs/adr/048-traced-shapes.md). The frame's
//! box is kept as a tracer measures it, to 0.01 mm ([`boxing`]).

use serde::{Deserialize, Serialize};

use ils_kernel::input::{Fields, hundredths_of_mm};
use ils_kernel::{Error, Result};
use ils_storage::ids::OrderId;
use ils_storage::text_enum;
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

/// Fewest points in a shape.
pub const MIN_POINTS: usize = 3;
/// Most points in a shape (DCS allows 10,000; tracers send 400 to 1,000).
pub const MAX_POINTS: usize = 10_000;
/// The longest radius taken, in hundredths of a millimetre: no spectacle lens is 200 mm wide.
pub const MAX_RADIUS: u32 = 10_000;

text_enum! {
    /// Which eye a shape is for.
    pub enum ShapeSide {
        /// The right eye's lens.
        Right = "right",
        /// The left eye's lens.
        Left = "left",
        /// One shape for both (mirrored for the left).
        Both = "both",
    }
}

text_enum! {
    /// What was traced.
    pub enum ShapeSource {
        /// The frame's rim (its groove).
        Frame = "frame",
        /// A pattern.
        Pattern = "pattern",
        /// The frame's demo lens (rimless and supra frames).
        DemoLens = "demo_lens",
    }
}

/// A traced shape as given: by a tracer's upload or with an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// Which eye.
    pub side: ShapeSide,
    /// What was traced.
    pub source: ShapeSource,
    /// Radii in hundredths of a millimetre (2615 = 26.15 mm), 3–10,000 of them, each 1–10,000.
    pub radii: Vec<u32>,
    /// Angles in hundredths of a degree (0 ≤ a < 36000, increasing), one per radius; absent for
    /// an equiangular shape.
    #[serde(default)]
    pub angles: Option<Vec<u32>>,
}

/// A shape kept on an order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TracedShape {
    /// Which eye.
    pub side: ShapeSide,
    /// What was traced.
    pub source: ShapeSource,
    /// Radii, hundredths of a millimetre.
    pub radii: Vec<u32>,
    /// Angles, hundredths of a degree; absent for an equiangular shape.
    pub angles: Option<Vec<u32>>,
    /// The shape's box, mm to 0.01, measured from its points: width.
    pub box_width_mm: f64,
    /// The shape's box, height.
    pub box_height_mm: f64,
    /// The device that traced it, when it came from one.
    pub device: Option<String>,
    /// When it was attached.
    pub traced_at: Timestamp,
}

impl Shape {
    /// The points in mm, x horizontal and y vertical.
    pub fn points(&self) -> Vec<(f64, f64)> {
        ils_optics::outline_points(&self.radii, self.angles.as_deref())
    }

    /// The box (width, height) in mm, to 0.01.
    pub fn boxed(&self) -> (f64, f64) {
        let (width, height) = ils_optics::outline_box(&self.points());
        let round = |v: f64| (v * 100.0).round() / 100.0;
        (round(width), round(height))
    }

    /// Checks one shape; problems are named under `field` (`frame.shapes[0]`).
    fn check(&self, field: &str, f: &mut Fields) {
        if !(MIN_POINTS..=MAX_POINTS).contains(&self.radii.len()) {
            f.add(
                format!("{field}.radii"),
                format!("has {} points; a shape has {MIN_POINTS} to {MAX_POINTS}", self.radii.len()),
            );
        }
        if let Some(i) = self.radii.iter().position(|&r| r == 0 || r > MAX_RADIUS) {
            f.add(
                format!("{field}.radii[{i}]"),
                format!("is {}; a radius is 1–{MAX_RADIUS} hundredths of a mm", self.radii[i]),
            );
        }
        if let Some(angles) = &self.angles {
            if angles.len() != self.radii.len() {
                f.add(
                    format!("{field}.angles"),
                    format!(
                        "has {} angles for {} radii; give one per radius",
                        angles.len(),
                        self.radii.len()
                    ),
                );
            }
            let bad =
                angles.iter().enumerate().position(|(i, &a)| a >= 36_000 || (i > 0 && a <= angles[i - 1]));
            if let Some(i) = bad {
                f.add(
                    format!("{field}.angles[{i}]"),
                    "must be below 36000 (hundredths of a degree) and above the angle before it",
                );
            }
        }
    }
}

/// Checks a set of shapes for one order: each shape, and their sides — one for both eyes, or
/// at most one for each eye.
pub fn check(field: &str, shapes: &[Shape], f: &mut Fields) {
    for (i, shape) in shapes.iter().enumerate() {
        shape.check(&format!("{field}[{i}]"), f);
    }
    let count = |side| shapes.iter().filter(|s| s.side == side).count();
    let both = count(ShapeSide::Both);
    if both > 1
        || (both == 1 && shapes.len() > 1)
        || count(ShapeSide::Right) > 1
        || count(ShapeSide::Left) > 1
    {
        f.add(field, "give one shape for both eyes, or one for each eye");
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    side: ShapeSide,
    source: ShapeSource,
    radii: String,
    angles: Option<String>,
    device: Option<String>,
    traced_at: Timestamp,
}

/// The shapes kept on an order of the tenant, right, left, both.
pub async fn of_order(tx: &mut TenantTx, order_id: OrderId) -> Result<Vec<TracedShape>> {
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT side, source, radii, angles, device, traced_at FROM order_shapes
         WHERE tenant_id = $1 AND order_id = $2 ORDER BY side DESC",
        tenant,
        order_id
    )?;
    let corrupt = || Error::Internal(format!("stored shape of order {order_id} is not a list of numbers"));
    rows.into_iter()
        .map(|r| {
            let shape = Shape {
                side: r.side,
                source: r.source,
                radii: serde_json::from_str(&r.radii).map_err(|_| corrupt())?,
                angles: r.angles.map(|a| serde_json::from_str(&a)).transpose().map_err(|_| corrupt())?,
            };
            Ok(shape.kept(r.device, r.traced_at))
        })
        .collect()
}

impl Shape {
    /// This shape as kept on an order, with its box.
    fn kept(self, device: Option<String>, traced_at: Timestamp) -> TracedShape {
        let (box_width_mm, box_height_mm) = self.boxed();
        TracedShape {
            side: self.side,
            source: self.source,
            radii: self.radii,
            angles: self.angles,
            box_width_mm,
            box_height_mm,
            device,
            traced_at,
        }
    }
}

/// Replaces the shapes of an order of the tenant with `shapes` (checked before).
pub(crate) async fn replace(
    tx: &mut TenantTx,
    order_id: OrderId,
    shapes: &[Shape],
    device: Option<&str>,
) -> Result<Vec<TracedShape>> {
    let tenant = tx.tenant_id();
    execute!(tx.conn(), "DELETE FROM order_shapes WHERE tenant_id = $1 AND order_id = $2", tenant, order_id)?;
    add(tx, order_id, shapes, device).await
}

/// Stores `shapes` (checked before) on an order of the tenant that has none; the shapes as kept.
pub(crate) async fn add(
    tx: &mut TenantTx,
    order_id: OrderId,
    shapes: &[Shape],
    device: Option<&str>,
) -> Result<Vec<TracedShape>> {
    let tenant = tx.tenant_id();
    let now = Timestamp::now();
    let json = |v: &Vec<u32>| serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()));
    for shape in shapes {
        execute!(
            tx.conn(),
            "INSERT INTO order_shapes (tenant_id, order_id, side, source, radii, angles, points, device, traced_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            tenant,
            order_id,
            shape.side,
            shape.source,
            json(&shape.radii)?,
            shape.angles.as_ref().map(json).transpose()?,
            i32::try_from(shape.radii.len()).unwrap_or(i32::MAX),
            device,
            now
        )?;
    }
    Ok(shapes.iter().map(|s| s.clone().kept(device.map(str::to_owned), now)).collect())
}

/// A frame's box A, B and DBL in hundredths of a millimetre.
pub type Boxing = (Option<u32>, Option<u32>, Option<u32>);

/// Checks a frame's box as measured, to 0.01 mm (A 30–80, B 15–70, DBL 10–30 mm); fields are
/// named `{prefix}a_mm`.
pub fn boxing(
    f: &mut Fields,
    prefix: &str,
    a: Option<f64>,
    b: Option<f64>,
    dbl: Option<f64>,
) -> Option<Boxing> {
    let a = f.check(hundredths_of_mm(&format!("{prefix}a_mm"), a, 30.0..=80.0));
    let b = f.check(hundredths_of_mm(&format!("{prefix}b_mm"), b, 15.0..=70.0));
    let dbl = f.check(hundredths_of_mm(&format!("{prefix}dbl_mm"), dbl, 10.0..=30.0));
    Some((a?, b?, dbl?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(side: ShapeSide, radii: Vec<u32>) -> Shape {
        Shape { side, source: ShapeSource::Frame, radii, angles: None }
    }

    fn fields(shapes: &[Shape]) -> Vec<String> {
        let mut f = Fields::new();
        check("shapes", shapes, &mut f);
        match f.finish() {
            Ok(()) => Vec::new(),
            Err(Error::Invalid { fields, .. }) => fields.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_shape_for_both_eyes_or_one_per_eye() {
        let square = vec![2000, 2000, 2000, 2000];
        assert!(fields(&[shape(ShapeSide::Both, square.clone())]).is_empty());
        assert!(
            fields(&[shape(ShapeSide::Right, square.clone()), shape(ShapeSide::Left, square.clone())])
                .is_empty()
        );
        let both_and_right =
            [shape(ShapeSide::Both, square.clone()), shape(ShapeSide::Right, square.clone())];
        assert_eq!(fields(&both_and_right), ["shapes"]);
        let two_rights = [shape(ShapeSide::Right, square.clone()), shape(ShapeSide::Right, square)];
        assert_eq!(fields(&two_rights), ["shapes"]);
    }

    #[test]
    fn points_radii_and_angles_are_checked_where_they_are() {
        assert_eq!(fields(&[shape(ShapeSide::Both, vec![2000, 2000])]), ["shapes[0].radii"]);
        assert_eq!(fields(&[shape(ShapeSide::Both, vec![2000, 0, 2000])]), ["shapes[0].radii[1]"]);
        let mut crooked = shape(ShapeSide::Both, vec![2000, 2000, 2000]);
        crooked.angles = Some(vec![0, 12_000, 11_000]);
        assert_eq!(fields(&[crooked]), ["shapes[0].angles[2]"]);
    }

    #[test]
    fn a_box_is_taken_to_the_hundredth_and_no_finer() {
        let mut f = Fields::new();
        assert_eq!(
            boxing(&mut f, "frame.", Some(51.37), Some(40.06), Some(17.85)),
            Some((Some(5137), Some(4006), Some(1785)))
        );
        assert!(f.finish().is_ok());
        let mut f = Fields::new();
        assert_eq!(boxing(&mut f, "", Some(51.375), None, Some(9.99)), None);
        let Err(Error::Invalid { fields, .. }) = f.finish() else { panic!("accepted") };
        assert_eq!(fields.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["a_mm", "dbl_mm"]);
    }

    #[test]
    fn a_shapes_box_comes_from_its_points() {
        let square = shape(ShapeSide::Both, vec![2000, 2500, 2000, 2500]);
        assert_eq!(square.boxed(), (40.0, 50.0));
    }
}
