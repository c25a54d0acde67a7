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
use crate::guests::{DCS_DRIVER, NIDEK, install};
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

/// A lab running the DCS driver, and another that does not.
async fn lab_with_dcs(
    backend: crate::harness::Backend,
) -> (TestApp, crate::harness::Tenant, crate::harness::Tenant) {
    let app = TestApp::spawn(backend).await;
    install(&app, "dcs_driver", DCS_DRIVER, "free").await;
    let lab = app.tenant("lensworks").await;
    let other = app.tenant("other-lab").await;
    app.put(
        "/api/v1/tenant/plugins/dcs-driver",
        &lab.admin.token,
        json!({ "version": "0.1.0", "consent": [] }),
    )
    .await
    .ok(200);
    (app, lab, other)
}

/// An order placed by `token`'s practice for a frame to be traced: its id and number.
async fn order_for_a_traced_frame(app: &TestApp, token: &str) -> (String, String) {
    let (patient, rx) = patient_with_rx(app, token).await;
    let order = json!({ "patient_id": patient, "prescription_id": rx,
        "lens": { "type": "single_vision", "material": "polycarbonate", "index": 1.59, "coatings": [], "tint": null },
        "frame": { "description": "Panto 51-18", "a_mm": 51.5, "b_mm": 40.0, "dbl_mm": 18 },
        "measurements": { "pd_right_mm": 32, "pd_left_mm": 31.5 },
        "due_on": "2099-01-15", "priority": "normal", "price": { "amount_minor": 9900, "currency": "GBP" } });
    let placed = app.post("/api/v1/orders", Some(token), order).await.ok(201).clone();
    (placed["id"].as_str().unwrap().to_owned(), placed["number"].as_str().unwrap().to_owned())
}

