//! Lab orders: a spectacle job end to end, every invalid move, every role's moves, the
//! production queue, validation, concurrent moves and tenant isolation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Actor, Tenant, TestApp, db_test};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A patient with a current spectacle prescription (with a reading addition), recorded by `ecp`.
async fn patient_with_rx(app: &TestApp, ecp: &Actor) -> (String, String) {
    let patient = app
        .post(
            "/api/v1/patients",
            Some(&ecp.token),
            json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" }),
        )
        .await;
    let patient = id(patient.ok(201));
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": { "sphere": "+1.50", "cylinder": "-0.50", "axis": 90, "add": "+2.00" },
        "left": { "sphere": "+1.25", "add": "+2.00" }, "pd_right_mm": 32, "pd_left_mm": 31.5 });
    let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(&ecp.token), rx).await;
    (patient, id(rx.ok(201)))
}

pub(crate) fn order_body(patient: &str, rx: &str) -> Value {
    json!({
        "patient_id": patient, "prescription_id": rx,
        "lens": { "type": "single_vision", "material": "high_index", "index": 1.67,
                  "coatings": ["hard_coat", "anti_reflective"], "tint": null },
        "frame": { "description": "Ray-Ban RB5154 Clubmaster 51-21 black", "a_mm": 51, "b_mm": 40, "dbl_mm": 21 },
        "due_on": "2099-01-15", "priority": "normal",
        "price": { "amount_minor": 12950, "currency": "GBP" }
    })
}

async fn place(app: &TestApp, by: &Actor, body: Value) -> Value {
    app.post("/api/v1/orders", Some(&by.token), body).await.ok(201).clone()
}

async fn mv(app: &TestApp, by: &Actor, order: &str, body: Value) -> crate::harness::Resp {
    app.post(&format!("/api/v1/orders/{order}/transitions"), Some(&by.token), body).await
}

struct Lab {
    tenant: Tenant,
    ecp: Actor,
    dispenser: Actor,
    tech: Actor,
    engineer: Actor,
    patient: String,
    rx: String,
}

async fn lab(app: &TestApp, slug: &str) -> Lab {
    let tenant = app.tenant(slug).await;
    let ecp = app.member(&tenant, "olive", "ecp").await;
    let dispenser = app.member(&tenant, "dan", "dispenser").await;
    let tech = app.member(&tenant, "tess", "lab_tech").await;
    let engineer = app.member(&tenant, "ed", "engineer").await;
    let (patient, rx) = patient_with_rx(app, &ecp).await;
    Lab { tenant, ecp, dispenser, tech, engineer, patient, rx }
}

