//! Recommendations through the real host (docs/adr/030): the `recommendations` component gives
//! lens, frame, reorder and anomaly recommendations over `POST /api/v1/recommendations/{kind}`, from the
//! tenant's own data, to the roles its manifest names; a proposed draft purchase order becomes a
//! draft only when a person accepts it, priced at what the tenant last paid. Both backends.

use serde_json::{Value, json};

use crate::guests::install;
use crate::harness::{Tenant, TestApp, db_test};
use crate::report_reads::{id_literal, literal, owner, purchase, receive, set_times};
use crate::stock::{adjust, item, level, location};

const RECOMMENDATIONS: &str = include_str!("../../../plugins/recommendations/ils-plugin.toml");
/// Every capability the manifest asks for.
pub const CONSENT: [&str; 5] =
    ["reports-read", "inventory-read", "clinical-read", "secrets", "http-outbound"];
const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
/// Units the seeded ledger takes each week.
const WEEKLY: i64 = 10;

async fn enable(app: &TestApp, tenant: &Tenant) {
    let body = json!({ "version": "0.1.0", "consent": CONSENT });
    app.put("/api/v1/tenant/plugins/recommendations", &tenant.admin.token, body).await.ok(200);
}

fn lens_query() -> Value {
    json!({ "sphere": "-6.00", "age_years": 35, "pd_mm": 64, "frame": { "eye_size_mm": 52, "bridge_mm": 18 } })
}

fn figure(r: &Value, name: &str) -> f64 {
    let figures = r["figures"].as_array().expect("figures");
    let found =
        figures.iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no figure {name} in {r}"));
    found["value"].as_f64().expect("a number")
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A year of the ledger: `WEEKLY` units used every week, in the middle of each week before today.
pub async fn seed_demand(app: &TestApp, tenant: &Tenant, item: &str, store: &str) {
    let now = now_ms();
    let rows: Vec<String> = (1..=52)
        .map(|w| {
            format!(
                "({}, {}, {}, {}, {}, 100, 'adjustment', {}, NULL, {})",
                id_literal(app, &tenant.id),
                id_literal(app, &uuid::Uuid::now_v7().to_string()),
                id_literal(app, item),
                id_literal(app, store),
                -WEEKLY,
                id_literal(app, &uuid::Uuid::now_v7().to_string()),
                literal(now - w * WEEK_MS + DAY_MS / 2),
            )
        })
        .collect();
    owner(
        app,
        format!(
            "INSERT INTO stock_movements (tenant_id, id, item_id, location_id, delta, quantity_after, kind,
                reference_id, actor_id, created_at) VALUES {}",
            rows.join(", ")
        ),
    )
    .await;
}

/// Three orders of 20 lenses to `supplier` at 250p, each received a week after it was sent.
pub async fn seed_purchases(app: &TestApp, token: &str, supplier: &str, store: &str, lens: &str) {
    let now = now_ms();
    for n in 0..3 {
        let order = purchase(app, token, supplier, store, &[(lens, 20, 250)]).await;
        let receipt = receive(app, token, &order, &[(lens, 20)]).await;
        let sent = now - (30 + 60 * n) * DAY_MS;
        set_times(app, &order, sent - DAY_MS, sent, &receipt, sent + WEEK_MS).await;
    }
}

async fn recommend(app: &TestApp, token: &str, kind: &str, input: Value) -> Vec<Value> {
    let answer = app.post(&format!("/api/v1/recommendations/{kind}"), Some(token), input).await;
    let body = answer.ok(200);
    assert_eq!(body["unanswered"], json!([]), "{body}");
    body["recommendations"].as_array().expect("recommendations").clone()
}

