//! GOS claims: what a claim holds, its status cycle, its pre-submission checks ([`checks`]),
//! its storage in kv ([`store`]), its routes ([`routes`]) and the monthly summary ([`summary`]).
//!
//! Status cycle: `draft → ready → submitted → accepted → paid`, or `submitted → rejected →
//! draft` (edit and resubmit); `ready → draft` to edit again. Only a draft can be edited or
//! deleted. Moving to `ready` or `submitted` runs every check; any failure refuses the move
//! and lists each problem in plain words.

pub mod checks;
pub mod page;
pub mod prefill;
pub mod routes;
pub mod store;
pub mod summary;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::band::BandRequest;
use crate::date::Date;
use crate::eligibility::Category;
use crate::facts::PatientId;
use crate::interval::EarlyReason;
use crate::values::{Line, Pence};

/// A claim's id (`c000042`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClaimId(String);

impl ClaimId {
    /// The id for sequence number `n`.
    pub fn from_seq(n: u64) -> Self {
        Self(format!("c{n:06}"))
    }

    /// Parses an id from a route (`c` and digits only).
    pub fn parse(s: &str) -> Option<Self> {
        let digits = s.strip_prefix('c')?;
        (!digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(s.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClaimId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The GOS form a claim is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// NHS sight test.
    Gos1,
    /// Voucher for glasses or contact lenses.
    Gos3,
    /// Repair or replacement.
    Gos4,
    /// Domiciliary sight test.
    Gos6,
}

impl Form {
    /// Every form the plugin claims.
    pub const ALL: [Form; 4] = [Form::Gos1, Form::Gos3, Form::Gos4, Form::Gos6];

    /// Whether it claims a sight test (GOS 1, GOS 6).
    pub fn is_sight_test(self) -> bool {
        matches!(self, Form::Gos1 | Form::Gos6)
    }

    /// `GOS 1` …
    pub fn name(self) -> &'static str {
        match self {
            Form::Gos1 => "GOS 1",
            Form::Gos3 => "GOS 3",
            Form::Gos4 => "GOS 4",
            Form::Gos6 => "GOS 6",
        }
    }

    /// `gos1` …
    pub fn code(self) -> &'static str {
        match self {
            Form::Gos1 => "gos1",
            Form::Gos3 => "gos3",
            Form::Gos4 => "gos4",
            Form::Gos6 => "gos6",
        }
    }
}

/// Where a claim is in its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being filled in; editable.
    Draft,
    /// Passed every check; waiting to be submitted.
    Ready,
    /// Sent to NHSBSA.
    Submitted,
    /// Accepted by NHSBSA.
    Accepted,
    /// Rejected by NHSBSA; move back to draft to correct and resubmit.
    Rejected,
    /// Paid.
    Paid,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 6] =
        [Status::Draft, Status::Ready, Status::Submitted, Status::Accepted, Status::Rejected, Status::Paid];

    /// Whether the cycle allows moving to `to`.
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Draft, Ready)
                | (Ready, Draft)
                | (Ready, Submitted)
                | (Submitted, Accepted)
                | (Submitted, Rejected)
                | (Accepted, Paid)
                | (Rejected, Draft)
        )
    }

    /// Where it may go next.
    pub fn next(self) -> Vec<Status> {
        Status::ALL.into_iter().filter(|s| self.can_move_to(*s)).collect()
    }

    /// `draft` …
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Ready => "ready",
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Paid => "paid",
        }
    }
}

/// The "date of last sight test" box: a date, or one of the two ticks the form allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastTest {
    /// The date of the last test (NHS or private).
    On(Date),
    /// This is the patient's first sight test.
    FirstTest,
    /// The patient does not know.
    NotKnown,
}

impl LastTest {
    /// The date, when known.
    pub fn date(self) -> Option<Date> {
        match self {
            LastTest::On(d) => Some(d),
            _ => None,
        }
    }
}

impl Serialize for LastTest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LastTest::On(d) => d.serialize(s),
            LastTest::FirstTest => s.serialize_str("first_test"),
            LastTest::NotKnown => s.serialize_str("not_known"),
        }
    }
}

impl<'de> Deserialize<'de> for LastTest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.as_str() {
            "first_test" => Ok(LastTest::FirstTest),
            "not_known" => Ok(LastTest::NotKnown),
            other => Date::parse(other).map(LastTest::On).map_err(|_| {
                serde::de::Error::custom(
                    "last_sight_test is a date (YYYY-MM-DD), \"first_test\" or \"not_known\"",
                )
            }),
        }
    }
}

