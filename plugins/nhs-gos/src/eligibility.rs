//! Who may have an NHS sight test (GOS 1/6) and who may have a voucher (GOS 3/4), from the facts
//! the practice records about a patient and their age on the test date.
//!
//! [`evaluate`] is a pure function: every category that applies is returned, in the order a
//! practice would usually record it, each with words a practice manager recognises.

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// An income-based benefit that gives entitlement (DOMAIN.md, NHS General Ophthalmic Services).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Benefit {
    /// Income Support.
    IncomeSupport,
    /// Income-based Jobseeker's Allowance.
    IncomeBasedJsa,
    /// Income-related Employment and Support Allowance.
    IncomeRelatedEsa,
    /// Pension Credit Guarantee Credit.
    PensionCreditGuaranteeCredit,
    /// Universal Credit; counts only when [`PatientFacts::universal_credit_within_limits`].
    UniversalCredit,
}

impl Benefit {
    fn words(self) -> &'static str {
        match self {
            Self::IncomeSupport => "gets Income Support",
            Self::IncomeBasedJsa => "gets income-based Jobseeker's Allowance",
            Self::IncomeRelatedEsa => "gets income-related Employment and Support Allowance",
            Self::PensionCreditGuaranteeCredit => "gets Pension Credit Guarantee Credit",
            Self::UniversalCredit => "gets Universal Credit within the NHS earnings limits",
        }
    }
}

/// An NHS certificate the patient holds or is named on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    /// HC2: full help with health costs.
    Hc2,
    /// HC3: partial help; the certificate states what the patient must pay.
    Hc3,
    /// NHS tax credit exemption certificate.
    TaxCreditExemption,
}

/// What the practice records about a patient for GOS (stored per patient; the date of birth
/// comes from ILS, not from here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PatientFacts {
    /// In full-time education (counts aged 16–18).
    pub full_time_education: bool,
    /// Income-based benefits the patient (or partner) gets.
    pub benefits: Vec<Benefit>,
    /// The practice checked that the Universal Credit award is within the NHS earnings limits.
    pub universal_credit_within_limits: bool,
    /// Certificates held (valid on the test date).
    pub certificates: Vec<Certificate>,
    /// HC3: the amount the patient must pay towards glasses, in pence (from the certificate).
    pub hc3_contribution_pence: Option<u32>,
    /// Diagnosed with diabetes.
    pub diabetes: bool,
    /// Diagnosed with glaucoma.
    pub glaucoma: bool,
    /// Advised by an ophthalmologist that they are at risk of glaucoma.
    pub at_risk_of_glaucoma: bool,
    /// A parent, sibling or child has glaucoma.
    pub family_history_of_glaucoma: bool,
    /// Has ocular hypertension (shortens the re-test interval at 40+).
    pub ocular_hypertension: bool,
    /// Registered sight impaired or severely sight impaired.
    pub registered_sight_impaired: bool,
    /// Needs complex lenses (a power of 10.00 D or more in any meridian).
    pub needs_complex_lenses: bool,
    /// A prisoner on leave from prison.
    pub prisoner_on_leave: bool,
    /// Has a binocular vision anomaly (shortens the interval for children).
    pub binocular_vision_anomaly: bool,
    /// Wears a correction for a refractive error (shortens the interval under 7).
    pub corrected_refractive_error: bool,
    /// Myopia that is progressing fast (shortens the interval aged 7–15).
    pub fast_progressing_myopia: bool,
    /// Cannot leave home unaccompanied: tests are domiciliary (GOS 6).
    pub housebound: bool,
    /// Glasses are prescribed through the hospital eye service (voucher band I).
    pub hospital_eye_service: bool,
}

