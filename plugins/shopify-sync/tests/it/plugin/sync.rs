use ils_fake_shopify::{BucketSettings, NewVariant, Outcome};
use ils_plugin_sdk::Plugin;
use ils_shopify_sync::plugin::ShopifySync;
use ils_shopify_sync::plugin::admin::STEP_WAIT;
use ils_shopify_sync::plugin::steps::BULK_POLL_INTERVAL;
use ils_shopify_sync::throttle::RetryPolicy;

use super::{shop, shop_with};

#[test]
fn a_full_sync_matches_skus_pushes_ils_quantities_and_reports_what_it_cannot_match() {
    let s = shop();
    s.item("RB-2140-50", 4, Some(9)); // matched, Shopify behind
    s.item("OAK-9208", 3, Some(3)); // matched, equal
    s.item("ONLY-SHOPIFY", 2, None);
    s.ils_item("ONLY-ILS", 5);
    // One SKU on two Shopify variants: never guessed.
    s.fake.add_product("Twins", &[NewVariant::sku("DUP-1"), NewVariant::sku("DUP-1")]);
    s.ils_item("DUP-1", 6);

    let report = s.sync();
    assert_eq!(report["completed"], true);
    assert_eq!(report["matched"], 2);
    assert_eq!(report["missing_in_ils"]["first"], serde_json::json!(["ONLY-SHOPIFY"]));
    assert_eq!(report["missing_in_shopify"]["first"], serde_json::json!(["ONLY-ILS"]));
    assert_eq!(report["duplicated_in_shopify"]["first"], serde_json::json!(["DUP-1"]));
    assert_eq!((report["pushed"].as_u64(), report["already_equal"].as_u64()), (Some(1), Some(1)));
    s.assert_agree(&["RB-2140-50", "OAK-9208"]);
    assert_eq!(s.ils("ONLY-SHOPIFY"), 0, "nothing invented in ILS");

    let status = s.status();
    assert_eq!(status["last_full_sync"], report);
    assert_eq!(status["installed"], true);
    assert_eq!(status["locations"][0]["ils_location_name"], "Front shop");
    assert_eq!(status["recent_pushes"][0]["from"], 4);
    assert_eq!(status["recent_pushes"][0]["to"], 9);
}

#[test]
fn with_a_small_bucket_the_sync_paces_itself_and_completes() {
    let bucket = BucketSettings { maximum_available: 60.0, restore_rate: 10.0, max_query_cost: 1000.0 };
    let s = shop_with(bucket);
    let skus: Vec<String> = (0..12).map(|n| format!("FR-{n:02}")).collect();
    for (n, sku) in skus.iter().enumerate() {
        s.item(sku, 1, Some(2 + n as i64)); // each needs a read (28) and a set (10)
    }
    // Other traffic emptied the bucket: the first call is THROTTLED, and then no other.
    s.fake.drain_bucket();
    let report = s.sync();
    assert_eq!(report["completed"], true);
    assert_eq!(report["pushed"], 12);
    let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
    s.assert_agree(&skus);
    let throttled = s.fake.throttled_count();
    assert_eq!(throttled, 1, "only the first call, before any throttleStatus was known");
    assert!(throttled < RetryPolicy::default().max_attempts as usize);
    // More went through the 60-point bucket than it holds: the client waited for the refill,
    // and never spent faster than the bucket refills.
    let log = s.fake.requests();
    let spent: f64 = log.iter().filter_map(|r| r.actual_cost).sum();
    let elapsed = (log.last().unwrap().at - log.first().unwrap().at).as_secs_f64();
    assert!(spent > 60.0 * 2.0, "{spent}");
    assert!(spent <= 60.0 + 10.0 * elapsed, "{spent} points in {elapsed} s");
    // The waiting was spread over steps: none slept more than its share for the bucket (and a
    // poll step its second before polling).
    let longest = s.longest_invocation.get();
    assert!(longest <= STEP_WAIT + BULK_POLL_INTERVAL, "a step took {longest:?}");
    assert!(s.most_sent_per_invocation.get() <= 12);
}

