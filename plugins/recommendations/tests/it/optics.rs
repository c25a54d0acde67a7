use ils_recommendations::RecoError;
use ils_recommendations::optics::{Design, LensQuery, MainUse, Material, suggest_lens};

fn query(json: &str) -> LensQuery {
    serde_json::from_str(json).expect("a valid query")
}

fn rx(sphere: &str, cyl: Option<(&str, u16)>, add: Option<&str>, age: u8) -> LensQuery {
    let cyl = cyl.map_or(String::new(), |(c, a)| format!(r#""cylinder": "{c}", "axis": {a},"#));
    let add = add.map_or(String::new(), |a| format!(r#""add": "{a}","#));
    query(&format!(
        r#"{{"sphere": "{sphere}", {cyl} {add} "age_years": {age}, "pd_mm": 64,
            "frame": {{"eye_size_mm": 52, "bridge_mm": 18}}}}"#
    ))
}

#[test]
fn a_minus_six_in_cr39_is_about_eight_and_a_half_millimetres_at_the_edge_worked_by_hand() {
    let q = query(
        r#"{"sphere": "-6.00", "age_years": 35, "pd_mm": 64, "material": "cr39",
            "frame": {"eye_size_mm": 52, "bridge_mm": 18}}"#,
    );
    let lens = suggest_lens(&q).unwrap();
    // ED = A + 4 = 52 + 4 = 56 mm; decentration = (A + DBL − PD)/2 = (52 + 18 − 64)/2 = 3 mm.
    // Farthest edge point y = ED/2 + decentration = 28 + 3 = 31 mm.
    // Vogel (minus): base = SE/2 + 6 = −3 + 6 = +3.00 D; back surface F₂ = −6 − 3 = −9.00 D.
    // r₁ = (n − 1)/F₁ = 0.5/3 m = 166.667 mm; s₁ = 166.667 − √(27777.78 − 961) = 166.667 − 163.758 = 2.908 mm.
    // r₂ = 0.5/9 m = 55.556 mm;  s₂ = 55.556 − √(3086.42 − 961) = 55.556 − 46.102 = 9.453 mm.
    // A minus lens sits at the CR-39 minimum centre, 2.0 mm; its edge = 2.0 − 2.908 + 9.453 = 8.545 mm.
    assert_eq!(lens.thickness.base_curve, 3.0);
    assert!((lens.thickness.edge_radius_mm - 31.0).abs() < 1e-9);
    assert!((lens.thickness.centre_mm - 2.0).abs() < 0.1, "{}", lens.thickness.centre_mm);
    assert!((lens.thickness.thickest_edge_mm - 8.545).abs() < 0.1, "{}", lens.thickness.thickest_edge_mm);
    assert!(
        lens.explanation.mentions("decentration (52.0 + 18.0 − 64.0)/2 = 3.0 mm"),
        "{}",
        lens.explanation
    );
    assert!(lens.thickness.explanation.mentions("sag s₂ = -9.45 mm"), "{}", lens.thickness.explanation);
    assert!(lens.explanation.mentions("thickest edge 8.5 mm"), "{}", lens.explanation);
}

#[test]
fn a_plus_four_in_cr39_is_about_five_millimetres_at_the_centre_worked_by_hand() {
    let q = query(
        r#"{"sphere": "+4.00", "age_years": 35, "pd_mm": 64, "material": "cr39",
            "frame": {"eye_size_mm": 50, "bridge_mm": 18}}"#,
    );
    let lens = suggest_lens(&q).unwrap();
    // ED = 50 + 4 = 54 mm; decentration = (50 + 18 − 64)/2 = 2 mm; y = 27 + 2 = 29 mm.
    // Vogel (plus): base = SE + 6 = +10.00 D; F₂ = 4 − 10 = −6.00 D.
    // r₁ = 0.5/10 m = 50 mm;     s₁ = 50 − √(2500 − 841) = 50 − 40.731 = 9.269 mm.
    // r₂ = 0.5/6 m = 83.333 mm;  s₂ = 83.333 − √(6944.44 − 841) = 83.333 − 78.125 = 5.209 mm.
    // The edge keeps the 1.0 mm minimum: centre = 1.0 + 9.269 − 5.209 = 5.060 mm.
    assert_eq!(lens.thickness.base_curve, 10.0);
    assert!((lens.thickness.centre_mm - 5.060).abs() < 0.1, "{}", lens.thickness.centre_mm);
    assert!((lens.thickness.thinnest_edge_mm - 1.0).abs() < 1e-9);
    assert!(
        lens.thickness.explanation.mentions("Centre 5.06 mm = minimum edge 1.00"),
        "{}",
        lens.thickness.explanation
    );
}

#[test]
fn a_cylinder_makes_the_edge_as_thick_as_its_most_minus_meridian() {
    let sphere_only = suggest_lens(&rx("-4.00", None, None, 30)).unwrap();
    let with_cyl = suggest_lens(&rx("-2.00", Some(("-2.00", 180)), None, 30)).unwrap();
    // Same most minus meridian (−4.00), same material: the thickest edge differs only through
    // the base curve (Vogel on SE −4.00 vs −3.00 gives +4 vs +5 D, within a few tenths).
    assert_eq!(with_cyl.material, sphere_only.material);
    assert!((with_cyl.thickness.thickest_edge_mm - sphere_only.thickness.thickest_edge_mm).abs() < 0.3);
    assert!(with_cyl.thickness.thinnest_edge_mm < with_cyl.thickness.thickest_edge_mm - 1.0);
}