/// Why a patient qualifies. In JSON, its [`Category::code`]: `under_16`, `benefit:income_support`…
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Category {
    /// Under 16 on the test date.
    Under16,
    /// 16, 17 or 18 and in full-time education.
    Under19FullTimeEducation,
    /// 60 or over on the test date.
    Aged60OrOver,
    /// Gets an income-based benefit.
    Benefit(Benefit),
    /// Named on an HC2 certificate.
    Hc2Certificate,
    /// Named on an HC3 certificate (partial help with a voucher only).
    Hc3Certificate,
    /// Named on an NHS tax credit exemption certificate.
    TaxCreditExemptionCertificate,
    /// Diabetes.
    Diabetes,
    /// Glaucoma.
    Glaucoma,
    /// At risk of glaucoma on an ophthalmologist's advice.
    AtRiskOfGlaucoma,
    /// 40 or over with a parent, sibling or child with glaucoma.
    FamilyHistoryOfGlaucoma40OrOver,
    /// Registered sight impaired.
    RegisteredSightImpaired,
    /// Needs complex lenses.
    ComplexLenses,
    /// A prisoner on leave.
    PrisonerOnLeave,
}

const BENEFITS: [Benefit; 5] = [
    Benefit::IncomeSupport,
    Benefit::IncomeBasedJsa,
    Benefit::IncomeRelatedEsa,
    Benefit::PensionCreditGuaranteeCredit,
    Benefit::UniversalCredit,
];

impl Benefit {
    fn code(self) -> &'static str {
        match self {
            Self::IncomeSupport => "income_support",
            Self::IncomeBasedJsa => "income_based_jsa",
            Self::IncomeRelatedEsa => "income_related_esa",
            Self::PensionCreditGuaranteeCredit => "pension_credit_guarantee_credit",
            Self::UniversalCredit => "universal_credit",
        }
    }
}

const PLAIN: [Category; 13] = [
    Category::Under16,
    Category::Under19FullTimeEducation,
    Category::Aged60OrOver,
    Category::Hc2Certificate,
    Category::Hc3Certificate,
    Category::TaxCreditExemptionCertificate,
    Category::Diabetes,
    Category::Glaucoma,
    Category::AtRiskOfGlaucoma,
    Category::FamilyHistoryOfGlaucoma40OrOver,
    Category::RegisteredSightImpaired,
    Category::ComplexLenses,
    Category::PrisonerOnLeave,
];

impl Category {
    /// A stable code: `under_16`, `benefit:universal_credit`, `hc2_certificate`…
    pub fn code(self) -> String {
        let plain = match self {
            Self::Benefit(b) => return format!("benefit:{}", b.code()),
            Self::Under16 => "under_16",
            Self::Under19FullTimeEducation => "under_19_full_time_education",
            Self::Aged60OrOver => "aged_60_or_over",
            Self::Hc2Certificate => "hc2_certificate",
            Self::Hc3Certificate => "hc3_certificate",
            Self::TaxCreditExemptionCertificate => "tax_credit_exemption_certificate",
            Self::Diabetes => "diabetes",
            Self::Glaucoma => "glaucoma",
            Self::AtRiskOfGlaucoma => "at_risk_of_glaucoma",
            Self::FamilyHistoryOfGlaucoma40OrOver => "family_history_of_glaucoma_40_or_over",
            Self::RegisteredSightImpaired => "registered_sight_impaired",
            Self::ComplexLenses => "complex_lenses",
            Self::PrisonerOnLeave => "prisoner_on_leave",
        };
        plain.to_string()
    }

    /// The category with `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        if let Some(b) = code.strip_prefix("benefit:") {
            return BENEFITS.into_iter().find(|x| x.code() == b).map(Self::Benefit);
        }
        PLAIN.into_iter().find(|c| c.code() == code)
    }

    /// The category in a practice manager's words.
    pub fn words(self) -> String {
        match self {
            Self::Under16 => "Under 16 on the test date".into(),
            Self::Under19FullTimeEducation => "Aged 16, 17 or 18 and in full-time education".into(),
            Self::Aged60OrOver => "Aged 60 or over on the test date".into(),
            Self::Benefit(b) => format!("Patient {}", b.words()),
            Self::Hc2Certificate => "Named on an HC2 certificate (full help with health costs)".into(),
            Self::Hc3Certificate => {
                "Named on an HC3 certificate (partial help: the patient pays the amount on the certificate)"
                    .into()
            }
            Self::TaxCreditExemptionCertificate => "Named on an NHS tax credit exemption certificate".into(),
            Self::Diabetes => "Has diabetes".into(),
            Self::Glaucoma => "Has glaucoma".into(),
            Self::AtRiskOfGlaucoma => {
                "Advised by an ophthalmologist that they are at risk of glaucoma".into()
            }
            Self::FamilyHistoryOfGlaucoma40OrOver => {
                "Aged 40 or over with a parent, brother, sister or child who has glaucoma".into()
            }
            Self::RegisteredSightImpaired => "Registered sight impaired or severely sight impaired".into(),
            Self::ComplexLenses => "Needs complex lenses (10.00 D or more in any meridian)".into(),
            Self::PrisonerOnLeave => "A prisoner on leave from prison".into(),
        }
    }
}

