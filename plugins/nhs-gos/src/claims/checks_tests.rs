//! One test per pre-submission check.

use ils_plugin_sdk::testing::MockHost;

use super::*;
use crate::claims::{PatientSignature, Signatures, StaffSignature};
use crate::date::FinancialYear;
use crate::eligibility::{Certificate, PatientFacts};
use crate::facts::PatientId;
use crate::interval::EarlyReason;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn staff() -> Option<StaffSignature> {
    Some(StaffSignature { name: Some("A Optom".into()), date: Some(d("2025-05-10")) })
}

fn signed() -> Signatures {
    Signatures {
        patient: Some(PatientSignature {
            by: Signer::Patient,
            printed_name: None,
            date: Some(d("2025-05-10")),
        }),
        performer: staff(),
        contractor: staff(),
    }
}

/// A GOS 1 that passes: a 75-year-old tested on 10 May 2025, last tested 1 May 2024.
fn gos1() -> ClaimFields {
    let mut c = ClaimFields::new(Form::Gos1);
    c.patient_id = Some(PatientId::parse("p-1").unwrap());
    c.contractor_number = Some("C123".into());
    c.performer_number = Some("P456".into());
    c.test_date = Some(d("2025-05-10"));
    c.last_sight_test = Some(LastTest::On(d("2024-05-01")));
    c.signatures = signed();
    c
}

