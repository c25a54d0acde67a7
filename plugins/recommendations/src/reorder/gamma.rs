//! The gamma distribution, as a model of lead-time demand matched to its mean and variance:
//! shape a = (μ/σ)², scale θ = σ²/μ. It is never negative and leans right, with skewness 2σ/μ,
//! as the sum of lumpy demands does.

/// ln Γ(x) for x > 0, by Lanczos' approximation (Numerical Recipes' `gammln`, error below 2e-10).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 6] = [
        76.180_091_729_471_46,
        -86.505_320_329_416_77,
        24.014_098_240_830_91,
        -1.231_739_572_450_155,
        0.120_865_097_386_617_9e-2,
        -0.539_523_938_495_3e-5,
    ];
    let tmp = x + 5.5;
    let tmp = tmp - (x + 0.5) * tmp.ln();
    let mut ser = 1.000_000_000_190_015;
    for (j, c) in C.iter().enumerate() {
        ser += c / (x + 1.0 + j as f64);
    }
    -tmp + (2.506_628_274_631_000_5 * ser / x).ln()
}

/// The regularised lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a): by its series below
/// x = a + 1 and by Lentz's continued fraction above (Numerical Recipes 6.2).
pub fn regularized_lower(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (sum * front).min(1.0)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (1.0 - front * h).max(0.0)
    }
}

/// A gamma distribution by its mean and standard deviation (both above zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gamma {
    /// Shape a = (μ/σ)².
    pub shape: f64,
    /// Scale θ = σ²/μ.
    pub scale: f64,
}

impl Gamma {
    /// The gamma with this mean and standard deviation.
    pub fn matched(mean: f64, sd: f64) -> Self {
        Gamma { shape: (mean / sd).powi(2), scale: sd * sd / mean }
    }

    /// The mean aθ.
    pub fn mean(&self) -> f64 {
        self.shape * self.scale
    }

    /// F(x) = P(a, x/θ).
    pub fn cdf(&self, x: f64) -> f64 {
        regularized_lower(self.shape, x / self.scale)
    }

    /// The loss function E[(X − r)⁺] = aθ(1 − P(a + 1, r/θ)) − r(1 − P(a, r/θ)): the expected
    /// demand over a stock of r.
    pub fn loss(&self, r: f64) -> f64 {
        if r <= 0.0 {
            return self.mean() - r;
        }
        let u = r / self.scale;
        let upper = |a: f64| 1.0 - regularized_lower(a, u);
        (self.mean() * upper(self.shape + 1.0) - r * upper(self.shape)).max(0.0)
    }

    /// The x with F(x) = p, by bisection.
    pub fn quantile(&self, p: f64) -> f64 {
        solve(|x| self.cdf(x) - p, self.mean())
    }

    /// The r with loss(r) = `target` (the loss falls as r rises); zero when the loss at zero,
    /// the mean, is already within the target.
    pub fn loss_inverse(&self, target: f64) -> f64 {
        if self.mean() <= target {
            return 0.0;
        }
        solve(|r| target - self.loss(r), self.mean())
    }
}

/// A root of an increasing `f` on [0, ∞), bracketed by doubling from `scale`.
fn solve(f: impl Fn(f64) -> f64, scale: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, scale.max(1e-9));
    while f(hi) < 0.0 {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid
        } else {
            hi = mid
        }
        if hi - lo < 1e-10 * hi.max(1.0) {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gamma_function_and_its_incomplete_form_match_closed_forms() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-9);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-9);
        // Shape 1 is the exponential, shape 2 the Erlang: 1 − e^−x and 1 − e^−x (1 + x), on both
        // sides of x = a + 1 where the method changes.
        for x in [0.3, 1.5, 2.9, 3.1, 7.0, 20.0] {
            assert!((regularized_lower(1.0, x) - (1.0 - (-x).exp())).abs() < 1e-12, "{x}");
            assert!((regularized_lower(2.0, x) - (1.0 - (-x).exp() * (1.0 + x))).abs() < 1e-12, "{x}");
        }
        // Chi-square with 1 degree of freedom is Gamma(1/2, 2): P(χ² ≤ 3.841) = 0.95.
        assert!((regularized_lower(0.5, 3.841_459 / 2.0) - 0.95).abs() < 1e-6);
    }

    #[test]
    fn the_gamma_loss_of_an_erlang_two_has_its_closed_form() {
        // Gamma(2, θ = 10): E[(X − r)⁺] = ∫ᵣ^∞ e^(−x/θ)(1 + x/θ) dx = θ e^(−r/θ)(2 + r/θ).
        let g = Gamma::matched(20.0, 200f64.sqrt());
        assert!((g.shape - 2.0).abs() < 1e-12 && (g.scale - 10.0).abs() < 1e-12);
        for r in [0.0, 5.0, 20.0, 43.79, 80.0] {
            let exact = 10.0 * (-r / 10.0f64).exp() * (2.0 + r / 10.0);
            assert!((g.loss(r) - exact).abs() < 1e-9, "{r}: {} vs {exact}", g.loss(r));
        }
        assert!((g.loss_inverse(0.8) - 43.787).abs() < 0.001, "{}", g.loss_inverse(0.8));
        // e^−u (1 + u) = 0.05 at u = 4.744.
        assert!((g.quantile(0.95) - 47.439).abs() < 0.001, "{}", g.quantile(0.95));
    }
}
