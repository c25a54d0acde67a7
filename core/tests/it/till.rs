//! The till (docs/adr/047-till.md): a sale with a frame from stock, lenses, a sight test and
//! dispensing, paid by a cash deposit, an NHS voucher and the balance by card; the VAT split,
//! gap-free numbers per practice, stock moved once, a refund that reverses exactly its line, and
//! the end-of-day report checked against totals this test computes from the sales themselves.

use serde_json::{Value, json};

use crate::harness::{TestApp, db_test};
use crate::stock::{adjust, events, item, level, location};

/// VAT in a VAT-inclusive price at 20%, to the nearest penny (computed here independently of ILS).
fn vat_of(gross: i64) -> i64 {
    (gross as f64 / 6.0).round() as i64
}

fn line(kind: &str, description: &str, price: i64) -> Value {
    json!({ "kind": kind, "description": description, "quantity": 1, "unit_price_minor": price })
}

async fn pay(
    app: &TestApp,
    token: &str,
    sale: &str,
    method: &str,
    amount: i64,
    reference: Option<&str>,
) -> Value {
    let body = json!({ "method": method, "amount_minor": amount, "reference": reference });
    app.post(&format!("/api/v1/sales/{sale}/payments"), Some(token), body).await.ok(201).clone()
}

/// The standard-rated and exempt (gross, VAT) of a sale's lines, less its credit notes.
fn bands(sale: &Value) -> [(i64, i64); 2] {
    let mut out = [(0, 0), (0, 0)];
    for l in sale["lines"].as_array().unwrap() {
        let b = usize::from(l["vat_rate"] == "exempt");
        out[b].0 += l["gross_minor"].as_i64().unwrap();
        out[b].1 += l["vat_minor"].as_i64().unwrap();
        for note in sale["credit_notes"].as_array().unwrap() {
            for c in note["lines"].as_array().unwrap().iter().filter(|c| c["line_no"] == l["line_no"]) {
                out[b].0 -= c["gross_minor"].as_i64().unwrap();
                out[b].1 -= c["vat_minor"].as_i64().unwrap();
            }
        }
    }
    out
}

