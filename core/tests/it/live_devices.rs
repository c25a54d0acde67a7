//! Live device sessions (issue 17, docs/adr/049-live-devices.md): a tracer's INI/TRC handshake
//! fed to the host as a bridge sends it — numbered entries of bytes — through the DCS driver's
//! `device-link` session on state the host keeps; its shape lands on the order its job names,
//! once, however often an entry or the whole session is sent again.

use std::sync::Arc;

use dcs_driver::frame::{CrcStyle, encode};
use ils_devices::{Entry, NewDevice, Sessions};
use ils_fake_devices::{Step, TracerRecording};
use ils_kernel::TenantCtx;
use ils_outbox::UnitOfWork;
use serde_json::json;

use crate::devices::patient_with_rx;
use crate::guests::{DCS_DRIVER, install};
use crate::harness::{TestApp, db_test};

const ACK: u8 = 0x06;

/// What a recorded tracer sends, message by message, for job `job`.
fn tracer_messages(job: &str) -> Vec<Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/fake-devices/recordings/tracer-r1001.txt");
    let mut recording = TracerRecording::load(std::path::Path::new(path)).expect("recording");
    recording.set_job(job).expect("job");
    recording
        .steps()
        .iter()
        .filter_map(|step| match step {
            Step::Send(doc) => Some(encode(&doc.to_bytes(), CrcStyle::Plain)),
            Step::Expect(_) => None,
        })
        .collect()
}

/// The bridge's entries for one whole tracer session: the link coming up, each message (split
/// in two, as bytes arrive), and an ACK for each answer.
fn session_entries(job: &str) -> Vec<Entry> {
    let mut entries = vec![Entry::Link(true)];
    for message in tracer_messages(job) {
        let (a, b) = message.split_at(message.len() / 3);
        entries.extend([Entry::Bytes(a.to_vec()), Entry::Bytes(b.to_vec()), Entry::Bytes(vec![ACK])]);
    }
    entries
}

db_test!(
    async fn a_tracers_session_attaches_its_shape_to_the_order_once(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "dcs_driver", DCS_DRIVER, "free").await;
        let lab = app.tenant("lensworks").await;
        let other = app.tenant("other-lab").await;
        app.put("/api/v1/tenant/plugins/dcs-driver", &lab.admin.token, json!({ "version": "0.1.0", "consent": [] })).await.ok(200);
        let ecp = app.member(&lab, "olive", "ecp").await;
        let (patient, rx) = patient_with_rx(&app, &ecp.token).await;
        let order = json!({ "patient_id": patient, "prescription_id": rx,
            "lens": { "type": "single_vision", "material": "polycarbonate", "index": 1.59, "coatings": [], "tint": null },
            "frame": { "description": "Panto 51-18", "a_mm": 51.5, "b_mm": 40.0, "dbl_mm": 18 },
            "measurements": { "pd_right_mm": 32, "pd_left_mm": 31.5 },
            "due_on": "2099-01-15", "priority": "normal", "price": { "amount_minor": 9900, "currency": "GBP" } });
        let placed = app.post("/api/v1/orders", Some(&ecp.token), order).await.ok(201).clone();
        let (order_id, number) = (placed["id"].as_str().unwrap().to_owned(), placed["number"].as_str().unwrap().to_owned());

        let tenant = lab.id.parse().unwrap();
        let ctx = TenantCtx::system(tenant);
        let mut uow = UnitOfWork::begin(&app.db, &ctx).await.unwrap();
        let device = NewDevice { name: "tracer-1".into(), plugin_id: "dcs-driver".into(), model: "tracer".into() };
        ils_devices::register(&mut uow, device).await.unwrap();
        uow.commit().await.unwrap();

        let sessions = Sessions::new(app.db.clone(), Arc::clone(&app.state.plugins));
        let entries = session_entries(&number);
        let mut seq = 0;
        for entry in &entries {
            seq += 1;
            assert_eq!(sessions.apply(&ctx, "tracer-1", seq, entry.clone()).await.unwrap(), seq);
            // The bridge resends an entry it was not sure of: acknowledged again, not applied.
            assert_eq!(sessions.apply(&ctx, "tracer-1", seq, entry.clone()).await.unwrap(), seq);
        }
        // One beyond the next is not applied: the bridge resends in order.
        assert_eq!(sessions.apply(&ctx, "tracer-1", seq + 2, Entry::Bytes(vec![ACK])).await.unwrap(), seq);

        // The host answered every message: an ACK for each frame and ANS=INI, ANS=TRC twice.
        let sent: Vec<u8> = sessions.outbox(&ctx, "tracer-1").await.unwrap().into_iter().flat_map(|(_, b)| b).collect();
        let text = String::from_utf8_lossy(&sent);
        assert_eq!(text.matches("ANS=INI").count(), 1, "{text}");
        assert_eq!(text.matches("ANS=TRC").count(), 2, "{text}");
        assert_eq!(text.matches("STATUS=0").count(), 3, "{text}");
        assert_eq!(sent.iter().filter(|b| **b == ACK).count(), 3, "one ACK per device message");

        // The shape is on the order, with the box it measures.
        let shown = app.get(&format!("/api/v1/orders/{order_id}"), &ecp.token).await.ok(200).clone();
        let shapes = shown["frame"]["shapes"].as_array().unwrap();
        assert_eq!(shapes.len(), 1, "{shown}");
        assert_eq!(shapes[0]["device"], "tracer-1");
        assert_eq!((shapes[0]["box_width_mm"].as_f64(), shapes[0]["box_height_mm"].as_f64()), (Some(51.37), Some(40.06)));

        // The tracer lost its line and sends the whole session again (after ILS restarted: new
        // sessions, the state from the database): the order keeps one shape, attached once.
        let sessions = Sessions::new(app.db.clone(), Arc::clone(&app.state.plugins));
        seq += 1;
        sessions.apply(&ctx, "tracer-1", seq, Entry::Link(false)).await.unwrap();
        for entry in session_entries(&number) {
            seq += 1;
            assert_eq!(sessions.apply(&ctx, "tracer-1", seq, entry).await.unwrap(), seq);
        }
        let log = {
            let mut tx = app.db.tenant_read(tenant).await.unwrap();
            let log = ils_devices::log(&mut tx, "tracer-1", 100).await.unwrap();
            tx.commit().await.unwrap();
            log
        };
        assert_eq!(log.iter().filter(|l| l.kind == "shapes").count(), 1, "{log:?}");
        assert!(log.iter().any(|l| l.message.contains("already has them")), "{log:?}");
        let audit = app.get("/api/v1/audit?action=order.shape_attached", &lab.admin.token).await.ok(200).clone();
        assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");

        // What the bridge wrote is forgotten.
        let last = sessions.outbox(&ctx, "tracer-1").await.unwrap().last().unwrap().0;
        sessions.written(&ctx, "tracer-1", last).await.unwrap();
        assert!(sessions.outbox(&ctx, "tracer-1").await.unwrap().is_empty());

        // Another tenant has no such device.
        let theirs = TenantCtx::system(other.id.parse().unwrap());
        let err = sessions.apply(&theirs, "tracer-1", 1, Entry::Link(true)).await.unwrap_err();
        assert!(matches!(err, ils_kernel::Error::NotFound("device")), "{err:?}");
    }
);
