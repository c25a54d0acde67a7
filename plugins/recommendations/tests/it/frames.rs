use ils_recommendations::RecoError;
use ils_recommendations::optics::frames::FrameSku;
use ils_recommendations::optics::{FrameQuery, FrameRanking, Material, rank_frames};

/// A query from JSON, as the glue would pass it.
fn query(json: &str) -> FrameQuery {
    serde_json::from_str(json).expect("a valid query")
}

fn skus(frames: &[ils_recommendations::optics::RankedFrame]) -> Vec<&str> {
    frames.iter().map(|f| f.sku.0.as_str()).collect()
}

fn find<'a>(r: &'a FrameRanking, sku: &str) -> &'a ils_recommendations::optics::RankedFrame {
    r.suitable
        .iter()
        .chain(&r.unsuitable)
        .find(|f| f.sku == FrameSku(sku.into()))
        .expect("every frame is in the answer")
}

#[test]
fn frames_for_a_moderate_minus_prescription_are_ranked_with_their_thickness_and_history_worked_by_hand() {
    let r = rank_frames(&query(
        r#"{"sphere": "-4.00", "cylinder": "-1.00", "axis": 180, "age_years": 40, "pd_mm": 64,
            "frames": [
              {"sku": "CLASSIC", "name": "Classic 50", "eye_size_mm": 50, "bridge_mm": 18, "rim": "full", "on_hand": 3},
              {"sku": "LARGE", "name": "Large 56", "eye_size_mm": 56, "bridge_mm": 18, "on_hand": 2},
              {"sku": "AIR", "name": "Air 50", "eye_size_mm": 50, "bridge_mm": 18, "rim": "rimless", "on_hand": 1},
              {"sku": "PETITE", "name": "Petite 48", "eye_size_mm": 48, "bridge_mm": 20, "shape": "round", "on_hand": 0},
              {"sku": "SMALL", "name": "Small 46", "eye_size_mm": 46, "bridge_mm": 18, "on_hand": 5}
            ],
            "history": [
              {"spherical_equivalent": -4.25, "cylinder": -1.25, "sku": "CLASSIC"},
              {"spherical_equivalent": -5.50, "cylinder": 1.50, "sku": "CLASSIC"},
              {"spherical_equivalent": -3.00, "cylinder": -1.00, "sku": "PETITE"},
              {"spherical_equivalent": -4.00, "cylinder": -2.00, "sku": "PETITE"},
              {"spherical_equivalent": -5.75, "cylinder": -1.75, "sku": "PETITE"},
              {"spherical_equivalent": -4.50, "cylinder": -1.00, "add": true, "sku": "SMALL"},
              {"spherical_equivalent": -4.50, "cylinder": -0.50, "sku": "SMALL"},
              {"spherical_equivalent": 3.00, "sku": "LARGE"},
              {"spherical_equivalent": 1.00, "sku": "LARGE"}
            ]}"#,
    ))
    .unwrap();
    // Meridians −4.00 and −5.00, SE −4.50 (band over −6.00 to −3.00), cylinder 1.00 (band 1.00 to
    // 2.00), no add. Strongest 5.00 D → 1.67 (n = 1.67, minimum centre 1.5 mm). Vogel: −4.50/2 + 6
    // = 3.75 → +4.00 D; back curves −8.00 and −9.00 D; radii 670/4 = 167.50, 670/8 = 83.75,
    // 670/9 = 74.44 mm.
    // Classic 50/18: ED 54, decentration (50 + 18 − 64)/2 = 2, y = 29 mm.
    //   s₁ = 167.50 − √(167.50² − 29²) = 2.530; s₂(−9) = −(74.44 − √(74.44² − 29²)) = −5.881;
    //   thickest edge = 1.5 − (2.530 − 5.881) = 4.85 mm ≤ 6.0 (full rim): suits.
    // Large 56/18: y = 30 + 5 = 35: s₁ = 3.698, s₂(−9) = −8.741, edge 1.5 + 5.043 = 6.54 > 6.0.
    // Air 50/18 rimless: the same 4.85 mm, over the rimless 4.5 mm.
    // Petite 48/20: y = 26 + 2 = 28: edge 4.61 mm; suits, but none on hand.
    // Small 46/18: y = 25 + 0 = 25: edge 3.95 mm.
    // Similar orders: Classic 2 (−4.25/1.25, −5.50/1.50), Petite 3; Small's two are not (one has an
    // add, one a cylinder under 1.00), Large's two are plus.
    assert_eq!(skus(&r.suitable), ["CLASSIC", "SMALL", "PETITE"], "{r:#?}");
    assert_eq!(skus(&r.unsuitable), ["LARGE", "AIR"]);
    let classic = find(&r, "CLASSIC");
    assert!((classic.thickest_mm.unwrap() - 4.851).abs() < 0.01, "{classic:?}");
    assert_eq!((classic.similar_orders, classic.all_orders), (2, 2));
    assert!(classic.explanation.mentions("Estimated thickest edge 4.9 mm"), "{}", classic.explanation);
    assert!(classic.explanation.mentions("within the 6.0 mm limit for a full-rim frame"));
    assert!(classic.explanation.mentions("Chosen by 2 of 5 past orders with a similar prescription; 2 of 9"));
    let small = find(&r, "SMALL");
    assert!((small.thickest_mm.unwrap() - 3.947).abs() < 0.01, "{small:?}");
    assert_eq!((small.similar_orders, small.all_orders), (0, 2));
    let petite = find(&r, "PETITE");
    assert!(!petite.in_stock && petite.similar_orders == 3);
    assert!(petite.explanation.mentions("Out of stock"), "{}", petite.explanation);
    assert!(petite.explanation.mentions("round"), "{}", petite.explanation);
    let large = find(&r, "LARGE");
    assert!((large.thickest_mm.unwrap() - 6.543).abs() < 0.01, "{large:?}");
    assert!(large.explanation.mentions("rim not recorded, taken as full-rim"), "{}", large.explanation);
    let air = find(&r, "AIR");
    assert_eq!(air.limit_mm, 4.5);
    assert!(air.explanation.mentions("over the 4.5 mm limit for a rimless frame"), "{}", air.explanation);
    assert!(r.explanation.mentions("1.67 (n = 1.67): strongest meridian 5.00 D"), "{}", r.explanation);
    assert!(
        r.explanation.mentions("5 of 9 past orders had a similar prescription (SE over −6.00 to −3.00 D, cylinder 1.00 to 2.00 D, no add)"),
        "{}",
        r.explanation
    );
}

