//! Recommendations where the console uses them (docs/adr/032), through the real `recommendations`
//! component: the order form's lens suggestion for the stronger eye, shown beside the lens choice
//! with the form kept exactly as typed, and "Use this" filling in the lens; the stock list's
//! suggested reorder column, whose due rows raise their draft purchase order; and one read of a
//! tenant's recommenders answering several kinds. Both backends.

use ils_tenancy::tenants::TenantKind;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use serde_json::{Value, json};

use crate::guests::install;
use crate::harness::{Tenant, TestApp, db_test};
use crate::report_reads::{id_literal, literal, owner};
use crate::stock::{adjust, item, location};

const RECOMMENDATIONS: &str = include_str!("../../../plugins/recommendations/ils-plugin.toml");

/// A browser-like client that does not follow redirects, so a test sees where it is sent.
fn browser() -> reqwest::Client {
    ils_core::install_tls_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Page {
    /// The CSRF token the page's forms carry.
    fn csrf(&self) -> String {
        let marker = r#"name="_csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        self.body[start..].split('"').next().expect("token").to_owned()
    }

    #[track_caller]
    fn shows(&self, text: &str) {
        assert!(self.body.contains(text), "{text:?} is not on the page: {}", self.body);
    }

    #[track_caller]
    fn lacks(&self, text: &str) {
        assert!(!self.body.contains(text), "{text:?} is on the page: {}", self.body);
    }
}

async fn read(response: reqwest::Response) -> Page {
    let location = response.headers().get(LOCATION).map(|v| v.to_str().expect("location").to_owned());
    let status = response.status().as_u16();
    Page { status, location, body: response.text().await.expect("body") }
}

async fn get(app: &TestApp, path: &str, token: &str) -> Page {
    let request = browser().get(format!("{}{path}", app.base)).header(COOKIE, format!("ils_session={token}"));
    read(request.send().await.expect("request")).await
}

/// Submits a form of `from` (its CSRF token added) to `path`.
async fn submit(app: &TestApp, from: &str, path: &str, token: &str, form: &[(&str, &str)]) -> Page {
    let csrf = get(app, from, token).await.csrf();
    let mut fields = vec![("_csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let request = browser()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, format!("ils_session={token}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(&fields).expect("form"));
    read(request.send().await.expect("request")).await
}

async fn enable(app: &TestApp, tenant: &Tenant) {
    let body = json!({ "version": "0.1.0", "consent": crate::recommendations::CONSENT });
    app.put("/api/v1/tenant/plugins/recommendations", &tenant.admin.token, body).await.ok(200);
}

/// A patient born in 1990 whose left eye is the stronger: right -5.00 DS, left -3.00/-2.50×90
/// (meridians -3.00 and -5.50); PDs 32 and 31.5. Returns the patient and the prescription.
async fn patient_with_rx(app: &TestApp, token: &str) -> (String, String) {
    let patient = json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1990-03-01" });
    let patient =
        app.post("/api/v1/patients", Some(token), patient).await.ok(201)["id"].as_str().unwrap().to_owned();
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": { "sphere": "-5.00" }, "left": { "sphere": "-3.00", "cylinder": "-2.50", "axis": 90 },
        "pd_right_mm": 32, "pd_left_mm": 31.5 });
    let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(token), rx).await;
    (patient, rx.ok(201)["id"].as_str().unwrap().to_owned())
}

/// The order form as a dispenser fills it in, before choosing a lens.
fn typed<'a>(patient: &'a str, rx: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("patient_id", patient),
        ("prescription_id", rx),
        ("lab", ""),
        ("lens.type", "single_vision"),
        ("lens.material", "plastic"),
        ("lens.index", "1.5"),
        ("lens.coatings", "hard_coat"),
        ("lens.coatings", "anti_reflective"),
        ("lens.tint", ""),
        ("frame.description", "Ray-Ban RB5154 52-18 black"),
        ("frame.a_mm", "52"),
        ("frame.b_mm", "40"),
        ("frame.dbl_mm", "18"),
        ("measurements.pd_right_mm", "32"),
        // Left blank: the prescription's 31.5 is used.
        ("measurements.pd_left_mm", ""),
        ("measurements.height_right_mm", ""),
        ("measurements.height_left_mm", ""),
        ("due_on", "2099-01-15"),
        ("priority", "normal"),
        ("price", "129.50"),
        ("notes", "Rush, please"),
    ]
}

