//! Equipment drivers through the real host, over HTTP: the DCS and Nidek plugins installed from
//! their packages and enabled for a tenant; device output posted and measurements returned; a lab
//! order encoded into a DCS packet whose values read back as the order's.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::guests::{DCS_DRIVER, NIDEK, install};
use crate::harness::{TestApp, db_test};

fn measurement(list: &Value, name: &str, side: &str) -> f64 {
    list["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name && m["side"] == side)
        .unwrap_or_else(|| panic!("no {name} ({side}) in {list}"))["value"]
        .as_f64()
        .unwrap()
}

db_test!(
    async fn device_output_is_decoded_by_the_tenants_driver(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "dcs_driver", DCS_DRIVER, "free").await;
        install(&app, "nidek_rs232", NIDEK, "free").await;
        let lab = app.tenant("lensworks").await;
        let other = app.tenant("other-lab").await;
        let tech = app.member(&lab, "tom", "lab_tech").await;
        for plugin in ["dcs-driver", "nidek-rs232"] {
            let enabled = app.put(&format!("/api/v1/tenant/plugins/{plugin}"), &lab.admin.token, json!({ "version": "0.1.0", "consent": [] })).await;
            enabled.ok(200);
        }

        let lensmeter = include_str!("../../../plugins/dcs-driver/tests/data/lensmeter.dcs");
        let decoded = app.post("/api/v1/devices/dcs-driver/decode", Some(&tech.token), json!({ "device": "lensmeter-1", "data": lensmeter })).await;
        let decoded = decoded.ok(200).clone();
        assert_eq!(measurement(&decoded, "sphere", "right"), -2.25);
        assert_eq!(measurement(&decoded, "cylinder", "left"), -1.25);
        assert_eq!(measurement(&decoded, "axis", "right"), 175.0);
        assert_eq!(measurement(&decoded, "add", "left"), 2.0);

        let refraction = include_bytes!("../../../plugins/nidek-rs232/tests/data/rt5100-full.txt");
        let data = base64::engine::general_purpose::STANDARD.encode(refraction);
        let decoded = app.post("/api/v1/devices/nidek-rs232/decode", Some(&tech.token), json!({ "device": "rt-5100", "data": data, "encoding": "base64" })).await;
        let decoded = decoded.ok(200).clone();
        assert_eq!(measurement(&decoded, "rt.far_final.sphere", "right"), 10.0);
        assert_eq!(measurement(&decoded, "rt.far_final.cylinder", "right"), -5.0);
        assert_eq!(measurement(&decoded, "rt.far_final.sphere", "left"), 9.5);

        // A corrupt line is the driver's refusal, with the line it is on.
        let corrupt = include_str!("../../../plugins/nidek-rs232/tests/data/rt5100-corrupt-field.txt");
        let refused = app.post("/api/v1/devices/nidek-rs232/decode", Some(&tech.token), json!({ "device": "rt-5100", "data": corrupt })).await;
        refused.problem(502, "plugin_failed");
        assert!(refused.body["detail"].as_str().unwrap().contains("line"), "{}", refused.body);
        app.post("/api/v1/devices/nidek-rs232/decode", Some(&tech.token), json!({ "device": "x", "data": "%%", "encoding": "base64" }))
            .await
            .problem(422, "invalid_input");

        // Another tenant has not enabled the drivers.
        app.post("/api/v1/devices/dcs-driver/decode", Some(&other.admin.token), json!({ "device": "lensmeter-1", "data": lensmeter }))
            .await
            .problem(404, "plugin_not_enabled");
        // A driver has no HTTP routes.
        app.get("/api/v1/plugins/dcs-driver/anything", &tech.token).await.problem(404, "not_provided");
    }
);

