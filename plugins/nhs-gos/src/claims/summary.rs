//! The monthly claims summary: counts and values by form and status.
//!
//! A claim belongs to the month of its service date (sight test or supply), or of its creation
//! when that is not filled in. Its value is what was paid once paid, otherwise the value worked
//! out when it became ready (drafts count at zero until then).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::claims::{Claim, Form, Status};
use crate::values::Pence;

/// Count and value of a group of claims.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Claims.
    pub count: u32,
    /// Their value, in pence.
    pub value_pence: u64,
}

impl Tally {
    fn add(&mut self, value: Pence) {
        self.count += 1;
        self.value_pence += u64::from(value.0);
    }
}

/// One month's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `YYYY-MM`.
    pub month: String,
    /// Per form (`gos1` …), per status (`draft` …), every combination present.
    pub by_form: BTreeMap<&'static str, BTreeMap<&'static str, Tally>>,
    /// Per status, all forms.
    pub by_status: BTreeMap<&'static str, Tally>,
    /// Everything.
    pub total: Tally,
}

/// The summary of `month` (`YYYY-MM`) over `claims`.
pub fn summarise(month: &str, claims: &[Claim]) -> Summary {
    let mut by_form: BTreeMap<&'static str, BTreeMap<&'static str, Tally>> = Form::ALL
        .into_iter()
        .map(|f| (f.code(), Status::ALL.into_iter().map(|s| (s.code(), Tally::default())).collect()))
        .collect();
    let mut by_status: BTreeMap<&'static str, Tally> =
        Status::ALL.into_iter().map(|s| (s.code(), Tally::default())).collect();
    let mut total = Tally::default();
    for c in claims {
        let date = c.fields.service_date().unwrap_or(c.created_on);
        if date.month_key() != month {
            continue;
        }
        let value = match c.status {
            Status::Paid => c.paid.unwrap_or_default(),
            _ => c.value.as_ref().map(|v| v.total).unwrap_or_default(),
        };
        if let Some(t) = by_form.get_mut(c.fields.form.code()).and_then(|m| m.get_mut(c.status.code())) {
            t.add(value);
        }
        if let Some(t) = by_status.get_mut(c.status.code()) {
            t.add(value);
        }
        total.add(value);
    }
    Summary { month: month.to_string(), by_form, by_status, total }
}
