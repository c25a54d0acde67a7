//! Minimum intervals between NHS sight tests, and the reason codes for an earlier test
//! (Memorandum of Understanding on sight test intervals, as summarised in DOMAIN.md).
//!
//! The interval is chosen by the patient's age **on the new test date** and their conditions;
//! when several apply the shortest wins. A test is allowed from the last test date plus the
//! interval, rolled to the 1st of the next month when that day does not exist (so it is never
//! shorter than stated): last test 31 August, 6 months → allowed from 1 March.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::date::Date;
use crate::eligibility::PatientFacts;

/// The minimum interval for a patient, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interval {
    /// Months.
    pub months: u32,
    /// Why, in words.
    pub why: &'static str,
}

/// The recall-advisor answer (plugin interface 0.3): the NHS minimum interval for the patient's
/// age on the examination day and their recorded GOS facts (none recorded: the age rule alone).
/// `None` without a readable date of birth or examination date, or facts that cannot be read.
pub fn recall_advice(patient_id: &str, born_on: Option<&str>, examined_on: &str) -> Option<Interval> {
    let born = Date::parse(born_on?).ok()?;
    let examined = Date::parse(examined_on).ok()?;
    let age = born.age_on(examined)?;
    let facts = match crate::facts::PatientId::parse(patient_id) {
        Ok(id) => crate::facts::get(&id).ok()?.unwrap_or_default(),
        Err(_) => PatientFacts::default(),
    };
    Some(minimum_interval(&facts, age))
}

/// The minimum interval for a patient aged `age` on the new test date.
pub fn minimum_interval(facts: &PatientFacts, age: u32) -> Interval {
    let mut options = Vec::new();
    if age < 7 && (facts.binocular_vision_anomaly || facts.corrected_refractive_error) {
        options.push(Interval {
            months: 6,
            why: "under 7 with a binocular vision anomaly or a corrected refractive error: 6 months",
        });
    }
    if (7..16).contains(&age) && (facts.binocular_vision_anomaly || facts.fast_progressing_myopia) {
        options.push(Interval {
            months: 6,
            why: "aged 7 to 15 with a binocular vision anomaly or fast-progressing myopia: 6 months",
        });
    }
    if age < 16 {
        options.push(Interval { months: 12, why: "under 16: 1 year" });
    } else if age < 70 {
        options.push(Interval { months: 24, why: "aged 16 to 69: 2 years" });
    } else {
        options.push(Interval { months: 12, why: "aged 70 or over: 1 year" });
    }
    if facts.diabetes {
        options.push(Interval { months: 12, why: "has diabetes: 1 year" });
    }
    if age >= 40 && (facts.family_history_of_glaucoma || facts.ocular_hypertension) {
        options.push(Interval {
            months: 12,
            why: "aged 40 or over with a family history of glaucoma or ocular hypertension: 1 year",
        });
    }
    // `options` always holds the age interval; the first shortest one explains itself best.
    let shortest = options.iter().map(|i| i.months).min().unwrap_or(24);
    options.into_iter().find(|i| i.months == shortest).unwrap_or(Interval { months: 24, why: "2 years" })
}

/// A reason code for a test earlier than the minimum interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyReason {
    /// 1: at risk of frequent changes of prescription.
    FrequentRxChange,
    /// 2: pathology likely to worsen.
    PathologyLikelyToWorsen,
    /// 3.1: symptoms or concerns, referred.
    SymptomsReferred,
    /// 3.2: symptoms or concerns, prescription changed.
    SymptomsRxChanged,
    /// 3.3: symptoms or concerns, neither referred nor changed.
    SymptomsNoChange,
    /// 4.1: needs complex lenses.
    ComplexLenses,
    /// 4.2: corrected vision below 6/60 in one eye.
    VisionBelow6_60,
    /// 5.n: the "other" codes DOMAIN.md leaves open; accepted only with a written note on the claim.
    Other(u8),
}