db_test!(
    async fn a_lab_order_is_encoded_into_a_dcs_packet_that_reads_back_as_the_order(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "dcs_driver", DCS_DRIVER, "free").await;
        let lab = app.tenant("lensworks").await;
        let other = app.tenant("other-lab").await;
        app.put("/api/v1/tenant/plugins/dcs-driver", &lab.admin.token, json!({ "version": "0.1.0", "consent": [] })).await.ok(200);
        app.put("/api/v1/tenant/plugins/dcs-driver", &other.admin.token, json!({ "version": "0.1.0", "consent": [] })).await.ok(200);
        let ecp = app.member(&lab, "olive", "ecp").await;
        let tech = app.member(&lab, "tom", "lab_tech").await;
        let patient = app.post("/api/v1/patients", Some(&ecp.token), json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" })).await;
        let patient = patient.ok(201)["id"].as_str().unwrap().to_owned();
        let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
            "right": { "sphere": "+1.50", "cylinder": "-0.50", "axis": 90 }, "left": { "sphere": "-2.25" } });
        let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(&ecp.token), rx).await;
        let rx = rx.ok(201)["id"].as_str().unwrap().to_owned();
        let order = json!({ "patient_id": patient, "prescription_id": rx,
            "lens": { "type": "single_vision", "material": "polycarbonate", "index": 1.59, "coatings": [], "tint": null },
            "frame": { "description": "Round 48-20", "a_mm": 48, "b_mm": 42, "dbl_mm": 20 },
            "measurements": { "pd_right_mm": 32, "pd_left_mm": 31.5 },
            "due_on": "2099-01-15", "priority": "normal", "price": { "amount_minor": 9900, "currency": "GBP" } });
        let order = app.post("/api/v1/orders", Some(&ecp.token), order).await;
        let order = order.ok(201)["id"].as_str().unwrap().to_owned();

        let sent = app.post(&format!("/api/v1/orders/{order}/device-jobs"), Some(&tech.token), json!({ "plugin": "dcs-driver", "device": "edger-1/records" })).await;
        let sent = sent.ok(200).clone();
        let packet = sent["packet_text"].as_str().unwrap().to_owned();
        assert_eq!(sent["length"].as_u64().unwrap() as usize, packet.len());
        // The packet read back by the same driver gives the order's values.
        let back = app.post("/api/v1/devices/dcs-driver/decode", Some(&tech.token), json!({ "device": "edger-1", "data": packet })).await;
        let back = back.ok(200).clone();
        assert_eq!(measurement(&back, "sphere", "right"), 1.5);
        assert_eq!(measurement(&back, "cylinder", "right"), -0.5);
        assert_eq!(measurement(&back, "axis", "right"), 90.0);
        assert_eq!(measurement(&back, "sphere", "left"), -2.25);
        assert_eq!(measurement(&back, "pd", "right"), 32.0);
        assert_eq!(measurement(&back, "pd", "left"), 31.5);
        assert_eq!(measurement(&back, "dbl", "both"), 20.0);
        assert_eq!(measurement(&back, "index", "right"), 1.59);

        // Framed for the wire: FS … GS with its CRC.
        let framed = app.post(&format!("/api/v1/orders/{order}/device-jobs"), Some(&tech.token), json!({ "plugin": "dcs-driver", "device": "edger-1" })).await;
        let framed = base64::engine::general_purpose::STANDARD.decode(framed.ok(200)["packet_base64"].as_str().unwrap()).unwrap();
        assert_eq!(framed.first(), Some(&0x1c), "starts with FS");
        assert_eq!(framed.iter().rev().find(|b| !b.is_ascii_whitespace()), Some(&0x1d), "ends with GS");

        let audit = app.get("/api/v1/audit?action=order.sent_to_device", &lab.admin.token).await;
        let mut devices: Vec<String> =
            audit.ok(200)["items"].as_array().unwrap().iter().map(|e| e["changes"]["device"].as_str().unwrap().to_owned()).collect();
        devices.sort();
        assert_eq!(devices, ["edger-1", "edger-1/records"]);
        // Another tenant cannot send this tenant's order anywhere.
        app.post(&format!("/api/v1/orders/{order}/device-jobs"), Some(&other.admin.token), json!({ "plugin": "dcs-driver", "device": "edger-1" }))
            .await
            .problem(404, "not_found");
        // A supplier's staff do not read orders.
        let supplier = app.member(&lab, "sam", "supplier").await;
        app.post(&format!("/api/v1/orders/{order}/device-jobs"), Some(&supplier.token), json!({ "plugin": "dcs-driver", "device": "edger-1" }))
            .await
            .problem(403, "forbidden");
    }
);

db_test!(
    async fn a_refractors_final_refraction_fills_the_draft_examination(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "nidek_rs232", NIDEK, "free").await;
        let practice = app.tenant("bright-eyes").await;
        let other = app.tenant("other").await;
        for tenant in [&practice, &other] {
            app.put("/api/v1/tenant/plugins/nidek-rs232", &tenant.admin.token, json!({ "version": "0.1.0", "consent": [] })).await.ok(200);
        }
        let optom = app.member(&practice, "olive", "ecp").await;
        let dispenser = app.member(&practice, "dan", "dispenser").await;
        let patient = app.post("/api/v1/patients", Some(&optom.token), json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" })).await;
        let patient = patient.ok(201)["id"].as_str().unwrap().to_owned();
        let exam = app.post(&format!("/api/v1/patients/{patient}/examinations"), Some(&optom.token), json!({ "examined_on": "2026-11-01", "visual_acuity": { "right": "6/6", "left": "6/9" }, "notes": "routine" })).await;
        let exam = exam.ok(201)["id"].as_str().unwrap().to_owned();

        let output = include_str!("../../../plugins/nidek-rs232/tests/data/rt5100-full.txt");
        let reading = json!({ "plugin": "nidek-rs232", "device": "rt-5100/prescription", "data": output });
        let path = format!("/api/v1/examinations/{exam}/device-readings");
        let filled = app.post(&path, Some(&optom.token), reading.clone()).await;
        let filled = filled.ok(200).clone();
        assert_eq!(filled["refraction"]["right"]["written"], "+10.00/-5.00×90", "{filled}");
        assert_eq!(filled["refraction"]["left"]["written"], "+9.50/-4.75×85", "{filled}");
        assert_eq!(filled["refraction"]["right"]["add"], "+2.00");
        assert_eq!(filled["visual_acuity"]["left"], "6/9", "the rest of the draft is kept");
        assert_eq!(filled["notes"], "routine");
        assert_eq!(filled["finalised_at"], Value::Null);

        // Only optometrists record examinations; other tenants cannot reach this one.
        app.post(&path, Some(&dispenser.token), reading.clone()).await.problem(403, "forbidden");
        app.post(&path, Some(&other.admin.token), reading.clone()).await.problem(404, "not_found");
        // Output without a final refraction says so.
        let lensmeter_only = json!({ "plugin": "nidek-rs232", "device": "rt-5100", "data": output });
        app.post(&path, Some(&optom.token), lensmeter_only).await.problem(422, "invalid_input");
        // A finalised examination never changes.
        app.post(&format!("/api/v1/examinations/{exam}/finalise"), Some(&optom.token), json!({})).await.ok(200);
        app.post(&path, Some(&optom.token), reading).await.problem(409, "already_finalised");
    }
);