db_test!(
    async fn a_lens_is_suggested_with_the_thickness_the_optics_compute_for_the_roles_allowed(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let lab = app.tenant("northgate").await;
        enable(&app, &lab).await;
        let token = lab.admin.token.as_str();

        let kinds = app.get("/api/v1/recommendations", token).await;
        let kinds: Vec<&str> = kinds.ok(200).as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["lens", "frames", "reorder", "anomalies"]);

        let found = recommend(&app, token, "lens", lens_query()).await;
        let native: ils_recommendations::optics::LensQuery = serde_json::from_value(lens_query()).unwrap();
        let native = ils_recommendations::optics::suggest_lens(&native).unwrap();
        let first = &found[0];
        assert_eq!(first["plugin_id"], "recommendations");
        assert_eq!(first["title"], "1.67 aspheric single vision");
        let rounded = |v: f64| (v * 100.0).round() / 100.0;
        assert_eq!(figure(first, "centre thickness"), rounded(native.thickness.centre_mm));
        assert_eq!(figure(first, "thickest edge"), rounded(native.thickness.thickest_edge_mm));
        assert_eq!(figure(first, "refractive index"), 1.67);
        let explanation = first["explanation"].as_str().unwrap();
        assert!(explanation.contains("strongest meridian 6.00 D is over 4.00 D"), "{explanation}");

        // A dispenser may ask; a supplier's staff may not; a kind nobody gives is not found.
        let dispenser = app.member(&lab, "dana", "dispenser").await;
        assert_eq!(recommend(&app, &dispenser.token, "lens", lens_query()).await[0]["title"], first["title"]);
        let supplier = app.member(&lab, "sam", "supplier").await;
        let refused = app.post("/api/v1/recommendations/lens", Some(&supplier.token), lens_query()).await;
        refused.problem(403, "recommendation_not_allowed");
        app.post("/api/v1/recommendations/sunglasses", Some(token), json!({})).await.problem(404, "not_found");
        // Input the plugin refuses is a 422 naming what is wrong; so is input that is not an object.
        let bad = app.post("/api/v1/recommendations/lens", Some(token), json!({ "sphere": "-6.00" })).await;
        bad.problem(422, "invalid_input");
        assert!(bad.body.to_string().contains("age_years"), "{}", bad.body);
        app.post("/api/v1/recommendations/lens", Some(token), json!([1])).await.problem(422, "invalid_body");

        // A tenant that has not enabled the plugin has no recommender.
        let other = app.tenant("elsewhere").await;
        app.post("/api/v1/recommendations/lens", Some(&other.admin.token), lens_query()).await.problem(404, "not_found");
    }
);

db_test!(
    async fn a_reorder_proposal_becomes_a_draft_purchase_order_only_when_a_person_accepts_it(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let lab = app.tenant("northgate").await;
        let other = app.tenant("elsewhere").await;
        enable(&app, &lab).await;
        enable(&app, &other).await;
        let token = lab.admin.token.as_str();
        let store = location(&app, token, "Store").await;
        let lens = item(&app, token, "LENS-150", 5).await;
        let lens_co = crate::purchasing::supplier(&app, token, "Lens Co").await;
        seed_purchases(&app, token, &lens_co, &store, &lens).await;
        seed_demand(&app, &lab, &lens, &store).await;
        // 60 received, 55 used today: 5 left, under any reorder point a week's lead time needs.
        adjust(&app, token, &lens, &store, -55).await.ok(201);
        assert_eq!(level(&app, token, &lens, &store).await, 5);

        let found = recommend(&app, token, "reorder", json!({})).await;
        assert_eq!(found.len(), 1, "{found:?}");
        let r = &found[0];
        assert_eq!(r["subject"], format!("{lens}@{store}"));
        assert_eq!(figure(r, "lead time"), 7.0, "every order took a week");
        assert_eq!(figure(r, "on hand"), 5.0);
        assert_eq!(figure(r, "on order"), 0.0);
        let demand = figure(r, "forecast demand");
        assert!((8.0..=16.0).contains(&demand), "about {WEEKLY} a week: {demand}");
        let point = figure(r, "suggested reorder point");
        assert!(point >= demand, "at least a week's demand: {point}");
        let action = &r["action"];
        assert_eq!(action["kind"], "draft_purchase_order");
        assert_eq!(action["supplier_id"], lens_co.as_str());
        assert_eq!(action["location_id"], store.as_str());
        assert_eq!(action["lines"][0]["item_id"], lens.as_str());
        let quantity = action["lines"][0]["quantity"].as_i64().unwrap();
        assert_eq!(quantity as f64, figure(r, "order quantity"));
        assert!(r["title"].as_str().unwrap().starts_with(&format!("Order {quantity} × LENS-150")), "{r}");

        // Nothing was ordered by asking: only the three seeded orders exist.
        let orders = app.get("/api/v1/purchase-orders?limit=50", token).await;
        assert_eq!(orders.ok(200)["items"].as_array().unwrap().len(), 3);

        // Another tenant cannot raise an order with these ids, and its own data suggests nothing.
        let foreign = app
            .post("/api/v1/recommendations/reorder/accept", Some(&other.admin.token), json!({ "action": action }))
            .await;
        foreign.problem(404, "not_found");
        assert_eq!(recommend(&app, &other.admin.token, "reorder", json!({})).await, Vec::<Value>::new());
        // Staff who may not raise purchase orders cannot accept.
        let tech = app.member(&lab, "tess", "lab_tech").await;
        let accepted = app.post("/api/v1/recommendations/reorder/accept", Some(&tech.token), json!({ "action": action })).await;
        accepted.problem(403, "forbidden");

        let accepted = app
            .post("/api/v1/recommendations/reorder/accept", Some(token), json!({ "action": action, "notes": "From the reorder suggestion" }))
            .await;
        let draft = accepted.ok(201);
        assert_eq!(draft["status"], "draft");
        assert_eq!(draft["supplier_id"], lens_co.as_str(), "{draft}");
        assert_eq!(draft["currency"], "GBP");
        assert_eq!(draft["lines"][0]["quantity"], quantity);
        assert_eq!(draft["lines"][0]["unit_price_minor"], 250, "the price last paid");

        // The draft is on order: the item is no longer proposed for ordering.
        let again = recommend(&app, token, "reorder", json!({})).await;
        assert!(again.iter().all(|r| r["action"].is_null()), "{again:?}");
        assert_eq!(figure(&again[0], "on order"), quantity as f64);
    }
);