impl EarlyReason {
    /// Parses a code as written on the form: `1`, `2`, `3.1`…`3.3`, `4.1`, `4.2`, `5.1`…`5.9`.
    pub fn parse(code: &str) -> Result<Self, String> {
        Ok(match code.trim() {
            "1" => Self::FrequentRxChange,
            "2" => Self::PathologyLikelyToWorsen,
            "3.1" => Self::SymptomsReferred,
            "3.2" => Self::SymptomsRxChanged,
            "3.3" => Self::SymptomsNoChange,
            "4.1" => Self::ComplexLenses,
            "4.2" => Self::VisionBelow6_60,
            "3" => {
                return Err("code 3 needs its outcome: 3.1 (referred), 3.2 (prescription changed) or 3.3 \
                            (neither)"
                    .into());
            }
            "4" => {
                return Err("code 4 needs its detail: 4.1 (complex lenses) or 4.2 (vision below 6/60)".into());
            }
            other => match other.strip_prefix("5.").map(str::parse::<u8>) {
                Some(Ok(n @ 1..=9)) => Self::Other(n),
                _ => {
                    return Err(format!(
                        "{:?} is not an early re-test code; use 1, 2, 3.1, 3.2, 3.3, 4.1, 4.2 or 5.1–5.9",
                        other.chars().take(20).collect::<String>()
                    ));
                }
            },
        })
    }

    /// Whether the claim must carry a written explanation (the 5.x codes).
    pub fn needs_note(self) -> bool {
        matches!(self, Self::Other(_))
    }

    /// What it means.
    pub fn words(self) -> &'static str {
        match self {
            Self::FrequentRxChange => "at risk of frequent changes of prescription",
            Self::PathologyLikelyToWorsen => "pathology likely to worsen",
            Self::SymptomsReferred => "symptoms or concerns; referred",
            Self::SymptomsRxChanged => "symptoms or concerns; prescription changed",
            Self::SymptomsNoChange => "symptoms or concerns; no referral and no change",
            Self::ComplexLenses => "needs complex lenses",
            Self::VisionBelow6_60 => "corrected vision below 6/60 in one eye",
            Self::Other(_) => "other reason (explained in the claim's note)",
        }
    }
}

impl fmt::Display for EarlyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrequentRxChange => f.write_str("1"),
            Self::PathologyLikelyToWorsen => f.write_str("2"),
            Self::SymptomsReferred => f.write_str("3.1"),
            Self::SymptomsRxChanged => f.write_str("3.2"),
            Self::SymptomsNoChange => f.write_str("3.3"),
            Self::ComplexLenses => f.write_str("4.1"),
            Self::VisionBelow6_60 => f.write_str("4.2"),
            Self::Other(n) => write!(f, "5.{n}"),
        }
    }
}

impl Serialize for EarlyReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EarlyReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Whether a test on a date respects the interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetestCheck {
    /// The interval that applies.
    pub interval: Interval,
    /// The first date a test is allowed without a reason code.
    pub allowed_from: Option<Date>,
    /// Whether the test date is on or after `allowed_from`.
    pub due: bool,
}

