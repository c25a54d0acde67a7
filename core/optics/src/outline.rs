//! A traced lens shape's geometry: radii from its centre at angles, as tracers send them (DCS
//! `TRCFMT` 1), turned into points and a box.
//!
//! Radii are hundredths of a millimetre; angles hundredths of a degree, or none for an
//! equiangular shape (point *i* of *n* at 360°·i/n). 0° is horizontal and angles go anticlockwise
//! seen from the front; the box does not depend on the direction.

/// The points of a shape in mm, x horizontal and y vertical.
///
/// ```
/// let square = ils_optics::outline_points(&[1000, 1000, 1000, 1000], None);
/// assert!((square[1].1 - 10.0).abs() < 1e-9 && square[1].0.abs() < 1e-9);
/// ```
pub fn outline_points(radii: &[u32], angles: Option<&[u32]>) -> Vec<(f64, f64)> {
    let n = radii.len() as f64;
    radii
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let degrees = match angles {
                Some(a) => f64::from(a.get(i).copied().unwrap_or(0)) / 100.0,
                None => 360.0 * i as f64 / n,
            };
            let (sin, cos) = degrees.to_radians().sin_cos();
            let r = f64::from(r) / 100.0;
            (r * cos, r * sin)
        })
        .collect()
}

/// The boxed width and height of `points`, mm.
pub fn outline_box(points: &[(f64, f64)]) -> (f64, f64) {
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points {
        (min_x, max_x) = (min_x.min(x), max_x.max(x));
        (min_y, max_y) = (min_y.min(y), max_y.max(y));
    }
    if points.is_empty() { (0.0, 0.0) } else { (max_x - min_x, max_y - min_y) }
}
