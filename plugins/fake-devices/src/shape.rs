//! Shapes made from a formula, for recordings that should not carry a thousand radii.

use std::f64::consts::TAU;

/// The radii (1/100 mm) of an ellipse with this box (1/100 mm), at `points` equiangular points
/// from 0° (see [`dcs_driver::trace`]).
///
/// Each radius is rounded to the nearest hundredth. When `points` is a multiple of 4 the points
/// at 0°, 90°, 180° and 270° are the box's extremes; a box side that is an odd number of
/// hundredths is then split unevenly between them (2569 + 2568 for 51.37 mm), so the measured
/// box is exactly the one asked for.
///
/// ```
/// let radii = ils_fake_devices::shape::ellipse(5137, 4006, 400);
/// assert_eq!((radii[0], radii[100], radii[200], radii[300]), (2569, 2003, 2568, 2003));
/// ```
pub fn ellipse(hbox: u32, vbox: u32, points: usize) -> Vec<u32> {
    let (a, b) = (f64::from(hbox) / 2.0, f64::from(vbox) / 2.0);
    let mut radii: Vec<u32> = (0..points)
        .map(|i| {
            let (sin, cos) = (TAU * i as f64 / points as f64).sin_cos();
            (a * b / ((b * cos).powi(2) + (a * sin).powi(2)).sqrt()).round() as u32
        })
        .collect();
    if points >= 4 && points.is_multiple_of(4) {
        let quarter = points / 4;
        radii[0] = hbox.div_ceil(2);
        radii[2 * quarter] = hbox / 2;
        radii[quarter] = vbox.div_ceil(2);
        radii[3 * quarter] = vbox / 2;
    }
    radii
}

#[cfg(test)]
mod tests {
    use dcs_driver::trace::{Trace, TraceSide, TraceSource};

    use super::*;

    #[test]
    fn the_measured_box_is_the_box_asked_for() {
        for (h, v, n) in [(5137, 4006, 400), (5200, 3900, 1000), (4001, 3003, 100), (5137, 4006, 8)] {
            let trace = Trace::new(TraceSide::Both, TraceSource::Frame, ellipse(h, v, n), None).unwrap();
            let size = trace.size();
            assert_eq!((size.hbox_mm * 100.0).round() as u32, h, "{h}x{v}/{n}: {size:?}");
            assert_eq!((size.vbox_mm * 100.0).round() as u32, v, "{h}x{v}/{n}: {size:?}");
            assert!((size.hbox_mm * 100.0 - f64::from(h)).abs() < 1e-6, "{size:?}");
        }
    }
}