db_test!(
    async fn a_lab_without_production_history_is_told_of_no_anomaly(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let lab = app.tenant("northgate").await;
        enable(&app, &lab).await;
        let found = recommend(&app, &lab.admin.token, "anomalies", json!({})).await;
        assert_eq!(found, Vec::<Value>::new());
        let bad = app.post("/api/v1/recommendations/anomalies", Some(&lab.admin.token), json!({ "weeks": "many" })).await;
        bad.problem(422, "invalid_input");
        assert!(bad.body.to_string().contains("weeks"), "{}", bad.body);
    }
);

/// A frame in the catalogue with its marked size, and `on_hand` of it at `store`.
async fn frame(
    app: &TestApp,
    token: &str,
    store: &str,
    sku: &str,
    size: (f64, f64),
    rim: &str,
    on_hand: i64,
) -> String {
    let body = json!({ "sku": sku, "name": format!("Frame {sku}"), "unit": "each", "reorder_point": 0,
        "frame": { "a_mm": size.0, "dbl_mm": size.1, "rim": rim } });
    let id = app.post("/api/v1/items", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned();
    if on_hand > 0 {
        adjust(app, token, &id, store, on_hand).await.ok(201);
    }
    id
}

/// A patient with a spectacle prescription of `sphere` in both eyes (and `add`, when given).
async fn patient_with_rx(app: &TestApp, token: &str, sphere: &str, add: Option<&str>) -> (String, String) {
    let patient = json!({ "first_name": "Pat", "last_name": "Doe", "date_of_birth": "1970-04-02" });
    let patient =
        app.post("/api/v1/patients", Some(token), patient).await.ok(201)["id"].as_str().unwrap().to_owned();
    let eye = json!({ "sphere": sphere, "add": add });
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-11-10", "prescriber": "O. Optom",
        "right": eye, "left": eye, "pd_right_mm": 32, "pd_left_mm": 32 });
    let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(token), rx).await;
    (patient, rx.ok(201)["id"].as_str().unwrap().to_owned())
}

/// Places an in-house single-vision order for the patient in the stocked frame `frame_item`.
async fn dispense(app: &TestApp, token: &str, sphere: &str, add: Option<&str>, frame_item: &str) -> Value {
    let (patient, rx) = patient_with_rx(app, token, sphere, add).await;
    let lens_type = if add.is_some() { "progressive" } else { "single_vision" };
    let body = json!({
        "patient_id": patient, "prescription_id": rx,
        "lens": { "type": lens_type, "material": "high_index", "index": 1.6 },
        "frame": { "description": "From stock", "item_id": frame_item },
        "measurements": { "height_right_mm": 20, "height_left_mm": 20 },
        "due_on": "2099-01-15", "priority": "normal",
        "price": { "amount_minor": 12950, "currency": "GBP" }
    });
    app.post("/api/v1/orders", Some(token), body).await.ok(201).clone()
}