/// Who signed the patient's part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signer {
    /// The patient.
    Patient,
    /// A parent or guardian (must print their name).
    ParentGuardian,
    /// A carer or other person signing for the patient (must print their name).
    Carer,
}

/// The patient's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientSignature {
    /// Who signed.
    pub by: Signer,
    /// The printed name (required when someone signs for the patient).
    #[serde(default)]
    pub printed_name: Option<String>,
    /// The date signed.
    #[serde(default)]
    pub date: Option<Date>,
}

/// A performer's or contractor's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSignature {
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// The date signed.
    #[serde(default)]
    pub date: Option<Date>,
}

/// The form's signatures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Signatures {
    /// The patient's part.
    pub patient: Option<PatientSignature>,
    /// The performer (the optometrist or OMP who tested; GOS 1/6).
    pub performer: Option<StaffSignature>,
    /// The contractor (the practice).
    pub contractor: Option<StaffSignature>,
}

/// What a user fills in (and edits while the claim is a draft).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimFields {
    /// The form.
    pub form: Form,
    /// The patient (ILS id).
    #[serde(default)]
    pub patient_id: Option<PatientId>,
    /// The examination it comes from (GOS 1/6).
    #[serde(default)]
    pub examination_id: Option<String>,
    /// The order it comes from (GOS 3/4).
    #[serde(default)]
    pub order_id: Option<String>,
    /// The eligibility category claimed; filled from the patient's facts when left empty.
    #[serde(default)]
    pub eligibility: Option<Category>,
    /// The sight test date (GOS 1/6).
    #[serde(default)]
    pub test_date: Option<Date>,
    /// The last sight test (GOS 1/6).
    #[serde(default)]
    pub last_sight_test: Option<LastTest>,
    /// Reason code for a test earlier than the minimum interval.
    #[serde(default)]
    pub early_retest_code: Option<EarlyReason>,
    /// Free text kept with the claim (required with a 5.x code).
    #[serde(default)]
    pub note: Option<String>,
    /// The performer's list number (defaults from the configuration).
    #[serde(default)]
    pub performer_number: Option<String>,
    /// The contractor's number (defaults from the configuration).
    #[serde(default)]
    pub contractor_number: Option<String>,
    /// The contractor is also the performer (must sign both parts).
    #[serde(default)]
    pub contractor_is_performer: bool,
    /// The ILS prescription the glasses were made to (GOS 3/4): its issue date, and its powers
    /// when the order gives none, fill the claim.
    #[serde(default)]
    pub prescription_id: Option<String>,
    /// The prescription's date (GOS 3/4).
    #[serde(default)]
    pub prescription_date: Option<Date>,
    /// The prescription, lens type and supplements (GOS 3/4).
    #[serde(default)]
    pub glasses: Option<BandRequest>,
    /// The date the glasses were supplied or repaired (GOS 3/4).
    #[serde(default)]
    pub supply_date: Option<Date>,
    /// The retail price of what was supplied, in pence (GOS 3/4).
    #[serde(default)]
    pub retail_price_pence: Option<u32>,
    /// NHSBSA pre-authorisation reference (GOS 4, patient 16+).
    #[serde(default)]
    pub pre_authorisation: Option<String>,
    /// The loss or damage follows from illness (GOS 4, patient 16+).
    #[serde(default)]
    pub loss_or_damage_due_to_illness: bool,
    /// Signatures.
    #[serde(default)]
    pub signatures: Signatures,
}

impl ClaimFields {
    /// An empty claim on `form`.
    pub fn new(form: Form) -> Self {
        Self {
            form,
            patient_id: None,
            examination_id: None,
            order_id: None,
            eligibility: None,
            test_date: None,
            last_sight_test: None,
            early_retest_code: None,
            note: None,
            performer_number: None,
            contractor_number: None,
            contractor_is_performer: false,
            prescription_id: None,
            prescription_date: None,
            glasses: None,
            supply_date: None,
            retail_price_pence: None,
            pre_authorisation: None,
            loss_or_damage_due_to_illness: false,
            signatures: Signatures::default(),
        }
    }

    /// The date the service was given: the sight test (GOS 1/6) or the supply (GOS 3/4). The
    /// three-month window and the financial year run from it.
    pub fn service_date(&self) -> Option<Date> {
        if self.form.is_sight_test() { self.test_date } else { self.supply_date }
    }
}