db_test!(
    async fn a_spectacle_sale_with_a_voucher_splits_vat_numbers_without_gaps_moves_stock_once_and_refunds_exactly(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant("northgate").await;
        let admin = &practice.admin.token;
        let dispenser = app.member(&practice, "dora", "dispenser").await;
        let dora = &dispenser.token;
        let shop = location(&app, admin, "Shop floor").await;
        let frame = item(&app, admin, "RB-2140-50", 0).await;
        let solution = item(&app, admin, "SOL-360", 0).await;
        adjust(&app, admin, &frame, &shop, 3).await.ok(201);
        adjust(&app, admin, &solution, &shop, 10).await.ok(201);
        let body = json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" });
        let ann = app.post("/api/v1/patients", Some(dora), body).await.ok(201)["id"].as_str().unwrap().to_owned();

        // The sale: a frame from stock with £10 off, lenses, a sight test and dispensing.
        let mut frame_line = line("frame", "Wayfarer 50", 14_900);
        frame_line["item_id"] = json!(frame);
        frame_line["location_id"] = json!(shop);
        frame_line["discount_minor"] = json!(1_000);
        let lines = json!([frame_line, line("lenses", "1.67 single vision pair", 12_000), line("sight_test", "Sight test", 2_500)]);
        let sale = app.post("/api/v1/sales", Some(dora), json!({ "patient_id": ann, "lines": lines })).await.ok(201).clone();
        let id = sale["id"].as_str().unwrap().to_owned();
        let with_dispensing = app.post(&format!("/api/v1/sales/{id}/lines"), Some(dora), line("dispensing", "Dispensing", 3_000)).await;
        let sale = with_dispensing.ok(201).clone();
        let vats: Vec<(i64, i64, &str)> = sale["lines"].as_array().unwrap().iter()
            .map(|l| (l["gross_minor"].as_i64().unwrap(), l["vat_minor"].as_i64().unwrap(), l["vat_rate"].as_str().unwrap()))
            .collect();
        assert_eq!(vats, [(13_900, vat_of(13_900), "standard"), (12_000, 2_000, "standard"), (2_500, 0, "exempt"), (3_000, 0, "exempt")]);
        assert_eq!((sale["total_minor"].as_i64(), sale["vat_minor"].as_i64()), (Some(31_400), Some(vat_of(13_900) + 2_000)));

        // A cash deposit; not complete until paid; an NHS voucher needs its number; never more
        // than the balance; the balance by card.
        let deposit = pay(&app, dora, &id, "cash", 10_000, None).await;
        app.post(&format!("/api/v1/sales/{id}/complete"), Some(dora), json!({})).await.problem(409, "sale_not_paid");
        let no_number = json!({ "method": "nhs_voucher", "amount_minor": 6_320 });
        app.post(&format!("/api/v1/sales/{id}/payments"), Some(dora), no_number).await.problem(422, "invalid_input");
        let voucher = pay(&app, dora, &id, "nhs_voucher", 6_320, Some("GOS3 0012345")).await;
        let over = json!({ "method": "card", "amount_minor": 15_081 });
        app.post(&format!("/api/v1/sales/{id}/payments"), Some(dora), over).await.problem(422, "invalid_input");
        let balance = pay(&app, dora, &id, "card", 15_080, Some("slip 4411")).await;
        assert_eq!(balance["sale"]["balance_minor"], 0);
        let done = app.post(&format!("/api/v1/sales/{id}/complete"), Some(dora), json!({})).await.ok(200).clone();
        assert_eq!((done["status"].as_str(), done["invoice_number"].as_i64()), (Some("completed"), Some(1)));
        assert_eq!(level(&app, admin, &frame, &shop).await, 2, "the frame left stock once");
        app.post(&format!("/api/v1/sales/{id}/complete"), Some(dora), json!({})).await.problem(409, "sale_completed");
        app.post(&format!("/api/v1/sales/{id}/lines"), Some(dora), line("accessory", "Case", 500)).await.problem(409, "sale_completed");
        assert_eq!(level(&app, admin, &frame, &shop).await, 2, "and only once");

        // A walk-in buys two bottles of solution for cash: the next numbers, no gaps.
        let mut bottles = line("solution", "All-in-one 360 ml", 899);
        bottles["quantity"] = json!(2);
        bottles["item_id"] = json!(solution);
        bottles["location_id"] = json!(shop);
        let walk_in = app.post("/api/v1/sales", Some(dora), json!({ "lines": [bottles] })).await.ok(201).clone();
        let walk_in_id = walk_in["id"].as_str().unwrap().to_owned();
        let cash = pay(&app, dora, &walk_in_id, "cash", 1_798, None).await;
        let walk_in = app.post(&format!("/api/v1/sales/{walk_in_id}/complete"), Some(dora), json!({})).await.ok(200).clone();
        let receipts: Vec<i64> = [&deposit, &voucher, &balance, &cash].iter().map(|p| p["payment"]["receipt_number"].as_i64().unwrap()).collect();
        assert_eq!(receipts, [1, 2, 3, 4]);
        assert_eq!(walk_in["invoice_number"], 2);
        assert_eq!(level(&app, admin, &solution, &shop).await, 8);
        // Another practice numbers from 1.
        let other = app.tenant("southgate").await;
        let theirs = app.post("/api/v1/sales", Some(&other.admin.token), json!({ "lines": [line("sight_test", "Sight test", 2_500)] })).await.ok(201).clone();
        let theirs_id = theirs["id"].as_str().unwrap();
        let paid = pay(&app, &other.admin.token, theirs_id, "card", 2_500, None).await;
        assert_eq!(paid["payment"]["receipt_number"], 1);
        let theirs = app.post(&format!("/api/v1/sales/{theirs_id}/complete"), Some(&other.admin.token), json!({})).await;
        assert_eq!(theirs.ok(200)["invoice_number"], 1);

        // A refund is money: the dispenser may not; the admin refunds the frame by card — exactly
        // its price and its VAT — and it goes back into stock.
        let frame_back = json!({ "lines": [{ "line_no": 1, "quantity": 1 }], "refund_method": "card", "reason": "frame broke on day one" });
        app.post(&format!("/api/v1/sales/{id}/credit-notes"), Some(dora), frame_back.clone()).await.problem(403, "forbidden");
        let refund = app.post(&format!("/api/v1/sales/{id}/credit-notes"), Some(admin), frame_back.clone()).await.ok(201).clone();
        let note = &refund["credit_note"];
        assert_eq!((note["number"].as_i64(), note["total_minor"].as_i64(), note["vat_minor"].as_i64()), (Some(1), Some(13_900), Some(vat_of(13_900))));
        assert_eq!(level(&app, admin, &frame, &shop).await, 3);
        app.post(&format!("/api/v1/sales/{id}/credit-notes"), Some(admin), frame_back).await.problem(422, "invalid_input");
        // The rest would be more than was paid in money (the voucher is not refunded as cash).
        let the_rest = json!({ "lines": [{ "line_no": 2, "quantity": 1 }, { "line_no": 3, "quantity": 1 }, { "line_no": 4, "quantity": 1 }],
            "refund_method": "cash", "reason": "changed mind" });
        app.post(&format!("/api/v1/sales/{id}/credit-notes"), Some(admin), the_rest).await.problem(409, "refund_beyond_money_paid");

        // The day: the test's own sums of what it sold and refunded.
        let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/London").unwrap()).date();
        let day = app.get(&format!("/api/v1/till/days/{today}"), admin).await.ok(200).clone();
        let takings = |method: &str| day["takings"].as_array().unwrap().iter().find(|t| t["method"] == method).unwrap().clone();
        assert_eq!((takings("cash")["taken_minor"].as_i64(), takings("cash")["refunded_minor"].as_i64()), (Some(11_798), Some(0)));
        assert_eq!((takings("card")["taken_minor"].as_i64(), takings("card")["net_minor"].as_i64()), (Some(15_080), Some(15_080 - 13_900)));
        assert_eq!(takings("nhs_voucher")["taken_minor"], 6_320);
        assert_eq!(day["cash_to_bank_minor"], 11_798);
        assert_eq!(day["net_takings_minor"], 11_798 + 15_080 - 13_900 + 6_320);
        assert_eq!((day["sales_completed"].as_i64(), day["invoice_numbers"].clone()), (Some(2), json!([1, 2])));
        let sold = app.get(&format!("/api/v1/sales/{id}"), dora).await.ok(200).clone();
        let [standard, exempt] = bands(&sold);
        let [walk_in_standard, _] = bands(&walk_in);
        assert_eq!(standard, (12_000, 2_000), "the frame's line is reversed whole, the lenses stand");
        assert_eq!(walk_in_standard, (1_798, vat_of(1_798)));
        let vat = &day["vat"];
        assert_eq!((vat["standard"]["gross_minor"].as_i64(), vat["standard"]["vat_minor"].as_i64()), (Some(standard.0 + walk_in_standard.0), Some(standard.1 + walk_in_standard.1)));
        assert_eq!((vat["exempt"]["gross_minor"].as_i64(), vat["exempt"]["vat_minor"].as_i64()), (Some(exempt.0), Some(0)));
        assert_eq!(vat["total"]["net_minor"], vat["total"]["gross_minor"].as_i64().unwrap() - vat["total"]["vat_minor"].as_i64().unwrap());
        // Takings and VAT agree: what was taken less refunded is what the completed sales are worth.
        assert_eq!(day["net_takings_minor"], vat["total"]["gross_minor"]);

        // Events for the money, readable by who works the till.
        let completed = events(&app, dora, "sale.completed").await;
        assert_eq!(completed.len(), 2);
        assert_eq!(events(&app, dora, "payment.taken").await.len(), 4);
        assert_eq!(events(&app, admin, "credit_note.issued").await[0]["total_minor"], 13_900);

        // Ann's purchases are in her subject-access export.
        let export = app.post(&format!("/api/v1/patients/{ann}/exports"), Some(admin), json!({})).await;
        let file = export.ok(201)["file"]["id"].as_str().unwrap().to_owned();
        let zip = app.client.get(format!("{}/api/v1/files/{file}", app.base)).bearer_auth(admin).send().await.unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes().await.unwrap().to_vec())).unwrap();
        let mut listed = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("sales.json").unwrap(), &mut listed).unwrap();
        let held: Value = serde_json::from_str(&listed).unwrap();
        assert_eq!(held.as_array().unwrap().len(), 1, "hers, not the walk-in's");
        assert_eq!((held[0]["invoice_number"].as_i64(), held[0]["credit_notes"][0]["number"].as_i64()), (Some(1), Some(1)));

        // The arithmetic is the database's too: a line whose total is not price × quantity less
        // the discount is refused, whoever writes it.
        let tampered = app.owner_execute("UPDATE sale_lines SET gross_minor = gross_minor + 1").await;
        assert!(tampered.is_err(), "{tampered:?}");
    }
);

