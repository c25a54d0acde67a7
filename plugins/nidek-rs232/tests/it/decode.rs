use ils_plugin_sdk::{Measurement, Plugin, Side};
use nidek_rs232::NidekRs232;
use nidek_rs232::output::{Instrument, parse};

use crate::data;

fn value(list: &[Measurement], name: &str, side: Side) -> Option<(f64, String)> {
    list.iter().find(|m| m.name == name && m.side == side).map(|m| (m.value, m.unit.clone()))
}

#[test]
fn a_full_examination_decodes_to_the_right_values() {
    let list = NidekRs232::decode("nidek-rt5100", &data("rt5100-full.txt")).unwrap();
    let v = |name: &str, side: Side| value(&list, name, side).map(|(v, _)| v);
    assert_eq!(v("lm.lens.sphere", Side::Right), Some(-1.75));
    assert_eq!(v("lm.lens.axis", Side::Right), Some(175.0));
    assert_eq!(v("lm.add_final", Side::Left), Some(1.5));
    assert_eq!(v("rm.objective.cylinder", Side::Left), Some(-1.0));
    assert_eq!(v("rm.objective.axis", Side::Left), Some(10.0));
    assert_eq!(v("rm.pd_final", Side::Both), Some(64.0));
    assert_eq!(v("rt.far_subjective.sphere", Side::Right), Some(-2.0));
    assert_eq!(v("rt.add_subjective", Side::Right), Some(1.75));
    assert_eq!(v("rt.acuity_subjective", Side::Left), Some(0.8));
    assert_eq!(v("rt.pd_subjective", Side::Both), Some(64.0));
    assert_eq!(v("rt.far_final.sphere", Side::Right), Some(10.0));
    assert_eq!(v("rt.far_final.cylinder", Side::Right), Some(-5.0));
    assert_eq!(v("rt.far_final.axis", Side::Right), Some(90.0));
    assert_eq!(v("rt.far_final.sphere", Side::Left), Some(9.5));
    assert_eq!(v("rt.near_final.sphere", Side::Left), Some(11.5));
    assert_eq!(v("rt.add_final", Side::Right), Some(2.0));
    assert_eq!(value(&list, "rt.acuity_final", Side::Right), Some((1.0, "decimal".into())));
    assert_eq!(v("rt.acuity_final", Side::Left), Some(0.8));
    assert_eq!(v("rt.uncorrected_acuity_final", Side::Right), Some(0.1));
    assert_eq!(v("rt.uncorrected_acuity_final", Side::Left), Some(0.125));
    assert_eq!(value(&list, "rt.pd_final", Side::Right), Some((32.5, "mm".into())));
    assert_eq!(v("rt.pd_final", Side::Left), Some(31.5));
    assert_eq!(value(&list, "rt.working_distance", Side::Both), Some((40.0, "cm".into())));
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
    assert_eq!(value(&list, "rt.far_final.sphere", Side::Left).map(|v| v.0), Some(0.0));
    assert!(list.iter().all(|m| !m.name.ends_with(".cylinder") && !m.name.ends_with(".axis")), "{list:?}");
    assert_eq!(value(&list, "rt.working_distance", Side::Both).map(|v| v.0), Some(35.0));
}

#[test]
fn corrupt_lines_are_reported_with_their_number() {
    let err = NidekRs232::decode("nidek-rt5100", &data("rt5100-corrupt-field.txt")).unwrap_err();
    assert_eq!(err.message, "line 9: cylinder: \"- 1.O0\" is not a power like \"+10.00\" or \"- 5.50\"");
    let err = NidekRs232::decode("nidek-rt5100", &data("rt5100-corrupt-byte.txt")).unwrap_err();
    assert_eq!(err.message, "line 5: byte 0xB1 is not printable ASCII");
    let err = NidekRs232::decode("x", b"\x01NIDEK RT-5100\rFR+ 1.00\r").unwrap_err();
    assert_eq!(err.message, "line 2: data before the first @ block");
    let err = NidekRs232::decode("x", b"\x02@XX\r").unwrap_err();
    assert_eq!(err.message, "line 1: unknown block @XX");
}

#[test]
fn no_cut_of_a_sample_panics() {
    for name in ["rt5100-full.txt", "rt5100-near-only.txt", "rt5100-plano.txt", "rt5100-corrupt-field.txt"] {
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
