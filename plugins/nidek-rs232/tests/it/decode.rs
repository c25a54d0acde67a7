use ils_plugin_sdk::{Measurement, Plugin, Side};
use nidek_rs232::output::{Instrument, parse};
use nidek_rs232::{NidekRs232, read_output};

use crate::data;

fn value(list: &[Measurement], name: &str, side: Side) -> Option<(f64, String)> {
    list.iter().find(|m| m.name == name && m.side == side).map(|m| (m.value, m.unit.clone()))
}

#[test]
fn a_full_examination_decodes_to_the_right_values() {
    let list = NidekRs232::decode("nidek-rt5100", &data("rt5100-full.txt")).unwrap();
    let v = |name: &str, side: Side| value(&list, name, side).map(|(v, _)| v);
    assert_eq!(v("lensmeter.sphere", Side::Right), Some(-1.75));
    assert_eq!(v("lensmeter.axis", Side::Right), Some(175.0));
    assert_eq!(v("lensmeter.add", Side::Left), Some(1.5));
    assert_eq!(v("objective.cylinder", Side::Left), Some(-1.0));
    assert_eq!(v("objective.axis", Side::Left), Some(10.0));
    assert_eq!(v("objective.pd", Side::Both), Some(64.0));
    assert_eq!(v("subjective.sphere", Side::Right), Some(-2.0));
    assert_eq!(v("subjective.add", Side::Right), Some(1.75));
    assert_eq!(v("subjective.acuity", Side::Left), Some(0.8));
    assert_eq!(v("subjective.pd", Side::Both), Some(64.0));
    assert_eq!(v("final.sphere", Side::Right), Some(10.0));
    assert_eq!(v("final.cylinder", Side::Right), Some(-5.0));
    assert_eq!(v("final.axis", Side::Right), Some(90.0));
    assert_eq!(v("final.sphere", Side::Left), Some(9.5));
    assert_eq!(v("final.near.sphere", Side::Left), Some(11.5));
    assert_eq!(v("final.add", Side::Right), Some(2.0));
    assert_eq!(value(&list, "final.acuity", Side::Right), Some((1.0, "decimal".into())));
    assert_eq!(v("final.acuity", Side::Left), Some(0.8));
    assert_eq!(v("final.uncorrected_acuity", Side::Right), Some(0.1));
    assert_eq!(v("final.uncorrected_acuity", Side::Left), Some(0.125));
    assert_eq!(value(&list, "final.pd", Side::Right), Some((32.5, "mm".into())));
    assert_eq!(v("final.pd", Side::Left), Some(31.5));
    assert_eq!(value(&list, "working_distance", Side::Both), Some((40.0, "cm".into())));
    let final_pds: Vec<(f64, Side)> =
        list.iter().filter(|m| m.name == "final.pd").map(|m| (m.value, m.side)).collect();
    assert_eq!(final_pds, [(64.0, Side::Both), (32.5, Side::Right), (31.5, Side::Left)], "not the @RM PD");
    assert_eq!(list.len(), 48, "{list:#?}");
}

#[test]
fn the_blocks_and_header_are_kept_in_order() {
    let out = parse(&data("rt5100-full.txt")).unwrap();
    let header = out.header.unwrap();
    assert_eq!((header.model.as_deref(), header.date.as_deref()), (Some("RT-5100"), Some("2026-11-21")));
    let blocks: Vec<(Instrument, usize, usize)> =
        out.blocks.iter().map(|b| (b.instrument, b.line, b.lines.len())).collect();
    assert_eq!(
        blocks,
        [
            (Instrument::Lensmeter, 2, 4),
            (Instrument::Autorefractor, 7, 3),
            (Instrument::Refractor, 11, 7),
            (Instrument::Refractor, 19, 12)
        ]
    );
}

#[test]
fn a_plano_examination_has_zero_spheres_and_no_cylinders() {
    let list = NidekRs232::decode("nidek-rt5100", &data("rt5100-plano.txt")).unwrap();
    assert_eq!(value(&list, "final.sphere", Side::Left).map(|v| v.0), Some(0.0));
    assert!(list.iter().all(|m| !m.name.ends_with(".cylinder") && !m.name.ends_with(".axis")), "{list:?}");
    assert_eq!(value(&list, "working_distance", Side::Both).map(|v| v.0), Some(35.0));
}

#[test]
fn corrupt_lines_are_reported_with_their_number() {
    let err = NidekRs232::decode("nidek-rt5100", &data("rt5100-corrupt-field.txt")).unwrap_err();
    assert_eq!(err.message, "line 9: cylinder: \"- 1.O0\" is not a power like \"+10.00\" or \"- 5.50\"");
    let err = NidekRs232::decode("nidek-rt5100", &data("rt5100-corrupt-byte.txt")).unwrap_err();
    assert_eq!(err.message, "line 5: byte 0xB1 is not printable ASCII");
    let err = NidekRs232::decode("x", b"\x01NIDEK RT-5100\rFR+ 1.00\r").unwrap_err();
    assert_eq!(err.message, "line 2: data before the first @ block");
    let err = NidekRs232::decode("x", b"\x02@RT\rFR+ 1.00\rFQ+ 1.00\r").unwrap_err();
    assert_eq!(err.message, "line 3: code: eye letter 'Q' is not R, L or B");
}

