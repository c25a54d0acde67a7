//! What a demand history looks like: how often demand comes, how much its sizes vary, whether it
//! trends, whether it repeats with the season.

use serde::{Deserialize, Serialize};

/// ADI at or above which demand counts as intermittent (Syntetos, Boylan & Croston, 2005).
pub const ADI_CUT_OFF: f64 = 1.32;
/// CV² of demand sizes at or above which demand counts as erratic or lumpy (same source).
pub const CV2_CUT_OFF: f64 = 0.49;
/// |t| of the least-squares slope from which a series trends.
pub const TREND_T: f64 = 3.0;
/// The change over the history, as a share of its mean, from which a trend is worth carrying.
pub const TREND_SHARE: f64 = 0.10;
/// Autocorrelation at the season's lag from which a series is seasonal.
pub const SEASON_ACF: f64 = 0.3;

/// The Syntetos–Boylan classes of demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DemandPattern {
    /// Frequent demand of steady size: ADI < 1.32, CV² < 0.49.
    Smooth,
    /// Frequent demand of varying size: ADI < 1.32, CV² ≥ 0.49.
    Erratic,
    /// Infrequent demand of steady size: ADI ≥ 1.32, CV² < 0.49.
    Intermittent,
    /// Infrequent demand of varying size: ADI ≥ 1.32, CV² ≥ 0.49.
    Lumpy,
    /// No demand at all.
    None,
}

/// The figures the class is read from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intermittency {
    /// Average demand interval: periods per period with demand.
    pub adi: f64,
    /// Squared coefficient of variation of the non-zero demand sizes.
    pub cv2: f64,
    /// Periods since the last demand, counting from the end.
    pub trailing_zeros: usize,
    /// ADI over the history up to its last demand: the usual gap between demands, before any
    /// silence at the end stretches it.
    pub adi_to_last_demand: f64,
    /// The class.
    pub pattern: DemandPattern,
}

/// ADI, CV² and the class of `y`.
pub fn intermittency(y: &[f64]) -> Intermittency {
    let sizes: Vec<f64> = y.iter().copied().filter(|&d| d > 0.0).collect();
    let trailing_zeros = y.iter().rev().take_while(|&&d| d <= 0.0).count();
    if sizes.is_empty() {
        return Intermittency {
            adi: f64::INFINITY,
            cv2: 0.0,
            trailing_zeros,
            adi_to_last_demand: f64::INFINITY,
            pattern: DemandPattern::None,
        };
    }
    let adi = y.len() as f64 / sizes.len() as f64;
    let adi_to_last_demand = (y.len() - trailing_zeros) as f64 / sizes.len() as f64;
    let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
    let var = sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / sizes.len() as f64;
    let cv2 = var / (mean * mean);
    let pattern = match (adi >= ADI_CUT_OFF, cv2 >= CV2_CUT_OFF) {
        (false, false) => DemandPattern::Smooth,
        (false, true) => DemandPattern::Erratic,
        (true, false) => DemandPattern::Intermittent,
        (true, true) => DemandPattern::Lumpy,
    };
    Intermittency { adi, cv2, trailing_zeros, adi_to_last_demand, pattern }
}

/// A least-squares line through a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Change per period.
    pub slope: f64,
    /// The slope over its standard error.
    pub t: f64,
}

/// The least-squares line through `y` against its period number.
pub fn line(y: &[f64]) -> Line {
    let n = y.len() as f64;
    let t_mean = (n - 1.0) / 2.0;
    let y_mean = y.iter().sum::<f64>() / n;
    let sxx: f64 = (0..y.len()).map(|t| (t as f64 - t_mean).powi(2)).sum();
    let sxy: f64 = y.iter().enumerate().map(|(t, v)| (t as f64 - t_mean) * (v - y_mean)).sum();
    let slope = sxy / sxx;
    let ssr: f64 =
        y.iter().enumerate().map(|(t, v)| (v - y_mean - slope * (t as f64 - t_mean)).powi(2)).sum();
    let se = (ssr / (n - 2.0) / sxx).sqrt();
    let t = if se > 0.0 {
        slope / se
    } else if slope == 0.0 {
        0.0
    } else {
        f64::INFINITY
    };
    Line { slope, t }
}

/// Autocorrelation of `y` at `lag`.
pub fn autocorrelation(y: &[f64], lag: usize) -> f64 {
    let n = y.len();
    if lag >= n {
        return 0.0;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let denominator: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    if denominator == 0.0 {
        return 0.0;
    }
    let numerator: f64 = (0..n - lag).map(|t| (y[t] - mean) * (y[t + lag] - mean)).sum();
    numerator / denominator
}

/// `y` less its least-squares line.
pub fn detrended(y: &[f64]) -> Vec<f64> {
    let Line { slope, .. } = line(y);
    let t_mean = (y.len() as f64 - 1.0) / 2.0;
    let y_mean = y.iter().sum::<f64>() / y.len() as f64;
    y.iter().enumerate().map(|(t, v)| v - y_mean - slope * (t as f64 - t_mean)).collect()
}

/// `y` less the mean departure of each position in the season from the series' mean.
pub fn deseasonalised(y: &[f64], m: usize) -> Vec<f64> {
    let detrended = detrended(y);
    let profile: Vec<f64> = (0..m)
        .map(|i| {
            let at: Vec<f64> = detrended.iter().skip(i).step_by(m).copied().collect();
            at.iter().sum::<f64>() / at.len() as f64
        })
        .collect();
    y.iter().enumerate().map(|(t, v)| v - profile[t % m]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_syntetos_boylan_cut_offs_sort_the_four_classes() {
        let smooth = [5.0, 6.0, 5.0, 4.0, 5.0, 6.0];
        assert_eq!(intermittency(&smooth).pattern, DemandPattern::Smooth);
        let erratic = [1.0, 12.0, 1.0, 15.0, 2.0, 1.0];
        assert_eq!(intermittency(&erratic).pattern, DemandPattern::Erratic);
        // 3 demands in 6 periods: ADI 2.0.
        let intermittent = [0.0, 5.0, 0.0, 5.0, 0.0, 6.0];
        let i = intermittency(&intermittent);
        assert_eq!((i.pattern, i.adi), (DemandPattern::Intermittent, 2.0));
        let lumpy = [0.0, 1.0, 0.0, 20.0, 0.0, 2.0];
        assert_eq!(intermittency(&lumpy).pattern, DemandPattern::Lumpy);
        assert_eq!(intermittency(&[0.0, 0.0]).pattern, DemandPattern::None);
        assert_eq!(intermittency(&[0.0, 4.0, 0.0, 0.0]).trailing_zeros, 2);
    }

    #[test]
    fn a_straight_line_has_its_slope_and_a_season_shows_at_its_lag() {
        let y: Vec<f64> =
            (0..10).map(|t| 3.0 + 0.5 * t as f64 + if t % 2 == 0 { 0.1 } else { -0.1 }).collect();
        let l = line(&y);
        assert!((l.slope - 0.5).abs() < 0.01 && l.t > TREND_T);
        let seasonal: Vec<f64> = (0..24).map(|t| [3.0, 0.0, -3.0, 0.0][t % 4]).collect();
        assert!(autocorrelation(&seasonal, 4) > 0.8);
        assert!(autocorrelation(&seasonal, 2) < -0.8);
    }
}