#[test]
fn higher_powers_get_higher_indices_at_the_documented_cut_offs() {
    let material = |sphere: &str| suggest_lens(&rx(sphere, None, None, 40)).unwrap().material;
    assert_eq!(material("-2.00"), Material::Cr39);
    assert_eq!(material("+2.25"), Material::Index160);
    assert_eq!(material("-4.00"), Material::Index160);
    assert_eq!(material("-4.25"), Material::Index167);
    assert_eq!(material("-6.00"), Material::Index167);
    assert_eq!(material("-6.25"), Material::Index174);
    // The cylinder counts: −1.00/−1.50 has a −2.50 meridian.
    assert_eq!(
        suggest_lens(&rx("-1.00", Some(("-1.50", 90)), None, 40)).unwrap().material,
        Material::Index160
    );
}

#[test]
fn a_higher_index_makes_the_same_minus_lens_thinner() {
    let in_material = |m: &str| {
        let mut q = rx("-6.00", None, None, 40);
        q.material = Some(serde_json::from_str(&format!("\"{m}\"")).unwrap());
        suggest_lens(&q).unwrap().thickness.thickest_edge_mm
    };
    let (cr39, i160, i174) = (in_material("cr39"), in_material("index160"), in_material("index174"));
    assert!(cr39 > i160 + 1.0 && i160 > i174 + 0.5, "{cr39} {i160} {i174}");
}

#[test]
fn children_get_impact_resistant_materials() {
    let lens = suggest_lens(&rx("-1.00", None, None, 9)).unwrap();
    assert_eq!(lens.material, Material::Trivex);
    assert!(lens.explanation.mentions("under 16"));
    assert_eq!(suggest_lens(&rx("-4.25", None, None, 12)).unwrap().material, Material::Polycarbonate);
}

#[test]
fn aspheric_is_suggested_from_four_dioptres_or_plus_three() {
    let aspheric = |s: &str| suggest_lens(&rx(s, None, None, 40)).unwrap().aspheric;
    assert!(!aspheric("-3.75"));
    assert!(aspheric("-4.00"));
    assert!(!aspheric("+2.75"));
    assert!(aspheric("+3.00"));
}

#[test]
fn progressive_or_occupational_follows_add_age_and_use() {
    let lens = suggest_lens(&rx("+1.00", None, None, 45)).unwrap();
    assert_eq!((lens.design, lens.second_pair), (Design::SingleVision, None));

    let early = suggest_lens(&rx("+1.00", None, Some("+1.50"), 48)).unwrap();
    assert_eq!((early.design, early.second_pair), (Design::Progressive, None));
    assert!(early.explanation.mentions("add +1.50 D < +1.75 D and age 48 < 55"));

    let strong_add = suggest_lens(&rx("+1.00", None, Some("+1.75"), 50)).unwrap();
    assert_eq!(
        (strong_add.design, strong_add.second_pair),
        (Design::Progressive, Some(Design::Occupational))
    );
    let older = suggest_lens(&rx("+1.00", None, Some("+1.25"), 55)).unwrap();
    assert_eq!(older.second_pair, Some(Design::Occupational));

    let mut desk = rx("+1.00", None, Some("+2.00"), 60);
    desk.main_use = MainUse::Desk;
    assert_eq!(suggest_lens(&desk).unwrap().design, Design::Occupational);
}

#[test]
fn a_strong_minus_lens_in_a_wide_frame_is_shown_the_saving_of_a_smaller_one() {
    let lens = suggest_lens(&rx("-6.00", None, None, 40)).unwrap();
    let smaller = lens.frame.smaller_frame.expect("a smaller frame is suggested for −6.00");
    assert_eq!(smaller.eye_size_mm, 48.0);
    assert!(smaller.saving_mm > 0.8, "{smaller:?}");
    assert!(lens.explanation.mentions("eye size 48 mm instead of 52 mm"), "{}", lens.explanation);
    // ED 56 + 2 × 3 + 2 = 64 mm.
    assert_eq!(lens.frame.min_blank_diameter_mm, 64.0);
    assert!(suggest_lens(&rx("-1.00", None, None, 40)).unwrap().frame.smaller_frame.is_none());
}

#[test]
fn impossible_inputs_are_refused_with_the_field_named() {
    let mut q = rx("-2.00", None, None, 40);
    q.rx.axis = Some(90);
    assert!(matches!(suggest_lens(&q), Err(RecoError::Invalid { field, .. }) if field == "axis"));
    let mut q = rx("-2.00", None, None, 40);
    q.frame.eye_size_mm = 120.0;
    assert!(
        matches!(suggest_lens(&q), Err(RecoError::Invalid { field, .. }) if field == "frame.eye_size_mm")
    );
    // −20.00 on a +0.50 base in CR-39: the back radius is 500/20.5 = 24.4 mm, nearer than the
    // 31 mm edge point; only a lenticular lens could be made.
    let mut q = rx("-20.00", None, None, 40);
    q.material = Some(Material::Cr39);
    let err = suggest_lens(&q).unwrap_err().to_string();
    assert!(err.contains("cannot reach"), "{err}");
}
