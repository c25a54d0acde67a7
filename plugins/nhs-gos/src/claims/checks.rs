//! Pre-submission checks: each of the common rejection reasons in DOMAIN.md, the three-month
//! window, eligibility, the re-test interval and the claim's value, each failure explained in
//! plain words. [`run`] is pure: the caller gathers the patient's date of birth, facts and the
//! year's values.

use crate::band;
use crate::claims::{ClaimFields, ClaimValue, Form, LastTest, Signer};
use crate::date::Date;
use crate::eligibility::{self, Category, PatientFacts};
use crate::interval;
use crate::values::{self, Item, Line, Pence, ValueTable};

/// What the checks need besides the claim.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The submission date (today).
    pub today: Date,
    /// The patient's date of birth (from ILS), when a patient is linked.
    pub born: Option<Date>,
    /// The patient's GOS facts (empty when none were recorded).
    pub facts: &'a PatientFacts,
    /// The values of the financial year of the service date.
    pub values: Option<&'a ValueTable>,
}

/// What the checks found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Every problem, in plain words; empty when the claim may go.
    pub problems: Vec<String>,
    /// The eligibility category to record (the claim's own, or the first that applies).
    pub eligibility: Option<Category>,
    /// The claim's value, when it could be worked out.
    pub value: Option<ClaimValue>,
}

/// The last day a claim for a service on `service` may be submitted: three calendar months
/// later, a day the month lacks becoming its last day (30 November → 28 February).
pub fn last_day_to_submit(service: Date) -> Option<Date> {
    service.add_months_not_after(3)
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// Runs every check on a claim.
pub fn run(claim: &ClaimFields, ctx: &Context<'_>) -> Outcome {
    let mut out = Outcome::default();
    let p = &mut out.problems;
    let form = claim.form.name();

    if claim.patient_id.is_none() {
        p.push("No patient is linked to the claim.".into());
    }
    if blank(&claim.contractor_number) {
        p.push("The contractor (practice) number is missing: set it in the plugin's configuration or on the claim.".into());
    }
    signatures(claim, p);

    let service = claim.service_date();
    match service {
        None if claim.form.is_sight_test() => p.push("The sight test date is missing.".into()),
        None => p.push("The date the glasses were supplied (or repaired) is missing.".into()),
        Some(date) if date > ctx.today => p.push(format!("The {} date {date} is in the future.", service_word(claim.form))),
        Some(date) => match last_day_to_submit(date) {
            Some(last) if ctx.today > last => p.push(format!(
                "{form} claims must be submitted within 3 months: the {} was on {date}, so the last day was {last}.",
                service_word(claim.form)
            )),
            _ => {}
        },
    }

    // Eligibility on the service date.
    let judged = match (ctx.born, service) {
        (Some(born), Some(on)) => match eligibility::evaluate(ctx.facts, born, on) {
            Ok(e) => Some(e),
            Err(e) => {
                p.push(format!("Eligibility cannot be decided: {e}."));
                None
            }
        },
        (None, _) if claim.patient_id.is_some() => {
            p.push("The patient's date of birth could not be read from ILS.".into());
            None
        }
        _ => None,
    };
    if let Some(e) = &judged {
        let decision = if claim.form.is_sight_test() { &e.sight_test } else { &e.voucher };
        let applies: Vec<Category> = decision.reasons.iter().map(|r| r.category).collect();
        match claim.eligibility {
            Some(c) if applies.contains(&c) => out.eligibility = Some(c),
            Some(c) => p.push(format!(
                "The claim says \"{}\", but that does not apply on {} by the patient's facts (age {}){}.",
                c.words(),
                e.on,
                e.age,
                if applies.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; what applies: {}",
                        applies.iter().map(|c| c.words()).collect::<Vec<_>>().join("; ")
                    )
                }
            )),
            None if applies.is_empty() => {
                let what = if claim.form.is_sight_test() { "an NHS sight test" } else { "a voucher" };
                let mut m = format!(
                    "The patient is not eligible for {what} on {} (age {}) by the facts recorded",
                    e.on, e.age
                );
                if decision.notes.is_empty() {
                    m.push('.');
                } else {
                    m.push_str(": ");
                    m.push_str(&decision.notes.join(" "));
                }
                p.push(m);
            }
            None => out.eligibility = applies.first().copied(),
        }
    }

    if claim.form == Form::Gos6 && !ctx.facts.housebound && claim.patient_id.is_some() {
        out.problems.push(
            "GOS 6 is for patients who cannot leave home unaccompanied, and the patient's facts do not say so: \
             use GOS 1, or record them as housebound."
                .into(),
        );
    }
    if claim.form.is_sight_test() {
        sight_test(claim, ctx, judged.as_ref().map(|e| e.age), &mut out);
    } else {
        voucher(claim, ctx, judged.as_ref(), &mut out);
    }
    out
}

fn service_word(form: Form) -> &'static str {
    if form.is_sight_test() { "sight test" } else { "supply" }
}

