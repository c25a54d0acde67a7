//! `anomalies`: weekly series of the lab's production read with the host's aggregates — quality
//! failures per station and per lens type, turnaround per lens type — scanned for spikes and
//! drifts above their normal ([`crate::anomaly`]). Each finding is one recommendation to look
//! into, with the numbers behind it.
//!
//! A lens type's failure rate is its failures over its orders that week; a station's, its
//! failures over the lab's orders that week (the orders dataset does not say which stations an
//! order passed through). A series whose baseline is too short, or has no jobs, is left out.

use std::collections::{BTreeMap, BTreeSet};

use ils_plugin_sdk::host::reports::{self, Filter, Measure, Op, Period, Query, ResultSet, Value};
use ils_plugin_sdk::{Error, HostError, Recommendation};
use serde::Deserialize;

use super::{DAY_MS, day_text, figure, history_end, input, words};
use crate::anomaly::{BASELINE_PERIODS, Finding, FindingKind, Metric, Point, Series, find_anomalies};

/// Weeks read unless the input names a number: a baseline and a quarter after it.
pub const DEFAULT_WEEKS: u32 = BASELINE_PERIODS as u32 + 13;

/// What the caller may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Weeks to read, 20–156 (default 39).
    #[serde(default)]
    pub weeks: Option<u32>,
    /// Of them, the first weeks taken as normal, 12 or more (default 26).
    #[serde(default)]
    pub baseline_weeks: Option<usize>,
}

fn host(e: HostError) -> Error {
    Error::retryable(format!("reading the lab's production failed: {e}"))
}

fn count(
    dataset: &str,
    period: &Period,
    group_by: &[&str],
    filters: Vec<Filter>,
) -> Result<ResultSet, Error> {
    reports::aggregate(&Query {
        dataset: dataset.into(),
        period: period.clone(),
        filters,
        group_by: group_by.iter().map(|g| g.to_string()).collect(),
        measures: vec![Measure::Count],
        order_by: Vec::new(),
        limit: reports::MAX_GROUPS,
    })
    .map_err(host)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// (key, week) → number, from rows of `[key, week, number…]` (the number in column `at`).
fn by_key_and_week(set: &ResultSet, at: usize) -> BTreeMap<(String, String), f64> {
    set.rows
        .iter()
        .filter_map(|row| Some(((text(&row[0])?, text(&row[1])?), row.get(at)?.as_f64()?)))
        .collect()
}

/// The recommendations for one request.
pub fn recommend(text_in: &str) -> Result<Vec<Recommendation>, Error> {
    let input: Input = input("anomalies", text_in)?;
    let weeks = i64::from(input.weeks.unwrap_or(DEFAULT_WEEKS).clamp(20, 156));
    let baseline = input.baseline_weeks.unwrap_or(BASELINE_PERIODS);
    let end = history_end();
    let period = Period { start: day_text(end - weeks * 7 * DAY_MS)?, end: day_text(end)? };

    // Jobs: the lab's orders per week, and per lens type and week.
    let lab: BTreeMap<String, f64> = count("orders", &period, &["created_at:week"], Vec::new())?
        .rows
        .iter()
        .filter_map(|r| Some((text(&r[0])?, r[1].as_f64()?)))
        .collect();
    let weeks_seen: BTreeSet<String> = lab.keys().cloned().collect();
    let by_lens =
        by_key_and_week(&count("orders", &period, &["lens_type", "created_at:week"], Vec::new())?, 2);
    let station_failures =
        by_key_and_week(&count("quality", &period, &["station", "at:week"], Vec::new())?, 2);
    let lens_failures =
        by_key_and_week(&count("quality", &period, &["lens_type", "at:week"], Vec::new())?, 2);
    let completed = vec![Filter { field: "completed_at".into(), op: Op::NotNull, values: Vec::new() }];
    let turnaround = reports::aggregate(&Query {
        dataset: "orders".into(),
        period: period.clone(),
        filters: completed,
        group_by: vec!["lens_type".into(), "completed_at:week".into()],
        measures: vec![Measure::Avg("turnaround_days".into()), Measure::Count],
        order_by: Vec::new(),
        limit: reports::MAX_GROUPS,
    })
    .map_err(host)?;

    let mut series = Vec::new();
    let stations: BTreeSet<&String> = station_failures.keys().map(|(k, _)| k).collect();
    for station in stations {
        let points = weeks_seen
            .iter()
            .map(|w| Point {
                period: w.clone(),
                value: station_failures.get(&(station.clone(), w.clone())).copied().unwrap_or(0.0),
                jobs: lab[w] as u32,
            })
            .collect();
        series.push(Series { key: format!("station {station}"), metric: Metric::FailureRate, points });
    }
    let lenses: BTreeSet<&String> = by_lens.keys().map(|(k, _)| k).collect();
    for lens in lenses {
        let points = weeks_seen
            .iter()
            .filter_map(|w| {
                let jobs = by_lens.get(&(lens.clone(), w.clone())).copied()?;
                Some(Point {
                    period: w.clone(),
                    value: lens_failures.get(&(lens.clone(), w.clone())).copied().unwrap_or(0.0),
                    jobs: jobs as u32,
                })
            })
            .collect();
        series.push(Series { key: format!("lens type {lens}"), metric: Metric::FailureRate, points });
    }
    let mut hours: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for row in &turnaround.rows {
        let (Some(lens), Some(week), Some(days), Some(jobs)) =
            (text(&row[0]), text(&row[1]), row[2].as_f64(), row[3].as_f64())
        else {
            continue;
        };
        hours.entry(lens).or_default().push(Point { period: week, value: days * 24.0, jobs: jobs as u32 });
    }
    for (lens, points) in hours {
        series.push(Series { key: format!("lens type {lens}"), metric: Metric::TurnaroundHours, points });
    }

    let mut out = Vec::new();
    for s in &series {
        // A series too short for its baseline, or without jobs in it, has nothing to say.
        let Ok(findings) = find_anomalies(std::slice::from_ref(s), Some(baseline)) else { continue };
        out.extend(findings.iter().map(recommendation));
    }
    Ok(out)
}

fn recommendation(f: &Finding) -> Recommendation {
    let (what, unit, scale) = match f.metric {
        Metric::TurnaroundHours => ("Turnaround", "hours", 1.0),
        Metric::FailureRate => ("Quality failures", "%", 100.0),
    };
    let title = match f.kind {
        FindingKind::Spike => format!("{what} spiked at {} in {}", f.key, f.period),
        FindingKind::Drift => {
            format!("{what} rising at {} since {}", f.key, f.since.as_deref().unwrap_or(&f.period))
        }
    };
    Recommendation {
        subject: format!("{}|{}|{}", f.key, serde_plain(&f.metric), f.period),
        title,
        // How far past its threshold the score went: at the threshold 0.5, twice it 1.0.
        score: ((f.score / f.threshold) as f32 / 2.0).clamp(0.0, 1.0),
        explanation: words(&f.explanation),
        figures: vec![
            figure("observed", f.observed * scale, unit),
            figure("normal", f.normal * scale, unit),
            figure("score", f.score, ""),
            figure("threshold", f.threshold, ""),
        ],
        action: None,
    }
}

fn serde_plain(metric: &Metric) -> &'static str {
    match metric {
        Metric::TurnaroundHours => "turnaround-hours",
        Metric::FailureRate => "failure-rate",
    }
}