db_test!(
    async fn a_deposit_when_the_order_is_placed_and_the_balance_at_collection_and_the_till_is_the_practices_own(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant("northgate").await;
        let admin = &practice.admin.token;
        let ecp = app.member(&practice, "olive", "ecp").await;
        let body = json!({ "first_name": "Bo", "last_name": "Day", "date_of_birth": "1990-01-01" });
        let bo = app.post("/api/v1/patients", Some(admin), body).await.ok(201)["id"].as_str().unwrap().to_owned();
        let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
            "right": { "sphere": "+1.50" }, "left": { "sphere": "+1.25" }, "pd_right_mm": 32, "pd_left_mm": 31.5 });
        let rx = app.post(&format!("/api/v1/patients/{bo}/prescriptions"), Some(admin), rx).await.ok(201)["id"].as_str().unwrap().to_owned();
        let order = app.post("/api/v1/orders", Some(admin), crate::orders::order_body(&bo, &rx)).await.ok(201)["id"].as_str().unwrap().to_owned();

        let lines = json!([line("frame", "Own-brand metal", 8_000), line("lenses", "Varifocals", 22_000), line("dispensing", "Dispensing", 4_000)]);
        let sale = app.post("/api/v1/sales", Some(admin), json!({ "patient_id": bo, "order_id": order, "lines": lines })).await.ok(201).clone();
        let id = sale["id"].as_str().unwrap().to_owned();
        pay(&app, admin, &id, "card", 15_000, None).await;
        // The day's report holds the deposit against a sale still open.
        let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/London").unwrap()).date();
        let day = app.get(&format!("/api/v1/till/days/{today}"), admin).await.ok(200).clone();
        assert_eq!((day["deposits_held_minor"].as_i64(), day["sales_completed"].as_i64()), (Some(15_000), Some(0)));
        // A line cannot go if what is paid would be more than the rest (£150 paid, £120 left).
        let less = app.call(reqwest::Method::DELETE, &format!("/api/v1/sales/{id}/lines/2"), Some(admin), None).await;
        less.problem(409, "sale_paid_beyond");
        let list = app.get("/api/v1/sales", admin).await.ok(200).clone();
        let entry = list.as_array().unwrap().iter().find(|s| s["id"] == id.as_str()).unwrap().clone();
        assert_eq!((entry["status"].as_str(), entry["patient_name"].as_str(), entry["paid_minor"].as_i64()), (Some("open"), Some("Bo Day"), Some(15_000)));
        // Collection: the balance, and the sale completes.
        pay(&app, admin, &id, "cash", 19_000, None).await;
        let done = app.post(&format!("/api/v1/sales/{id}/complete"), Some(admin), json!({})).await.ok(200).clone();
        assert_eq!(done["order_id"], order.as_str());

        // An optometrist does clinical work, not the till; another practice sees none of it.
        app.get("/api/v1/sales", &ecp.token).await.problem(403, "forbidden");
        app.get(&format!("/api/v1/till/days/{today}"), &ecp.token).await.problem(403, "forbidden");
        let other = app.tenant("southgate").await;
        let theirs = &other.admin.token;
        app.get(&format!("/api/v1/sales/{id}"), theirs).await.problem(404, "not_found");
        app.post(&format!("/api/v1/sales/{id}/payments"), Some(theirs), json!({ "method": "cash", "amount_minor": 1 })).await.problem(404, "not_found");
        let their_sale = app.post("/api/v1/sales", Some(theirs), json!({ "patient_id": bo })).await;
        their_sale.problem(404, "not_found");
        assert!(app.get("/api/v1/sales", theirs).await.ok(200).as_array().unwrap().is_empty());
        let their_day = app.get(&format!("/api/v1/till/days/{today}"), theirs).await.ok(200).clone();
        assert_eq!(their_day["net_takings_minor"], 0);
        // Reading Bo's sale is audited as a read of his account.
        let before = app.get("/api/v1/audit?action=patient.sale_read", admin).await.ok(200)["items"].as_array().unwrap().len();
        app.get(&format!("/api/v1/sales/{id}"), admin).await.ok(200);
        let audit = app.get("/api/v1/audit?action=patient.sale_read", admin).await.ok(200).clone();
        let reads = audit["items"].as_array().unwrap();
        assert_eq!(reads.len(), before + 1, "{audit}");
        assert!(reads.iter().any(|r| r.to_string().contains(&bo)), "{audit}");
    }
);