fn signatures(claim: &ClaimFields, p: &mut Vec<String>) {
    let s = &claim.signatures;
    match &s.patient {
        None => p.push("The patient (or a parent, guardian or carer) has not signed.".into()),
        Some(sig) => {
            if sig.by != Signer::Patient && blank(&sig.printed_name) {
                let who = if sig.by == Signer::ParentGuardian { "A parent or guardian" } else { "A carer" };
                p.push(format!("{who} signed for the patient without printing their name."));
            }
            if sig.date.is_none() {
                p.push("The patient's signature is not dated.".into());
            }
        }
    }
    if claim.form.is_sight_test() {
        match &s.performer {
            None => p.push("The performer (the optometrist or OMP who did the test) has not signed.".into()),
            Some(sig) if sig.date.is_none() => p.push("The performer's signature is not dated.".into()),
            Some(_) => {}
        }
        if blank(&claim.performer_number) {
            p.push("The performer's list number is missing.".into());
        }
    }
    match &s.contractor {
        None if claim.contractor_is_performer && s.performer.is_some() => p.push(
            "You are both the contractor and the performer but signed only as performer: sign the contractor's \
             declaration as well."
                .into(),
        ),
        None => p.push("The contractor has not signed.".into()),
        Some(sig) if sig.date.is_none() => p.push("The contractor's signature is not dated.".into()),
        Some(_) => {}
    }
}

fn sight_test(claim: &ClaimFields, ctx: &Context<'_>, age: Option<u32>, out: &mut Outcome) {
    let p = &mut out.problems;
    match claim.last_sight_test {
        None => p.push(
            "The date of the last sight test is blank: enter it, or mark it as the first test or not known."
                .into(),
        ),
        Some(LastTest::On(last)) => {
            if let (Some(age), Some(on)) = (age, claim.test_date) {
                if last >= on {
                    p.push(format!("The last sight test ({last}) is not before this one ({on})."));
                } else {
                    let check = interval::check_retest(ctx.facts, age, Some(last), on);
                    if !check.due && claim.early_retest_code.is_none() {
                        p.push(format!(
                            "The last sight test was on {last}; for this patient ({}) an NHS test is allowed from {}. \
                             Enter an early re-test reason code, or test privately.",
                            check.interval.why,
                            check.allowed_from.map(|d| d.to_string()).unwrap_or_else(|| "later".into())
                        ));
                    }
                }
            }
        }
        Some(LastTest::FirstTest | LastTest::NotKnown) => {}
    }
    if let Some(code) = claim.early_retest_code
        && code.needs_note()
        && claim.note.as_deref().is_none_or(|n| n.trim().chars().count() < 10)
    {
        p.push(format!(
            "Code {code} needs a written explanation in the claim's note (at least 10 characters)."
        ));
    }
    let item = if claim.form == Form::Gos6 { Item::DomiciliarySightTestFee } else { Item::SightTestFee };
    if let Some(table) = ctx.values {
        match table.get(item) {
            Ok(fee) => {
                out.value = Some(ClaimValue {
                    year: table.year.clone(),
                    lines: vec![Line::new(capitalise(&item.words()), fee)],
                    total: fee,
                })
            }
            Err(m) => p.push(format!("The claim value is empty: {}.", m.message)),
        }
    }
}

fn voucher(
    claim: &ClaimFields,
    ctx: &Context<'_>,
    judged: Option<&eligibility::Eligibility>,
    out: &mut Outcome,
) {
    let p = &mut out.problems;
    match (claim.prescription_date, claim.supply_date) {
        (None, _) => p.push("The prescription date is missing.".into()),
        (Some(rx), Some(supply)) if rx > supply => {
            p.push(format!("The prescription date {rx} is after the supply date {supply}."))
        }
        _ => {}
    }
    if claim.form == Form::Gos4
        && let Some(e) = judged
        && e.age >= 16
    {
        if blank(&claim.pre_authorisation) {
            p.push(
                "Patients aged 16 or over need NHSBSA pre-authorisation for a repair or replacement: enter its \
                 reference."
                    .into(),
            );
        }
        if !claim.loss_or_damage_due_to_illness {
            p.push(
                "For patients aged 16 or over, GOS 4 covers only loss or damage caused by illness.".into(),
            );
        }
    }
    let Some(glasses) = &claim.glasses else {
        p.push("The prescription's powers are missing, so the voucher band cannot be worked out.".into());
        return;
    };
    let retail = match claim.retail_price_pence {
        None => {
            p.push("The retail price box is empty.".into());
            None
        }
        Some(r) => Some(r),
    };
    let Some(table) = ctx.values else { return };
    let band = band::calculate(glasses);
    let complex_only = judged.is_some_and(|e| {
        e.voucher.reasons.len() == 1 && e.voucher.reasons[0].category == Category::ComplexLenses
    });
    let pays = judged.and_then(|e| e.voucher.patient_pays_pence);
    if judged.is_some_and(|e| e.voucher.partial) && pays.is_none() {
        p.push("The patient holds an HC3 certificate: enter the amount on it they must pay.".into());
    }
    match values::voucher_value(table, &band, complex_only, pays) {
        Err(missing) => {
            for m in missing {
                p.push(format!("The claim value is empty: {}.", m.message));
            }
        }
        Ok(v) => {
            let mut lines = v.lines;
            if v.patient_pays.0 > 0 {
                lines.push(Line::new("Less HC3 contribution", v.patient_pays));
            }
            let total = match retail {
                Some(r) if r < v.total.0 => {
                    lines.push(Line::new("Limited to the retail price", Pence(r)));
                    Pence(r)
                }
                _ => v.total,
            };
            out.value = Some(ClaimValue { year: table.year.clone(), lines, total });
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