#[test]
fn a_capture_with_unknown_lines_keeps_every_known_value() {
    let list = NidekRs232::decode("nidek-rt5100", &data("rt5100-unknown-and-lower.txt")).unwrap();
    let v = |name: &str, side: Side| value(&list, name, side);
    let d = |value: f64| Some((value, "D".to_string()));
    let mm = |value: f64| Some((value, "mm".to_string()));
    // @lm, lower-case block name and eye letter; its add is the lens's.
    assert_eq!(v("lensmeter.sphere", Side::Right), d(-1.25));
    assert_eq!(v("lensmeter.axis", Side::Right), Some((170.0, "deg".into())));
    assert_eq!(v("lensmeter.cylinder", Side::Left), d(-0.25));
    assert_eq!(v("lensmeter.add", Side::Right), d(1.25));
    assert_eq!(v("lensmeter.add", Side::Left), d(1.25));
    // @RM: objective, whatever the case of its letters.
    assert_eq!(v("objective.sphere", Side::Right), d(-1.5));
    assert_eq!(v("objective.axis", Side::Left), Some((15.0, "deg".into())));
    assert_eq!(v("objective.pd", Side::Both), mm(63.5));
    assert_eq!(v("objective.pd", Side::Right), mm(32.0));
    // @rt with lower-case codes: subjective.
    assert_eq!(v("subjective.sphere", Side::Right), d(-1.75));
    assert_eq!(v("subjective.cylinder", Side::Left), d(-0.25));
    assert_eq!(v("subjective.add", Side::Left), d(1.5));
    assert_eq!(v("subjective.near.sphere", Side::Right), d(-0.25));
    assert_eq!(v("subjective.acuity", Side::Right), Some((0.8, "decimal".into())));
    assert_eq!(v("subjective.pd", Side::Both), mm(63.0));
    assert_eq!(v("subjective.near_pd", Side::Both), mm(59.5));
    // @RT with upper-case first letters: final.
    assert_eq!(v("final.sphere", Side::Right), d(-1.5));
    assert_eq!(v("final.cylinder", Side::Right), d(-0.5));
    assert_eq!(v("final.axis", Side::Left), Some((10.0, "deg".into())));
    assert_eq!(v("final.near.sphere", Side::Right), d(0.75));
    assert_eq!(v("final.near.axis", Side::Left), Some((10.0, "deg".into())));
    assert_eq!(v("final.add", Side::Left), d(2.25));
    assert_eq!(v("final.acuity", Side::Left), Some((1.0, "decimal".into())));
    assert_eq!(v("final.uncorrected_acuity", Side::Right), Some((0.3, "decimal".into())));
    assert_eq!(v("final.uncorrected_acuity", Side::Left), Some((0.3, "decimal".into())));
    assert_eq!(v("final.pd", Side::Both), mm(63.0));
    assert_eq!(v("final.pd", Side::Left), mm(31.5));
    assert_eq!(v("final.near_pd", Side::Both), mm(60.5));
    assert_eq!(v("final.near_pd", Side::Right), mm(30.0));
    assert_eq!(v("final.near_pd", Side::Left), mm(30.5));
    assert_eq!(v("working_distance", Side::Both), Some((40.0, "cm".into())));
    assert_eq!(list.len(), 57, "every known value and nothing from the skipped lines: {list:#?}");
}

#[test]
fn warnings_name_each_skipped_line_and_its_code() {
    let read = read_output(&data("rt5100-unknown-and-lower.txt")).unwrap();
    assert_eq!(
        read.warnings,
        [
            "line 11: unknown block @KM, its lines skipped",
            r#"line 12: "KR 43.25 44.00 90" is in unknown block @KM, skipped"#,
            r#"line 13: "KL 43.50 44.25 85" is in unknown block @KM, skipped"#,
            r#"line 35: unknown code "XY" ("XY 12.5"), skipped"#,
        ]
    );
    assert_eq!(read.measurements, nidek_rs232::decode_output(&data("rt5100-unknown-and-lower.txt")).unwrap());
    assert_eq!(read_output(&data("rt5100-full.txt")).unwrap().warnings, Vec::<String>::new());
}

#[test]
fn a_known_code_with_a_bad_value_still_refuses_the_capture() {
    let capture = String::from_utf8(data("rt5100-unknown-and-lower.txt")).unwrap();
    for (from, to, message) in [
        ("Fr- 1.50", "Fr- 1.5O", r#"line 25: sphere: "- 1.5O" is not a power like "+10.00" or "- 5.50""#),
        ("Np60.5 30.0 30.5", "Np60.5 30.0 3O.5", r#"line 37: left near PD: "3O.5" is not a number 20–45"#),
        ("Pd63.5 32.0 31.5", "Pd63.5 32.0", "line 10: PD: a right PD without a left one"),
        ("Vl 6/6", "Vx 6/6", "line 32: code: eye letter 'x' is not R, L or B"),
        ("wd40", "wd4O", r#"line 38: working distance: "4O" is not a number 10–100"#),
    ] {
        let damaged = capture.replace(from, to);
        assert_ne!(damaged, capture, "{from}");
        assert_eq!(read_output(damaged.as_bytes()).unwrap_err().to_string(), message);
    }
}

#[test]
fn no_cut_of_a_sample_panics() {
    for name in [
        "rt5100-full.txt",
        "rt5100-near-only.txt",
        "rt5100-plano.txt",
        "rt5100-corrupt-field.txt",
        "rt5100-unknown-and-lower.txt",
    ] {
        let bytes = data(name);
        for end in 0..=bytes.len() {
            let _ = nidek_rs232::decode_output(&bytes[..end]);
            let _ = nidek_rs232::prescription_json(&bytes[..end]);
        }
    }
}

#[test]
fn there_is_no_job_to_encode() {
    assert!(NidekRs232::encode_job("nidek-rt5100", "{}").unwrap_err().message.contains("read only"));
}