/// One category that applies, with its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The category.
    pub category: Category,
    /// What it means, for the practice.
    pub words: String,
}

/// The answer for one kind of help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether any category applies.
    pub eligible: bool,
    /// Help is partial (HC3 only): the patient pays [`Decision::patient_pays_pence`].
    pub partial: bool,
    /// What the patient pays towards a voucher (HC3), in pence.
    pub patient_pays_pence: Option<u32>,
    /// Every category that applies; the first is the one to record on the form.
    pub reasons: Vec<Reason>,
    /// Anything the practice should know (such as facts that did not count).
    pub notes: Vec<String>,
}

/// Sight test and voucher eligibility on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// The date it was decided for.
    pub on: Date,
    /// The patient's age on that date.
    pub age: u32,
    /// An NHS sight test (GOS 1, or GOS 6 at home).
    pub sight_test: Decision,
    /// A voucher towards glasses or contact lenses (GOS 3, repairs GOS 4).
    pub voucher: Decision,
}

/// Why eligibility could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EligibilityError {
    /// The test date is before the date of birth.
    #[error("the test date {on} is before the patient's date of birth {born}")]
    BeforeBirth {
        /// Date of birth.
        born: Date,
        /// Test date.
        on: Date,
    },
}

impl TryFrom<String> for Category {
    type Error = String;
    fn try_from(code: String) -> Result<Self, String> {
        Self::from_code(&code).ok_or_else(|| format!("unknown eligibility category {code:?}"))
    }
}

impl From<Category> for String {
    fn from(c: Category) -> String {
        c.code()
    }
}

fn reason(category: Category) -> Reason {
    Reason { category, words: category.words() }
}

