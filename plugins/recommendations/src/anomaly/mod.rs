//! Production series drifting from normal: turnaround times and quality-failure rates per
//! station, lab or lens type, one value a period.
//!
//! The first `baseline_periods` of a series (default 26 — half a year of weeks — at least 12)
//! are its normal. Each later period gets a score z of how far it sits above normal, in standard
//! deviations:
//!
//! - turnaround: robust z = (x − median) / s over the baseline, so a bad week in the baseline
//!   does not move the normal (Iglewicz & Hoaglin). s is the larger of 1.4826 × MAD and
//!   1.2533 × the mean absolute deviation from the median: on a short baseline MAD alone often
//!   comes out small, and then every ordinary week looks abnormal;
//! - failure rate: binomial z = (f − n·p₀) / √(n·p₀·(1 − p₀)·(1 + n/N)), p₀ the baseline's pooled
//!   rate over N jobs (the last factor is p₀'s own uncertainty), so a period with few jobs
//!   counts for less.
//!
//! Two findings, upward only (a faster turnaround or fewer failures needs no action):
//!
//! - a **spike** when z ≥ 5: on normal data about one period in 3.5 million, so that a lab
//!   watching dozens of series every week is not told of a chance bad week (Iglewicz & Hoaglin's
//!   3.5 suits screening one sample, not a fleet of series monitored week after week, and the
//!   baseline's own estimation error makes real z-scores wider than nominal);
//! - a **drift** when the upper CUSUM S = max(0, S + min(z, 3) − 1) reaches 4. By Siegmund's
//!   approximation a sustained rise of 2 standard deviations is caught in about 5 periods and of
//!   1.5 in about 8, while on normal data a false alarm comes about once in 15,000 periods — a
//!   lab watching dozens of series a week needs that rarity. z is capped at 3 so that one wild
//!   period is a spike, not a drift. One drift is reported per excursion: S must fall back to 0
//!   before another.

use serde::{Deserialize, Serialize};

use crate::error::RecoError;
use crate::explain::Explanation;

/// Default periods taken as normal.
pub const BASELINE_PERIODS: usize = 26;
/// The fewest baseline periods accepted.
pub const MIN_BASELINE: usize = 12;
/// z from which one period is a spike.
pub const SPIKE_Z: f64 = 5.0;
/// CUSUM allowance, in standard deviations.
pub const CUSUM_K: f64 = 1.0;
/// CUSUM decision interval, in standard deviations.
pub const CUSUM_H: f64 = 4.0;
/// The most one period adds to the CUSUM, before the allowance.
pub const CUSUM_CAP: f64 = 3.0;
/// MAD to standard deviation, for normal data.
const MAD_TO_SD: f64 = 1.4826;
/// Mean absolute deviation to standard deviation, for normal data: √(π/2).
const MEAN_AD_TO_SD: f64 = 1.2533;

/// What a series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Mean hours from order to dispatch; each point's `value` is the period's mean.
    TurnaroundHours,
    /// Quality-check failures; each point's `value` is the number of failures among `jobs`.
    FailureRate,
}

/// One period of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The period's label, such as `2026-W14`.
    pub period: String,
    /// Mean turnaround hours, or failures (see [`Metric`]).
    pub value: f64,
    /// Jobs in the period.
    pub jobs: u32,
}

/// One series: a station, lab or lens type, and a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// What the series is about, such as `station:edger-2` or `lens:1.74`.
    pub key: String,
    /// What it measures.
    pub metric: Metric,
    /// Oldest first.
    pub points: Vec<Point>,
}

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// One period far above normal.
    Spike,
    /// A sustained rise.
    Drift,
}

/// One finding, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The series.
    pub key: String,
    /// Its metric.
    pub metric: Metric,
    /// Spike or drift.
    pub kind: FindingKind,
    /// The period flagged (for a drift, the one where the CUSUM crossed).
    pub period: String,
    /// For a drift, the first period of the rise.
    pub since: Option<String>,
    /// The value seen: the period's for a spike, the mean since the rise for a drift (a rate for
    /// failures).
    pub observed: f64,
    /// Normal: the baseline median, or the baseline failure rate.
    pub normal: f64,
    /// The score: z for a spike, the CUSUM for a drift.
    pub score: f64,
    /// The threshold the score reached.
    pub threshold: f64,
    /// The finding in words, with its figures.
    pub explanation: Explanation,
}

