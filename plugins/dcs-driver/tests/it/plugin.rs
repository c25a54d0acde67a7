use dcs_driver::DcsDriver;
use dcs_driver::frame::{self, CrcStyle};
use ils_plugin_sdk::{Measurement, Plugin, Side};

use crate::data;

fn find<'a>(list: &'a [Measurement], name: &str, side: Side) -> Option<&'a Measurement> {
    list.iter().find(|m| m.name == name && m.side == side)
}

#[test]
fn lensmeter_output_decodes_to_measurements() {
    let list = DcsDriver::decode("topcon-cl300", &data("lensmeter.dcs")).unwrap();
    let value = |name: &str, side: Side| find(&list, name, side).map(|m| (m.value, m.unit.as_str()));
    assert_eq!(value("sphere", Side::Right), Some((-2.25, "D")));
    assert_eq!(value("sphere", Side::Left), Some((0.5, "D")));
    assert_eq!(value("cylinder", Side::Left), Some((-1.25, "D")));
    assert_eq!(value("axis", Side::Right), Some((175.0, "deg")));
    assert_eq!(value("add", Side::Left), Some((2.0, "D")));
    assert_eq!(value("prism", Side::Right), Some((2.5, "prism_dioptre")));
    assert_eq!(value("prism_base", Side::Right), Some((36.87, "deg")));
    assert_eq!(value("pd", Side::Left), Some((31.5, "mm")));
    assert_eq!(value("index", Side::Right), Some((1.6, "")));
    assert_eq!(list.len(), 16, "{list:?}");
}

#[test]
fn framed_tracer_output_decodes_with_its_shape() {
    let packet = frame::encode(&data("tracer-frame-400.dcs"), CrcStyle::Padded);
    // With ACKs and noise around it, as captured from the line.
    let capture = [&b"\x06\x15xx"[..], &packet, b"\x06"].concat();
    let list = DcsDriver::decode("nidek-lt1000", &capture).unwrap();
    assert_eq!(find(&list, "hbox", Side::Right).map(|m| m.value), Some(52.0));
    assert_eq!(find(&list, "dbl", Side::Both).map(|m| m.value), Some(18.0));
    assert_eq!(find(&list, "trace_hbox", Side::Left).map(|m| m.value), Some(52.0));
    assert_eq!(find(&list, "trace_vbox", Side::Right).map(|m| m.value), Some(36.26));
    assert_eq!(find(&list, "trace_circumference", Side::Right).map(|m| m.value), Some(153.33));
    assert_eq!(find(&list, "frame_curve", Side::Left).map(|m| m.value), Some(4.25));

    let mut damaged = packet.clone();
    damaged[10] ^= 1;
    let err = DcsDriver::decode("nidek-lt1000", &damaged).unwrap_err();
    assert!(err.message.starts_with("frame CRC is"), "{err}");
}

#[test]
fn bad_device_output_is_an_error_not_a_panic() {
    let err = DcsDriver::decode("x", &data("bad-angle-letter.dcs")).unwrap_err();
    assert_eq!(err.message, "line 3, TRCFMT: value 3 \"A\" is not E (equiangular) or U (with A= angles)");
    let err = DcsDriver::decode("x", b"DO=B\r\nSPH=-1.75\r\n").unwrap_err();
    assert_eq!(err.message, "line 2, SPH: has 1 values, expected 2 (right;left)");
    assert!(!err.retryable);
}
