//! The practice's diary over HTTP (docs/adr/043-diary.md): a practice sets up its clinicians,
//! rooms, appointment types and hours; a day is booked; two bookings racing for one slot give
//! one 201 and one 409 (real concurrency, on both backends); the free slots are what is left; a
//! patient is seen from their appointment; nobody outside the practice sees any of it.

use serde_json::{Value, json};

use ils_tenancy::tenants::TenantKind;

use crate::harness::{Tenant, TestApp, db_test};

/// A practice's diary set up: Priya (optometrist), Dan (dispensing optician), two rooms, a
/// 30-minute sight test in a room by optometrists, a 15-minute collection by either without a
/// room, open every day 09:00–13:00 and 14:00–17:30.
pub(crate) struct Diary {
    pub(crate) priya: String,
    dan: String,
    sight_test: String,
    collection: String,
    rooms: Vec<String>,
}

pub(crate) async fn set_up(app: &TestApp, practice: &Tenant) -> Diary {
    let token = &practice.admin.token;
    let mut week = Vec::new();
    for day in 1..=7 {
        week.push(json!({ "weekday": day, "opens": "09:00", "closes": "13:00" }));
        week.push(json!({ "weekday": day, "opens": "14:00", "closes": "17:30" }));
    }
    app.put("/api/v1/opening-hours", token, json!({ "week": week })).await.ok(200);
    let clinician = |name: &str, profession: &str, goc: Option<&str>| json!({ "name": name, "profession": profession, "goc_number": goc });
    let priya = app
        .post("/api/v1/clinicians", Some(token), clinician("Priya Shah", "optometrist", Some("01-23456")))
        .await;
    let priya = priya.ok(201)["id"].as_str().unwrap().to_owned();
    let dan = app
        .post(
            "/api/v1/clinicians",
            Some(token),
            clinician("Dan Reed", "dispensing_optician", Some("10-54321")),
        )
        .await;
    let dan = dan.ok(201)["id"].as_str().unwrap().to_owned();
    let mut rooms = Vec::new();
    for name in ["Room 1", "Room 2"] {
        rooms.push(
            app.post("/api/v1/rooms", Some(token), json!({ "name": name })).await.ok(201)["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let kind = |name: &str, minutes: i32, professions: Value, needs_room: bool| json!({ "name": name, "duration_minutes": minutes, "professions": professions, "needs_room": needs_room });
    let sight_test = app
        .post("/api/v1/appointment-types", Some(token), kind("Sight test", 30, json!(["optometrist"]), true))
        .await;
    let sight_test = sight_test.ok(201)["id"].as_str().unwrap().to_owned();
    let both = json!(["optometrist", "dispensing_optician"]);
    let collection =
        app.post("/api/v1/appointment-types", Some(token), kind("Collection", 15, both, false)).await;
    let collection = collection.ok(201)["id"].as_str().unwrap().to_owned();
    Diary { priya, dan, sight_test, collection, rooms }
}

async fn patient(app: &TestApp, token: &str, first: &str) -> String {
    let body = json!({ "first_name": first, "last_name": "Evans", "date_of_birth": "1961-05-04" });
    app.post("/api/v1/patients", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned()
}

/// `HH:MM` on a day some way ahead, Europe/London, as an RFC 3339 instant.
pub(crate) fn at(days_ahead: i64, time: &str) -> String {
    let day = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(days_ahead)).unwrap();
    let (h, m) = time.split_once(':').unwrap();
    let local = day.at(h.parse().unwrap(), m.parse().unwrap(), 0, 0);
    local.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap()).unwrap().timestamp().to_string()
}

fn day(days_ahead: i64) -> String {
    jiff::Zoned::now().date().checked_add(jiff::Span::new().days(days_ahead)).unwrap().to_string()
}

pub(crate) fn booking(diary: &Diary, patient: &str, kind: &str, clinician: &str, starts_at: &str) -> Value {
    let kind = if kind == "sight test" { &diary.sight_test } else { &diary.collection };
    json!({ "patient_id": patient, "type_id": kind, "clinician_id": clinician, "starts_at": starts_at })
}

db_test!(
    async fn a_day_is_booked_without_double_booking_and_a_patient_is_seen_from_it(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("northgate", TenantKind::Ecp).await;
        let token = &practice.admin.token;
        let diary = set_up(&app, &practice).await;
        let (ann, bob, cat) = (patient(&app, token, "Ann").await, patient(&app, token, "Bob").await, patient(&app, token, "Cat").await);

        // Set-up is checked, every wrong field at once where it can be.
        let wrong = json!({ "name": "", "profession": "optometrist" });
        let refused = app.post("/api/v1/clinicians", Some(token), wrong).await;
        let fields: Vec<&str> = refused.problem(422, "invalid_input").body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["name", "goc_number"], "a name and the optometrist's GOC number");
        let taken = json!({ "name": "Someone", "profession": "optometrist", "goc_number": "01-23456" });
        app.post("/api/v1/clinicians", Some(token), taken).await.problem(409, "goc_number_taken");

        // Ann's sight test with Priya at 09:30 in two days' time: 30 minutes, in a room.
        let booked = app.post("/api/v1/appointments", Some(token), booking(&diary, &ann, "sight test", &diary.priya, &at(2, "09:30"))).await;
        let booked = booked.ok(201).clone();
        assert_eq!(booked["status"], "booked");
        assert_eq!(booked["ends_at"].as_str(), Some(at(2, "10:00").as_str()), "ends 30 minutes later");
        assert_eq!(booked["room_id"].as_str(), Some(diary.rooms[0].as_str()), "the first free room");
        let first = booked["id"].as_str().unwrap().to_owned();

        // Priya is busy then; Dan does not test sight; the practice is shut at 13:00 and at night.
        app.post("/api/v1/appointments", Some(token), booking(&diary, &bob, "sight test", &diary.priya, &at(2, "09:45")))
            .await
            .problem(409, "clinician_busy");
        let dan_tests = app.post("/api/v1/appointments", Some(token), booking(&diary, &bob, "sight test", &diary.dan, &at(2, "09:45"))).await;
        assert!(dan_tests.problem(422, "invalid_input").body["detail"].as_str().unwrap().contains("does not perform"));
        app.post("/api/v1/appointments", Some(token), booking(&diary, &bob, "sight test", &diary.priya, &at(2, "12:45")))
            .await
            .problem(422, "invalid_input");
        app.post("/api/v1/appointments", Some(token), booking(&diary, &bob, "sight test", &diary.priya, &at(-1, "10:00")))
            .await
            .problem(422, "invalid_input");
        // Dan's collection at the same time needs no room and no optometrist: booked.
        app.post("/api/v1/appointments", Some(token), booking(&diary, &bob, "collection", &diary.dan, &at(2, "09:30")))
            .await
            .ok(201);

        // Free slots: Priya's 09:30 is gone, 10:00 is there; a room each way.
        let path = format!("/api/v1/appointments/free-slots?type_id={}&clinician_id={}&from={}", diary.sight_test, diary.priya, day(2));
        let slots = app.get(&path, token).await.ok(200).clone();
        let starts: Vec<&str> = slots.as_array().unwrap().iter().map(|s| s["starts_at"].as_str().unwrap()).collect();
        assert!(starts.contains(&at(2, "09:00").as_str()) && starts.contains(&at(2, "10:00").as_str()), "{starts:?}");
        for taken in ["09:15", "09:30", "09:45", "12:45", "17:15"] {
            assert!(!starts.contains(&at(2, taken).as_str()), "{taken} is not free: {starts:?}");
        }
        assert_eq!(starts.len(), 15 + 13 - 3, "09:00–12:30 and 14:00–17:00 every 15 minutes, less Priya's three");

        // The diary of the day names patients, and that read is audited.
        let path = format!("/api/v1/appointments?from={}", day(2));
        let entries = app.get(&path, token).await.ok(200).clone();
        let names: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["patient_name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"Ann Evans") && names.contains(&"Bob Evans"));
        let audit = app.get("/api/v1/audit?action=diary.read", token).await;
        let read = &audit.ok(200)["items"][0]["changes"]["patient_ids"];
        assert_eq!(read.as_array().unwrap().len(), 2);

        // Ann arrives and is seen from her appointment: a draft examination, the appointment in
        // the room; not twice.
        let status = format!("/api/v1/appointments/{first}/status");
        app.post(&status, Some(token), json!({ "status": "done" })).await.problem(409, "invalid_transition");
        app.post(&status, Some(token), json!({ "status": "arrived" })).await.ok(200);
        let exam_path = format!("/api/v1/appointments/{first}/examination");
        let started = app.post(&exam_path, Some(token), json!({})).await.ok(201).clone();
        assert_eq!(started["appointment"]["status"], "in_room");
        assert_eq!(started["examination"]["patient_id"].as_str(), Some(ann.as_str()));
        assert_eq!(started["appointment"]["examination_id"], started["examination"]["id"]);
        app.post(&exam_path, Some(token), json!({})).await.problem(409, "examination_already_started");
        app.post(&status, Some(token), json!({ "status": "done" })).await.ok(200);
        let mine = app.get(&format!("/api/v1/patients/{ann}/appointments"), token).await.ok(200).clone();
        assert_eq!(mine[0]["status"], "done");

        // A cancellation frees the slot for someone else.
        let cat_at = at(3, "11:00");
        let cats = app.post("/api/v1/appointments", Some(token), booking(&diary, &cat, "sight test", &diary.priya, &cat_at)).await;
        let cats = cats.ok(201)["id"].as_str().unwrap().to_owned();
        app.post("/api/v1/appointments", Some(token), booking(&diary, &bob, "sight test", &diary.priya, &cat_at))
            .await
            .problem(409, "clinician_busy");
        app.post(&format!("/api/v1/appointments/{cats}/status"), Some(token), json!({ "status": "cancelled" })).await.ok(200);
        app.post("/api/v1/appointments", Some(token), booking(&diary, &bob, "sight test", &diary.priya, &cat_at)).await.ok(201);
        // The database itself refuses the overlap, whatever code writes: Cat's cancelled
        // appointment cannot come back over Bob's.
        let revived = app.owner_execute("UPDATE appointments SET status = 'booked' WHERE status = 'cancelled'").await;
        let refusal = revived.expect_err("an overlapping live appointment is refused by the database").to_string();
        let constraint = ["appointments_clinician_free", "appointments_room_free"];
        assert!(constraint.iter().any(|c| refusal.contains(c)), "{refusal}");
        let events = app.get("/api/v1/events?type=appointment.cancelled", token).await;
        assert_eq!(events.ok(200)["items"].as_array().unwrap().len(), 1);

        // Nobody outside the practice sees or books any of it.
        let other = app.tenant_of_kind("elsewhere", TenantKind::Ecp).await;
        let theirs = &other.admin.token;
        app.get(&format!("/api/v1/appointments/{first}"), theirs).await.problem(404, "not_found");
        app.post(&status, Some(theirs), json!({ "status": "cancelled" })).await.problem(404, "not_found");
        app.post(&exam_path, Some(theirs), json!({})).await.problem(404, "not_found");
        app.get(&format!("/api/v1/patients/{ann}/appointments"), theirs).await.problem(404, "not_found");
        let empty = app.get(&format!("/api/v1/appointments?from={}", day(2)), theirs).await.ok(200).clone();
        assert!(empty.as_array().unwrap().is_empty());
        assert!(app.get("/api/v1/clinicians", theirs).await.ok(200).as_array().unwrap().is_empty());
        let with_ours = booking(&diary, &ann, "sight test", &diary.priya, &at(4, "10:00"));
        app.post("/api/v1/appointments", Some(theirs), with_ours).await.problem(404, "not_found");
        // A lab's technician has no diary; a dispenser books but does not set up.
        let lab = app.tenant("lensworks").await;
        let tech = app.member(&lab, "tom", "lab_tech").await;
        app.get(&format!("/api/v1/appointments?from={}", day(2)), &tech.token).await.problem(403, "forbidden");
        let dispenser = app.member(&practice, "dana", "dispenser").await;
        app.post("/api/v1/appointments", Some(&dispenser.token), booking(&diary, &cat, "collection", &diary.dan, &at(4, "15:00")))
            .await
            .ok(201);
        app.post("/api/v1/rooms", Some(&dispenser.token), json!({ "name": "Room 3" })).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/appointments/{cats}/examination"), Some(&dispenser.token), json!({}))
            .await
            .problem(403, "forbidden");
    }
);

db_test!(
    async fn two_bookings_racing_for_one_slot_give_one_201_and_one_409(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("northgate", TenantKind::Ecp).await;
        let token = practice.admin.token.clone();
        let diary = set_up(&app, &practice).await;
        // Rounds of two concurrent requests for one clinician's slot, each round its own time.
        for round in 0..8 {
            let starts_at = at(5, &format!("{:02}:{:02}", 9 + round / 2, (round % 2) * 30));
            let a = patient(&app, &token, &format!("A{round}")).await;
            let b = patient(&app, &token, &format!("B{round}")).await;
            let (first, second) = tokio::join!(
                app.post("/api/v1/appointments", Some(&token), booking(&diary, &a, "sight test", &diary.priya, &starts_at)),
                app.post("/api/v1/appointments", Some(&token), booking(&diary, &b, "sight test", &diary.priya, &starts_at)),
            );
            let mut statuses = [first.status, second.status];
            statuses.sort_unstable();
            assert_eq!(statuses, [201, 409], "round {round}: {} / {}", first.body, second.body);
            let lost = if first.status == 409 { &first } else { &second };
            assert_eq!(lost.body["code"], "clinician_busy", "{}", lost.body);
        }
        let path = format!("/api/v1/appointments?from={}", day(5));
        let entries = app.get(&path, &token).await.ok(200).clone();
        assert_eq!(entries.as_array().unwrap().len(), 8, "one appointment per slot");
    }
);