/// Looks for spikes and drifts in each series, with `baseline_periods` of normal (default 26).
pub fn find_anomalies(series: &[Series], baseline_periods: Option<usize>) -> Result<Vec<Finding>, RecoError> {
    let baseline = baseline_periods.unwrap_or(BASELINE_PERIODS);
    if baseline < MIN_BASELINE {
        return Err(RecoError::invalid(
            "baseline_periods",
            format!("at least {MIN_BASELINE} periods are needed"),
        ));
    }
    let mut findings = Vec::new();
    for s in series {
        findings.extend(scan(s, baseline)?);
    }
    Ok(findings)
}

/// The baseline of a series: how to turn a point into z, and how to describe normal.
enum Normal {
    Robust { median: f64, sd: f64 },
    Binomial { rate: f64, jobs: f64 },
}

impl Normal {
    fn of(series: &Series, base: &[Point]) -> Result<Self, RecoError> {
        match series.metric {
            Metric::TurnaroundHours => {
                let values: Vec<f64> = base.iter().map(|p| p.value).collect();
                let median = median(&values);
                let deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
                let mean_ad = deviations.iter().sum::<f64>() / deviations.len() as f64;
                let mad = median_of(deviations);
                // A flat baseline (every period the same) would make any change infinite; take
                // 1 % of the median as the least spread.
                let sd = (MAD_TO_SD * mad)
                    .max(MEAN_AD_TO_SD * mean_ad)
                    .max(0.01 * median.abs())
                    .max(f64::MIN_POSITIVE);
                Ok(Normal::Robust { median, sd })
            }
            Metric::FailureRate => {
                let jobs: f64 = base.iter().map(|p| f64::from(p.jobs)).sum();
                if jobs == 0.0 {
                    return Err(RecoError::invalid(&series.key, "no jobs in the baseline periods"));
                }
                let failures: f64 = base.iter().map(|p| p.value).sum();
                // No failure at all in the baseline: half a failure, so one failure is not infinite.
                Ok(Normal::Binomial { rate: failures.max(0.5) / jobs, jobs })
            }
        }
    }

    fn z(&self, p: &Point) -> Option<f64> {
        match *self {
            Normal::Robust { median, sd } => Some((p.value - median) / sd),
            Normal::Binomial { rate, jobs } => {
                let n = f64::from(p.jobs);
                (n > 0.0).then(|| (p.value - n * rate) / (n * rate * (1.0 - rate) * (1.0 + n / jobs)).sqrt())
            }
        }
    }

    fn level(&self) -> f64 {
        match *self {
            Normal::Robust { median, .. } => median,
            Normal::Binomial { rate, .. } => rate,
        }
    }

    fn describe(&self) -> String {
        match *self {
            Normal::Robust { median, sd } => {
                format!("normal {median:.2} h (baseline median), spread {sd:.2} h")
            }
            Normal::Binomial { rate, jobs } => {
                format!("normal failure rate {:.2} % (baseline, {jobs} jobs)", rate * 100.0)
            }
        }
    }
}