/// A GOS 3 that passes in 2023-24 (band A single vision, £41.70) for a 10-year-old.
fn gos3() -> ClaimFields {
    let mut c = ClaimFields::new(Form::Gos3);
    c.patient_id = Some(PatientId::parse("p-2").unwrap());
    c.contractor_number = Some("C123".into());
    c.prescription_date = Some(d("2024-01-05"));
    c.supply_date = Some(d("2024-01-20"));
    c.glasses =
        Some(serde_json::from_str(r#"{"right": {"sphere": -1.0}, "left": {"sphere": -1.25}}"#).unwrap());
    c.retail_price_pence = Some(9900);
    c.signatures = signed();
    c.signatures.performer = None;
    c
}

struct Case {
    today: Date,
    born: Date,
    facts: PatientFacts,
}

impl Case {
    fn adult75() -> Self {
        Self { today: d("2025-06-01"), born: d("1950-01-01"), facts: PatientFacts::default() }
    }

    fn child10() -> Self {
        Self { today: d("2024-02-01"), born: d("2014-01-01"), facts: PatientFacts::default() }
    }

    fn run(&self, claim: &ClaimFields) -> Outcome {
        let _mock = MockHost::install();
        let year: Option<FinancialYear> = claim.service_date().map(Date::financial_year);
        let table = year.map(|y| values::table(y).unwrap());
        run(
            claim,
            &Context { today: self.today, born: Some(self.born), facts: &self.facts, values: table.as_ref() },
        )
    }

    fn problems(&self, claim: &ClaimFields) -> Vec<String> {
        self.run(claim).problems
    }
}

fn has(problems: &[String], text: &str) -> bool {
    problems.iter().any(|p| p.contains(text))
}

#[test]
fn a_complete_gos1_passes_with_its_fee_and_category() {
    let out = Case::adult75().run(&gos1());
    assert_eq!(out.problems, Vec::<String>::new());
    assert_eq!(out.eligibility, Some(Category::Aged60OrOver));
    let value = out.value.unwrap();
    assert_eq!((value.year.as_str(), value.total), ("2025-26", Pence(2413)));
    assert_eq!(value.lines[0].what, "The NHS sight test fee");
}

#[test]
fn a_complete_gos3_passes_with_the_band_value() {
    let out = Case::child10().run(&gos3());
    assert_eq!(out.problems, Vec::<String>::new());
    assert_eq!(out.eligibility, Some(Category::Under16));
    assert_eq!(out.value.unwrap().total, Pence(4170));
}

#[test]
fn last_sight_test_blank_on_gos1_and_gos6() {
    for form in [Form::Gos1, Form::Gos6] {
        let mut c = gos1();
        c.form = form;
        c.last_sight_test = None;
        let p = Case::adult75().problems(&c);
        assert!(has(&p, "The date of the last sight test is blank"), "{form:?}: {p:?}");
    }
    let mut c = gos1();
    c.last_sight_test = Some(LastTest::FirstTest);
    assert!(Case::adult75().problems(&c).is_empty());
}

#[test]
fn contractor_who_is_performer_signed_only_as_performer() {
    let mut c = gos1();
    c.contractor_is_performer = true;
    c.signatures.contractor = None;
    let p = Case::adult75().problems(&c);
    assert_eq!(
        p,
        [
            "You are both the contractor and the performer but signed only as performer: sign the contractor's \
          declaration as well."
        ]
    );
    c.contractor_is_performer = false;
    assert_eq!(Case::adult75().problems(&c), ["The contractor has not signed."]);
}

#[test]
fn prescription_date_missing_on_gos3() {
    let mut c = gos3();
    c.prescription_date = None;
    assert_eq!(Case::child10().problems(&c), ["The prescription date is missing."]);
}

#[test]
fn claim_value_empty_on_gos3_when_the_band_value_is_not_entered() {
    let mut c = gos3();
    c.supply_date = Some(d("2024-06-20")); // 2024-25: band B not entered
    c.prescription_date = Some(d("2024-06-01"));
    c.glasses =
        Some(serde_json::from_str(r#"{"right": {"sphere": -7.0}, "left": {"sphere": -1.0}}"#).unwrap());
    let case = Case { today: d("2024-07-01"), ..Case::child10() };
    assert_eq!(case.problems(&c), ["The claim value is empty: value for band B in 2024-25 not entered yet."]);
}

#[test]
fn claim_value_boxes_need_the_powers_and_the_retail_price() {
    let mut c = gos3();
    c.retail_price_pence = None;
    assert_eq!(Case::child10().problems(&c), ["The retail price box is empty."]);
    c.glasses = None;
    assert_eq!(
        Case::child10().problems(&c),
        ["The prescription's powers are missing, so the voucher band cannot be worked out."]
    );
}

#[test]
fn parent_or_guardian_signed_without_printing_a_name() {
    let mut c = gos3();
    let sig = PatientSignature {
        by: Signer::ParentGuardian,
        printed_name: Some("  ".into()),
        date: Some(d("2024-01-20")),
    };
    c.signatures.patient = Some(sig.clone());
    assert_eq!(
        Case::child10().problems(&c),
        ["A parent or guardian signed for the patient without printing their name."]
    );
    c.signatures.patient = Some(PatientSignature { printed_name: Some("Jo Parent".into()), ..sig });
    assert!(Case::child10().problems(&c).is_empty());
}

#[test]
fn every_signature_is_dated() {
    let mut c = gos1();
    for sig in [&mut c.signatures.performer, &mut c.signatures.contractor].into_iter().flatten() {
        sig.date = None;
    }
    if let Some(sig) = &mut c.signatures.patient {
        sig.date = None;
    }
    assert_eq!(
        Case::adult75().problems(&c),
        [
            "The patient's signature is not dated.",
            "The performer's signature is not dated.",
            "The contractor's signature is not dated."
        ]
    );
}

#[test]
fn patient_performer_and_contractor_all_sign() {
    let mut c = gos1();
    c.signatures = Signatures::default();
    assert_eq!(
        Case::adult75().problems(&c),
        [
            "The patient (or a parent, guardian or carer) has not signed.",
            "The performer (the optometrist or OMP who did the test) has not signed.",
            "The contractor has not signed."
        ]
    );
}

#[test]
fn the_three_month_window_ends_on_the_same_day_three_months_later() {
    let mut c = gos1();
    c.test_date = Some(d("2025-01-31"));
    c.last_sight_test = Some(LastTest::FirstTest);
    let on_time = Case { today: d("2025-04-30"), ..Case::adult75() };
    assert!(on_time.problems(&c).is_empty(), "last day (31 Jan + 3 months = 30 Apr)");
    let late = Case { today: d("2025-05-01"), ..Case::adult75() };
    assert_eq!(
        late.problems(&c),
        [
            "GOS 1 claims must be submitted within 3 months: the sight test was on 2025-01-31, so the last day was 2025-04-30."
        ]
    );
    assert_eq!(last_day_to_submit(d("2025-11-30")), Some(d("2026-02-28")));
    assert_eq!(last_day_to_submit(d("2025-02-14")), Some(d("2025-05-14")));
}

#[test]
fn a_future_service_date_is_refused() {
    let mut c = gos1();
    c.test_date = Some(d("2025-06-02"));
    assert_eq!(Case::adult75().problems(&c), ["The sight test date 2025-06-02 is in the future."]);
}

#[test]
fn the_claimed_category_must_apply_on_the_test_date() {
    let mut c = gos1();
    c.eligibility = Some(Category::Diabetes);
    let p = Case::adult75().problems(&c);
    assert_eq!(
        p,
        [
            "The claim says \"Has diabetes\", but that does not apply on 2025-05-10 by the patient's facts (age 75); \
          what applies: Aged 60 or over on the test date."
        ]
    );
    let adult = Case { born: d("1990-01-01"), ..Case::adult75() };
    c.eligibility = None;
    c.last_sight_test = Some(LastTest::FirstTest);
    assert_eq!(
        adult.problems(&c),
        ["The patient is not eligible for an NHS sight test on 2025-05-10 (age 35) by the facts recorded."]
    );
    let student = Case { facts: PatientFacts { full_time_education: true, ..Default::default() }, ..adult };
    assert_eq!(
        student.problems(&c),
        ["The patient is not eligible for an NHS sight test on 2025-05-10 (age 35) by the facts recorded: \
          Full-time education counts only under 19; the patient is 35."]
    );
}

#[test]
fn a_test_before_the_interval_needs_a_reason_code() {
    let mut c = gos1();
    c.last_sight_test = Some(LastTest::On(d("2024-05-11")));
    assert_eq!(
        Case::adult75().problems(&c),
        [
            "The last sight test was on 2024-05-11; for this patient (aged 70 or over: 1 year) an NHS test is allowed \
          from 2025-05-11. Enter an early re-test reason code, or test privately."
        ]
    );
    c.early_retest_code = Some(EarlyReason::SymptomsRxChanged);
    assert!(Case::adult75().problems(&c).is_empty());
    c.last_sight_test = Some(LastTest::On(d("2024-05-10")));
    c.early_retest_code = None;
    assert!(Case::adult75().problems(&c).is_empty(), "the day allowed");
}

#[test]
fn a_5x_code_needs_a_written_note() {
    let mut c = gos1();
    c.last_sight_test = Some(LastTest::On(d("2025-01-01")));
    c.early_retest_code = Some(EarlyReason::parse("5.1").unwrap());
    assert_eq!(
        Case::adult75().problems(&c),
        ["Code 5.1 needs a written explanation in the claim's note (at least 10 characters)."]
    );
    c.note = Some("GP asked for an urgent check after a fall".into());
    assert!(Case::adult75().problems(&c).is_empty());
}

#[test]
fn gos4_for_16_and_over_needs_pre_authorisation_and_illness() {
    let mut c = gos3();
    c.form = Form::Gos4;
    let adult = Case {
        born: d("2000-01-01"),
        facts: PatientFacts { certificates: vec![Certificate::Hc2], ..Default::default() },
        ..Case::child10()
    };
    assert_eq!(
        adult.problems(&c),
        [
            "Patients aged 16 or over need NHSBSA pre-authorisation for a repair or replacement: enter its reference.",
            "For patients aged 16 or over, GOS 4 covers only loss or damage caused by illness."
        ]
    );
    c.pre_authorisation = Some("PA-991".into());
    c.loss_or_damage_due_to_illness = true;
    assert!(adult.problems(&c).is_empty());
    let mut child = gos3();
    child.form = Form::Gos4;
    assert!(Case::child10().problems(&child).is_empty(), "under 16 needs neither");
}

#[test]
fn the_voucher_is_capped_at_the_retail_price_and_less_hc3() {
    let mut c = gos3();
    c.retail_price_pence = Some(3000);
    let v = Case::child10().run(&c).value.unwrap();
    assert_eq!(v.total, Pence(3000));
    assert_eq!(v.lines.last().unwrap().what, "Limited to the retail price");

    let hc3 = Case {
        born: d("1990-01-01"),
        facts: PatientFacts {
            certificates: vec![Certificate::Hc3],
            hc3_contribution_pence: Some(1000),
            ..Default::default()
        },
        ..Case::child10()
    };
    let out = hc3.run(&gos3());
    assert_eq!(out.problems, Vec::<String>::new());
    assert_eq!(out.value.unwrap().total, Pence(4170 - 1000));
    let no_amount =
        Case { facts: PatientFacts { certificates: vec![Certificate::Hc3], ..Default::default() }, ..hc3 };
    assert_eq!(
        no_amount.problems(&gos3()),
        ["The patient holds an HC3 certificate: enter the amount on it they must pay."]
    );
}

#[test]
fn a_missing_fee_empties_the_claim_value() {
    let mut c = gos1();
    c.test_date = Some(d("2024-03-10")); // 2023-24: no fee shipped
    c.last_sight_test = Some(LastTest::NotKnown);
    let case = Case { today: d("2024-04-01"), ..Case::adult75() };
    assert_eq!(
        case.problems(&c),
        ["The claim value is empty: value for the NHS sight test fee in 2023-24 not entered yet."]
    );
    let mut dom = gos1();
    dom.form = Form::Gos6;
    let housebound =
        Case { facts: PatientFacts { housebound: true, ..Default::default() }, ..Case::adult75() };
    assert_eq!(
        housebound.problems(&dom),
        ["The claim value is empty: value for the domiciliary sight test fee in 2025-26 not entered yet."]
    );
}

#[test]
fn gos6_is_only_for_housebound_patients() {
    let mut c = gos1();
    c.form = Form::Gos6;
    let p = Case::adult75().problems(&c);
    assert_eq!(
        p[0],
        "GOS 6 is for patients who cannot leave home unaccompanied, and the patient's facts do not say so: use GOS \
         1, or record them as housebound."
    );
}

#[test]
fn missing_patient_numbers_and_dates_are_named() {
    let mut c = gos1();
    c.patient_id = None;
    c.contractor_number = None;
    c.performer_number = Some(" ".into());
    c.test_date = None;
    let out = run(
        &c,
        &Context { today: d("2025-06-01"), born: None, facts: &PatientFacts::default(), values: None },
    );
    assert_eq!(
        out.problems,
        [
            "No patient is linked to the claim.",
            "The contractor (practice) number is missing: set it in the plugin's configuration or on the claim.",
            "The performer's list number is missing.",
            "The sight test date is missing."
        ]
    );
}
