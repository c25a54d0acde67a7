use ils_recommendations::anomaly::{Finding, FindingKind, Metric, Point, Series, find_anomalies};

use crate::support::Rng;

const WEEKS: usize = 52;

/// Weekly mean turnaround around `hours` with normal noise of sd `sd`; `plant` changes week w.
fn turnaround(key: &str, seed: u64, hours: f64, sd: f64, plant: impl Fn(usize, f64) -> f64) -> Series {
    let mut rng = Rng::new(seed);
    let points = (0..WEEKS)
        .map(|w| Point {
            period: format!("2026-W{:02}", w + 1),
            value: plant(w, hours + sd * rng.normal()),
            jobs: 120,
        })
        .collect();
    Series { key: key.into(), metric: Metric::TurnaroundHours, points }
}

/// Weekly QC failures among `jobs`, each failing with probability `rate(week)`.
fn failures(key: &str, seed: u64, jobs: u32, rate: impl Fn(usize) -> f64) -> Series {
    let mut rng = Rng::new(seed);
    let points = (0..WEEKS)
        .map(|w| {
            let failed = (0..jobs).filter(|_| rng.uniform() < rate(w)).count();
            Point { period: format!("2026-W{:02}", w + 1), value: failed as f64, jobs }
        })
        .collect();
    Series { key: key.into(), metric: Metric::FailureRate, points }
}

/// A lab's normal year: four stations' turnaround and four lens types' failure rates.
fn clean_lab(seed: u64) -> Vec<Series> {
    let mut series = Vec::new();
    for (i, station) in ["surfacing", "coating", "edger-1", "edger-2"].iter().enumerate() {
        let s = seed * 100 + i as u64;
        series.push(turnaround(&format!("station:{station}"), s, 30.0 + 5.0 * i as f64, 2.0, |_, v| v));
    }
    for (i, lens) in ["1.50", "1.60", "1.67", "1.74"].iter().enumerate() {
        let s = seed * 100 + 10 + i as u64;
        series.push(failures(&format!("lens:{lens}"), s, 80 + 40 * i as u32, |_| 0.03 + 0.01 * i as f64));
    }
    series
}

fn describe(findings: &[Finding]) -> String {
    findings.iter().map(|f| f.explanation.to_string()).collect()
}

#[test]
fn a_normal_year_in_a_lab_raises_nothing() {
    // Twenty labs' years: 8 series × 26 monitored weeks each, 4,160 weeks in all.
    for seed in 1..=20 {
        let findings = find_anomalies(&clean_lab(seed), None).unwrap();
        assert!(findings.is_empty(), "lab {seed}:\n{}", describe(&findings));
    }
}

#[test]
fn one_bad_week_at_a_station_is_a_spike_with_its_figures() {
    let mut lab = clean_lab(1);
    // Edger 2 (normal 45 h ± 2) takes 58 h in week 30 (index 29).
    lab[3] = turnaround("station:edger-2", 103, 45.0, 2.0, |w, v| if w == 29 { 58.0 } else { v });
    let findings = find_anomalies(&lab, None).unwrap();
    assert_eq!(findings.len(), 1, "{}", describe(&findings));
    let f = &findings[0];
    assert_eq!(
        (f.key.as_str(), f.kind, f.period.as_str()),
        ("station:edger-2", FindingKind::Spike, "2026-W30")
    );
    assert_eq!(f.observed, 58.0);
    assert!((f.normal - 45.0).abs() < 1.5 && f.score >= 5.0, "{f:?}");
    assert!(f.explanation.mentions("58.00 h against normal"), "{}", f.explanation);
}

#[test]
fn a_rising_failure_rate_on_one_lens_type_is_a_drift_caught_within_weeks() {
    let mut lab = clean_lab(2);
    // 1.74 lenses: 6 % failures instead of 3 % from week 35 (index 34), 200 jobs a week.
    lab[7] = failures("lens:1.74", 213, 200, |w| if w >= 34 { 0.06 } else { 0.03 });
    let findings = find_anomalies(&lab, None).unwrap();
    let drifts: Vec<&Finding> = findings.iter().filter(|f| f.kind == FindingKind::Drift).collect();
    assert_eq!(drifts.len(), 1, "{}", describe(&findings));
    assert!(findings.iter().all(|f| f.key == "lens:1.74"), "{}", describe(&findings));
    let d = drifts[0];
    let week: usize = d.period["2026-W".len()..].parse().unwrap();
    assert!((35..=40).contains(&week), "caught in week {week}: {}", d.explanation);
    assert!(d.observed > 0.045 && d.normal < 0.04, "{d:?}");
    eprintln!("{}", d.explanation);
}

#[test]
fn a_slowing_station_is_a_drift_and_a_faster_one_is_not_flagged() {
    let mut lab = clean_lab(3);
    // Coating (normal 35 h ± 2) runs 3 h slower from week 30; surfacing 5 h faster.
    lab[1] = turnaround("station:coating", 301, 35.0, 2.0, |w, v| if w >= 29 { v + 3.0 } else { v });
    lab[0] = turnaround("station:surfacing", 300, 30.0, 2.0, |w, v| if w >= 29 { v - 5.0 } else { v });
    let findings = find_anomalies(&lab, None).unwrap();
    assert!(findings.iter().all(|f| f.key == "station:coating"), "{}", describe(&findings));
    let drift = findings.iter().find(|f| f.kind == FindingKind::Drift).expect("a drift on coating");
    let week: usize = drift.period["2026-W".len()..].parse().unwrap();
    // A rise of 1.5 standard deviations: about 8 weeks by the design; allow ten.
    assert!((30..=40).contains(&week), "caught in week {week}");
    assert!(drift.explanation.mentions("station:coating since 2026-W"), "{}", drift.explanation);
    eprintln!("{}", drift.explanation);
}

#[test]
fn a_baseline_too_short_is_refused() {
    let lab = clean_lab(1);
    assert!(find_anomalies(&lab, Some(8)).is_err());
    let short = Series { points: lab[0].points[..26].to_vec(), ..lab[0].clone() };
    assert!(find_anomalies(&[short], None).is_err());
}