db_test!(
    async fn a_spectacle_job_goes_from_examination_to_completed_with_a_failed_check_and_a_remake(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let ecp = app.member(&tenant, "olive", "ecp").await;
        let dispenser = app.member(&tenant, "dan", "dispenser").await;
        let tech = app.member(&tenant, "tess", "lab_tech").await;

        // Patient → examination → prescription.
        let patient = app
            .post("/api/v1/patients", Some(&ecp.token), json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" }))
            .await;
        let patient = id(patient.ok(201));
        let exam = json!({ "examined_on": "2026-11-02", "visual_acuity": { "right": "6/6", "left": "6/9" },
            "refraction": { "right": { "sphere": "+2.00", "cylinder": "+0.50", "axis": 180, "add": "+2.25" },
                            "left": { "sphere": "+1.75", "add": "+2.25" } } });
        let exam = id(app.post(&format!("/api/v1/patients/{patient}/examinations"), Some(&ecp.token), exam).await.ok(201));
        app.post(&format!("/api/v1/examinations/{exam}/finalise"), Some(&ecp.token), json!({})).await.ok(200);
        let rx = app
            .post(&format!("/api/v1/examinations/{exam}/prescription"), Some(&ecp.token),
                  json!({ "kind": "spectacles", "prescriber": "O. Optom", "pd_right_mm": 32.5, "pd_left_mm": 31 }))
            .await;
        let rx = id(rx.ok(201));

        // The dispenser orders varifocals; the order carries the prescription, minus-cylinder form.
        let mut body = order_body(&patient, &rx);
        body["lens"]["type"] = json!("progressive");
        body["measurements"] = json!({ "height_right_mm": 22, "height_left_mm": 22.5 });
        body["priority"] = json!("high");
        let order = place(&app, &dispenser, body).await;
        let order_id = id(&order);
        assert_eq!(order["number"], "J000001");
        assert_eq!(order["status"], "pending");
        assert_eq!(order["rx"]["right"]["written"], "+2.50/-0.50×90");
        assert_eq!(order["measurements"]["pd_right_mm"], 32.5, "PD taken from the prescription");
        assert_eq!(order["measurements"]["height_left_mm"], 22.5);
        assert_eq!(order["lens"]["index"], 1.67);
        assert_eq!(order["price"], json!({ "amount_minor": 12950, "currency": "GBP" }));

        // The lab makes it: production (stations), a hold, a failed check, the check again, shipping.
        let steps: Vec<(&Actor, &str, Value, &str, Option<&str>)> = vec![
            (&tech, "transitions", json!({ "to": "in_production", "note": "started" }), "in_production", Some("surfacing")),
            (&tech, "station", json!({ "station": "coating" }), "in_production", Some("coating")),
            (&tech, "transitions", json!({ "to": "on_hold", "note": "frame not arrived" }), "on_hold", Some("coating")),
            (&tech, "transitions", json!({ "to": "in_production", "note": "frame arrived" }), "in_production", Some("coating")),
            (&tech, "station", json!({ "station": "edging" }), "in_production", Some("edging")),
            (&tech, "transitions", json!({ "to": "quality_check" }), "quality_check", Some("inspection")),
            (&tech, "transitions", json!({ "to": "in_production", "quality_issue": "right axis 4° out of tolerance", "station": "surfacing" }), "in_production", Some("surfacing")),
            (&tech, "transitions", json!({ "to": "quality_check" }), "quality_check", Some("inspection")),
            (&tech, "transitions", json!({ "to": "shipped", "note": "courier 1Z999" }), "shipped", None),
            (&dispenser, "transitions", json!({ "to": "completed", "note": "collected by the patient" }), "completed", None),
        ];
        for (actor, what, body, status, station) in &steps {
            let moved = app.post(&format!("/api/v1/orders/{order_id}/{what}"), Some(&actor.token), body.clone()).await;
            let moved = moved.ok(200);
            assert_eq!(moved["status"], *status, "{body}");
            assert_eq!(moved["station"].as_str(), *station, "{body}");
        }
        let done = app.get(&format!("/api/v1/orders/{order_id}"), &ecp.token).await.ok(200).clone();
        assert_eq!(done["quality_issue"], "right axis 4° out of tolerance");
        assert_eq!(done["held_from"], Value::Null);

        // The timeline: creation plus every step, in order, each with who and when.
        let timeline = app.get(&format!("/api/v1/orders/{order_id}/timeline"), &tech.token).await.ok(200).clone();
        let rows = timeline.as_array().unwrap();
        assert_eq!(rows.len(), steps.len() + 1);
        assert_eq!(rows[0]["from_status"], Value::Null);
        assert_eq!(rows[0]["to_status"], "pending");
        assert_eq!(rows[0]["actor_id"], dispenser.user_id);
        let mut previous = "pending".to_owned();
        for (row, (actor, _, body, status, station)) in rows[1..].iter().zip(&steps) {
            assert_eq!(row["from_status"], previous.as_str());
            assert_eq!(row["to_status"], *status);
            assert_eq!(row["to_station"].as_str(), *station);
            assert_eq!(row["actor_kind"], "user");
            assert_eq!(row["actor_id"], actor.user_id, "{body}");
            assert_eq!(row["note"], body.get("note").cloned().unwrap_or(Value::Null));
            previous = status.to_string();
        }
        assert_eq!(rows[7]["quality_issue"], "right axis 4° out of tolerance");
        let times: Vec<&str> = rows.iter().map(|r| r["at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "timeline in time order: {times:?}");

        // The patient breaks a lens: a remake linked to the original, which keeps its history.
        let mut remake = order_body(&patient, &rx);
        remake["reason"] = json!("remake");
        remake["original_order_id"] = json!(order_id);
        remake["lens"]["type"] = json!("progressive");
        remake["measurements"] = json!({ "height_right_mm": 22, "height_left_mm": 22.5 });
        remake["priority"] = json!("urgent");
        let remake = place(&app, &dispenser, remake).await;
        assert_eq!(remake["number"], "J000002");
        assert_eq!(remake["reason"], "remake");
        assert_eq!(remake["original_order_id"], order_id);
        let remake_id = id(&remake);
        for to in ["in_production", "quality_check", "shipped"] {
            mv(&app, &tech, &remake_id, json!({ "to": to })).await.ok(200);
        }
        mv(&app, &dispenser, &remake_id, json!({ "to": "completed" })).await.ok(200);
        let original = app.get(&format!("/api/v1/orders/{order_id}"), &ecp.token).await.ok(200).clone();
        assert_eq!(original["status"], "completed");

        // Each change emitted its event.
        let events = app.get("/api/v1/events?limit=200", &tenant.admin.token).await.ok(200).clone();
        let of = |t: &str| -> Vec<Value> {
            events["items"].as_array().unwrap().iter().filter(|e| e["type"] == t).map(|e| e["data"].clone()).collect()
        };
        let created = of("order.created");
        assert_eq!(created.len(), 2);
        assert!(created.iter().any(|e| e["reason"] == "remake" && e["original_order_id"] == order_id.as_str()));
        let changed = of("order.status_changed");
        assert_eq!(changed.len(), 8 + 4, "every status change of both orders");
        assert!(changed.iter().any(|e| e["from"] == "quality_check" && e["to"] == "in_production"
            && e["quality_issue"] == "right axis 4° out of tolerance"));
        assert_eq!(of("order.station_changed").len(), 2);
    }
);

/// An order of `lab` brought to `status` by the company admin (who may make every move).
async fn order_in(app: &TestApp, lab: &Lab, status: &str) -> String {
    let order = id(&place(app, &lab.dispenser, order_body(&lab.patient, &lab.rx)).await);
    let path: &[&str] = match status {
        "pending" => &[],
        "in_production" => &["in_production"],
        "quality_check" => &["in_production", "quality_check"],
        "shipped" => &["in_production", "quality_check", "shipped"],
        "completed" => &["in_production", "quality_check", "shipped", "completed"],
        "on_hold" => &["on_hold"],
        "cancelled" => &["cancelled"],
        other => panic!("no path to {other}"),
    };
    for to in path {
        mv(app, &lab.tenant.admin, &order, json!({ "to": to })).await.ok(200);
    }
    order
}

const STATUSES: [&str; 7] =
    ["pending", "in_production", "quality_check", "shipped", "completed", "on_hold", "cancelled"];

db_test!(
    async fn every_invalid_order_transition_answers_409(backend) {
        let app = TestApp::spawn(backend).await;
        let lab = lab(&app, "acme").await;
        // The moves that exist (on_hold here was entered from pending, so it resumes to pending).
        let allowed = [
            ("pending", "in_production"), ("pending", "on_hold"), ("pending", "cancelled"),
            ("in_production", "quality_check"), ("in_production", "on_hold"), ("in_production", "cancelled"),
            ("quality_check", "shipped"), ("quality_check", "in_production"), ("quality_check", "on_hold"),
            ("shipped", "completed"), ("on_hold", "pending"), ("on_hold", "cancelled"),
        ];
        let mut refused = 0;
        for from in STATUSES {
            let order = order_in(&app, &lab, from).await;
            for to in STATUSES {
                if allowed.contains(&(from, to)) {
                    continue;
                }
                let resp = mv(&app, &lab.tenant.admin, &order, json!({ "to": to, "quality_issue": null })).await;
                resp.problem(409, "invalid_transition");
                assert!(resp.body["detail"].as_str().unwrap().contains(&format!("from {from} to {to}")), "{}", resp.body);
                refused += 1;
            }
            let now = app.get(&format!("/api/v1/orders/{order}"), &lab.tech.token).await.ok(200)["status"].clone();
            assert_eq!(now, from, "a refused move changes nothing");
        }
        assert_eq!(refused, 7 * 7 - allowed.len());

        // Held from production, an order resumes only to production.
        let held = order_in(&app, &lab, "in_production").await;
        mv(&app, &lab.tech, &held, json!({ "to": "on_hold" })).await.ok(200);
        mv(&app, &lab.tech, &held, json!({ "to": "pending" })).await.problem(409, "invalid_transition");
        mv(&app, &lab.tech, &held, json!({ "to": "quality_check" })).await.problem(409, "invalid_transition");
        mv(&app, &lab.tech, &held, json!({ "to": "in_production" })).await.ok(200);

        // A failed check must say what failed; station and quality issue only where they belong.
        let checked = order_in(&app, &lab, "quality_check").await;
        mv(&app, &lab.tech, &checked, json!({ "to": "in_production" })).await.problem(422, "invalid_input");
        mv(&app, &lab.tech, &checked, json!({ "to": "shipped", "quality_issue": "scratch" })).await.problem(422, "invalid_input");
        mv(&app, &lab.tech, &checked, json!({ "to": "shipped", "station": "edging" })).await.problem(422, "invalid_input");
        // Station moves only in production, and never to where the job is.
        app.post(&format!("/api/v1/orders/{checked}/station"), Some(&lab.tech.token), json!({ "station": "edging" }))
            .await
            .problem(409, "not_in_production");
        let making = order_in(&app, &lab, "in_production").await;
        app.post(&format!("/api/v1/orders/{making}/station"), Some(&lab.tech.token), json!({ "station": "surfacing" }))
            .await
            .problem(409, "already_there");
    }
);

db_test!(
    async fn each_role_makes_only_its_moves(backend) {
        let app = TestApp::spawn(backend).await;
        let lab = lab(&app, "acme").await;
        let supplier = app.member(&lab.tenant, "sam", "supplier").await;
        let body = order_body(&lab.patient, &lab.rx);

        // Placing: practice staff and admins; not the lab, not suppliers.
        for who in [&lab.tech, &lab.engineer, &supplier] {
            app.post("/api/v1/orders", Some(&who.token), body.clone()).await.problem(403, "forbidden");
        }
        place(&app, &lab.ecp, body.clone()).await;
        place(&app, &lab.tenant.admin, body.clone()).await;
        // Reading: everyone but suppliers.
        app.get("/api/v1/orders", &supplier.token).await.problem(403, "forbidden");
        app.get("/api/v1/production/queue", &supplier.token).await.problem(403, "forbidden");
        for who in [&lab.ecp, &lab.dispenser, &lab.tech, &lab.engineer] {
            assert_eq!(app.get("/api/v1/orders", &who.token).await.ok(200)["items"].as_array().unwrap().len(), 2);
        }

        // Production moves are the lab's.
        let order = order_in(&app, &lab, "pending").await;
        for who in [&lab.ecp, &lab.dispenser] {
            mv(&app, who, &order, json!({ "to": "in_production" })).await.problem(403, "not_your_transition");
        }
        mv(&app, &supplier, &order, json!({ "to": "in_production" })).await.problem(403, "forbidden");
        mv(&app, &lab.engineer, &order, json!({ "to": "in_production" })).await.ok(200);
        for who in [&lab.ecp, &lab.dispenser] {
            app.post(&format!("/api/v1/orders/{order}/station"), Some(&who.token), json!({ "station": "edging" }))
                .await
                .problem(403, "not_your_transition");
            mv(&app, who, &order, json!({ "to": "quality_check" })).await.problem(403, "not_your_transition");
            mv(&app, who, &order, json!({ "to": "cancelled" })).await.problem(403, "not_your_transition");
            mv(&app, who, &order, json!({ "to": "on_hold" })).await.problem(403, "not_your_transition");
        }
        app.post(&format!("/api/v1/orders/{order}/station"), Some(&lab.engineer.token), json!({ "station": "edging" }))
            .await
            .ok(200);
        mv(&app, &lab.tech, &order, json!({ "to": "quality_check" })).await.ok(200);
        for who in [&lab.ecp, &lab.dispenser] {
            mv(&app, who, &order, json!({ "to": "shipped" })).await.problem(403, "not_your_transition");
        }
        mv(&app, &lab.tech, &order, json!({ "to": "shipped" })).await.ok(200);
        // Receipt is the practice's.
        for who in [&lab.tech, &lab.engineer] {
            mv(&app, who, &order, json!({ "to": "completed" })).await.problem(403, "not_your_transition");
        }
        mv(&app, &lab.ecp, &order, json!({ "to": "completed" })).await.ok(200);

        // Before production both sides may hold or cancel; a held order is resumed by the lab.
        let early = order_in(&app, &lab, "pending").await;
        mv(&app, &lab.dispenser, &early, json!({ "to": "on_hold" })).await.ok(200);
        mv(&app, &lab.dispenser, &early, json!({ "to": "pending" })).await.problem(403, "not_your_transition");
        mv(&app, &lab.tech, &early, json!({ "to": "pending" })).await.ok(200);
        mv(&app, &lab.ecp, &early, json!({ "to": "cancelled", "note": "patient changed their mind" })).await.ok(200);

        // API keys move orders within their scopes.
        let read_only = app
            .post("/api/v1/api-keys", Some(&lab.tenant.admin.token), json!({ "name": "ro", "scopes": ["orders:read"] }))
            .await;
        let read_only = read_only.ok(201)["secret"].as_str().unwrap().to_owned();
        let mover = app
            .post("/api/v1/api-keys", Some(&lab.tenant.admin.token), json!({ "name": "lms", "scopes": ["orders:read", "orders:transition"] }))
            .await;
        let mover = mover.ok(201)["secret"].as_str().unwrap().to_owned();
        let keyed = order_in(&app, &lab, "pending").await;
        let path = format!("/api/v1/orders/{keyed}/transitions");
        app.call(Method::POST, &path, Some(&read_only), Some(json!({ "to": "in_production" }))).await.problem(403, "forbidden");
        app.call(Method::POST, &path, Some(&mover), Some(json!({ "to": "in_production" }))).await.ok(200);
        let timeline = app.get(&format!("/api/v1/orders/{keyed}/timeline"), &lab.tech.token).await.ok(200).clone();
        assert_eq!(timeline[1]["actor_kind"], "api_key");
        app.call(Method::POST, "/api/v1/orders", Some(&mover), Some(body)).await.problem(403, "forbidden");
    }
);

db_test!(
    async fn the_production_queue_puts_urgent_work_first_then_the_earliest_due(backend) {
        let app = TestApp::spawn(backend).await;
        let lab = lab(&app, "acme").await;
        let mut numbers = Vec::new();
        for (priority, due) in [("normal", "2099-03-01"), ("urgent", "2099-05-01"), ("normal", "2099-02-01"),
                                ("low", "2099-01-01"), ("urgent", "2099-04-01"), ("high", "2099-06-01")] {
            let mut body = order_body(&lab.patient, &lab.rx);
            body["priority"] = json!(priority);
            body["due_on"] = json!(due);
            let order = place(&app, &lab.dispenser, body).await;
            numbers.push((id(&order), order["number"].as_str().unwrap().to_owned()));
        }
        // J1 normal 03-01, J2 urgent 05-01, J3 normal 02-01, J4 low 01-01, J5 urgent 04-01, J6 high 06-01.
        let order_of = |resp: &Value| -> Vec<String> {
            resp["items"].as_array().unwrap().iter().map(|o| o["number"].as_str().unwrap().to_owned()).collect()
        };
        let queue = app.get("/api/v1/production/queue", &lab.tech.token).await.ok(200).clone();
        assert_eq!(order_of(&queue), ["J000005", "J000002", "J000006", "J000003", "J000001", "J000004"]);

        // Paging keeps the queue's order.
        let mut paged = Vec::new();
        let mut url = "/api/v1/production/queue?limit=4".to_owned();
        loop {
            let page = app.get(&url, &lab.tech.token).await.ok(200).clone();
            paged.extend(order_of(&page));
            match page["next_cursor"].as_str() {
                Some(cursor) => url = format!("/api/v1/production/queue?limit=4&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(paged, order_of(&queue));

        // Jobs leave the queue when shipped; filters by status and station.
        let (j5, j2, j3) = (&numbers[4].0, &numbers[1].0, &numbers[2].0);
        for to in ["in_production", "quality_check", "shipped"] {
            mv(&app, &lab.tech, j5, json!({ "to": to })).await.ok(200);
        }
        mv(&app, &lab.tech, j2, json!({ "to": "in_production" })).await.ok(200);
        mv(&app, &lab.tech, j3, json!({ "to": "in_production" })).await.ok(200);
        app.post(&format!("/api/v1/orders/{j3}/station"), Some(&lab.tech.token), json!({ "station": "edging" })).await.ok(200);
        let queue = app.get("/api/v1/production/queue", &lab.tech.token).await.ok(200).clone();
        assert_eq!(order_of(&queue), ["J000002", "J000006", "J000003", "J000001", "J000004"]);
        let making = app.get("/api/v1/production/queue?status=in_production", &lab.tech.token).await.ok(200).clone();
        assert_eq!(order_of(&making), ["J000002", "J000003"]);
        let edging = app.get("/api/v1/production/queue?station=edging", &lab.tech.token).await.ok(200).clone();
        assert_eq!(order_of(&edging), ["J000003"]);
        app.get("/api/v1/production/queue?station=polishing", &lab.tech.token).await.problem(400, "invalid_query");

        // A job past its due date is flagged overdue; shipped ones never are.
        app.owner_execute("UPDATE lab_orders SET due_on = '2020-01-01'").await.unwrap();
        let queue = app.get("/api/v1/production/queue", &lab.tech.token).await.ok(200).clone();
        assert!(queue["items"].as_array().unwrap().iter().all(|o| o["overdue"] == true));
        let shipped = app.get(&format!("/api/v1/orders/{j5}"), &lab.tech.token).await.ok(200).clone();
        assert_eq!(shipped["overdue"], false);
    }
);

db_test!(
    async fn orders_refuse_what_a_lab_could_not_make(backend) {
        let app = TestApp::spawn(backend).await;
        let lab = lab(&app, "acme").await;
        let base = order_body(&lab.patient, &lab.rx);
        let cases: Vec<(&str, Value, &str)> = vec![
            ("index not made in the material", json!({ "lens": { "type": "single_vision", "material": "polycarbonate", "index": 1.67 } }), "lens.index"),
            ("coating twice", json!({ "lens": { "type": "single_vision", "material": "plastic", "index": 1.5, "coatings": ["hard_coat", "hard_coat"] } }), "lens.coatings"),
            ("varifocal without heights", json!({ "lens": { "type": "progressive", "material": "plastic", "index": 1.5 } }), "measurements.height_right_mm"),
            ("due in the past", json!({ "due_on": "2020-01-01" }), "due_on"),
            ("negative price", json!({ "price": { "amount_minor": -5, "currency": "GBP" } }), "price.amount_minor"),
            ("not a currency", json!({ "price": { "amount_minor": 5, "currency": "£" } }), "price.currency"),
            ("odd PD", json!({ "measurements": { "pd_right_mm": 52 } }), "measurements.pd_right_mm"),
            ("remake without original", json!({ "reason": "remake" }), "original_order_id"),
            ("new with an original", json!({ "original_order_id": "01900000-0000-7000-8000-000000000000" }), "original_order_id"),
            ("unknown patient", json!({ "patient_id": "01900000-0000-7000-8000-000000000000" }), "patient_id"),
            ("blank frame", json!({ "frame": { "description": "  " } }), "frame.description"),
        ];
        for (case, change, field) in cases {
            let mut body = base.clone();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let resp = app.post("/api/v1/orders", Some(&lab.dispenser.token), body).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], field, "{case}: {}", resp.body);
        }
        // Multifocals need an addition in the prescription.
        let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
            "right": { "sphere": "-2.00" }, "left": { "sphere": "-2.25" }, "pd_right_mm": 32, "pd_left_mm": 32 });
        let distance = id(app.post(&format!("/api/v1/patients/{}/prescriptions", lab.patient), Some(&lab.ecp.token), rx).await.ok(201));
        let mut body = order_body(&lab.patient, &distance);
        body["lens"]["type"] = json!("bifocal");
        body["measurements"] = json!({ "height_right_mm": 18, "height_left_mm": 18 });
        let resp = app.post("/api/v1/orders", Some(&lab.dispenser.token), body).await;
        resp.problem(422, "invalid_input");
        assert!(resp.body["detail"].as_str().unwrap().contains("reading addition"), "{}", resp.body);
        // Contact lens specifications are not made into spectacles; another patient's Rx is refused.
        let cl = json!({ "kind": "contact_lenses", "issued_on": "2026-01-10", "expires_on": "2099-01-10", "prescriber": "O. Optom",
            "right": { "sphere": "-2.00" }, "left": { "sphere": "-2.25" } });
        let cl = id(app.post(&format!("/api/v1/patients/{}/prescriptions", lab.patient), Some(&lab.ecp.token), cl).await.ok(201));
        app.post("/api/v1/orders", Some(&lab.dispenser.token), order_body(&lab.patient, &cl)).await.problem(422, "invalid_input");
        let (other_patient, _) = patient_with_rx(&app, &lab.ecp).await;
        app.post("/api/v1/orders", Some(&lab.dispenser.token), order_body(&other_patient, &lab.rx)).await.problem(422, "invalid_input");
        // A prescription over two years old is not made into a new job.
        let old = json!({ "kind": "spectacles", "issued_on": "2019-01-10", "prescriber": "O. Optom",
            "right": { "sphere": "-2.00" }, "left": { "sphere": "-2.25" }, "pd_right_mm": 32, "pd_left_mm": 32 });
        let old = id(app.post(&format!("/api/v1/patients/{}/prescriptions", lab.patient), Some(&lab.ecp.token), old).await.ok(201));
        let resp = app.post("/api/v1/orders", Some(&lab.dispenser.token), order_body(&lab.patient, &old)).await;
        resp.problem(422, "invalid_input");
        // Only a job that left the lab is remade.
        let pending = order_in(&app, &lab, "pending").await;
        let mut remake = base.clone();
        remake["reason"] = json!("non_adapt");
        remake["original_order_id"] = json!(pending);
        let resp = app.post("/api/v1/orders", Some(&lab.dispenser.token), remake).await;
        resp.problem(422, "invalid_input");
        assert!(resp.body["detail"].as_str().unwrap().contains("back to production"), "{}", resp.body);
        // Nothing was stored by the refusals.
        let all = app.get("/api/v1/orders", &lab.tech.token).await.ok(200).clone();
        assert_eq!(all["items"].as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn two_technicians_moving_one_order_at_once_make_one_move(backend) {
        let app = TestApp::spawn(backend).await;
        let lab = lab(&app, "acme").await;
        for _ in 0..5 {
            let order = order_in(&app, &lab, "pending").await;
            let (a, b) = tokio::join!(
                mv(&app, &lab.tech, &order, json!({ "to": "in_production", "station": "surfacing" })),
                mv(&app, &lab.engineer, &order, json!({ "to": "in_production", "station": "tinting" })),
            );
            let statuses = [a.status, b.status];
            assert!(statuses.contains(&200) && statuses.contains(&409), "{statuses:?}: {} {}", a.body, b.body);
            let timeline = app.get(&format!("/api/v1/orders/{order}/timeline"), &lab.tech.token).await.ok(200).clone();
            assert_eq!(timeline.as_array().unwrap().len(), 2, "one move recorded");
            let winner = if a.status == 200 { &a.body } else { &b.body };
            let stored = app.get(&format!("/api/v1/orders/{order}"), &lab.tech.token).await.ok(200).clone();
            assert_eq!(stored["station"], winner["station"]);
        }
    }
);

db_test!(
    async fn another_tenants_orders_are_invisible(backend) {
        let app = TestApp::spawn(backend).await;
        let a = lab(&app, "alpha").await;
        let b = lab(&app, "beta").await;
        let b_order = order_in(&app, &b, "in_production").await;
        for who in [&a.tenant.admin, &a.tech, &a.dispenser] {
            app.get(&format!("/api/v1/orders/{b_order}"), &who.token).await.problem(404, "not_found");
            app.get(&format!("/api/v1/orders/{b_order}/timeline"), &who.token).await.problem(404, "not_found");
            mv(&app, who, &b_order, json!({ "to": "on_hold" })).await.problem(404, "not_found");
            app.post(&format!("/api/v1/orders/{b_order}/station"), Some(&who.token), json!({ "station": "edging" }))
                .await
                .problem(404, "not_found");
            for list in ["/api/v1/orders", "/api/v1/production/queue"] {
                assert!(app.get(list, &who.token).await.ok(200)["items"].as_array().unwrap().is_empty(), "{list}");
            }
            let cursor = app.get(&format!("/api/v1/production/queue?cursor={}", cursor_of(&b_order)), &who.token).await;
            cursor.problem(422, "invalid_input");
        }
        // B's patient, prescription or order cannot be named in A's order.
        let mut body = order_body(&b.patient, &b.rx);
        app.post("/api/v1/orders", Some(&a.dispenser.token), body.clone()).await.problem(422, "invalid_input");
        body["patient_id"] = json!(a.patient);
        app.post("/api/v1/orders", Some(&a.dispenser.token), body).await.problem(422, "invalid_input");
        let b_done = order_in(&app, &b, "completed").await;
        let mut remake = order_body(&a.patient, &a.rx);
        remake["reason"] = json!("remake");
        remake["original_order_id"] = json!(b_done);
        app.post("/api/v1/orders", Some(&a.dispenser.token), remake).await.problem(422, "invalid_input");
        // B's events stay B's.
        let events = app.get("/api/v1/events?type=order.created", &a.tenant.admin.token).await.ok(200).clone();
        assert!(events["items"].as_array().unwrap().is_empty());
        // And B's order is untouched.
        let b_view = app.get(&format!("/api/v1/orders/{b_order}"), &b.tech.token).await.ok(200).clone();
        assert_eq!(b_view["status"], "in_production");
    }
);

fn cursor_of(id: &str) -> String {
    use base64::Engine as _;
    let uuid = uuid::Uuid::parse_str(id).unwrap();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid.as_bytes())
}

db_test!(
    async fn a_practice_sends_a_job_to_its_lab_and_both_copies_move_together(backend) {
        use ils_core::tenants::TenantKind;
        let app = TestApp::spawn(backend).await;
        let lab = app.tenant_of_kind("lensworks", TenantKind::Lab).await;
        let tech = app.member(&lab, "tess", "lab_tech").await;
        let other_lab = app.tenant_of_kind("otherlab", TenantKind::Lab).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let ecp = app.member(&practice, "olive", "ecp").await;
        let dispenser = app.member(&practice, "dan", "dispenser").await;
        let (patient, rx) = patient_with_rx(&app, &ecp).await;
        let mut body = order_body(&patient, &rx);
        body["lab"] = json!("lensworks");

        // No account yet: the lab cannot be ordered from.
        assert!(app.get("/api/v1/labs", &dispenser.token).await.ok(200)["items"].as_array().unwrap().is_empty());
        app.post("/api/v1/orders", Some(&dispenser.token), body.clone()).await.problem(422, "invalid_input");
        // The lab opens an account for the practice (a practice cannot open one; nor for itself).
        let open = |practice: &str| json!({ "practice": practice, "account_number": "BR-001" });
        app.post("/api/v1/lab/customers", Some(&practice.admin.token), open("lensworks")).await.problem(409, "not_a_lab");
        app.post("/api/v1/lab/customers", Some(&lab.admin.token), open("lensworks")).await.problem(422, "invalid_input");
        app.post("/api/v1/lab/customers", Some(&lab.admin.token), open("nobody")).await.problem(422, "invalid_input");
        app.post("/api/v1/lab/customers", Some(&tech.token), open("bright")).await.problem(403, "forbidden");
        app.post("/api/v1/lab/customers", Some(&lab.admin.token), open("bright")).await.ok(201);
        app.get("/api/v1/labs", &tech.token).await.problem(403, "forbidden");
        app.get("/api/v1/lab/customers", &tech.token).await.problem(403, "forbidden");
        let customers = app.get("/api/v1/lab/customers", &lab.admin.token).await.ok(200).clone();
        assert_eq!(customers["items"][0]["practice_slug"], "bright");
        app.post("/api/v1/lab/customers", Some(&lab.admin.token), open("bright")).await.problem(409, "account_exists");
        let labs = app.get("/api/v1/labs", &dispenser.token).await.ok(200).clone();
        assert_eq!(labs["items"][0]["lab_slug"], "lensworks");
        assert_eq!(labs["items"][0]["account_number"], "BR-001");
        assert!(app.get("/api/v1/lab/customers", &other_lab.admin.token).await.ok(200)["items"].as_array().unwrap().is_empty());
        app.delete(&format!("/api/v1/lab/customers/{}", practice.id), &other_lab.admin.token).await.problem(404, "not_found");

        // The practice sends the job; the lab receives its own copy, without the patient.
        let ours = place(&app, &dispenser, body.clone()).await;
        assert_eq!(ours["routing"], "to_lab");
        assert_eq!(ours["counterpart"]["name"], "Tenant lensworks");
        let ours_id = id(&ours);
        let received = app.get("/api/v1/orders", &tech.token).await.ok(200).clone();
        let theirs = received["items"][0].clone();
        let theirs_id = id(&theirs);
        assert_eq!(theirs["routing"], "from_practice");
        assert_eq!(theirs["patient_id"], Value::Null);
        assert_eq!(theirs["prescription_id"], Value::Null);
        assert_eq!(theirs["patient_ref"], "P000001");
        assert_eq!(theirs["rx"], ours["rx"]);
        assert_eq!(theirs["counterpart"]["order_id"], ours_id);
        assert_eq!(theirs["counterpart"]["number"], ours["number"]);
        assert_eq!(ours["counterpart"]["order_id"], theirs_id);
        // Each tenant sees only its own copy.
        app.get(&format!("/api/v1/orders/{ours_id}"), &tech.token).await.problem(404, "not_found");
        app.get(&format!("/api/v1/orders/{theirs_id}"), &dispenser.token).await.problem(404, "not_found");
        app.get(&format!("/api/v1/orders/{theirs_id}"), &other_lab.admin.token).await.problem(404, "not_found");

        // Production is the lab's: not the practice's, whatever its role.
        mv(&app, &practice.admin, &ours_id, json!({ "to": "in_production" })).await.problem(403, "made_by_lab");
        app.post(&format!("/api/v1/orders/{ours_id}/station"), Some(&practice.admin.token), json!({ "station": "edging" }))
            .await
            .problem(403, "made_by_lab");
        let steps = [
            json!({ "to": "in_production" }),
            json!({ "station": "edging" }),
            json!({ "to": "quality_check" }),
            json!({ "to": "in_production", "quality_issue": "chipped edge" }),
            json!({ "to": "quality_check" }),
            json!({ "to": "shipped" }),
        ];
        for step in &steps {
            let what = if step.get("station").is_some() { "station" } else { "transitions" };
            let moved = app.post(&format!("/api/v1/orders/{theirs_id}/{what}"), Some(&tech.token), step.clone()).await;
            let moved = moved.ok(200).clone();
            let mirrored = app.get(&format!("/api/v1/orders/{ours_id}"), &dispenser.token).await.ok(200).clone();
            assert_eq!((&mirrored["status"], &mirrored["station"]), (&moved["status"], &moved["station"]), "{step}");
        }
        // Receipt is the practice's: the lab (even its admin) cannot confirm it.
        mv(&app, &lab.admin, &theirs_id, json!({ "to": "completed" })).await.problem(403, "practice_move");
        mv(&app, &dispenser, &ours_id, json!({ "to": "completed", "note": "all good" })).await.ok(200);
        let theirs = app.get(&format!("/api/v1/orders/{theirs_id}"), &tech.token).await.ok(200).clone();
        assert_eq!(theirs["status"], "completed");
        assert_eq!(theirs["quality_issue"], "chipped edge");

        // Both timelines have every step, with the actor who made it.
        let our_timeline = app.get(&format!("/api/v1/orders/{ours_id}/timeline"), &dispenser.token).await.ok(200).clone();
        let their_timeline = app.get(&format!("/api/v1/orders/{theirs_id}/timeline"), &tech.token).await.ok(200).clone();
        assert_eq!(our_timeline.as_array().unwrap().len(), steps.len() + 2);
        assert_eq!(their_timeline.as_array().unwrap().len(), steps.len() + 2);
        assert_eq!(our_timeline[1]["actor_id"], tech.user_id, "the practice sees who in the lab moved it");
        assert_eq!(their_timeline.as_array().unwrap().last().unwrap()["actor_id"], dispenser.user_id);
        // And both tenants got their own events.
        for (who, order) in [(&practice.admin, &ours_id), (&lab.admin, &theirs_id)] {
            let events = app.get("/api/v1/events?type=order.status_changed&limit=200", &who.token).await.ok(200).clone();
            let items = events["items"].as_array().unwrap();
            assert_eq!(items.len(), 6);
            assert!(items.iter().all(|e| e["data"]["order_id"] == order.as_str()));
        }

        // A remake goes to the lab that made the original, linked on both sides.
        let mut remake = order_body(&patient, &rx);
        remake["reason"] = json!("remake");
        remake["original_order_id"] = json!(ours_id);
        let mut elsewhere = remake.clone();
        elsewhere["lab"] = json!("otherlab");
        app.post("/api/v1/orders", Some(&dispenser.token), elsewhere).await.problem(422, "invalid_input");
        let remade = place(&app, &dispenser, remake.clone()).await;
        assert_eq!(remade["routing"], "to_lab");
        let lab_copy = app.get(&format!("/api/v1/orders/{}", remade["counterpart"]["order_id"].as_str().unwrap()), &tech.token).await;
        assert_eq!(lab_copy.ok(200)["original_order_id"], theirs_id);

        // Once the lab closes the account, no new job reaches it.
        app.delete(&format!("/api/v1/lab/customers/{}", practice.id), &lab.admin.token).await.ok(204);
        app.post("/api/v1/orders", Some(&dispenser.token), body).await.problem(422, "invalid_input");
        app.post("/api/v1/orders", Some(&dispenser.token), remake).await.problem(422, "invalid_input");
        assert!(app.get("/api/v1/labs", &dispenser.token).await.ok(200)["items"].as_array().unwrap().is_empty());
    }
);

db_test!(
    async fn orders_placed_at_once_get_distinct_consecutive_numbers(backend) {
        let app = TestApp::spawn(backend).await;
        let lab = lab(&app, "acme").await;
        let body = order_body(&lab.patient, &lab.rx);
        let placed = futures_util::future::join_all(
            (0..8).map(|_| app.post("/api/v1/orders", Some(&lab.dispenser.token), body.clone())),
        )
        .await;
        let mut numbers: Vec<String> =
            placed.iter().map(|r| r.ok(201)["number"].as_str().unwrap().to_owned()).collect();
        numbers.sort();
        let expected: Vec<String> = (1..=8).map(|n| format!("J{n:06}")).collect();
        assert_eq!(numbers, expected);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn two_nodes_placing_one_practices_orders_at_once_never_share_a_number() {
    let app = TestApp::spawn(crate::harness::Backend::Postgres).await;
    let scratch = tempfile::tempdir().unwrap();
    let other = app.second_node(scratch.path()).await;
    let lab = lab(&app, "acme").await;
    let body = order_body(&lab.patient, &lab.rx);
    let on = |base: String| {
        let (client, token, body) = (app.client.clone(), lab.dispenser.token.clone(), body.clone());
        async move {
            let response = client
                .post(format!("{base}/api/v1/orders"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned()
        }
    };
    let placed = futures_util::future::join_all(
        (0..24).map(|i| on(if i % 2 == 0 { app.base.clone() } else { other.clone() })),
    )
    .await;
    let mut numbers = placed.clone();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 24, "every order its own number: {placed:?}");
    assert!(numbers.iter().all(|n| n.len() == 7 && n.starts_with('J')), "{numbers:?}");
    let listed = app.get("/api/v1/orders?limit=100", &lab.dispenser.token).await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 24);
}

db_test!(
    async fn a_job_ticket_prints_the_job_with_its_barcode_and_no_patient_name(backend) {
        let app = TestApp::spawn(backend).await;
        let lab = lab(&app, "acme").await;
        let admin = &lab.tenant.admin.token;
        let letterhead = json!({ "address": "Unit 4, Riverside Estate\nLeeds LS1 4AB", "phone": "0113 496 0000" });
        app.put("/api/v1/tenant/settings", admin, letterhead).await.ok(200);
        let mut body = order_body(&lab.patient, &lab.rx);
        body["notes"] = json!("Check the bevel on the left lens");
        let order = place(&app, &lab.dispenser, body).await;
        let (order_id, number) = (id(&order), order["number"].as_str().unwrap().to_owned());
        let patient = app.get(&format!("/api/v1/patients/{}", lab.patient), &lab.ecp.token).await.ok(200).clone();

        let ticket = app.post(&format!("/api/v1/orders/{order_id}/ticket"), Some(&lab.tech.token), json!({})).await;
        let file = ticket.ok(201).clone();
        assert_eq!(file["name"], format!("{number} ticket.pdf"));
        assert_eq!(file["content_type"], "application/pdf");
        let (status, _, pdf) =
            crate::files::download(&app, file["id"].as_str().unwrap(), crate::files::Auth::Bearer(&lab.tech.token)).await;
        assert_eq!(status.as_u16(), 200);
        if let Some(text) = crate::pdf::read_pdf(&pdf, "job-ticket") {
            for expected in [
                format!("Job ticket {number}"), number.clone(), "Tenant acme".into(), "Leeds LS1 4AB".into(),
                "15 Jan 2099".into(), patient["customer_number"].as_str().unwrap().into(),
                "+1.50".into(), "-0.50".into(), "90".into(), "+2.00".into(), "+1.25".into(),
                "High index 1.67".into(), "Hard coat, Anti reflective".into(),
                "Ray-Ban RB5154 Clubmaster 51-21 black".into(), "51.0 mm × 40.0 mm, 21.0 mm".into(),
                "32.0 mm / 31.5 mm".into(), "Check the bevel on the left lens".into(),
            ] {
                assert!(text.contains(&expected), "the ticket lacks {expected:?}:\n{text}");
            }
            assert!(
                !text.contains("Ann") && !text.contains("1961"),
                "the floor sees the customer number, not the patient's name or birth date:\n{text}"
            );
        }
        // Audited as a stored file; another tenant cannot print it.
        let audit = app.get("/api/v1/audit?action=file.stored", admin).await;
        assert_eq!(audit.ok(200)["items"][0]["entity_id"], file["id"]);
        let other = app.tenant("other").await;
        app.post(&format!("/api/v1/orders/{order_id}/ticket"), Some(&other.admin.token), json!({}))
            .await
            .problem(404, "not_found");
    }
);