/// Four frames that suit any low prescription, and a history where low-minus wearers chose B
/// and A and presbyopic plus wearers chose C.
fn low_power_query(sphere: &str, add: Option<&str>) -> FrameQuery {
    let add = add.map_or(String::new(), |a| format!(r#""add": "{a}","#));
    let order = |se: f64, add: bool, sku: &str| {
        format!(r#"{{"spherical_equivalent": {se}, "add": {add}, "sku": "{sku}"}}"#)
    };
    let mut history = Vec::new();
    history.extend((0..3).map(|_| order(-1.5, false, "B")));
    history.push(order(-2.0, false, "A"));
    history.extend((0..5).map(|_| order(4.0, true, "C")));
    query(&format!(
        r#"{{"sphere": "{sphere}", {add} "age_years": 50, "pd_mm": 64,
            "frames": [
              {{"sku": "A", "name": "A", "eye_size_mm": 50, "bridge_mm": 18, "on_hand": 1}},
              {{"sku": "B", "name": "B", "eye_size_mm": 52, "bridge_mm": 18, "on_hand": 1}},
              {{"sku": "C", "name": "C", "eye_size_mm": 50, "bridge_mm": 18, "on_hand": 1}},
              {{"sku": "D", "name": "D", "eye_size_mm": 46, "bridge_mm": 18, "on_hand": 1}}
            ],
            "history": [{}]}}"#,
        history.join(",")
    ))
}

#[test]
fn frames_similar_prescriptions_chose_rank_first_and_dissimilar_ones_count_only_after() {
    let minus = rank_frames(&low_power_query("-1.50", None)).unwrap();
    assert!(minus.unsuitable.is_empty(), "{minus:#?}");
    // B: 3 similar; A: 1 similar; C: 0 similar but 5 in all; D: never chosen (and the thinnest).
    assert_eq!(skus(&minus.suitable), ["B", "A", "C", "D"], "{minus:#?}");
    assert!(
        find(&minus, "C")
            .explanation
            .mentions("Chosen by 0 of 4 past orders with a similar prescription; 5 of 9")
    );

    // For a presbyopic plus prescription, the plus wearers' choice leads.
    let plus = rank_frames(&low_power_query("+4.00", Some("+2.00"))).unwrap();
    assert_eq!(skus(&plus.suitable)[0], "C", "{plus:#?}");
    assert_eq!(find(&plus, "C").similar_orders, 5);
}

#[test]
fn a_high_minus_prescription_excludes_a_large_eye_size_and_says_why() {
    let r = rank_frames(&query(
        r#"{"sphere": "-8.00", "age_years": 40, "pd_mm": 64,
            "frames": [
              {"sku": "WIDE", "name": "Wide 54", "eye_size_mm": 54, "bridge_mm": 18, "on_hand": 4},
              {"sku": "NARROW", "name": "Narrow 48", "eye_size_mm": 48, "bridge_mm": 18, "on_hand": 1}
            ],
            "history": [{"spherical_equivalent": -8.25, "sku": "WIDE"}]}"#,
    ))
    .unwrap();
    // 1.74 (over 6.00 D), base +2.00 D (−8/2 + 6), back −10.00 D, minimum centre 1.5 mm.
    // Wide 54/18: y = 29 + 4 = 33 mm: edge 7.79 mm, over 6.0 — even though the one similar
    // order chose it. Narrow 48/18: y = 26 + 1 = 27 mm: edge 5.62 mm.
    assert_eq!(skus(&r.suitable), ["NARROW"]);
    let wide = &r.unsuitable[0];
    assert_eq!(wide.sku, FrameSku("WIDE".into()));
    assert!((wide.thickest_mm.unwrap() - 7.79).abs() < 0.01, "{wide:?}");
    assert!(
        wide.explanation.mentions("Estimated thickest edge 7.8 mm")
            && wide.explanation.mentions("over the 6.0 mm limit for a full-rim frame"),
        "{}",
        wide.explanation
    );
    assert!((r.suitable[0].thickest_mm.unwrap() - 5.615).abs() < 0.01);

    // A dispenser's own limit of 5.5 mm leaves nothing.
    let mut strict = query(
        r#"{"sphere": "-8.00", "age_years": 40, "pd_mm": 64, "max_thickness_mm": 5.5,
            "frames": [{"sku": "NARROW", "name": "Narrow 48", "eye_size_mm": 48, "bridge_mm": 18, "on_hand": 1}]}"#,
    );
    let none = rank_frames(&strict).unwrap();
    assert!(none.suitable.is_empty());
    assert!(none.unsuitable[0].explanation.mentions("over the 5.5 mm limit for this query"));
    // In a material thick enough to show it, a −20.00 cannot be surfaced at all.
    strict.rx.sphere = serde_json::from_str(r#""-20.00""#).unwrap();
    strict.material = Some(Material::Cr39);
    let impossible = rank_frames(&strict).unwrap();
    assert_eq!(impossible.unsuitable[0].thickest_mm, None);
    assert!(impossible.unsuitable[0].explanation.mentions("cannot be made"));
}

