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

/// A patient (Ann Lee) and her spectacle prescription, as `token`'s practice records them: their ids.
pub(crate) async fn patient_with_rx(app: &TestApp, token: &str) -> (String, String) {
    let patient = app
        .post(
            "/api/v1/patients",
            Some(token),
            json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" }),
        )
        .await;
    let patient = patient.ok(201)["id"].as_str().unwrap().to_owned();
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": { "sphere": "+1.50", "cylinder": "-0.50", "axis": 90 }, "left": { "sphere": "-2.25" } });
    let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(token), rx).await;
    (patient, rx.ok(201)["id"].as_str().unwrap().to_owned())
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
        assert_eq!(measurement(&decoded, "final.sphere", "right"), 10.0);
        assert_eq!(measurement(&decoded, "final.cylinder", "right"), -5.0);
        assert_eq!(measurement(&decoded, "final.sphere", "left"), 9.5);

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
        let (patient, rx) = patient_with_rx(&app, &ecp.token).await;
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
        // The plain device name: the driver reads every stage, the final one fills the draft.
        let reading = json!({ "plugin": "nidek-rs232", "device": "rt-5100", "data": output });
        let path = format!("/api/v1/examinations/{exam}/device-readings");
        let filled = app.post(&path, Some(&optom.token), reading.clone()).await;
        let filled = filled.ok(200).clone();
        assert_eq!(filled["warnings"], json!([]), "{filled}");
        let filled = &filled["examination"];
        assert_eq!(filled["refraction"]["right"]["written"], "+10.00/-5.00×90", "{filled}");
        assert_eq!(filled["refraction"]["left"]["written"], "+9.50/-4.75×85", "{filled}");
        assert_eq!(filled["refraction"]["right"]["add"], "+2.00");
        assert_eq!(filled["pd"], json!({ "distance_mm": 64.0, "right_mm": 32.5, "left_mm": 31.5, "near_mm": null, "working_distance_cm": 40 }), "the final PD, not the autorefractor's");
        assert_eq!(filled["visual_acuity"]["left"], "6/9", "the rest of the draft is kept");
        assert_eq!(filled["notes"], "routine");
        assert_eq!(filled["finalised_at"], Value::Null);
        // The `/prescription` form of the name still reads the same refraction.
        let named = json!({ "plugin": "nidek-rs232", "device": "rt-5100/prescription", "data": output });
        let again = app.post(&path, Some(&optom.token), named).await;
        assert_eq!(again.ok(200)["examination"]["refraction"]["right"]["written"], "+10.00/-5.00×90");

        // A capture with lines the driver does not know, and lower-case codes: every known value
        // is read, the unknown lines come back as warnings, and the near PD is kept.
        let capture = include_bytes!("../../../plugins/nidek-rs232/tests/data/rt5100-unknown-and-lower.txt");
        let data = base64::engine::general_purpose::STANDARD.encode(capture);
        let tolerant = json!({ "plugin": "nidek-rs232", "device": "rt-5100", "data": data, "encoding": "base64" });
        let read = app.post(&path, Some(&optom.token), tolerant).await;
        let read = read.ok(200).clone();
        let warnings = read["warnings"].as_array().unwrap();
        assert!(warnings.iter().any(|w| w.as_str().unwrap().starts_with(r#"line 35: unknown code "XY""#)), "{read}");
        assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("unknown block @KM")), "{read}");
        let exam_read = &read["examination"];
        assert_eq!(exam_read["refraction"]["right"]["written"], "-1.50/-0.50×170", "{exam_read}");
        assert_eq!(exam_read["refraction"]["left"]["add"], "+2.25", "{exam_read}");
        assert_eq!(exam_read["pd"]["near_mm"], 60.5, "{exam_read}");
        assert_eq!(exam_read["pd"]["distance_mm"], 63.0, "{exam_read}");
        assert_eq!(exam_read["pd"]["right_mm"], 31.5, "{exam_read}");
        let shown = app.get(&format!("/api/v1/examinations/{exam}"), &optom.token).await;
        assert_eq!(shown.ok(200)["pd"]["near_mm"], 60.5, "the near PD is kept on the examination");

        // Only optometrists record examinations; other tenants cannot reach this one.
        app.post(&path, Some(&dispenser.token), reading.clone()).await.problem(403, "forbidden");
        app.post(&path, Some(&other.admin.token), reading.clone()).await.problem(404, "not_found");
        // Output without a refraction (a lensmeter's only) says so.
        let lensmeter = "\x02@LM\r R- 1.75- 0.50175\r L- 1.50- 0.75  5\r\x04";
        let lensmeter_only = json!({ "plugin": "nidek-rs232", "device": "rt-5100", "data": lensmeter });
        app.post(&path, Some(&optom.token), lensmeter_only).await.problem(422, "invalid_input");
        // A finalised examination never changes.
        app.post(&format!("/api/v1/examinations/{exam}/finalise"), Some(&optom.token), json!({})).await.ok(200);
        app.post(&path, Some(&optom.token), reading).await.problem(409, "already_finalised");
    }
);