/// What the claim is worth, worked out when it became ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimValue {
    /// The financial year whose values were used.
    pub year: String,
    /// Each line.
    pub lines: Vec<Line>,
    /// The total claimed.
    pub total: Pence,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// From.
    pub from: Status,
    /// To.
    pub to: Status,
    /// When.
    pub on: Date,
    /// Who (user id, or `event:<id>`).
    pub by: String,
    /// Why (a rejection reason, a payment note).
    #[serde(default)]
    pub note: Option<String>,
}

/// A claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Its id.
    pub id: ClaimId,
    /// Its status.
    pub status: Status,
    /// What was filled in.
    pub fields: ClaimFields,
    /// When it was created.
    pub created_on: Date,
    /// Which event proposed it, if one did (`examination.finalised:<event id>`).
    #[serde(default)]
    pub proposed_by: Option<String>,
    /// Why it was proposed, and what is still needed.
    #[serde(default)]
    pub proposal_note: Option<String>,
    /// Its value, once ready.
    #[serde(default)]
    pub value: Option<ClaimValue>,
    /// When it was (last) submitted.
    #[serde(default)]
    pub submitted_on: Option<Date>,
    /// The last rejection's reason.
    #[serde(default)]
    pub rejection_reason: Option<String>,
    /// What was paid.
    #[serde(default)]
    pub paid: Option<Pence>,
    /// Times it was resubmitted after a rejection.
    #[serde(default)]
    pub resubmissions: u32,
    /// Every status change.
    #[serde(default)]
    pub history: Vec<Change>,
}

/// A requested status change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// The status to move to.
    pub to: Status,
    /// Why (required to reject).
    #[serde(default)]
    pub reason: Option<String>,
    /// What was paid, in pence (to `paid`; defaults to the claim's value).
    #[serde(default)]
    pub amount_pence: Option<u32>,
}

/// Why a status change was refused, before any check runs.
pub fn refuse_move(claim: &Claim, to: Status) -> Option<String> {
    if claim.status.can_move_to(to) {
        return None;
    }
    let next: Vec<&str> = claim.status.next().into_iter().map(Status::code).collect();
    Some(format!(
        "claim {} is {} and cannot move to {}; from {} it can move to {}",
        claim.id,
        claim.status.code(),
        to.code(),
        claim.status.code(),
        if next.is_empty() { "nothing (it is finished)".to_string() } else { next.join(" or ") }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cycle_allows_only_its_moves() {
        use Status::*;
        let allowed = [
            (Draft, Ready),
            (Ready, Draft),
            (Ready, Submitted),
            (Submitted, Accepted),
            (Submitted, Rejected),
            (Accepted, Paid),
            (Rejected, Draft),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(from.can_move_to(to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
        assert!(Paid.next().is_empty());
    }

    #[test]
    fn a_refused_move_says_where_the_claim_can_go() {
        let claim = Claim {
            id: ClaimId::from_seq(7),
            status: Status::Submitted,
            fields: ClaimFields::new(Form::Gos1),
            created_on: Date::parse("2025-01-01").unwrap(),
            proposed_by: None,
            proposal_note: None,
            value: None,
            submitted_on: None,
            rejection_reason: None,
            paid: None,
            resubmissions: 0,
            history: Vec::new(),
        };
        assert_eq!(
            refuse_move(&claim, Status::Paid).unwrap(),
            "claim c000007 is submitted and cannot move to paid; from submitted it can move to accepted or rejected"
        );
        assert_eq!(refuse_move(&claim, Status::Accepted), None);
    }

    #[test]
    fn last_sight_test_takes_a_date_or_a_tick() {
        let l: LastTest = serde_json::from_str(r#""2023-04-05""#).unwrap();
        assert_eq!(l.date().map(|d| d.to_string()).as_deref(), Some("2023-04-05"));
        assert_eq!(serde_json::from_str::<LastTest>(r#""first_test""#).unwrap(), LastTest::FirstTest);
        assert_eq!(serde_json::to_string(&LastTest::NotKnown).unwrap(), r#""not_known""#);
        assert!(serde_json::from_str::<LastTest>(r#""last year""#).is_err());
    }

    #[test]
    fn claim_ids_are_checked() {
        assert_eq!(ClaimId::parse("c000012").map(|c| c.to_string()).as_deref(), Some("c000012"));
        for bad in ["", "c", "x12", "c12a", "c-1", "c0000000000001"] {
            assert_eq!(ClaimId::parse(bad), None, "{bad}");
        }
    }
}