/// `form` with the field `name` set to `value`.
fn with<'a>(form: &[(&'a str, &'a str)], name: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    form.iter().map(|(n, v)| (*n, if *n == name { value } else { *v })).collect()
}

/// What the form shows of everything typed by [`typed`].
#[track_caller]
fn keeps_what_was_typed(page: &Page) {
    for shown in [
        r#"value="Ray-Ban RB5154 52-18 black""#,
        r#"id="frame.a_mm" name="frame.a_mm" type="text" value="52""#,
        r#"id="frame.dbl_mm" name="frame.dbl_mm" type="text" value="18""#,
        r#"id="measurements.pd_right_mm" name="measurements.pd_right_mm" type="text" value="32""#,
        r#"id="due_on" name="due_on" type="date" value="2099-01-15""#,
        r#"value="129.50""#,
        r#"value="Rush, please""#,
        r#"value="hard_coat" checked"#,
        r#"value="anti_reflective" checked"#,
    ] {
        page.shows(shown);
    }
    page.lacks(r#"value="uv_filter" checked"#);
}

/// The figure `name` of the suggestion the native optics give, as the page writes it.
fn thickness(name: &str) -> String {
    // The left eye, the binocular PD 32 + 31.5, the 52-18 frame, the patient's age.
    let age = ils_clinical::retention::age_on(jiff::civil::date(1990, 3, 1), ils_clinical::today());
    let query = json!({ "sphere": "-3.00", "cylinder": "-2.50", "axis": 90, "age_years": age, "pd_mm": 63.5,
        "frame": { "eye_size_mm": 52, "bridge_mm": 18 } });
    let query: ils_recommendations::optics::LensQuery = serde_json::from_value(query).unwrap();
    let s = ils_recommendations::optics::suggest_lens(&query).unwrap();
    let mm = match name {
        "centre thickness" => s.thickness.centre_mm,
        "thickest edge" => s.thickness.thickest_edge_mm,
        other => panic!("no figure {other}"),
    };
    let mm = (mm * 100.0).round() / 100.0;
    let shown = if mm.fract() == 0.0 { format!("{mm:.0}") } else { format!("{mm:.2}") };
    format!("<dt>{name}</dt><dd>{shown} mm</dd>")
}

db_test!(
    async fn the_order_form_suggests_a_lens_for_the_stronger_eye_and_use_this_fills_it_in_keeping_every_field(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        enable(&app, &practice).await;
        let dispenser = app.member(&practice, "dana", "dispenser").await;
        let token = dispenser.token.as_str();
        let (patient, rx) = patient_with_rx(&app, &practice.admin.token).await;
        let from = format!("/orders/new?patient={patient}");

        let blank = get(&app, &from, token).await;
        assert_eq!(blank.status, 200, "{}", blank.body);
        blank.shows(r#"formaction="/orders/new/lens""#);
        blank.lacks("lens-suggestions");

        let form = typed(&patient, &rx);
        let asked = submit(&app, &from, "/orders/new/lens", token, &form).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        keeps_what_was_typed(&asked);
        asked.shows(r#"<option value="plastic" selected>"#);
        asked.shows("1.67 aspheric single vision");
        asked.shows("For the left eye, whose strongest meridian (-5.50 D) is the stronger of the two");
        // The thickness is the left eye's, in the pair's frame and PD, as the optics work it out.
        asked.shows(&thickness("centre thickness"));
        asked.shows(&thickness("thickest edge"));
        asked.shows(r#"name="suggestion" value="high_index 1.67 single_vision""#);
        asked.lacks("in use");
        let orders = app.get("/api/v1/orders?limit=10", &practice.admin.token).await;
        assert_eq!(orders.ok(200)["items"], json!([]), "asking places nothing");

        let mut used = form.clone();
        used.push(("suggestion", "high_index 1.67 single_vision"));
        let chosen = submit(&app, &from, "/orders/new/lens", token, &used).await;
        assert_eq!(chosen.status, 200, "{}", chosen.body);
        keeps_what_was_typed(&chosen);
        chosen.shows(r#"<option value="high_index" selected>"#);
        chosen.shows(r#"<option value="single_vision" selected>"#);
        chosen.shows(r#"id="lens.index" name="lens.index" type="text" value="1.67""#);
        chosen.shows("Using 1.67 aspheric single vision: design, material and index are filled in.");
        chosen.shows(r#"<strong class="tag good">in use</strong>"#);

        // The order is placed with the lens used and everything else as typed.
        let placed = with(&with(&form, "lens.material", "high_index"), "lens.index", "1.67");
        let placed = submit(&app, &from, "/orders", token, &placed).await;
        assert_eq!(placed.status, 303, "{}", placed.body);
        let id = placed.location.unwrap().trim_start_matches("/orders/").to_owned();
        let order = app.get(&format!("/api/v1/orders/{id}"), token).await;
        let order = order.ok(200);
        assert_eq!(order["lens"]["material"], "high_index");
        assert_eq!(order["lens"]["index"], 1.67);
        assert_eq!(order["lens"]["type"], "single_vision");
        assert_eq!(order["lens"]["coatings"], json!(["hard_coat", "anti_reflective"]));
        assert_eq!(order["frame"]["description"], "Ray-Ban RB5154 52-18 black");
        assert_eq!(order["notes"], "Rush, please");

        // Another practice cannot ask about this patient's prescription.
        let other = app.tenant_of_kind("elsewhere", TenantKind::Ecp).await;
        enable(&app, &other).await;
        let (their_patient, _) = patient_with_rx(&app, &other.admin.token).await;
        let theirs = format!("/orders/new?patient={their_patient}");
        let foreign = with(&form, "patient_id", &their_patient);
        let refused = submit(&app, &theirs, "/orders/new/lens", &other.admin.token, &foreign).await;
        assert_eq!(refused.status, 200, "{}", refused.body);
        refused.lacks("1.67 aspheric single vision");
        refused.shows(r##"<a href="#prescription_id">Prescription</a>"##);
        assert_eq!(submit(&app, &theirs, "/orders/new/lens", &other.admin.token, &form).await.status, 404);
    }
);

db_test!(
    async fn the_order_form_says_what_a_suggestion_lacks_and_when_the_plugin_refuses_or_fails_and_still_places_orders(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        enable(&app, &practice).await;
        let token = practice.admin.token.as_str();
        let (patient, rx) = patient_with_rx(&app, token).await;
        let from = format!("/orders/new?patient={patient}");
        let form = typed(&patient, &rx);

        let lacking = with(&with(&form, "frame.a_mm", ""), "frame.dbl_mm", "");
        let lacking = submit(&app, &from, "/orders/new/lens", token, &lacking).await;
        assert_eq!(lacking.status, 200, "{}", lacking.body);
        lacking.shows("To suggest a lens, fill in:");
        lacking.shows(r##"<a href="#frame.a_mm">A, mm</a>"##);
        lacking.shows(r##"<a href="#frame.dbl_mm">DBL, mm</a>"##);
        lacking.lacks(r##"<a href="#measurements.pd_left_mm">"##);
        lacking.lacks(r#"aria-invalid="true""#);
        lacking.shows(r#"value="Rush, please""#);

        // A frame the optics refuse: the plugin's reason, in a short notice.
        let refused = submit(&app, &from, "/orders/new/lens", token, &with(&form, "frame.a_mm", "90")).await;
        assert_eq!(refused.status, 200, "{}", refused.body);
        refused.shows(r#"id="lens-unavailable">No lens suggestion: "#);
        refused.shows("eye_size");
        refused.lacks("lens-suggestions-heading");

        // A plugin paused by its breaker: a notice, and the form still places the order.
        let until = jiff::Timestamp::now().as_millisecond() + 3_600_000;
        owner(
            &app,
            format!(
                "UPDATE tenant_plugins SET tripped_until = {}, last_error = 'trap' WHERE tenant_id = {} AND plugin_id = 'recommendations'",
                literal(until),
                id_literal(&app, &practice.id)
            ),
        )
        .await;
        let paused = submit(&app, &from, "/orders/new/lens", token, &form).await;
        assert_eq!(paused.status, 200, "{}", paused.body);
        paused.shows("No lens suggestion: recommendations kept failing, so it is paused until");
        keeps_what_was_typed(&paused);
        let placed = submit(&app, &from, "/orders", token, &with(&form, "lens.index", "1.5")).await;
        assert_eq!(placed.status, 303, "{}", placed.body);
    }
);

db_test!(
    async fn without_a_recommender_or_for_a_role_not_given_lenses_the_order_form_shows_no_suggestion(backend) {
        let app = TestApp::spawn(backend).await;
        // Lenses only for company admins.
        let manifest = RECOMMENDATIONS.replacen(
            r#"roles = ["company_admin", "ecp", "dispenser", "lab_tech"]"#,
            r#"roles = ["company_admin"]"#,
            1,
        );
        assert_ne!(manifest, RECOMMENDATIONS);
        install(&app, "ils_recommendations", &manifest, "free").await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let dispenser = app.member(&practice, "dana", "dispenser").await;
        let (patient, rx) = patient_with_rx(&app, &practice.admin.token).await;
        let from = format!("/orders/new?patient={patient}");
        let form = typed(&patient, &rx);

        // Not enabled: nothing of it, even when asked.
        get(&app, &from, &practice.admin.token).await.lacks("Suggest a lens");
        let asked = submit(&app, &from, "/orders/new/lens", &practice.admin.token, &form).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        asked.lacks("Suggest a lens");
        asked.lacks("No lens suggestion");
        keeps_what_was_typed(&asked);

        enable(&app, &practice).await;
        get(&app, &from, &practice.admin.token).await.shows("Suggest a lens");
        get(&app, &from, &dispenser.token).await.lacks("Suggest a lens");
        let asked = submit(&app, &from, "/orders/new/lens", &dispenser.token, &form).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        asked.lacks("aspheric");
        asked.lacks("No lens suggestion");
    }
);

/// A year of the ledger, 10 units used a week, and three orders to `supplier` each received in a
/// week: what the `reorder` kind needs to suggest.
async fn seed_history(app: &TestApp, tenant: &Tenant, supplier: &str, store: &str, lens: &str) {
    crate::recommendations::seed_purchases(app, tenant.admin.token.as_str(), supplier, store, lens).await;
    crate::recommendations::seed_demand(app, tenant, lens, store).await;
}

fn figure(r: &Value, name: &str) -> i64 {
    let figures = r["figures"].as_array().expect("figures");
    let found = figures.iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no {name} in {r}"));
    found["value"].as_f64().expect("a number").ceil() as i64
}

db_test!(
    async fn the_stock_list_shows_the_suggested_reorder_and_a_due_row_raises_its_draft_purchase_order(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        enable(&app, &practice).await;
        let token = practice.admin.token.as_str();
        let store = location(&app, token, "Store").await;
        let lens = item(&app, token, "LENS-150", 5).await;
        let lens_co = crate::purchasing::supplier(&app, token, "Lens Co").await;
        seed_history(&app, &practice, &lens_co, &store, &lens).await;
        adjust(&app, token, &lens, &store, -55).await.ok(201);
        let answer = app.post("/api/v1/recommendations/reorder", Some(token), json!({})).await;
        let suggested = answer.ok(200)["recommendations"][0].clone();
        let (point, quantity) = (figure(&suggested, "suggested reorder point"), figure(&suggested, "order quantity"));

        let page = get(&app, "/stock", token).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.shows(r#"<th scope="col">Suggested reorder</th>"#);
        page.shows(&format!("<span>at {point}, order {quantity}</span>"));
        page.shows(r#"<strong class="tag bad">due</strong>"#);
        page.shows(&format!(r#"<input type="hidden" name="item_id" value="{lens}">"#));
        page.shows("Raise a draft order");

        // A dispenser sees the suggestion; raising the order is purchasing's.
        let dispenser = app.member(&practice, "dana", "dispenser").await;
        let theirs = get(&app, "/stock", &dispenser.token).await;
        theirs.shows(&format!("<span>at {point}, order {quantity}</span>"));
        theirs.lacks("Raise a draft order");
        theirs.shows("Someone who manages purchasing raises the due orders.");

        // Another tenant cannot raise an order with these ids.
        let other = app.tenant_of_kind("elsewhere", TenantKind::Ecp).await;
        enable(&app, &other).await;
        let raise = [("supplier_id", lens_co.as_str()), ("location_id", store.as_str()), ("item_id", lens.as_str())];
        let q = quantity.to_string();
        let mut raise = raise.to_vec();
        raise.push(("quantity", q.as_str()));
        let foreign = submit(&app, "/stock", "/recommendations/accept", &other.admin.token, &raise).await;
        assert_eq!(foreign.status, 404, "{}", foreign.body);
        get(&app, "/stock", &other.admin.token).await.lacks("Raise a draft order");

        let raised = submit(&app, "/stock", "/recommendations/accept", token, &raise).await;
        assert_eq!(raised.status, 303, "{}", raised.body);
        let order = raised.location.unwrap().trim_start_matches("/stock/purchase-orders/").to_owned();
        let order = app.get(&format!("/api/v1/purchase-orders/{order}"), token).await;
        let order = order.ok(200);
        assert_eq!(order["status"], "draft");
        assert_eq!(order["supplier_id"], lens_co.as_str());
        assert_eq!(order["lines"][0]["quantity"], quantity);
        assert_eq!(order["lines"][0]["unit_price_minor"], 250);

        // On order now: the row is no longer due.
        let after = get(&app, "/stock", token).await;
        after.shows(r#"<th scope="col">Suggested reorder</th>"#);
        after.lacks(r#"<strong class="tag bad">due</strong>"#);
        after.lacks("Raise a draft order");

        // A recommender paused by its breaker: a short notice instead of the column; the levels stay.
        let until = jiff::Timestamp::now().as_millisecond() + 3_600_000;
        owner(
            &app,
            format!(
                "UPDATE tenant_plugins SET tripped_until = {} WHERE tenant_id = {} AND plugin_id = 'recommendations'",
                literal(until),
                id_literal(&app, &practice.id)
            ),
        )
        .await;
        let paused = get(&app, "/stock", token).await;
        assert_eq!(paused.status, 200, "{}", paused.body);
        paused.shows("Reorder suggestions are unavailable just now: recommendations kept failing, so it is paused");
        paused.lacks("Suggested reorder");
        paused.shows(r#"<table id="levels">"#);
    }
);

db_test!(
    async fn without_a_recommender_giving_reorders_the_stock_list_has_no_suggestion_column(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let lab = app.tenant("northgate").await;
        let token = lab.admin.token.as_str();
        let store = location(&app, token, "Store").await;
        let lens = item(&app, token, "LENS-150", 5).await;
        adjust(&app, token, &lens, &store, 20).await.ok(201);

        let page = get(&app, "/stock", token).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.shows(r#"<table id="levels">"#);
        page.lacks("Suggested reorder");

        // Enabled, but `reorder` is not given to engineers.
        enable(&app, &lab).await;
        get(&app, "/stock", token).await.shows("Suggested reorder");
        let engineer = app.member(&lab, "erin", "engineer").await;
        let theirs = get(&app, "/stock", &engineer.token).await;
        assert_eq!(theirs.status, 200, "{}", theirs.body);
        theirs.lacks("Suggested reorder");
    }
);

db_test!(
    async fn one_read_of_the_enablements_answers_every_kind_for_its_caller(backend) {
        use ils_kernel::error::Error;
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
        let lab = app.tenant("northgate").await;
        enable(&app, &lab).await;
        let tenant: ils_storage::ids::TenantId = lab.id.parse().unwrap();
        let caller = |role: &str| ils_host_api::Caller { user_id: "someone".into(), roles: vec![role.into()] };

        let admin = app.state.recommenders.enabled(tenant, &caller("company_admin")).await.unwrap();
        let kinds: Vec<String> = admin.kinds().into_iter().map(|k| k.kind).collect();
        assert_eq!(kinds, ["lens", "frames", "reorder", "anomalies"]);
        assert!(admin.gives("lens") && admin.gives("reorder") && !admin.gives("sunglasses"));
        let lens = json!({ "sphere": "-6.00", "age_years": 35, "pd_mm": 64, "frame": { "eye_size_mm": 52, "bridge_mm": 18 } });
        let found = admin.gather("lens", lens.clone()).await.unwrap();
        assert_eq!(found.recommendations[0].recommendation.title, "1.67 aspheric single vision");
        assert!(admin.gather("anomalies", json!({})).await.unwrap().recommendations.is_empty());
        assert!(matches!(admin.gather("sunglasses", json!({})).await, Err(Error::NotFound(_))));
        assert!(matches!(admin.gather("lens", json!([1])).await, Err(Error::Invalid { .. })));

        // An engineer is given anomalies only; asking for a lens is refused, as the API refuses it.
        let engineer = app.state.recommenders.enabled(tenant, &caller("engineer")).await.unwrap();
        let kinds: Vec<String> = engineer.kinds().into_iter().map(|k| k.kind).collect();
        assert_eq!(kinds, ["anomalies"]);
        assert!(!engineer.gives("lens"));
        assert!(matches!(engineer.gather("lens", lens).await, Err(Error::Forbidden { .. })));

        // Another tenant, without the plugin enabled, has none.
        let other = app.tenant("elsewhere").await;
        let other: ils_storage::ids::TenantId = other.id.parse().unwrap();
        let none = app.state.recommenders.enabled(other, &caller("company_admin")).await.unwrap();
        assert!(none.kinds().is_empty() && !none.gives("lens"));
    }
);