/// Decides sight-test and voucher eligibility for a patient born `born`, tested `on`.
pub fn evaluate(facts: &PatientFacts, born: Date, on: Date) -> Result<Eligibility, EligibilityError> {
    let age = born.age_on(on).ok_or(EligibilityError::BeforeBirth { born, on })?;
    let mut both = Vec::new();
    let mut test_only = Vec::new();
    let mut notes = Vec::new();

    if age < 16 {
        both.push(Category::Under16);
    } else if age < 19 && facts.full_time_education {
        both.push(Category::Under19FullTimeEducation);
    } else if facts.full_time_education {
        notes.push(format!("Full-time education counts only under 19; the patient is {age}."));
    }
    if age >= 60 {
        test_only.push(Category::Aged60OrOver);
    }
    let mut benefits = facts.benefits.clone();
    benefits.sort();
    benefits.dedup();
    for b in benefits {
        if b == Benefit::UniversalCredit && !facts.universal_credit_within_limits {
            notes.push(
                "Universal Credit counts only within the NHS earnings limits; confirm them and tick \
                 'within limits' in the patient's GOS facts."
                    .into(),
            );
            continue;
        }
        both.push(Category::Benefit(b));
    }
    if facts.certificates.contains(&Certificate::Hc2) {
        both.push(Category::Hc2Certificate);
    }
    // DOMAIN.md lists the tax credit exemption certificate for sight tests only; NHS rules (NHSBSA
    // "help with optical costs") give it vouchers too, so it is counted for both (see README).
    if facts.certificates.contains(&Certificate::TaxCreditExemption) {
        both.push(Category::TaxCreditExemptionCertificate);
    }
    if facts.diabetes {
        test_only.push(Category::Diabetes);
    }
    if facts.glaucoma {
        test_only.push(Category::Glaucoma);
    }
    if facts.at_risk_of_glaucoma {
        test_only.push(Category::AtRiskOfGlaucoma);
    }
    if facts.family_history_of_glaucoma {
        if age >= 40 {
            test_only.push(Category::FamilyHistoryOfGlaucoma40OrOver);
        } else {
            notes.push(format!("A family history of glaucoma counts from age 40; the patient is {age}."));
        }
    }
    if facts.registered_sight_impaired {
        test_only.push(Category::RegisteredSightImpaired);
    }
    if facts.needs_complex_lenses {
        both.push(Category::ComplexLenses);
    }
    if facts.prisoner_on_leave {
        both.push(Category::PrisonerOnLeave);
    }

    let mut test: Vec<Category> = both.iter().chain(&test_only).copied().collect();
    test.sort();
    let mut voucher = both;
    voucher.sort();

    let hc3 = facts.certificates.contains(&Certificate::Hc3);
    let mut voucher_notes = notes.clone();
    let voucher_partial = voucher.is_empty() && hc3;
    if voucher_partial {
        voucher.push(Category::Hc3Certificate);
        if facts.hc3_contribution_pence.is_none() {
            voucher_notes.push("Enter the amount on the HC3 certificate the patient must pay.".into());
        }
    }
    let mut test_notes = notes;
    if test.is_empty() && hc3 {
        test_notes.push(
            "HC3 does not give a free NHS sight test; the patient may claim part of a private test's \
             cost on GOS 5."
                .into(),
        );
    }
    let only_complex = voucher == [Category::ComplexLenses];
    if only_complex {
        voucher_notes.push(
            "Complex lenses alone give a complex-lens voucher (bands C/D/G/H lenses only), at the \
             complex-lens values."
                .into(),
        );
    }

    Ok(Eligibility {
        on,
        age,
        sight_test: Decision {
            eligible: !test.is_empty(),
            partial: false,
            patient_pays_pence: None,
            reasons: test.into_iter().map(reason).collect(),
            notes: test_notes,
        },
        voucher: Decision {
            eligible: !voucher.is_empty(),
            partial: voucher_partial,
            patient_pays_pence: if voucher_partial { facts.hc3_contribution_pence } else { None },
            reasons: voucher.into_iter().map(reason).collect(),
            notes: voucher_notes,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    const ADULT: &str = "1985-05-10"; // 40 on the test date below
    const ON: &str = "2025-06-01";

    fn check(facts: PatientFacts, born: &str) -> Eligibility {
        evaluate(&facts, d(born), d(ON)).unwrap()
    }

    fn test_cats(e: &Eligibility) -> Vec<Category> {
        e.sight_test.reasons.iter().map(|r| r.category).collect()
    }

    fn voucher_cats(e: &Eligibility) -> Vec<Category> {
        e.voucher.reasons.iter().map(|r| r.category).collect()
    }

    #[test]
    fn an_adult_with_no_facts_gets_nothing() {
        let e = check(PatientFacts::default(), "1990-01-01");
        assert_eq!((e.age, e.sight_test.eligible, e.voucher.eligible), (35, false, false));
    }

    #[test]
    fn under_16_is_judged_on_the_test_date_birthday_included() {
        let e = check(PatientFacts::default(), "2009-06-02");
        assert_eq!(e.age, 15);
        assert_eq!(test_cats(&e), [Category::Under16]);
        assert_eq!(voucher_cats(&e), [Category::Under16]);
        assert_eq!(e.sight_test.reasons[0].words, "Under 16 on the test date");
        let e = check(PatientFacts::default(), "2009-06-01");
        assert_eq!((e.age, e.sight_test.eligible), (16, false));
    }

    #[test]
    fn a_29_february_birthday_is_the_29th_in_leap_years_and_1_march_otherwise() {
        let facts = PatientFacts::default();
        // 16th birthdays of leap-day children fall in leap years: on the 29th itself.
        let born = d("2008-02-29");
        assert_eq!(test_cats(&evaluate(&facts, born, d("2024-02-28")).unwrap()), [Category::Under16]);
        assert!(!evaluate(&facts, born, d("2024-02-29")).unwrap().sight_test.eligible);
        // …except across 2100, which is not a leap year: 16 on 1 March 2100.
        let born = d("2084-02-29");
        assert!(evaluate(&facts, born, d("2100-02-28")).unwrap().sight_test.eligible);
        assert!(!evaluate(&facts, born, d("2100-03-01")).unwrap().sight_test.eligible);
        // The 19th birthday (full-time education) falls in a common year: 1 March.
        let fte = PatientFacts { full_time_education: true, ..PatientFacts::default() };
        let born = d("2008-02-29");
        let eve = evaluate(&fte, born, d("2027-02-28")).unwrap();
        assert_eq!((eve.age, test_cats(&eve)), (18, vec![Category::Under19FullTimeEducation]));
        let day = evaluate(&fte, born, d("2027-03-01")).unwrap();
        assert_eq!((day.age, day.sight_test.eligible), (19, false));
    }

    #[test]
    fn full_time_education_counts_from_16_to_18_only() {
        let fte = PatientFacts { full_time_education: true, ..PatientFacts::default() };
        let e = check(fte.clone(), "2006-06-02"); // 18
        assert_eq!(test_cats(&e), [Category::Under19FullTimeEducation]);
        assert_eq!(voucher_cats(&e), [Category::Under19FullTimeEducation]);
        let e = check(fte, "2006-06-01"); // 19 today
        assert!(!e.sight_test.eligible);
        assert!(e.sight_test.notes[0].contains("under 19"), "{:?}", e.sight_test.notes);
    }

    #[test]
    fn sixty_or_over_gets_a_test_but_no_voucher() {
        let e = check(PatientFacts::default(), "1965-06-01");
        assert_eq!(test_cats(&e), [Category::Aged60OrOver]);
        assert!(!e.voucher.eligible);
        let e = check(PatientFacts::default(), "1965-06-02");
        assert_eq!(e.age, 59);
        assert!(!e.sight_test.eligible);
    }

    #[test]
    fn each_income_based_benefit_gives_both() {
        for b in [
            Benefit::IncomeSupport,
            Benefit::IncomeBasedJsa,
            Benefit::IncomeRelatedEsa,
            Benefit::PensionCreditGuaranteeCredit,
        ] {
            let e = check(PatientFacts { benefits: vec![b], ..PatientFacts::default() }, ADULT);
            assert_eq!(test_cats(&e), [Category::Benefit(b)]);
            assert_eq!(voucher_cats(&e), [Category::Benefit(b)]);
        }
    }

    #[test]
    fn universal_credit_counts_only_within_the_limits() {
        let uc = PatientFacts { benefits: vec![Benefit::UniversalCredit], ..PatientFacts::default() };
        let e = check(uc.clone(), ADULT);
        assert!(!e.sight_test.eligible && !e.voucher.eligible);
        assert!(e.sight_test.notes[0].contains("earnings limits"));
        let e = check(PatientFacts { universal_credit_within_limits: true, ..uc }, ADULT);
        assert_eq!(voucher_cats(&e), [Category::Benefit(Benefit::UniversalCredit)]);
        assert_eq!(
            e.voucher.reasons[0].words,
            "Patient gets Universal Credit within the NHS earnings limits"
        );
    }

    #[test]
    fn hc2_gives_both() {
        let e =
            check(PatientFacts { certificates: vec![Certificate::Hc2], ..PatientFacts::default() }, ADULT);
        assert_eq!(test_cats(&e), [Category::Hc2Certificate]);
        assert_eq!(voucher_cats(&e), [Category::Hc2Certificate]);
    }

    #[test]
    fn hc3_gives_a_partial_voucher_and_no_free_test() {
        let facts = PatientFacts {
            certificates: vec![Certificate::Hc3],
            hc3_contribution_pence: Some(2500),
            ..PatientFacts::default()
        };
        let e = check(facts, ADULT);
        assert!(!e.sight_test.eligible);
        assert!(e.sight_test.notes.iter().any(|n| n.contains("GOS 5")));
        assert_eq!(voucher_cats(&e), [Category::Hc3Certificate]);
        assert!(e.voucher.partial);
        assert_eq!(e.voucher.patient_pays_pence, Some(2500));
    }

    #[test]
    fn hc3_is_not_partial_when_a_full_category_applies() {
        let facts = PatientFacts {
            certificates: vec![Certificate::Hc3, Certificate::Hc2],
            ..PatientFacts::default()
        };
        let e = check(facts, ADULT);
        assert!(!e.voucher.partial);
        assert_eq!(voucher_cats(&e), [Category::Hc2Certificate]);
    }

    #[test]
    fn tax_credit_exemption_gives_both() {
        let facts =
            PatientFacts { certificates: vec![Certificate::TaxCreditExemption], ..PatientFacts::default() };
        let e = check(facts, ADULT);
        assert_eq!(test_cats(&e), [Category::TaxCreditExemptionCertificate]);
        assert_eq!(voucher_cats(&e), [Category::TaxCreditExemptionCertificate]);
    }

    #[test]
    fn each_condition_gives_a_test_only() {
        type Setter = fn(&mut PatientFacts);
        let cases: [(Setter, Category); 4] = [
            (|f| f.diabetes = true, Category::Diabetes),
            (|f| f.glaucoma = true, Category::Glaucoma),
            (|f| f.at_risk_of_glaucoma = true, Category::AtRiskOfGlaucoma),
            (|f| f.registered_sight_impaired = true, Category::RegisteredSightImpaired),
        ];
        for (set, category) in cases {
            let mut facts = PatientFacts::default();
            set(&mut facts);
            let e = check(facts, "1990-01-01");
            assert_eq!(test_cats(&e), [category]);
            assert!(!e.voucher.eligible, "{category:?} gives no voucher");
        }
    }

    #[test]
    fn family_history_counts_from_40() {
        let facts = PatientFacts { family_history_of_glaucoma: true, ..PatientFacts::default() };
        let e = check(facts.clone(), "1985-06-01");
        assert_eq!((e.age, test_cats(&e)), (40, vec![Category::FamilyHistoryOfGlaucoma40OrOver]));
        let e = check(facts, "1985-06-02");
        assert_eq!(e.age, 39);
        assert!(!e.sight_test.eligible);
        assert!(e.sight_test.notes[0].contains("from age 40"));
    }

    #[test]
    fn complex_lenses_give_both_with_a_note_on_the_voucher() {
        let e = check(PatientFacts { needs_complex_lenses: true, ..PatientFacts::default() }, ADULT);
        assert_eq!(test_cats(&e), [Category::ComplexLenses]);
        assert_eq!(voucher_cats(&e), [Category::ComplexLenses]);
        assert!(e.voucher.notes[0].contains("complex-lens voucher"));
    }

    #[test]
    fn a_prisoner_on_leave_gets_both() {
        let e = check(PatientFacts { prisoner_on_leave: true, ..PatientFacts::default() }, ADULT);
        assert_eq!(test_cats(&e), [Category::PrisonerOnLeave]);
        assert_eq!(voucher_cats(&e), [Category::PrisonerOnLeave]);
    }

    #[test]
    fn every_category_that_applies_is_listed_in_form_order() {
        let facts = PatientFacts {
            diabetes: true,
            certificates: vec![Certificate::Hc2],
            benefits: vec![Benefit::IncomeSupport, Benefit::IncomeSupport],
            ..PatientFacts::default()
        };
        let e = check(facts, "1950-01-01");
        assert_eq!(
            test_cats(&e),
            [
                Category::Aged60OrOver,
                Category::Benefit(Benefit::IncomeSupport),
                Category::Hc2Certificate,
                Category::Diabetes
            ]
        );
        assert_eq!(voucher_cats(&e), [Category::Benefit(Benefit::IncomeSupport), Category::Hc2Certificate]);
    }

    #[test]
    fn category_codes_round_trip() {
        for c in PLAIN.into_iter().chain(BENEFITS.map(Category::Benefit)) {
            assert_eq!(Category::from_code(&c.code()), Some(c));
        }
        assert_eq!(
            serde_json::to_string(&Category::Benefit(Benefit::IncomeBasedJsa)).unwrap(),
            r#""benefit:income_based_jsa""#
        );
        assert!(serde_json::from_str::<Category>(r#""over_9000""#).is_err());
    }

    #[test]
    fn a_test_date_before_birth_is_refused() {
        let err = evaluate(&PatientFacts::default(), d("2025-07-01"), d(ON)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the test date 2025-06-01 is before the patient's date of birth 2025-07-01"
        );
    }
}
