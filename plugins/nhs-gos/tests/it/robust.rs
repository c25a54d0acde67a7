//! No input panics: random and truncated bodies, odd paths and payloads, deterministic seed.

use ils_plugin_sdk::{Event, Plugin, Request};
use nhs_gos::NhsGos;

use crate::practice;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const VALID: [&str; 6] = [
    r#"{"form":"gos3","patient_id":"p-child","prescription_date":"2024-01-05","supply_date":"2024-01-20","glasses":{"right":{"sphere":"-7.00","cylinder":"-2.25","axis":90,"prism":1},"left":{"sphere":"+1.00"}},"retail_price_pence":9900}"#,
    r#"{"right":{"sphere":"+5.00","cylinder":"+2.00","axis":90},"left":{"sphere":"+1.00"},"lens_type":"bifocal","on":"2024-06-01"}"#,
    r#"{"patient_id":"p-old","on":"2025-06-01","last_sight_test":"2024-06-02"}"#,
    r#"{"items":{"band_a":{"pence":4240,"source":"x"}}}"#,
    r#"{"to":"ready","reason":"x","amount_pence":12}"#,
    r#"{"diabetes":true,"benefits":["income_support"],"certificates":["hc3"],"hc3_contribution_pence":10}"#,
];

fn body(rng: &mut Rng) -> Vec<u8> {
    let valid = rng.pick(&VALID).as_bytes();
    match rng.next() % 4 {
        0 => valid.to_vec(),
        1 => valid[..(rng.next() as usize % valid.len())].to_vec(),
        2 => {
            let mut b = valid.to_vec();
            let i = rng.next() as usize % b.len();
            b[i] = (rng.next() % 256) as u8;
            b
        }
        _ => (0..rng.next() % 64).map(|_| (rng.next() % 256) as u8).collect(),
    }
}

#[test]
fn random_requests_get_an_answer_never_a_panic() {
    let mock = practice();
    mock.set_caller("u-admin", &["company_admin"]);
    mock.add_order("o-1", "pending");
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", ""];
    let paths = [
        "/claims",
        "/claims/c000001",
        "/claims/c000001/transitions",
        "/claims/c000002/checks",
        "/claims?status=draft&form=gos3&month=2024-01",
        "/band",
        "/eligibility",
        "/values",
        "/values/2024-25",
        "/values/9999-00",
        "/patients/p-old/facts",
        "/patients/%00/facts",
        "/summary?month=2024-01",
        "/summary?month=",
        "/proposals",
        "//",
        "",
        "/claims/c99999999999999999999",
        "/é/ü?x=%ff",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let request = Request {
            method: rng.pick(&methods).into(),
            path: rng.pick(&paths).into(),
            headers: Vec::new(),
            body: body(&mut rng),
        };
        let response = NhsGos::handle_http(request.clone());
        assert!((200..600).contains(&response.status), "{request:?} → {}", response.status);
        if response.status >= 400 {
            let v: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
            assert!(v["error"]["message"].is_string(), "{request:?}");
        }
        assert_ne!(response.status, 500, "{request:?}: {}", String::from_utf8_lossy(&response.body));
    }
}

#[test]
fn random_event_payloads_fail_cleanly() {
    let _mock = practice();
    let kinds = ["examination.finalised", "order.created", "order.other"];
    let payloads = [
        r#"{"examination_id":"e-1","patient_id":"p-old","has_refraction":true}"#,
        r#"{"order_id":"o-1","number":"J1","reason":"new"}"#,
        r#"{"examination_id":"e-1","patient_id":"../../x"}"#,
    ];
    let mut rng = Rng(42);
    for i in 0..1000 {
        let payload = rng.pick(&payloads).as_bytes();
        let cut = &payload[..(rng.next() as usize % (payload.len() + 1))];
        let event = Event {
            id: format!("ev-{i}"),
            kind: rng.pick(&kinds).into(),
            occurred_at_ms: (rng.next() as i64).wrapping_abs() % 10_000_000_000_000 - 1_000_000_000_000,
            payload: String::from_utf8_lossy(cut).into_owned(),
        };
        let _ = NhsGos::handle_event(event);
    }
}