fn scan(series: &Series, baseline: usize) -> Result<Vec<Finding>, RecoError> {
    if series.points.len() <= baseline {
        return Err(RecoError::NotEnoughHistory {
            what: format!("{}: a baseline and one period to check", series.key),
            needed: baseline + 1,
            got: series.points.len(),
        });
    }
    if let Some(bad) = series.points.iter().position(|p| !p.value.is_finite() || p.value < 0.0) {
        return Err(RecoError::invalid(
            &format!("{}.points[{bad}]", series.key),
            "must be a number, zero or more",
        ));
    }
    let (base, rest) = series.points.split_at(baseline);
    let normal = Normal::of(series, base)?;
    let shown = |p: &Point| match series.metric {
        Metric::TurnaroundHours => format!("{:.2} h", p.value),
        Metric::FailureRate => format!(
            "{} of {} jobs failed ({:.2} %)",
            p.value,
            p.jobs,
            100.0 * p.value / f64::from(p.jobs.max(1))
        ),
    };
    let mut findings = Vec::new();
    let mut cusum = 0.0;
    let mut start = 0;
    let mut alarmed = false;
    for (i, p) in rest.iter().enumerate() {
        let Some(z) = normal.z(p) else { continue };
        if z >= SPIKE_Z {
            let mut explanation = Explanation::default();
            explanation.push(format!(
                "{} {}: {} against {}; z = {z:.1} ≥ {SPIKE_Z}.",
                series.key,
                p.period,
                shown(p),
                normal.describe()
            ));
            findings.push(Finding {
                key: series.key.clone(),
                metric: series.metric,
                kind: FindingKind::Spike,
                period: p.period.clone(),
                since: None,
                observed: observed(series.metric, std::slice::from_ref(p)),
                normal: normal.level(),
                score: z,
                threshold: SPIKE_Z,
                explanation,
            });
        }
        if cusum == 0.0 {
            start = i;
        }
        cusum = (cusum + z.min(CUSUM_CAP) - CUSUM_K).max(0.0);
        if cusum == 0.0 {
            alarmed = false;
        } else if cusum >= CUSUM_H && !alarmed {
            alarmed = true;
            let run = &rest[start..=i];
            let level = observed(series.metric, run);
            let mut explanation = Explanation::default();
            explanation.push(format!(
                "{} since {}: {} periods average {} against {}; CUSUM of (min(z, {CUSUM_CAP}) − {CUSUM_K}) reached {cusum:.1} ≥ {CUSUM_H} in {}.",
                series.key,
                run[0].period,
                run.len(),
                match series.metric {
                    Metric::TurnaroundHours => format!("{level:.2} h"),
                    Metric::FailureRate => format!("a failure rate of {:.2} %", level * 100.0),
                },
                normal.describe(),
                p.period
            ));
            findings.push(Finding {
                key: series.key.clone(),
                metric: series.metric,
                kind: FindingKind::Drift,
                period: p.period.clone(),
                since: Some(run[0].period.clone()),
                observed: level,
                normal: normal.level(),
                score: cusum,
                threshold: CUSUM_H,
                explanation,
            });
        }
    }
    Ok(findings)
}

/// The mean turnaround, or the pooled failure rate, over `points`.
fn observed(metric: Metric, points: &[Point]) -> f64 {
    match metric {
        Metric::TurnaroundHours => points.iter().map(|p| p.value).sum::<f64>() / points.len() as f64,
        Metric::FailureRate => {
            let jobs: f64 = points.iter().map(|p| f64::from(p.jobs)).sum();
            if jobs > 0.0 { points.iter().map(|p| p.value).sum::<f64>() / jobs } else { 0.0 }
        }
    }
}

fn median(values: &[f64]) -> f64 {
    median_of(values.to_vec())
}

fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_and_mad_ignore_one_wild_baseline_value_but_the_mean_deviation_keeps_the_spread_honest() {
        assert_eq!(median(&[1.0, 3.0, 2.0, 100.0]), 2.5);
        let pts: Vec<Point> = [10.0, 11.0, 9.0, 10.0, 200.0, 10.0, 11.0, 9.0]
            .iter()
            .enumerate()
            .map(|(i, v)| Point { period: format!("W{i}"), value: *v, jobs: 10 })
            .collect();
        let s = Series { key: "k".into(), metric: Metric::TurnaroundHours, points: pts.clone() };
        let Normal::Robust { median, sd } = Normal::of(&s, &pts).unwrap() else { panic!("robust") };
        // Median 10; deviations sorted 0,0,0,1,1,1,1,190: MAD 1 → 1.4826, but their mean 194/8
        // = 24.25 → 30.39 is larger, so the spread is 30.39; the median does not move.
        assert_eq!(median, 10.0);
        assert!((sd - 1.2533 * 24.25).abs() < 1e-9, "{sd}");
        let calm: Vec<Point> = pts.iter().filter(|p| p.value < 100.0).cloned().collect();
        let Normal::Robust { sd, .. } = Normal::of(&s, &calm).unwrap() else { panic!("robust") };
        // Without the 200: deviations 0,0,0,1,1,1,1 → MAD 1 → 1.4826 ≥ 1.2533 × 4/7 = 0.716.
        assert!((sd - 1.4826).abs() < 1e-9, "{sd}");
    }
}
