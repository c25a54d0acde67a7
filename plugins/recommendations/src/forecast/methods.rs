//! The forecasting methods, each run over a history to give its one-step errors and its
//! forecasts from the end.

use serde::{Deserialize, Serialize};

/// A forecasting method with the parameters it was run with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// No demand in the history: forecast zero.
    Zero,
    /// Simple exponential smoothing: a level, no trend.
    Ses {
        /// Level smoothing.
        alpha: f64,
    },
    /// Holt's linear trend.
    Holt {
        /// Level smoothing.
        alpha: f64,
        /// Trend smoothing.
        beta: f64,
    },
    /// Additive Holt–Winters: level, optional trend, and a seasonal profile.
    HoltWinters {
        /// Level smoothing.
        alpha: f64,
        /// Trend smoothing (0 and no trend when `trend` is false).
        beta: f64,
        /// Seasonal smoothing.
        gamma: f64,
        /// Periods per season.
        season_length: usize,
        /// Whether a trend is carried.
        trend: bool,
    },
    /// Croston: sizes and intervals between demands smoothed apart; forecast size/interval.
    Croston {
        /// Smoothing of both size and interval.
        alpha: f64,
    },
    /// Syntetos–Boylan approximation: Croston's forecast times (1 − α/2), removing its bias.
    Sba {
        /// Smoothing of both size and interval.
        alpha: f64,
    },
    /// Teunter–Syntetos–Babai: the probability of demand is smoothed every period, so the
    /// forecast falls while no demand comes (obsolescence).
    Tsb {
        /// Size smoothing.
        alpha: f64,
        /// Probability smoothing.
        beta: f64,
    },
}

impl Method {
    /// The name a user reads.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Zero => "zero",
            Method::Ses { .. } => "simple exponential smoothing",
            Method::Holt { .. } => "Holt (trend)",
            Method::HoltWinters { trend: true, .. } => "Holt–Winters (trend and season)",
            Method::HoltWinters { .. } => "Holt–Winters (season)",
            Method::Croston { .. } => "Croston",
            Method::Sba { .. } => "SBA",
            Method::Tsb { .. } => "TSB",
        }
    }
}

/// A method run over a history.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// One-step-ahead errors (actual − forecast) from the first period the method can forecast.
    pub errors: Vec<f64>,
    /// Forecasts for the periods after the history.
    pub forecasts: Vec<f64>,
}

impl Run {
    /// Sum of squared one-step errors.
    pub fn sse(&self) -> f64 {
        self.errors.iter().map(|e| e * e).sum()
    }
}

/// Runs `method` over `y` and forecasts `horizon` periods past its end. `y` must be long enough
/// for the method (two seasons for Holt–Winters, one period for the others).
pub fn run(method: &Method, y: &[f64], horizon: usize) -> Run {
    match *method {
        Method::Zero => Run { errors: y.to_vec(), forecasts: vec![0.0; horizon] },
        Method::Ses { alpha } => holt(y, alpha, None, horizon),
        Method::Holt { alpha, beta } => holt(y, alpha, Some(beta), horizon),
        Method::HoltWinters { alpha, beta, gamma, season_length, trend } => {
            holt_winters(y, alpha, trend.then_some(beta), gamma, season_length, horizon)
        }
        Method::Croston { alpha } => croston(y, alpha, 1.0, horizon),
        Method::Sba { alpha } => croston(y, alpha, 1.0 - alpha / 2.0, horizon),
        Method::Tsb { alpha, beta } => tsb(y, alpha, beta, horizon),
    }
}

fn holt(y: &[f64], alpha: f64, beta: Option<f64>, horizon: usize) -> Run {
    let mut level = y[0];
    let mut trend = match beta {
        Some(_) if y.len() > 1 => {
            let k = (y.len() - 1).min(4);
            (y[k] - y[0]) / k as f64
        }
        _ => 0.0,
    };
    let mut errors = Vec::with_capacity(y.len());
    for &actual in &y[1..] {
        let forecast = level + trend;
        errors.push(actual - forecast);
        let new_level = alpha * actual + (1.0 - alpha) * forecast;
        if let Some(beta) = beta {
            trend = beta * (new_level - level) + (1.0 - beta) * trend;
        }
        level = new_level;
    }
    let forecasts = (1..=horizon).map(|k| level + k as f64 * trend).collect();
    Run { errors, forecasts }
}

fn holt_winters(y: &[f64], alpha: f64, beta: Option<f64>, gamma: f64, m: usize, horizon: usize) -> Run {
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let first = mean(&y[..m]);
    let mut trend = match beta {
        Some(_) => (mean(&y[m..2 * m]) - first) / m as f64,
        None => 0.0,
    };
    let centre = (m as f64 - 1.0) / 2.0;
    // The level at the end of the first season, and each period's departure from the line.
    let mut level = first + trend * centre;
    let mut season: Vec<f64> = (0..m).map(|i| y[i] - (first + trend * (i as f64 - centre))).collect();
    let mut errors = Vec::with_capacity(y.len() - m);
    for (t, &actual) in y.iter().enumerate().skip(m) {
        let s = season[t % m];
        let forecast = level + trend + s;
        errors.push(actual - forecast);
        let new_level = alpha * (actual - s) + (1.0 - alpha) * (level + trend);
        if let Some(beta) = beta {
            trend = beta * (new_level - level) + (1.0 - beta) * trend;
        }
        season[t % m] = gamma * (actual - new_level) + (1.0 - gamma) * s;
        level = new_level;
    }
    let n = y.len();
    let forecasts = (1..=horizon).map(|k| level + k as f64 * trend + season[(n - 1 + k) % m]).collect();
    Run { errors, forecasts }
}