#[test]
fn a_token_revoked_mid_sync_stops_the_run_and_says_so() {
    let s = shop();
    for sku in ["A-1", "A-2", "A-3", "A-4", "A-5"] {
        s.item(sku, 1, Some(7));
    }
    // Bulk start and two polls, then a read and a set for each of.
    s.fake.revoke_token_after(3 + 2 * 2);
    let report = s.sync();
    assert!(report["stopped"].as_str().unwrap().contains("access token rejected by Shopify"), "{report}");

    let requests = s.fake.requests();
    assert_eq!(requests.last().unwrap().outcome, Outcome::Unauthorized);
    assert_eq!(
        requests.iter().filter(|r| r.outcome == Outcome::Unauthorized).count(),
        1,
        "no call after the 401"
    );

    let status = s.status();
    assert!(
        status["recent_errors"][0]["message"].as_str().unwrap().contains("access token rejected by Shopify")
    );
    let report = &status["last_full_sync"];
    assert_eq!((report["completed"].as_bool(), report["pushed"].as_u64()), (Some(false), Some(2)));
    assert_eq!(status["match_table"]["matched"], 5, "the table was stored before the pushes");
    // What was pushed stays pushed; the rest is untouched on both sides.
    s.assert_agree(&["A-1", "A-2"]);
    for sku in ["A-3", "A-4", "A-5"] {
        assert_eq!((s.shopify(sku), s.ils(sku)), (Some(1), 7), "{sku}");
    }
}

#[test]
fn reconciliation_reports_drift_and_fixes_it_and_the_nightly_job_does_the_same() {
    let s = shop();
    s.item("RB-2140-50", 9, Some(9));
    s.item("OAK-9208", 3, Some(3));
    s.sync();
    // Someone edits Shopify's stock by hand.
    s.fake.set_available("OAK-9208", s.front, 11).unwrap();

    let report = s.reconcile();
    assert_eq!(report["completed"], true);
    assert_eq!(report["checked"], 2);
    assert_eq!(
        report["drift"],
        serde_json::json!([{
            "sku": "OAK-9208", "shopify_location_id": s.front.0.to_string(), "ils_location_id": super::FRONT,
            "ils_quantity": 3, "shopify_quantity": 11, "fixed": true,
        }])
    );
    s.assert_agree(&["RB-2140-50", "OAK-9208"]);
    assert_eq!(
        s.status()["locations"][0]["drift_at_last_reconciliation"],
        serde_json::json!({ "found": 1, "fixed": 1 })
    );

    s.fake.set_available("RB-2140-50", s.front, 0).unwrap();
    ShopifySync::run_job("reconcile", 1_768_500_000_000).unwrap();
    super::all_ok(s.work());
    let report = &s.status()["last_reconciliation"];
    assert_eq!((report["completed"].as_bool(), report["drift_count"].as_u64()), (Some(true), Some(1)));
    s.assert_agree(&["RB-2140-50", "OAK-9208"]);
}

#[test]
fn a_level_changed_in_shopify_is_checked_and_put_back_to_ils() {
    let s = shop();
    s.item("RB-2140-50", 9, Some(9));
    s.sync();
    s.fake.set_available("RB-2140-50", s.front, 2).unwrap();
    let body = s.fake.inventory_level_payload("RB-2140-50", s.front).unwrap();
    s.send("inventory_levels/update", &body);
    super::all_ok(s.work());
    s.assert_agree(&["RB-2140-50"]);
    assert_eq!(s.status()["recent_pushes"][0]["trigger"], "inventory_levels/update");
}

#[test]
fn a_product_update_rematches_its_variants() {
    let s = shop();
    s.item("RB-2140-50", 9, Some(9));
    let added = s.fake.add_product("New frame", &[NewVariant::sku("TEMP")]);
    s.ils_item("NEW-1", 4);
    s.fake.set_available("TEMP", s.front, 1).unwrap();
    assert_eq!(s.sync()["matched"], 1);

    // The merchant gives the new variant ILS's SKU; Shopify sends products/update.
    let variant = &added.variants[0];
    s.fake.set_sku(variant.id, Some("NEW-1")).unwrap();
    let body = serde_json::json!({
        "id": added.id.0, "title": "New frame",
        "variants": [{ "id": variant.id.0, "sku": "NEW-1", "inventory_item_id": variant.inventory_item.0 }],
    });
    s.send("products/update", body.to_string().as_bytes());
    super::all_ok(s.work());
    assert_eq!(s.status()["match_table"]["matched"], 2);
    // The next reconciliation brings the new match into line.
    s.reconcile();
    s.assert_agree(&["RB-2140-50", "NEW-1"]);

    s.send("products/delete", serde_json::json!({ "id": added.id.0 }).to_string().as_bytes());
    super::all_ok(s.work());
    assert_eq!(s.status()["match_table"]["matched"], 1);
}

