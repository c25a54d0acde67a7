//! Generated data with known structure, from a small deterministic generator.

/// SplitMix64: tiny, fast, and the same sequence on every platform for a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Poisson by Knuth's method (small means only).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, 1.0);
        loop {
            p *= self.uniform();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    /// Whole numbers from `lo` to `hi` inclusive.
    #[allow(dead_code, reason = "used by the reorder simulation")]
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.uniform() * f64::from(hi - lo + 1)) as u32
    }
}

/// Weekly demand arriving in 30 % of weeks, 1 + Poisson(4) units when it does.
pub fn intermittent(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| if rng.uniform() < 0.3 { f64::from(1 + rng.poisson(4.0)) } else { 0.0 }).collect()
}

/// Weekly demand rising 0.6 units a week from 20, with normal noise of sd 4, never negative.
pub fn trended(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|t| (20.0 + 0.6 * t as f64 + 4.0 * rng.normal()).round().max(0.0)).collect()
}

/// Monthly demand around 50 with a yearly swing of ±20 and normal noise of sd 4.
pub fn seasonal(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|t| {
            let swing = 20.0 * (2.0 * std::f64::consts::PI * t as f64 / 12.0).sin();
            (50.0 + swing + 4.0 * rng.normal()).round().max(0.0)
        })
        .collect()
}
