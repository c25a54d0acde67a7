//! A rolling-origin backtest: the rule as it would have run at each past period, scored against
//! naive and moving-average forecasts by MASE.
//!
//! At every origin t the history up to t is all that is known: the rule is applied afresh
//! (classification, method, constants) and forecasts the next `horizon` periods. Each absolute
//! error is divided by that origin's scale — the mean absolute one-step change of the history up
//! to t (the in-sample naive error of Hyndman & Koehler's MASE) — and MASE is the mean of these
//! over all origins and horizons. All three forecasts share the scales, so their MASEs compare
//! directly; below 1 beats the in-sample naive forecast.
//!
//! A second score does the same for the total over the horizon — the demand a reorder point has
//! to cover during a lead time of `horizon` periods — scaled by the in-sample mean absolute
//! change between consecutive `horizon`-period totals. Per-period absolute errors favour a
//! forecast of zero when most periods have no demand (the median of such a period is zero), so
//! for intermittent demand the total is the score that matters for reordering.

use serde::{Deserialize, Serialize};

use super::{DemandHistory, MIN_SEASONS, check, choose, methods};
use crate::error::RecoError;
use crate::explain::Explanation;

/// How the backtest runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BacktestSettings {
    /// Periods forecast from each origin (default 4).
    pub horizon: usize,
    /// Periods averaged by the moving-average baseline (default 6).
    pub moving_average: usize,
    /// The first origin; default the larger of 12 periods and three seasons.
    pub min_train: Option<usize>,
}

impl Default for BacktestSettings {
    fn default() -> Self {
        BacktestSettings { horizon: 4, moving_average: 6, min_train: None }
    }
}

/// The backtest's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Forecast origins scored.
    pub origins: usize,
    /// Periods ahead scored from each origin.
    pub horizon: usize,
    /// MASE of the rule's forecasts.
    pub mase: f64,
    /// MASE of the naive forecast (the last period's demand).
    pub mase_naive: f64,
    /// MASE of the moving average.
    pub mase_moving_average: f64,
    /// MASE of the rule's forecast of the total over the horizon.
    pub total_mase: f64,
    /// MASE of `horizon` × the last period's demand, as a forecast of the total.
    pub total_mase_naive: f64,
    /// MASE of `horizon` × the moving average, as a forecast of the total.
    pub total_mase_moving_average: f64,
    /// The scores in words.
    pub explanation: Explanation,
}

/// Scores the rule against the baselines on `history`.
pub fn backtest(history: &DemandHistory, settings: &BacktestSettings) -> Result<Backtest, RecoError> {
    check(history)?;
    let y = &history.quantities;
    let h = settings.horizon.max(1);
    let k = settings.moving_average.max(1);
    let seasons = history.season_length.map_or(0, |m| MIN_SEASONS * m);
    let first = settings.min_train.unwrap_or(12.max(seasons)).max(super::MIN_HISTORY).max(k);
    if y.len() < first + h {
        return Err(RecoError::NotEnoughHistory {
            what: "a backtest".into(),
            needed: first + h,
            got: y.len(),
        });
    }
    let (mut rule, mut naive, mut average, mut count) = (0.0, 0.0, 0.0, 0usize);
    let (mut total_rule, mut total_naive, mut total_average) = (0.0, 0.0, 0.0);
    let mut origins = 0;
    for t in first..=y.len() - h {
        let train = &y[..t];
        let scale = train.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (t - 1) as f64;
        let totals: Vec<f64> = train.windows(h).map(|w| w.iter().sum()).collect();
        let total_scale = if totals.len() > h {
            totals.windows(h + 1).map(|w| (w[h] - w[0]).abs()).sum::<f64>() / (totals.len() - h) as f64
        } else {
            0.0
        };
        if scale == 0.0 || total_scale == 0.0 {
            continue;
        }
        origins += 1;
        let (method, _, _) = choose(train, history.season_length);
        let forecasts = methods::run(&method, train, h).forecasts;
        let last = train[t - 1];
        let mean = train[t - k..].iter().sum::<f64>() / k as f64;
        for (i, actual) in y[t..t + h].iter().enumerate() {
            rule += (actual - forecasts[i].max(0.0)).abs() / scale;
            naive += (actual - last).abs() / scale;
            average += (actual - mean).abs() / scale;
            count += 1;
        }
        let actual: f64 = y[t..t + h].iter().sum();
        let forecast: f64 = forecasts.iter().map(|f| f.max(0.0)).sum();
        total_rule += (actual - forecast).abs() / total_scale;
        total_naive += (actual - h as f64 * last).abs() / total_scale;
        total_average += (actual - h as f64 * mean).abs() / total_scale;
    }
    if count == 0 {
        return Err(RecoError::invalid("quantities", "demand never changes; there is nothing to score"));
    }
    let n = count as f64;
    let (mase, mase_naive, mase_moving_average) = (rule / n, naive / n, average / n);
    let o = origins as f64;
    let (total_mase, total_mase_naive, total_mase_moving_average) =
        (total_rule / o, total_naive / o, total_average / o);
    let mut explanation = Explanation::default();
    explanation.push(format!(
        "Backtest over {origins} origins from period {first}, {h} periods ahead: MASE {mase:.3} for the chosen \
         forecast, {mase_naive:.3} for naive, {mase_moving_average:.3} for a {k}-period moving average."
    ));
    explanation.push(format!(
        "Total over {h} periods: MASE {total_mase:.3} for the chosen forecast, {total_mase_naive:.3} for naive, \
         {total_mase_moving_average:.3} for the moving average."
    ));
    Ok(Backtest {
        origins,
        horizon: h,
        mase,
        mase_naive,
        mase_moving_average,
        total_mase,
        total_mase_naive,
        total_mase_moving_average,
        explanation,
    })
}
