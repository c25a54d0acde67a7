use ils_recommendations::forecast::{
    BacktestSettings, DemandHistory, DemandPattern, Method, backtest, forecast,
};

use crate::support;

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn history(quantities: Vec<f64>, season_length: Option<usize>) -> DemandHistory {
    DemandHistory { quantities, season_length }
}

/// Which scores must beat the baselines.
#[derive(Clone, Copy, PartialEq)]
enum Scored {
    /// Each period and the 4-period total.
    PerPeriodAndTotal,
    /// The 4-period total only (intermittent demand: see the backtest's docs).
    Total,
}

/// Backtests every seed and asserts the rule beats both baselines on each.
fn beats_baselines(name: &str, scored: Scored, make: impl Fn(u64) -> DemandHistory) {
    for seed in SEEDS {
        let h = make(seed);
        let s = backtest(&h, &BacktestSettings::default()).expect("enough history");
        eprintln!(
            "{name} seed {seed}: {} origins; per period MASE chosen {:.3}, naive {:.3}, moving average {:.3}; \
             4-period total MASE chosen {:.3}, naive {:.3}, moving average {:.3}",
            s.origins,
            s.mase,
            s.mase_naive,
            s.mase_moving_average,
            s.total_mase,
            s.total_mase_naive,
            s.total_mase_moving_average
        );
        assert!(s.total_mase < s.total_mase_naive, "{name} seed {seed}: {}", s.explanation);
        assert!(s.total_mase < s.total_mase_moving_average, "{name} seed {seed}: {}", s.explanation);
        if scored == Scored::PerPeriodAndTotal {
            assert!(s.mase < s.mase_naive, "{name} seed {seed}: {}", s.explanation);
            assert!(s.mase < s.mase_moving_average, "{name} seed {seed}: {}", s.explanation);
        }
    }
}

#[test]
fn intermittent_demand_gets_sba_and_beats_naive_and_moving_average() {
    let y = support::intermittent(1, 104);
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let f = forecast(&history(y, None), 4).unwrap();
    assert_eq!(f.intermittency.pattern, DemandPattern::Intermittent);
    assert_eq!(f.method, Method::Sba { alpha: 0.1 });
    // About 30 % of weeks × 5 units = 1.5 a week; the forecast stays near this sample's mean.
    assert!((f.per_period[0] - mean).abs() < 0.4 * mean, "mean {mean:.2}: {}", f.explanation);
    assert!(f.explanation.mentions("ADI"), "{}", f.explanation);
    beats_baselines("intermittent", Scored::Total, |seed| history(support::intermittent(seed, 104), None));
}

#[test]
fn trended_demand_gets_holt_and_beats_naive_and_moving_average() {
    let f = forecast(&history(support::trended(1, 80), None), 4).unwrap();
    assert!(matches!(f.method, Method::Holt { .. }), "{}", f.explanation);
    // The line reaches 20 + 0.6 × 80 = 68 in the first period after the history.
    assert!((f.per_period[0] - 68.0).abs() < 6.0, "{}", f.explanation);
    assert!(f.per_period[3] > f.per_period[0]);
    beats_baselines("trended", Scored::PerPeriodAndTotal, |seed| history(support::trended(seed, 80), None));
}

#[test]
fn seasonal_demand_gets_holt_winters_and_beats_naive_and_moving_average() {
    let f = forecast(&history(support::seasonal(1, 60), Some(12)), 12).unwrap();
    assert!(matches!(f.method, Method::HoltWinters { season_length: 12, .. }), "{}", f.explanation);
    // Month 60 is at the cycle's start (sin 0): about 50; month 63 at its peak: about 70.
    assert!((f.per_period[0] - 50.0).abs() < 6.0, "{:?}", f.per_period);
    assert!((f.per_period[3] - 70.0).abs() < 6.0, "{:?}", f.per_period);
    beats_baselines("seasonal", Scored::PerPeriodAndTotal, |seed| {
        history(support::seasonal(seed, 60), Some(12))
    });
}

#[test]
fn a_season_length_on_a_series_without_a_season_does_not_make_it_seasonal() {
    let f = forecast(&history(support::trended(7, 80), Some(12)), 1).unwrap();
    assert!(matches!(f.method, Method::Holt { .. }), "{}", f.explanation);
    assert!(f.explanation.mentions("not seasonal"), "{}", f.explanation);
}

#[test]
fn demand_that_stops_switches_to_tsb_and_its_forecast_falls() {
    let mut y = support::intermittent(3, 60);
    let before = forecast(&history(y.clone(), None), 1).unwrap();
    let adi = before.intermittency.adi_to_last_demand;
    y.extend(std::iter::repeat_n(0.0, (3.0 * adi).ceil() as usize));
    let after = forecast(&history(y, None), 1).unwrap();
    assert!(matches!(after.method, Method::Tsb { .. }), "{}", after.explanation);
    assert!(
        after.per_period[0] < 0.6 * before.per_period[0],
        "{} → {}",
        before.per_period[0],
        after.per_period[0]
    );
    assert!(after.explanation.mentions("demand may be dying out"));
}

#[test]
fn too_short_or_negative_histories_are_refused() {
    assert!(forecast(&history(vec![1.0, 2.0, 3.0], None), 1).is_err());
    let err = forecast(&history(vec![1.0, 2.0, -3.0, 4.0, 5.0, 6.0], None), 1).unwrap_err();
    assert!(err.to_string().starts_with("quantities[2]"), "{err}");
    let zero = forecast(&history(vec![0.0; 10], None), 2).unwrap();
    assert_eq!((zero.method, zero.per_period), (Method::Zero, vec![0.0, 0.0]));
}