/// Checks a test `on` a date against the last test, for a patient aged `age` on that date.
/// `last` is `None` for a first test (or when the date of the last one is not known).
pub fn check_retest(facts: &PatientFacts, age: u32, last: Option<Date>, on: Date) -> RetestCheck {
    let interval = minimum_interval(facts, age);
    let allowed_from = last.and_then(|l| l.add_months_not_before(interval.months));
    // A date so far ahead it cannot be represented is certainly not reached.
    let due = match (last, allowed_from) {
        (None, _) => true,
        (Some(_), Some(from)) => on >= from,
        (Some(_), None) => false,
    };
    RetestCheck { interval, allowed_from, due }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn allowed(facts: &PatientFacts, age: u32, last: &str, on: &str) -> bool {
        check_retest(facts, age, Some(d(last)), d(on)).due
    }

    /// The day before is refused and the day itself allowed.
    fn edge(facts: &PatientFacts, age: u32, last: &str, first_allowed: &str) {
        let first = d(first_allowed);
        let eve = first.pred().unwrap().to_string();
        assert!(!allowed(facts, age, last, &eve), "age {age}: {eve} should be too early");
        assert!(allowed(facts, age, last, first_allowed), "age {age}: {first_allowed} should be allowed");
    }

    #[test]
    fn recall_advice_follows_the_age_on_the_examination_day_and_the_recorded_facts() {
        let _mock = ils_plugin_sdk::testing::MockHost::install();
        let advice = |id, born: Option<&str>, on| recall_advice(id, born, on).map(|i| (i.months, i.why));
        assert_eq!(advice("p-1", Some("1980-02-03"), "2026-12-01"), Some((24, "aged 16 to 69: 2 years")));
        assert_eq!(
            advice("p-1", Some("2011-12-02"), "2026-12-01"),
            Some((12, "under 16: 1 year")),
            "15 that day"
        );
        assert_eq!(advice("p-1", None, "2026-12-01"), None, "no date of birth, no advice");
        let facts = PatientFacts { diabetes: true, ..PatientFacts::default() };
        crate::facts::put(&crate::facts::PatientId::parse("p-2").unwrap(), &facts).unwrap();
        assert_eq!(advice("p-2", Some("1980-02-03"), "2026-12-01"), Some((12, "has diabetes: 1 year")));
    }

    #[test]
    fn under_16_one_year() {
        edge(&PatientFacts::default(), 10, "2024-05-20", "2025-05-20");
        assert_eq!(minimum_interval(&PatientFacts::default(), 15).why, "under 16: 1 year");
    }

    #[test]
    fn under_7_with_anomaly_or_corrected_error_six_months() {
        let bv = PatientFacts { binocular_vision_anomaly: true, ..PatientFacts::default() };
        edge(&bv, 6, "2024-05-20", "2024-11-20");
        let rx = PatientFacts { corrected_refractive_error: true, ..PatientFacts::default() };
        edge(&rx, 5, "2024-08-31", "2025-03-01");
        // A corrected refractive error alone does not shorten it from 7.
        edge(&rx, 7, "2024-05-20", "2025-05-20");
    }

    #[test]
    fn seven_to_15_with_anomaly_or_fast_myopia_six_months() {
        let myopia = PatientFacts { fast_progressing_myopia: true, ..PatientFacts::default() };
        edge(&myopia, 12, "2025-01-10", "2025-07-10");
        let bv = PatientFacts { binocular_vision_anomaly: true, ..PatientFacts::default() };
        edge(&bv, 15, "2025-01-10", "2025-07-10");
        edge(&bv, 16, "2025-01-10", "2027-01-10");
    }

    #[test]
    fn sixteen_to_69_two_years() {
        edge(&PatientFacts::default(), 16, "2023-03-15", "2025-03-15");
        edge(&PatientFacts::default(), 69, "2023-03-15", "2025-03-15");
    }

    #[test]
    fn seventy_and_over_one_year() {
        edge(&PatientFacts::default(), 70, "2024-03-15", "2025-03-15");
    }

    #[test]
    fn diabetes_one_year() {
        let f = PatientFacts { diabetes: true, ..PatientFacts::default() };
        edge(&f, 45, "2024-03-15", "2025-03-15");
        assert_eq!(minimum_interval(&f, 45).why, "has diabetes: 1 year");
    }

    #[test]
    fn forty_plus_family_history_or_ocular_hypertension_one_year() {
        let fh = PatientFacts { family_history_of_glaucoma: true, ..PatientFacts::default() };
        edge(&fh, 40, "2024-03-15", "2025-03-15");
        edge(&fh, 39, "2024-03-15", "2026-03-15");
        let oht = PatientFacts { ocular_hypertension: true, ..PatientFacts::default() };
        edge(&oht, 52, "2024-02-29", "2025-03-01");
    }

    #[test]
    fn a_first_test_is_always_due() {
        let c = check_retest(&PatientFacts::default(), 30, None, d("2025-01-01"));
        assert!(c.due);
        assert_eq!(c.allowed_from, None);
    }

    #[test]
    fn reason_codes_parse_and_print() {
        for code in ["1", "2", "3.1", "3.2", "3.3", "4.1", "4.2", "5.1", "5.9"] {
            assert_eq!(EarlyReason::parse(code).unwrap().to_string(), code);
        }
        assert!(EarlyReason::parse("3").unwrap_err().contains("3.1 (referred)"));
        assert!(EarlyReason::parse("4").unwrap_err().contains("4.2"));
        for bad in ["5", "5.0", "5.10", "6", "3.4", "", "1.1", "5.x"] {
            assert!(EarlyReason::parse(bad).is_err(), "{bad}");
        }
        assert!(EarlyReason::parse("5.2").unwrap().needs_note());
        assert!(!EarlyReason::parse("4.2").unwrap().needs_note());
        assert_eq!(EarlyReason::parse("4.2").unwrap().words(), "corrected vision below 6/60 in one eye");
    }
}