fn croston(y: &[f64], alpha: f64, factor: f64, horizon: usize) -> Run {
    let demands: Vec<usize> = (0..y.len()).filter(|&t| y[t] > 0.0).collect();
    let (Some(&first), Some(&last)) = (demands.first(), demands.last()) else {
        return run(&Method::Zero, y, horizon);
    };
    // Started from the history's mean size and mean interval (up to the last demand) rather than
    // its first demand: with α = 0.1 one odd first demand would colour dozens of forecasts.
    let mut size = demands.iter().map(|&t| y[t]).sum::<f64>() / demands.len() as f64;
    let mut interval = (last + 1) as f64 / demands.len() as f64;
    let mut since = 1.0;
    let mut errors = Vec::with_capacity(y.len() - first);
    for &actual in &y[first + 1..] {
        errors.push(actual - factor * size / interval);
        if actual > 0.0 {
            size += alpha * (actual - size);
            interval += alpha * (since - interval);
            since = 1.0;
        } else {
            since += 1.0;
        }
    }
    Run { errors, forecasts: vec![factor * size / interval; horizon] }
}

fn tsb(y: &[f64], alpha: f64, beta: f64, horizon: usize) -> Run {
    let demands: Vec<f64> = y.iter().copied().filter(|&d| d > 0.0).collect();
    if demands.is_empty() {
        return run(&Method::Zero, y, horizon);
    }
    let mut size = demands.iter().sum::<f64>() / demands.len() as f64;
    let mut probability = demands.len() as f64 / y.len() as f64;
    let mut errors = Vec::with_capacity(y.len());
    for &actual in y {
        errors.push(actual - probability * size);
        if actual > 0.0 {
            size += alpha * (actual - size);
            probability += beta * (1.0 - probability);
        } else {
            probability -= beta * probability;
        }
    }
    Run { errors, forecasts: vec![probability * size; horizon] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn croston_forecasts_size_over_interval_and_sba_removes_half_alpha() {
        // Demand of 6 every third period: size 6, interval 3, forecast 2; SBA 2 × 0.95 = 1.9.
        let y = [0.0, 0.0, 6.0, 0.0, 0.0, 6.0, 0.0, 0.0, 6.0];
        let croston = run(&Method::Croston { alpha: 0.1 }, &y, 2);
        assert!((croston.forecasts[0] - 2.0).abs() < 1e-9, "{:?}", croston.forecasts);
        let sba = run(&Method::Sba { alpha: 0.1 }, &y, 1);
        assert!((sba.forecasts[0] - 1.9).abs() < 1e-9);
    }

    #[test]
    fn tsb_falls_while_no_demand_comes_and_croston_does_not() {
        let mut y = vec![0.0, 4.0, 0.0, 4.0, 0.0, 4.0, 0.0, 4.0];
        let before = run(&Method::Tsb { alpha: 0.1, beta: 0.1 }, &y, 1).forecasts[0];
        y.extend([0.0; 10]);
        let after = run(&Method::Tsb { alpha: 0.1, beta: 0.1 }, &y, 1).forecasts[0];
        assert!(after < before * 0.5, "{before} → {after}");
        let croston = run(&Method::Croston { alpha: 0.1 }, &y, 1).forecasts[0];
        assert!((croston - 2.0).abs() < 0.2, "{croston}");
    }

    #[test]
    fn holt_follows_a_straight_line_exactly() {
        let y: Vec<f64> = (0..20).map(|t| 10.0 + 2.0 * t as f64).collect();
        let run = run(&Method::Holt { alpha: 0.3, beta: 0.1 }, &y, 3);
        assert!(run.errors.iter().all(|e| e.abs() < 1e-9));
        assert!((run.forecasts[2] - (10.0 + 2.0 * 22.0)).abs() < 1e-9);
    }

    #[test]
    fn holt_winters_repeats_a_clean_season() {
        let profile = [5.0, -3.0, 0.0, -2.0];
        let y: Vec<f64> = (0..16).map(|t| 20.0 + profile[t % 4]).collect();
        let m = Method::HoltWinters { alpha: 0.2, beta: 0.0, gamma: 0.1, season_length: 4, trend: false };
        let run = run(&m, &y, 4);
        for (k, f) in run.forecasts.iter().enumerate() {
            assert!((f - (20.0 + profile[(16 + k) % 4])).abs() < 1e-9, "{:?}", run.forecasts);
        }
    }
}