#[test]
fn a_sync_of_forty_items_runs_in_steps_of_at_most_twelve_requests_and_shows_its_progress() {
    let s = shop();
    let skus: Vec<String> = (0..40).map(|n| format!("LENS-{n:02}")).collect();
    for (n, sku) in skus.iter().enumerate() {
        s.item(sku, 1, Some(2 + n as i64)); // every one differs: a read and a set each
    }
    let (code, answer) = s.route("POST", "/sync");
    assert_eq!(code, 202, "{answer}");
    assert_eq!(answer["run"]["kind"], "sync");
    assert_eq!(answer["run"]["phase"], "export");
    let id = answer["run"]["id"].clone();

    // Step by step until the first slice of pushes: the status shows the run in progress.
    let mut steps = 0;
    while s.status()["running"]["progress"]["done"] == 0 {
        let (kind, _, result) = s.work_one().expect("a next step");
        assert_eq!(kind, ils_shopify_sync::plugin::STEP_EVENT);
        result.unwrap();
        steps += 1;
    }
    let running = &s.status()["running"];
    assert_eq!((running["id"].clone(), running["phase"].as_str()), (id, Some("push")));
    assert_eq!(running["progress"], serde_json::json!({ "done": 6, "total": 40 }));
    // Export, two polls, download and match, then six items.
    assert_eq!(steps, 5);

    super::all_ok(s.work());
    let status = s.status();
    let report = &status["last_full_sync"];
    assert_eq!(status["running"], serde_json::Value::Null);
    assert_eq!((report["completed"].as_bool(), report["pushed"].as_u64()), (Some(true), Some(40)));
    assert!(report["finished_at_ms"].as_i64().unwrap() >= report["at_ms"].as_i64().unwrap());
    let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
    s.assert_agree(&skus);
    assert_eq!(s.requests_for("IlsSetQuantities"), 40, "each item set once");
    let most = s.most_sent_per_invocation.get();
    assert!((2..=12).contains(&most), "one invocation sent {most} requests");
}

#[test]
fn a_redelivered_step_pushes_nothing_twice_and_skips_nothing() {
    let s = shop();
    let skus: Vec<String> = (0..9).map(|n| format!("FR-{n}")).collect();
    for (n, sku) in skus.iter().enumerate() {
        s.item(sku, 0, Some(1 + n as i64));
    }
    s.item("SAME", 4, Some(4));
    assert_eq!(s.route("POST", "/sync").0, 202);

    // At least once: every step comes twice, the second time after the first was done.
    let mut deliveries = 0;
    while let Some((kind, payload, result)) = s.work_one() {
        result.unwrap();
        let sent = s.mock.sent().len();
        s.deliver_event("again", &kind, payload).unwrap();
        assert_eq!(s.mock.sent().len(), sent, "a step done already sends nothing");
        deliveries += 1;
        assert!(deliveries < 100);
    }
    let report = &s.status()["last_full_sync"];
    assert_eq!(report["completed"], true);
    assert_eq!((report["pushed"].as_u64(), report["already_equal"].as_u64()), (Some(9), Some(1)));
    assert_eq!(s.requests_for("IlsSetQuantities"), 9);
    assert_eq!(s.requests_for("IlsInventoryLevels"), 10, "each item read once");
    assert_eq!(s.requests_for("IlsBulkRun"), 1);
    let mut all: Vec<&str> = skus.iter().map(String::as_str).collect();
    all.push("SAME");
    s.assert_agree(&all);
    assert_eq!(s.status()["quantities_pushed"], 9, "the status counts each push once");
}

#[test]
fn a_second_run_while_one_runs_is_refused_with_the_running_run_until_it_goes_stale() {
    let s = shop();
    s.item("RB-2140-50", 4, Some(9));
    let (code, first) = s.route("POST", "/sync");
    assert_eq!(code, 202, "{first}");

    for path in ["/sync", "/reconcile"] {
        let (code, refusal) = s.route("POST", path);
        assert_eq!(code, 409, "{refusal}");
        assert_eq!(refusal["run"]["id"], first["run"]["id"]);
        assert_eq!(refusal["run"]["phase"], "export");
    }
    assert_eq!(s.status()["running"]["id"], first["run"]["id"]);

    // Its chain broke (no step delivered) and ten minutes passed: the next start replaces it.
    s.clock.advance(std::time::Duration::from_secs(11 * 60));
    let (code, second) = s.route("POST", "/sync");
    assert_eq!(code, 202, "{second}");
    assert_ne!(second["run"]["id"], first["run"]["id"]);
    let replaced = &s.status()["last_full_sync"];
    assert_eq!(replaced["completed"], false);
    assert!(replaced["stopped"].as_str().unwrap().contains("no progress"), "{replaced}");

    // The old run's step, delivered late, does nothing; the new run completes.
    let report = {
        super::all_ok(s.work());
        s.status()["last_full_sync"].clone()
    };
    assert_eq!((report["completed"].as_bool(), report["pushed"].as_u64()), (Some(true), Some(1)));
    assert_eq!(s.requests_for("IlsBulkRun"), 1);
    s.assert_agree(&["RB-2140-50"]);
}