/// An ellipse of semi-axes `a` × `b` mm as `n` equiangular radii in hundredths of a mm.
fn ellipse(a: f64, b: f64, n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            let r = a * b / ((b * t.cos()).powi(2) + (a * t.sin()).powi(2)).sqrt();
            (r * 100.0).round() as u32
        })
        .collect()
}

db_test!(
    async fn a_traced_frame_travels_with_the_order_to_the_edger(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "dcs_driver", DCS_DRIVER, "free").await;
        let lab = app.tenant("lensworks").await;
        let other = app.tenant("other-lab").await;
        app.put("/api/v1/tenant/plugins/dcs-driver", &lab.admin.token, json!({ "version": "0.1.0", "consent": [] })).await.ok(200);
        let ecp = app.member(&lab, "olive", "ecp").await;
        let tech = app.member(&lab, "tom", "lab_tech").await;
        let (patient, rx) = patient_with_rx(&app, &ecp.token).await;
        let shape = ellipse(25.685, 20.03, 400);
        let order_with = |frame: Value| json!({ "patient_id": patient, "prescription_id": rx,
            "lens": { "type": "single_vision", "material": "polycarbonate", "index": 1.59, "coatings": [], "tint": null },
            "frame": frame, "measurements": { "pd_right_mm": 32, "pd_left_mm": 31.5 },
            "due_on": "2099-01-15", "priority": "normal", "price": { "amount_minor": 9900, "currency": "GBP" } });

        // A traced box to 0.01 mm and the shape, with the order.
        let frame = json!({ "description": "Panto 51-18", "a_mm": 51.37, "b_mm": 40.06, "dbl_mm": 17.85,
            "shapes": [{ "side": "both", "source": "frame", "radii": shape }] });
        let placed = app.post("/api/v1/orders", Some(&ecp.token), order_with(frame)).await;
        let placed = placed.ok(201).clone();
        assert_eq!((placed["frame"]["a_mm"].as_f64(), placed["frame"]["b_mm"].as_f64()), (Some(51.37), Some(40.06)));
        assert_eq!(placed["frame"]["dbl_mm"].as_f64(), Some(17.85));
        assert_eq!(placed["frame"]["shapes"][0]["radii"].as_array().unwrap().len(), 400);
        assert_eq!(placed["frame"]["shapes"][0]["box_height_mm"].as_f64(), Some(40.06));
        let order = placed["id"].as_str().unwrap().to_owned();

        // The job packet to the edger carries the box and the shape, and reads back as them.
        let sent = app.post(&format!("/api/v1/orders/{order}/device-jobs"), Some(&tech.token), json!({ "plugin": "dcs-driver", "device": "edger-1/records" })).await;
        let text = sent.ok(200)["packet_text"].as_str().unwrap().to_owned();
        assert!(text.contains("HBOX=51.37;51.37\r\n") && text.contains("VBOX=40.06;40.06\r\n") && text.contains("DBL=17.85\r\n"), "{text}");
        let job = dcs_driver::job::Job::from_document(&dcs_driver::record::Document::parse(text.as_bytes()).unwrap()).unwrap();
        assert_eq!((job.frame.a_mm, job.frame.b_mm, job.frame.dbl_mm), (Some(51.37), Some(40.06), Some(17.85)));
        assert_eq!(job.frame.shapes.len(), 1);
        assert_eq!(job.frame.shapes[0].radii(), shape.as_slice());
        assert_eq!(job.frame.shapes[0].side(), dcs_driver::trace::TraceSide::Both);

        // A tracer's later upload, one shape per eye, replaces the shape and the box.
        let right = ellipse(26.0, 19.5, 1000);
        let left: Vec<u32> = right.iter().map(|r| r + 3).collect();
        let traced = app.put(&format!("/api/v1/orders/{order}/shapes"), &tech.token, json!({
            "device": "tracer-1", "a_mm": 52.0, "b_mm": 39.0, "dbl_mm": 18.02,
            "shapes": [{ "side": "right", "source": "frame", "radii": right }, { "side": "left", "source": "frame", "radii": left }] })).await;
        let traced = traced.ok(200).clone();
        let sides: Vec<&str> = traced["frame"]["shapes"].as_array().unwrap().iter().map(|s| s["side"].as_str().unwrap()).collect();
        assert_eq!(sides, ["right", "left"]);
        assert_eq!(traced["frame"]["shapes"][0]["device"], "tracer-1");
        assert_eq!(traced["frame"]["dbl_mm"].as_f64(), Some(18.02));
        let read = app.get(&format!("/api/v1/orders/{order}"), &ecp.token).await;
        assert_eq!(read.ok(200)["frame"]["shapes"][1]["radii"].as_array().unwrap().len(), 1000);
        let sent = app.post(&format!("/api/v1/orders/{order}/device-jobs"), Some(&tech.token), json!({ "plugin": "dcs-driver", "device": "edger-1/records" })).await;
        let text = sent.ok(200)["packet_text"].as_str().unwrap().to_owned();
        let job = dcs_driver::job::Job::from_document(&dcs_driver::record::Document::parse(text.as_bytes()).unwrap()).unwrap();
        assert_eq!(job.frame.shapes.iter().map(|s| s.radii().to_vec()).collect::<Vec<_>>(), [right, left]);
        let audit = app.get("/api/v1/audit?action=order.shape_attached", &lab.admin.token).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);

        // Bad input is named and changes nothing.
        let bad = app.put(&format!("/api/v1/orders/{order}/shapes"), &tech.token, json!({
            "a_mm": 51.375, "shapes": [{ "side": "both", "source": "frame", "radii": [2500, 2000] },
                                       { "side": "right", "source": "frame", "radii": shape }] })).await;
        bad.problem(422, "invalid_input");
        let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"a_mm") && fields.contains(&"shapes[0].radii") && fields.contains(&"shapes"), "{fields:?}");
        let unchanged = app.get(&format!("/api/v1/orders/{order}"), &ecp.token).await;
        assert_eq!(unchanged.ok(200)["frame"]["a_mm"].as_f64(), Some(52.0));
        let bad_box = order_with(json!({ "description": "Panto", "a_mm": 51.371 }));
        app.post("/api/v1/orders", Some(&ecp.token), bad_box).await.problem(422, "invalid_input");

        // Another tenant cannot touch it; a supplier's staff may not; a made job takes no shape.
        let body = json!({ "shapes": [{ "side": "both", "source": "frame", "radii": [2500, 2000, 2500, 2000] }] });
        app.put(&format!("/api/v1/orders/{order}/shapes"), &other.admin.token, body.clone()).await.problem(404, "not_found");
        let supplier = app.member(&lab, "sam", "supplier").await;
        app.put(&format!("/api/v1/orders/{order}/shapes"), &supplier.token, body.clone()).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/orders/{order}/transitions"), Some(&ecp.token), json!({ "to": "cancelled" })).await.ok(200);
        app.put(&format!("/api/v1/orders/{order}/shapes"), &tech.token, body).await.problem(409, "order_made");
    }
);
