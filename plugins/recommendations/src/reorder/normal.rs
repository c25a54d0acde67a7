//! The standard normal distribution: density, distribution, its inverse and the loss function.

/// Density φ(x).
pub fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Distribution Φ(x), by the complementary error function (Numerical Recipes' erfc, error below
/// 1.2e-7).
pub fn cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

/// The quantile z with Φ(z) = p, for 0 < p < 1, found by bisection on [`cdf`].
pub fn quantile(p: f64) -> f64 {
    bisect(|z| cdf(z) - p, -8.0, 8.0)
}

/// The standard loss function G(k) = φ(k) − k (1 − Φ(k)): the expected shortfall of a standard
/// normal demand over a stock of k.
pub fn loss(k: f64) -> f64 {
    pdf(k) - k * (1.0 - cdf(k))
}

/// The k with G(k) = `target`, within [−4, 8] (G falls as k rises).
pub fn loss_inverse(target: f64) -> f64 {
    bisect(|k| target - loss(k), -4.0, 8.0)
}

/// A root of an increasing `f` on [lo, hi], or the nearer end when there is none inside.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    if f(lo) >= 0.0 {
        return lo;
    }
    if f(hi) <= 0.0 {
        return hi;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_tables_are_reproduced() {
        assert!((cdf(1.644_854) - 0.95).abs() < 1e-6);
        assert!((quantile(0.95) - 1.6449).abs() < 1e-3);
        assert!((quantile(0.5)).abs() < 1e-6);
        // G(0) = φ(0) = 0.3989; G(1) = 0.0833 (standard tables).
        assert!((loss(0.0) - 0.3989).abs() < 1e-4);
        assert!((loss(1.0) - 0.0833).abs() < 1e-4);
        assert!((loss_inverse(0.0833) - 1.0).abs() < 1e-3);
    }
}
