//! Recommendations through the real host (docs/adr/030): the `recommendations` component gives
//! lens, reorder and anomaly recommendations over `POST /api/v1/recommendations/{kind}`, from the
//! tenant's own data, to the roles its manifest names; a proposed draft purchase order becomes a
//! draft only when a person accepts it, priced at what the tenant last paid. Both backends.

use serde_json::{Value, json};

use crate::guests::install;
use crate::harness::{Tenant, TestApp, db_test};
use crate::report_reads::{id_literal, literal, owner, purchase, receive, set_times};
use crate::stock::{adjust, item, level, location};

const RECOMMENDATIONS: &str = include_str!("../../../plugins/recommendations/ils-plugin.toml");
const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
/// Units the seeded ledger takes each week.
const WEEKLY: i64 = 10;

async fn enable(app: &TestApp, tenant: &Tenant) {
    let body = json!({ "version": "0.1.0", "consent": ["reports-read", "inventory-read", "secrets", "http-outbound"] });
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
async fn seed_demand(app: &TestApp, tenant: &Tenant, item: &str, store: &str) {
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
async fn seed_purchases(app: &TestApp, token: &str, supplier: &str, store: &str, lens: &str) {
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
        assert_eq!(kinds, ["lens", "reorder", "anomalies"]);

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
        app.post("/api/v1/recommendations/frames", Some(token), json!({})).await.problem(404, "not_found");
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