#[test]
fn with_no_history_frames_on_the_shelf_come_first_thinnest_lens_first() {
    let r = rank_frames(&query(
        r#"{"sphere": "-3.00", "age_years": 40, "pd_mm": 64,
            "frames": [
              {"sku": "E52", "name": "52", "eye_size_mm": 52, "bridge_mm": 18, "on_hand": 1},
              {"sku": "E44", "name": "44", "eye_size_mm": 44, "bridge_mm": 18, "on_hand": 0},
              {"sku": "E56", "name": "56", "eye_size_mm": 56, "bridge_mm": 18, "on_hand": 1},
              {"sku": "E48", "name": "48", "eye_size_mm": 48, "bridge_mm": 18, "on_hand": 2}
            ]}"#,
    ))
    .unwrap();
    // 1.60, base +5.00 D: edges 3.45 (48), 4.13 (52), 4.95 (56) mm; the 44 (3.16 mm) is thinnest
    // but out of stock, so last.
    assert_eq!(skus(&r.suitable), ["E48", "E52", "E56", "E44"], "{r:#?}");
    let thickness: Vec<f64> = r.suitable.iter().map(|f| f.thickest_mm.unwrap()).collect();
    for (got, want) in thickness.iter().zip([3.452, 4.133, 4.950, 3.156]) {
        assert!((got - want).abs() < 0.01, "{thickness:?}");
    }
    assert!(
        r.explanation.mentions("No past orders: frames on the shelf first, then the thinnest lens first")
    );
    assert!(!r.suitable[0].explanation.mentions("past orders"));
}

#[test]
fn a_stocked_frame_with_impossible_sizes_is_refused_by_its_index() {
    let q = query(
        r#"{"sphere": "-1.00", "age_years": 40, "pd_mm": 64,
            "frames": [
              {"sku": "OK", "name": "ok", "eye_size_mm": 50, "bridge_mm": 18, "on_hand": 1},
              {"sku": "BAD", "name": "bad", "eye_size_mm": 50, "bridge_mm": 3, "on_hand": 1}
            ]}"#,
    );
    assert!(
        matches!(rank_frames(&q), Err(RecoError::Invalid { field, .. }) if field == "frames[1].bridge_mm")
    );
}
