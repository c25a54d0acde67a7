//! Integration tests: the plugin's routes and event handling, driven through the SDK's mock host
//! exactly as ILS calls them.

#![allow(clippy::unwrap_used, missing_docs)]

mod claims;
mod events;
mod from_ils;
mod readme;
mod robust;
mod routes;

use ils_plugin_sdk::host::clinical::Patient;
use ils_plugin_sdk::testing::MockHost;
use ils_plugin_sdk::{Plugin, Request};
use nhs_gos::NhsGos;
use nhs_gos::date::{Date, today};
use serde_json::Value;

/// Calls a route; returns the status and the JSON body (`null` when empty).
pub fn call(method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let request = Request {
        method: method.into(),
        path: path.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default(),
    };
    let response = NhsGos::handle_http(request);
    let json = if response.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            panic!("{method} {path}: not JSON ({e}): {}", String::from_utf8_lossy(&response.body))
        })
    };
    (response.status, json)
}

/// A mock host with a practice configuration, an ECP caller and two patients:
/// `p-old` (born 1950-01-01) and `p-child` (ten years old today).
pub fn practice() -> MockHost {
    let mock = MockHost::install();
    mock.set_config(serde_json::json!({"contractor_number": "C123", "performer_number": "P456"}));
    mock.set_caller("u-ecp", &["ecp"]);
    mock.add_patient(patient("p-old", "1950-01-01"));
    let t = today();
    let child = Date::new(t.year() - 10, 1, 1).unwrap();
    mock.add_patient(patient("p-child", &child.to_string()));
    mock
}

pub fn patient(id: &str, born: &str) -> Patient {
    Patient {
        id: id.into(),
        given_name: "Pat".into(),
        family_name: "Example".into(),
        date_of_birth: born.into(),
        nhs_number: None,
    }
}

/// `days` before today.
pub fn days_ago(days: i64) -> Date {
    Date::from_days_since_epoch(today().days_since_epoch() - days).unwrap()
}

/// Enters this financial year's values as a company admin (tests run on the real date).
pub fn enter_values(mock: &MockHost) {
    mock.set_caller("u-admin", &["company_admin"]);
    // Claims in these tests are dated up to 20 days back: near 1 April that is last year too.
    let mut years = vec![today().financial_year(), days_ago(20).financial_year()];
    years.dedup();
    for year in years {
        enter_year(&year.to_string());
    }
    mock.set_caller("u-ecp", &["ecp"]);
}

fn enter_year(year: &str) {
    let entry = |pence: u32| serde_json::json!({"pence": pence, "source": "test letter"});
    let body = serde_json::json!({"items": {
        "sight_test_fee": entry(2413),
        "domiciliary_sight_test_fee": entry(2500),
        "band_a": entry(4240),
        "band_b": entry(6400),
        "band_e": entry(7310),
        "prism_single_vision": entry(1400),
    }});
    let (status, _) = call("PUT", &format!("/values/{year}"), Some(body));
    assert_eq!(status, 200);
}