db_test!(
    async fn a_tracers_session_attaches_its_shape_to_the_order_once(backend) {
        let (app, lab, other) = lab_with_dcs(backend).await;
        let ecp = app.member(&lab, "olive", "ecp").await;
        let (order_id, number) = order_for_a_traced_frame(&app, &ecp.token).await;

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

/// Waits for `done` to hold, checking every 50 ms; fails after 30 s (a guard, not a timing).
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !done().await {
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "waited 30 s for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

db_test!(
    async fn a_tracer_and_an_edger_work_through_the_bridge(backend) {
        let (app, lab, other) = lab_with_dcs(backend).await;
        let ecp = app.member(&lab, "olive", "ecp").await;
        let tech = app.member(&lab, "tom", "lab_tech").await;
        let (order_id, number) = order_for_a_traced_frame(&app, &ecp.token).await;

        // The lab registers its devices; only company admins may, and only with a driver it runs.
        for (name, model) in [("tracer-1", "tracer"), ("edger-1", "edger")] {
            let device = json!({ "name": name, "plugin": "dcs-driver", "model": model });
            app.post("/api/v1/devices", Some(&tech.token), device.clone()).await.problem(403, "forbidden");
            app.post("/api/v1/devices", Some(&lab.admin.token), device).await.ok(201);
        }
        let taken = json!({ "name": "tracer-1", "plugin": "dcs-driver", "model": "tracer" });
        app.post("/api/v1/devices", Some(&lab.admin.token), taken).await.problem(409, "device_exists");
        let unknown = json!({ "name": "x", "plugin": "nidek-rs232", "model": "rt-5100" });
        app.post("/api/v1/devices", Some(&other.admin.token), unknown).await.problem(404, "plugin_not_installed");
        let key = app.post("/api/v1/api-keys", Some(&lab.admin.token), json!({ "name": "lab bridge", "scopes": ["devices:connect"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
        // The bridge's key opens the bridge and nothing else; the bridge is a WebSocket.
        app.get("/api/v1/orders", &key).await.problem(403, "forbidden");
        app.get("/api/v1/bridge", &key).await.problem(400, "websocket_expected");
        // No bridge has connected the edger yet: a job for it is refused, not queued for later.
        app.post(&format!("/api/v1/orders/{order_id}/device-jobs"), Some(&tech.token), json!({ "device": "edger-1" }))
            .await
            .problem(409, "device_offline");

        // A simulated edger on the lab's LAN, which the bridge dials.
        let mut edger = ils_fake_devices::Endpoint::open(&ils_fake_devices::Transport::Listen("127.0.0.1:0".parse().unwrap())).await.unwrap();
        let edger_addr = edger.local_addr().unwrap();
        let (job_tx, mut job_rx) = tokio::sync::mpsc::unbounded_channel();
        let edger_task = tokio::spawn(async move {
            let options = ils_fake_devices::EdgerOptions { jobs: Some(1), ..Default::default() };
            ils_fake_devices::run_edger(&mut edger, &options, |doc| { let _ = job_tx.send(doc.to_bytes()); }).await
        });

        // The bridge: the tracer dials it; it dials the edger.
        let dir = tempfile::tempdir().unwrap();
        let toml = format!(
            "server = \"{}\"\ndata_dir = \"{}\"\nname = \"lab-bridge\"\n\n[[device]]\nname = \"tracer-1\"\ntcp_listen = \"127.0.0.1:0\"\n\n[[device]]\nname = \"edger-1\"\ntcp_connect = \"{edger_addr}\"\n",
            app.base, dir.path().join("bridge").display()
        );
        let overrides = ils_bridge::Overrides { key: Some(key.clone()), ..Default::default() };
        let config = ils_bridge::Config::from_toml(&toml, &dir.path().join("bridge.toml"), &overrides).unwrap();
        let data_dir = config.data_dir().to_path_buf();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let bridge = tokio::spawn(ils_bridge::run(config, async { let _ = stopped.await; }));
        let mut listening = None;
        eventually("the bridge to listen for the tracer", || {
            let found = ils_bridge::status(&data_dir).ok().and_then(|s| s.devices.iter().find(|d| d.name == "tracer-1").and_then(|d| d.listening.clone()));
            listening = found.clone();
            async move { found.is_some() }
        }).await;

        // The tracer uploads the shape for the order's job: it lands on the order.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/fake-devices/recordings/tracer-r1001.txt");
        let mut recording = TracerRecording::load(std::path::Path::new(path)).unwrap();
        recording.set_job(&number).unwrap();
        let mut tracer = ils_fake_devices::Endpoint::open(&ils_fake_devices::Transport::Connect(listening.unwrap())).await.unwrap();
        let report = ils_fake_devices::run_tracer(&mut tracer, &recording, &ils_fake_devices::TracerOptions::default()).await.unwrap();
        assert_eq!(report.sessions, 1);
        let shown = app.get(&format!("/api/v1/orders/{order_id}"), &tech.token).await.ok(200).clone();
        let shapes = shown["frame"]["shapes"].as_array().unwrap();
        assert_eq!(shapes.len(), 1, "the tracer got its STATUS=0 only after the shape was committed: {shown}");
        assert_eq!((shapes[0]["box_width_mm"].as_f64(), shapes[0]["box_height_mm"].as_f64()), (Some(51.37), Some(40.06)));
        assert_eq!(shapes[0]["device"], "tracer-1");

        // The lab sends the job to the edger by its name: the packet it receives carries the shape.
        let sent = app.post(&format!("/api/v1/orders/{order_id}/device-jobs"), Some(&tech.token), json!({ "device": "edger-1" })).await;
        assert_eq!(sent.status, 202, "{:?}", sent.body);
        let received = tokio::time::timeout(std::time::Duration::from_secs(30), job_rx.recv()).await.unwrap().unwrap();
        let job = dcs_driver::job::Job::from_document(&dcs_driver::record::Document::parse(&received).unwrap()).unwrap();
        assert_eq!(job.frame.shapes.len(), 1);
        assert_eq!(job.frame.shapes[0].radii(), recording.traces()[0].radii());
        edger_task.await.unwrap().unwrap();
        let log_of = |name: &'static str| {
            let (app, token) = (&app, tech.token.clone());
            async move { app.get(&format!("/api/v1/devices/{name}/log"), &token).await.ok(200).clone() }
        };
        eventually("the edger's acknowledgement", || async { log_of("edger-1").await.to_string().contains("job_delivered") }).await;
        let devices = app.get("/api/v1/devices", &tech.token).await.ok(200).clone();
        assert_eq!(devices.as_array().map(Vec::len), Some(2), "{devices}");

        // Another lab sees none of it.
        assert_eq!(app.get("/api/v1/devices", &other.admin.token).await.ok(200).clone(), json!([]));
        app.get("/api/v1/devices/tracer-1/log", &other.admin.token).await.problem(404, "not_found");

        let _ = stop.send(());
        bridge.await.unwrap().unwrap();
    }
);

/// A TCP hop between the bridge and ILS, which the test closes (new connections are dropped)
/// and cuts (every open connection ends at once), as ILS going away looks to the bridge. ILS
/// keeps nothing of a bridge's connection outside the database (a new connection gets new
/// sessions, as a restarted ILS would), so a cut stands for ILS killed and started again.
struct Hop {
    addr: std::net::SocketAddr,
    open: Arc<std::sync::atomic::AtomicBool>,
    cuts: Arc<tokio::sync::watch::Sender<u32>>,
}

impl Hop {
    async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let cuts = Arc::new(tokio::sync::watch::channel(0u32).0);
        let (is_open, cutter) = (Arc::clone(&open), Arc::clone(&cuts));
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !is_open.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let mut cut = cutter.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { addr, open, cuts }
    }

    fn set_open(&self, open: bool) {
        self.open.store(open, std::sync::atomic::Ordering::SeqCst);
    }

    fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }
}

/// The bridge's view of one device, once it has written its status.
fn bridge_device(data_dir: &std::path::Path, name: &str) -> Option<ils_bridge::DeviceStatus> {
    ils_bridge::status(data_dir).ok()?.devices.into_iter().find(|d| d.name == name)
}

db_test!(
    async fn neither_the_bridge_nor_ils_going_away_loses_or_doubles_an_upload(backend) {
        let (app, lab, _other) = lab_with_dcs(backend).await;
        let ecp = app.member(&lab, "olive", "ecp").await;
        let (order_id, number) = order_for_a_traced_frame(&app, &ecp.token).await;
        let tracer = json!({ "name": "tracer-1", "plugin": "dcs-driver", "model": "tracer" });
        app.post("/api/v1/devices", Some(&lab.admin.token), tracer).await.ok(201);
        let key = app.post("/api/v1/api-keys", Some(&lab.admin.token), json!({ "name": "lab bridge", "scopes": ["devices:connect"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();

        // ILS is reached through a hop, closed to begin with: ILS is down.
        let hop = Hop::start(app.base.trim_start_matches("http://").parse().unwrap()).await;
        hop.set_open(false);
        // Both bridges listen for the tracer on one port, as a site's bridge would after a restart.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let toml = format!(
            "server = \"http://{}\"\ndata_dir = \"{}\"\nname = \"lab-bridge\"\n\n[[device]]\nname = \"tracer-1\"\ntcp_listen = \"127.0.0.1:{port}\"\n",
            hop.addr, dir.path().join("bridge").display()
        );
        let start_bridge = || {
            let overrides = ils_bridge::Overrides { key: Some(key.clone()), ..Default::default() };
            let config = ils_bridge::Config::from_toml(&toml, &dir.path().join("bridge.toml"), &overrides).unwrap();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            (stop, tokio::spawn(ils_bridge::run(config, async { let _ = stopped.await; })))
        };
        let data_dir = dir.path().join("bridge");
        let (_stop_a, bridge_a) = start_bridge();
        eventually("the first bridge to listen", || {
            let listening = bridge_device(&data_dir, "tracer-1").is_some_and(|d| d.listening.is_some());
            async move { listening }
        }).await;

        // The tracer starts its upload; its first message waits in the bridge's journal.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/fake-devices/recordings/tracer-r1001.txt");
        let mut recording = TracerRecording::load(std::path::Path::new(path)).unwrap();
        recording.set_job(&number).unwrap();
        let options = ils_fake_devices::TracerOptions {
            reconnects: 5,
            reconnect_pause: std::time::Duration::from_millis(300),
            ..Default::default()
        };
        let addr = format!("127.0.0.1:{port}").parse().unwrap();
        let tracer = tokio::spawn(async move {
            let mut tracer = ils_fake_devices::Endpoint::open(&ils_fake_devices::Transport::Connect(addr)).await?;
            ils_fake_devices::run_tracer(&mut tracer, &recording, &options).await
        });
        eventually("the tracer's first bytes in the journal", || {
            let waiting = bridge_device(&data_dir, "tracer-1").map_or(0, |d| d.waiting);
            async move { waiting >= 2 }
        }).await;

        // The bridge is killed mid-session; another starts on its data directory, and ILS comes back.
        bridge_a.abort();
        let _ = bridge_a.await;
        let (stop_b, bridge_b) = start_bridge();
        hop.set_open(true);

        // Once ILS has taken the journal and part of the new session, it goes away again.
        let journaled = bridge_device(&data_dir, "tracer-1").map_or(0, |d| d.last_seq);
        eventually("ILS to take part of the second session", || {
            let acked = bridge_device(&data_dir, "tracer-1").map_or(0, |d| d.last_acked);
            async move { acked >= journaled + 3 }
        }).await;
        hop.cut();

        // The tracer completes its upload (starting again when its line dropped).
        let report = tracer.await.unwrap().expect("the tracer's upload completes");
        assert!(report.sessions >= 2, "the killed bridge dropped the tracer's line: {report:?}");

        // The order has the shape once; its audit says so once; the journal is drained.
        let shown = app.get(&format!("/api/v1/orders/{order_id}"), &ecp.token).await.ok(200).clone();
        let shapes = shown["frame"]["shapes"].as_array().unwrap();
        assert_eq!(shapes.len(), 1, "{shown}");
        assert_eq!((shapes[0]["box_width_mm"].as_f64(), shapes[0]["box_height_mm"].as_f64()), (Some(51.37), Some(40.06)));
        let audit = app.get("/api/v1/audit?action=order.shape_attached", &lab.admin.token).await.ok(200).clone();
        assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
        eventually("the journal to drain", || {
            let waiting = bridge_device(&data_dir, "tracer-1").map_or(1, |d| d.waiting);
            async move { waiting == 0 }
        }).await;
        let log = app.get("/api/v1/devices/tracer-1/log", &lab.admin.token).await.ok(200).clone();
        let kinds: Vec<&str> = log.as_array().unwrap().iter().filter_map(|l| l["kind"].as_str()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "shapes").count(), 1, "{log}");

        let _ = stop_b.send(());
        bridge_b.await.unwrap().unwrap();
    }
);

db_test!(
    async fn a_refractors_transmission_through_the_bridge_fills_the_draft_examination(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "nidek_rs232", NIDEK, "free").await;
        let practice = app.tenant("bright-eyes").await;
        let other = app.tenant("other").await;
        app.put("/api/v1/tenant/plugins/nidek-rs232", &practice.admin.token, json!({ "version": "0.1.0", "consent": [] }))
            .await
            .ok(200);
        let optom = app.member(&practice, "olive", "ecp").await;
        let dispenser = app.member(&practice, "dan", "dispenser").await;
        let patient = app.post("/api/v1/patients", Some(&optom.token), json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" })).await;
        let patient = patient.ok(201)["id"].as_str().unwrap().to_owned();
        let exam = app.post(&format!("/api/v1/patients/{patient}/examinations"), Some(&optom.token), json!({ "examined_on": "2026-11-01", "visual_acuity": { "right": "6/6", "left": "6/9" }, "notes": "routine" })).await;
        let exam = exam.ok(201)["id"].as_str().unwrap().to_owned();
        let device = json!({ "name": "phoropter-1", "plugin": "nidek-rs232", "model": "rt-5100" });
        app.post("/api/v1/devices", Some(&practice.admin.token), device).await.ok(201);

        // The optometrist points the refractor at the draft; a dispenser may not; another
        // practice sees neither the device nor the examination.
        let point = "/api/v1/devices/phoropter-1/examination";
        app.put(point, &dispenser.token, json!({ "examination_id": exam })).await.problem(403, "forbidden");
        app.put(point, &other.admin.token, json!({ "examination_id": null })).await.problem(404, "not_found");
        let theirs = app.post("/api/v1/patients", Some(&other.admin.token), json!({ "first_name": "Bo", "last_name": "Orr", "date_of_birth": "1970-01-01" })).await;
        let theirs = theirs.ok(201)["id"].as_str().unwrap().to_owned();
        let their_exam = app.post(&format!("/api/v1/patients/{theirs}/examinations"), Some(&other.admin.token), json!({ "examined_on": "2026-11-01", "notes": "" })).await;
        let their_exam = their_exam.ok(201)["id"].as_str().unwrap().to_owned();
        app.put(point, &optom.token, json!({ "examination_id": their_exam })).await.problem(404, "not_found");
        let pointed = app.put(point, &optom.token, json!({ "examination_id": exam })).await.ok(200).clone();
        assert_eq!(pointed["examination_id"], exam.as_str());

        // The refractor on a serial line (a pty), 2400 baud 7E2 as an RT-5100 sends, a few bytes
        // at a time; the bridge reads the port.
        let key = app.post("/api/v1/api-keys", Some(&practice.admin.token), json!({ "name": "room 2", "scopes": ["devices:connect"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
        let mut refractor = ils_fake_devices::Endpoint::open(&ils_fake_devices::Transport::Pty).await.unwrap();
        let port = refractor.pty_path().unwrap().display().to_string();
        let dir = tempfile::tempdir().unwrap();
        let toml = format!(
            "server = \"{}\"\ndata_dir = \"{}\"\nname = \"room-2\"\n\n[[device]]\nname = \"phoropter-1\"\nserial = {port:?}\nbaud = 2400\ndata_bits = 7\nparity = \"even\"\nstop_bits = 2\n",
            app.base, dir.path().join("bridge").display()
        );
        let overrides = ils_bridge::Overrides { key: Some(key), ..Default::default() };
        let config = ils_bridge::Config::from_toml(&toml, &dir.path().join("bridge.toml"), &overrides).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let bridge = tokio::spawn(ils_bridge::run(config, async { let _ = stopped.await; }));
        let transmission = include_bytes!("../../../plugins/fake-devices/recordings/refractor-rt5100.txt");
        let options = ils_fake_devices::RefractorOptions {
            chunk: Some(24),
            delay: std::time::Duration::from_millis(5),
            ..Default::default()
        };
        let sending = tokio::spawn(async move { ils_fake_devices::run_refractor(&mut refractor, transmission, &options).await });

        // The final refraction and PDs land in the draft; the rest of it is kept.
        let exam_path = format!("/api/v1/examinations/{exam}");
        eventually("the reading in the examination", || {
            let (app, path, token) = (&app, exam_path.clone(), optom.token.clone());
            async move { app.get(&path, &token).await.ok(200)["refraction"]["right"]["written"] == "+10.00/-5.00×90" }
        }).await;
        let filled = app.get(&exam_path, &optom.token).await.ok(200).clone();
        assert_eq!(filled["refraction"]["left"]["written"], "+9.50/-4.75×85", "{filled}");
        assert_eq!(filled["refraction"]["right"]["add"], "+2.00", "{filled}");
        assert_eq!(filled["pd"]["distance_mm"], 64.0, "the final PD, not the autorefractor's: {filled}");
        assert_eq!(filled["pd"]["working_distance_cm"], 40, "{filled}");
        assert_eq!(filled["visual_acuity"]["left"], "6/9");
        assert_eq!(filled["finalised_at"], serde_json::Value::Null, "a draft, for the optometrist to check");
        let log = app.get("/api/v1/devices/phoropter-1/log", &optom.token).await.ok(200).clone();
        let reading = log.as_array().unwrap().iter().find(|l| l["kind"] == "reading").expect("a reading in the log");
        assert_eq!(reading["examination_id"], exam.as_str(), "{log}");
        app.get("/api/v1/devices/phoropter-1/log", &other.admin.token).await.problem(404, "not_found");

        // The bridge stops: the port closes, and the refractor sent its one transmission.
        let _ = stop.send(());
        bridge.await.unwrap().unwrap();
        let report = sending.await.unwrap().unwrap();
        assert_eq!(report.transmissions, 1);

        // Once the examination is finalised, a reading is not taken: it stays in the device's
        // log with its values, and the finalised refraction does not change.
        app.post(&format!("{exam_path}/finalise"), Some(&optom.token), json!({})).await.ok(200);
        let tenant = practice.id.parse().unwrap();
        let ctx = TenantCtx::system(tenant);
        let sessions = Sessions::new(app.db.clone(), Arc::clone(&app.state.plugins));
        let acked = app.get("/api/v1/devices", &optom.token).await.ok(200)[0]["acked"].as_u64().unwrap();
        sessions.apply(&ctx, "phoropter-1", acked + 1, Entry::Link(true)).await.unwrap();
        let other_reading = String::from_utf8_lossy(transmission).replace("FR+10.00- 5.00 90", "FR+ 1.00- 0.50 90");
        sessions.apply(&ctx, "phoropter-1", acked + 2, Entry::Bytes(other_reading.into_bytes())).await.unwrap();
        let log = app.get("/api/v1/devices/phoropter-1/log", &optom.token).await.ok(200).clone();
        assert_eq!(log[0]["kind"], "refused", "{log}");
        assert!(log[0]["message"].as_str().unwrap().contains("final.sphere right 1"), "the values are kept: {log}");
        let kept = app.get(&exam_path, &optom.token).await.ok(200).clone();
        assert_eq!(kept["refraction"]["right"]["written"], "+10.00/-5.00×90");
    }
);
