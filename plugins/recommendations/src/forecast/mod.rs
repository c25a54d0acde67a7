//! Demand forecasts for reordering, the rule that picks the method, and a backtest that checks
//! the rule against naive and moving-average forecasts.
//!
//! The rule ([`forecast`]), on the history's figures ([`pattern`]):
//!
//! 1. No demand at all: forecast zero.
//! 2. ADI ≥ 1.32 (intermittent or lumpy, Syntetos–Boylan): SBA with α = 0.1, unless the periods
//!    since the last demand number at least 3 × the ADI up to that demand — then TSB (α = 0.1, β = 0.1), whose forecast
//!    falls while demand stays away, where Croston's and SBA's never do.
//! 3. Otherwise (smooth or erratic), with a season length given and at least three seasons of
//!    history: seasonal when the detrended series' autocorrelation at the season's lag is at
//!    least 0.3 — additive Holt–Winters.
//! 4. A trend when the least-squares slope (of the deseasonalised series, if seasonal) has
//!    |t| ≥ 3 and changes the level by at least 10 % of the mean over the history — Holt, or
//!    Holt–Winters with a trend.
//! 5. Otherwise simple exponential smoothing.
//!
//! Smoothing constants of the continuous methods are chosen from small grids by the least sum
//! of squared one-step errors over the history; the intermittent methods keep the fixed constants
//! the literature recommends for short, noisy histories.

mod backtest;
pub mod methods;
pub mod pattern;

use serde::{Deserialize, Serialize};

use crate::error::RecoError;
use crate::explain::Explanation;
pub use backtest::{Backtest, BacktestSettings, backtest};
pub use methods::Method;
pub use pattern::{DemandPattern, Intermittency};

/// The fewest periods [`forecast`] works from.
pub const MIN_HISTORY: usize = 6;
/// Seasons of history needed before seasonality is looked for.
pub const MIN_SEASONS: usize = 3;
/// Smoothing constant of Croston, SBA and TSB's size.
pub const INTERMITTENT_ALPHA: f64 = 0.1;
/// TSB's smoothing of the probability of demand.
pub const TSB_BETA: f64 = 0.1;
/// Periods since the last demand, in multiples of ADI, from which TSB replaces SBA.
pub const OBSOLESCENCE_ADIS: f64 = 3.0;

const ALPHAS: [f64; 6] = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7];
const BETAS: [f64; 4] = [0.01, 0.05, 0.1, 0.2];
const GAMMAS: [f64; 4] = [0.05, 0.1, 0.2, 0.3];

/// An item's demand, one quantity per period (a week or a month), oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandHistory {
    /// Units demanded each period; zero where none were.
    pub quantities: Vec<f64>,
    /// Periods in a season (52 for weeks, 12 for months) when the item may be seasonal.
    #[serde(default)]
    pub season_length: Option<usize>,
}

/// A forecast and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The method the rule chose, with its constants.
    pub method: Method,
    /// The history's ADI, CV² and class.
    pub intermittency: Intermittency,
    /// The forecast for each coming period.
    pub per_period: Vec<f64>,
    /// Root mean square of the one-step errors over the history: the spread of a period's
    /// demand around its forecast.
    pub error_sd: f64,
    /// The rule's steps, with the figures.
    pub explanation: Explanation,
}

/// Chooses a method by the rule above and forecasts `horizon` periods.
pub fn forecast(history: &DemandHistory, horizon: usize) -> Result<Forecast, RecoError> {
    let y = &history.quantities;
    check(history)?;
    let (method, intermittency, mut explanation) = choose(y, history.season_length);
    let run = methods::run(&method, y, horizon);
    let error_sd = if run.errors.is_empty() { 0.0 } else { (run.sse() / run.errors.len() as f64).sqrt() };
    let per_period: Vec<f64> = run.forecasts.iter().map(|f| f.max(0.0)).collect();
    explanation.push(format!(
        "Next period {:.2} units; one-step error spread (RMS over {} periods) {error_sd:.2}.",
        per_period.first().copied().unwrap_or(0.0),
        run.errors.len()
    ));
    Ok(Forecast { method, intermittency, per_period, error_sd, explanation })
}

fn check(history: &DemandHistory) -> Result<(), RecoError> {
    let y = &history.quantities;
    if y.len() < MIN_HISTORY {
        return Err(RecoError::NotEnoughHistory {
            what: "a forecast".into(),
            needed: MIN_HISTORY,
            got: y.len(),
        });
    }
    if let Some(bad) = y.iter().position(|q| !q.is_finite() || *q < 0.0) {
        return Err(RecoError::invalid(
            &format!("quantities[{bad}]"),
            "a demand must be a number, zero or more",
        ));
    }
    if history.season_length.is_some_and(|m| m < 2) {
        return Err(RecoError::invalid("season_length", "a season has at least 2 periods"));
    }
    Ok(())
}