fn frames_query() -> Value {
    json!({ "sphere": "-4.00", "age_years": 40, "pd_mm": 64 })
}

db_test!(
    async fn stocked_frames_are_ranked_by_what_similar_prescriptions_chose_and_thick_ones_left_out(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let practice = app.tenant_of_kind("brighteyes", ils_core::tenants::TenantKind::Ecp).await;
        enable(&app, &practice).await;
        let token = practice.admin.token.as_str();
        let store = location(&app, token, "Shop floor").await;

        // Before any frame has a size, the plugin says what to record.
        let bare = app.post("/api/v1/recommendations/frames", Some(token), frames_query()).await;
        let bare = bare.problem(422, "invalid_input").body.to_string();
        assert!(bare.contains("frame size"), "{bare}");

        let classic = frame(&app, token, &store, "CLASSIC-50", (50.0, 20.0), "full", 3).await;
        let small = frame(&app, token, &store, "SMALL-48", (48.0, 18.0), "full", 2).await;
        let wide = frame(&app, token, &store, "WIDE-58", (58.0, 16.0), "rimless", 4).await;
        // Not a frame: no size, never ranked.
        item(&app, token, "CLOTH", 0).await;

        // An order names its frame from the stock and takes the frame's size from it.
        let order = dispense(&app, token, "-4.25", None, &classic).await;
        assert_eq!(order["frame"]["item_id"], classic.as_str());
        assert_eq!(order["frame"]["a_mm"], 50.0);
        assert_eq!(order["frame"]["dbl_mm"], 20.0);
        dispense(&app, token, "-3.50", None, &classic).await;
        // Readers with an add chose the small frame: not similar to a -4.00 with no add.
        for _ in 0..3 {
            dispense(&app, token, "+1.50", Some("+2.00"), &small).await;
        }

        let found = recommend(&app, token, "frames", frames_query()).await;
        let titles: Vec<&str> = found.iter().map(|r| r["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Frame CLASSIC-50 (CLASSIC-50)", "Frame SMALL-48 (SMALL-48)"], "{found:?}");
        assert_eq!(found[0]["subject"], classic.as_str());
        assert_eq!(figure(&found[0], "similar prescriptions chose it"), 2.0);
        assert_eq!(figure(&found[1], "similar prescriptions chose it"), 0.0);
        assert_eq!(figure(&found[1], "all orders that chose it"), 3.0);
        assert!(figure(&found[0], "thickest point") <= figure(&found[0], "thickness limit"));
        // The wide rimless frame shows too thick an edge for a -4.00 and is not suggested.
        assert!(found.iter().all(|r| r["subject"] != wide.as_str()), "{found:?}");

        // The read of prescriptions is audited as the plugin's.
        let audit = app.get("/api/v1/audit?action=report_data.read&limit=200", token).await;
        let audit = audit.ok(200).to_string();
        assert!(audit.contains("dispensing"), "{audit}");

        // Another practice's frames and orders are its own: the same SKUs there have no history,
        // and an order cannot name this practice's frame.
        let other = app.tenant_of_kind("elsewhere", ils_core::tenants::TenantKind::Ecp).await;
        enable(&app, &other).await;
        let other_token = other.admin.token.as_str();
        let other_store = location(&app, other_token, "Front").await;
        frame(&app, other_token, &other_store, "CLASSIC-50", (50.0, 20.0), "full", 1).await;
        let theirs = recommend(&app, other_token, "frames", frames_query()).await;
        assert_eq!(theirs.len(), 1);
        assert_eq!(figure(&theirs[0], "all orders that chose it"), 0.0);
        let (patient, rx) = patient_with_rx(&app, other_token, "-1.00", None).await;
        let foreign = app
            .post(
                "/api/v1/orders",
                Some(other_token),
                json!({ "patient_id": patient, "prescription_id": rx,
                    "lens": { "type": "single_vision", "material": "plastic", "index": 1.5 },
                    "frame": { "description": "Theirs", "item_id": classic },
                    "due_on": "2099-01-15", "priority": "normal",
                    "price": { "amount_minor": 100, "currency": "GBP" } }),
            )
            .await;
        let foreign = foreign.problem(422, "invalid_input").body.to_string();
        assert!(foreign.contains("frame.item_id"), "{foreign}");
    }
);