/// The rule: the method for `y`, the figures it read, and why.
pub(crate) fn choose(y: &[f64], season_length: Option<usize>) -> (Method, Intermittency, Explanation) {
    let mut explanation = Explanation::default();
    let shape = pattern::intermittency(y);
    if shape.pattern == DemandPattern::None {
        explanation.push(format!("No demand in {} periods: forecast zero.", y.len()));
        return (Method::Zero, shape, explanation);
    }
    explanation.push(format!(
        "{} periods, ADI {:.2} (cut-off {}), CV² {:.2} (cut-off {}): {:?} demand.",
        y.len(),
        shape.adi,
        pattern::ADI_CUT_OFF,
        shape.cv2,
        pattern::CV2_CUT_OFF,
        shape.pattern
    ));
    if shape.adi >= pattern::ADI_CUT_OFF {
        let limit = OBSOLESCENCE_ADIS * shape.adi_to_last_demand;
        if shape.trailing_zeros as f64 >= limit {
            explanation.push(format!(
                "TSB: {} periods since the last demand ≥ {OBSOLESCENCE_ADIS} × {:.2} (the ADI up to it) = {limit:.1}; \
                 demand may be dying out.",
                shape.trailing_zeros, shape.adi_to_last_demand
            ));
            return (Method::Tsb { alpha: INTERMITTENT_ALPHA, beta: TSB_BETA }, shape, explanation);
        }
        explanation.push(format!(
            "SBA (α = {INTERMITTENT_ALPHA}): intermittent demand, {} periods since the last demand < {limit:.1}.",
            shape.trailing_zeros
        ));
        return (Method::Sba { alpha: INTERMITTENT_ALPHA }, shape, explanation);
    }

    let seasonal = season_length.filter(|&m| {
        if y.len() < MIN_SEASONS * m {
            explanation.push(format!(
                "Seasonality not checked: {} periods is under {MIN_SEASONS} seasons of {m}.",
                y.len()
            ));
            return false;
        }
        let acf = pattern::autocorrelation(&pattern::detrended(y), m);
        let verdict = if acf >= pattern::SEASON_ACF { "seasonal" } else { "not seasonal" };
        explanation.push(format!(
            "Autocorrelation at lag {m} of the detrended series {acf:.2} (cut-off {}): {verdict}.",
            pattern::SEASON_ACF
        ));
        acf >= pattern::SEASON_ACF
    });
    let base = match seasonal {
        Some(m) => pattern::deseasonalised(y, m),
        None => y.to_vec(),
    };
    let line = pattern::line(&base);
    let mean = base.iter().sum::<f64>() / base.len() as f64;
    let change = line.slope * (base.len() as f64 - 1.0);
    let share = if mean > 0.0 { change.abs() / mean } else { 0.0 };
    let trend = line.t.abs() >= pattern::TREND_T && share >= pattern::TREND_SHARE;
    explanation.push(format!(
        "Slope {:+.3} a period (t = {:.1}, cut-off {}), {:+.1} over the history = {:.0} % of the mean {mean:.2} \
         (cut-off {:.0} %): {}.",
        line.slope,
        line.t,
        pattern::TREND_T,
        change,
        share * 100.0,
        pattern::TREND_SHARE * 100.0,
        if trend { "trend" } else { "no trend" }
    ));

    let candidates: Vec<Method> = match (seasonal, trend) {
        (Some(m), trend) => {
            let betas: &[f64] = if trend { &BETAS } else { &[0.0] };
            grid3(&ALPHAS, betas, &GAMMAS)
                .map(|(alpha, beta, gamma)| Method::HoltWinters {
                    alpha,
                    beta,
                    gamma,
                    season_length: m,
                    trend,
                })
                .collect()
        }
        (None, true) => {
            grid3(&ALPHAS, &BETAS, &[0.0]).map(|(alpha, beta, _)| Method::Holt { alpha, beta }).collect()
        }
        (None, false) => ALPHAS.iter().map(|&alpha| Method::Ses { alpha }).collect(),
    };
    let best = candidates
        .into_iter()
        .map(|m| (methods::run(&m, y, 0).sse(), m))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| m)
        .unwrap_or(Method::Ses { alpha: 0.2 });
    explanation.push(format!("{}: {}.", best.name(), constants(&best)));
    (best, shape, explanation)
}

fn grid3<'a>(a: &'a [f64], b: &'a [f64], c: &'a [f64]) -> impl Iterator<Item = (f64, f64, f64)> + 'a {
    a.iter().flat_map(move |&x| b.iter().flat_map(move |&y| c.iter().map(move |&z| (x, y, z))))
}

fn constants(method: &Method) -> String {
    match *method {
        Method::Ses { alpha } => format!("α = {alpha}, the least squared one-step error"),
        Method::Holt { alpha, beta } => format!("α = {alpha}, β = {beta}, the least squared one-step error"),
        Method::HoltWinters { alpha, beta, gamma, season_length, trend } => format!(
            "α = {alpha}{}, γ = {gamma}, season of {season_length}, the least squared one-step error",
            if trend { format!(", β = {beta}") } else { String::new() }
        ),
        Method::Croston { alpha } | Method::Sba { alpha } => format!("α = {alpha}"),
        Method::Tsb { alpha, beta } => format!("α = {alpha}, β = {beta}"),
        Method::Zero => String::new(),
    }
}
