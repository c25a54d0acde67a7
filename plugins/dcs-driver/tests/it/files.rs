use dcs_driver::record::{Document, emit, parse};
use dcs_driver::trace::{self, TraceSide, TraceSource};

use crate::{data, dcs_files};

#[test]
fn parse_emit_parse_is_identity_on_every_file() {
    let files = dcs_files();
    assert!(files.len() >= 6, "{files:?}");
    for name in files {
        let records = parse(&data(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = parse(&emit(&records)).unwrap_or_else(|e| panic!("{name} re-read: {e}"));
        assert_eq!(again, records, "{name}");
        // Writing twice gives the same bytes: emit is canonical.
        assert_eq!(emit(&again), emit(&records), "{name}");
    }
}

#[test]
fn vendor_records_keep_their_exact_text() {
    let doc = Document::parse(&data("job-quoted.dcs")).unwrap();
    assert_eq!(doc.get("_LABX").unwrap().raw(), Some("first part;\r\nsecond part"));
    assert_eq!(doc.get("_LABY").unwrap().raw(), Some("  spaced  ;\"q\""));
    let out = String::from_utf8(doc.to_bytes()).unwrap();
    assert!(out.contains("_LABX=first part;\r\nsecond part\r\n_LABY=  spaced  ;\"q\"\r\n"), "{out}");
    let tracer = Document::parse(&data("tracer-frame-400.dcs")).unwrap();
    let out = String::from_utf8(tracer.to_bytes()).unwrap();
    assert!(out.contains("_NDKSN=00412;A7\r\n_NDKCFG=\"mode=3; speed=2\"\r\n"), "{out}");
    assert!(out.ends_with("_NDKEND=1\r\n"));
}

#[test]
fn quoted_values_and_continuations_read_as_values() {
    let doc = Document::parse(&data("job-quoted.dcs")).unwrap();
    assert_eq!(doc.get("JOB").unwrap().value(), "J000456");
    assert_eq!(doc.get("LNAM").unwrap().values(), ["Varilux; Comfort \"Max\"", "Varilux; Comfort \"Max\""]);
    assert_eq!(doc.get("ACOAT").unwrap().values(), ["AR; hydrophobic", "AR; hydrophobic"]);
    assert_eq!(doc.get("TINT").unwrap().values(), [""]);
    let pattern = Document::parse(&data("pattern-angles.dcs")).unwrap();
    assert_eq!(pattern.get("R").unwrap().values().len(), 60, "three lines, one record");
}

#[test]
fn the_traced_frame_has_the_box_the_tracer_reported() {
    let doc = Document::parse(&data("tracer-frame-400.dcs")).unwrap();
    let traces = trace::read_traces(&doc).unwrap();
    assert_eq!(
        traces.iter().map(|t| (t.side(), t.source())).collect::<Vec<_>>(),
        [(TraceSide::Right, TraceSource::Frame), (TraceSide::Left, TraceSource::Frame)]
    );
    for (i, t) in traces.iter().enumerate() {
        assert_eq!(t.radii().len(), 400);
        let size = t.size();
        let reported =
            |label: &str| dcs_driver::values::decimal(&doc.get(label).unwrap().values()[i]).unwrap();
        assert!((size.hbox_mm - reported("HBOX")).abs() < 0.006, "{size:?}");
        assert!((size.vbox_mm - reported("VBOX")).abs() < 0.006, "{size:?}");
        assert!((size.circumference_mm - reported("CIRC")).abs() < 0.006, "{size:?}");
        assert!((size.hbox_mm - 52.00).abs() < 0.01 && (size.vbox_mm - 36.26).abs() < 0.01);
    }
}

#[test]
fn a_pattern_with_angles_uses_them() {
    let traces = trace::parse(&data("pattern-angles.dcs")).unwrap();
    let t = &traces[0];
    assert_eq!((t.side(), t.source(), t.radii().len()), (TraceSide::Left, TraceSource::Pattern, 60));
    assert_eq!(t.angles().map(<[u32]>::len), Some(60));
    let size = t.size();
    assert!((size.hbox_mm - 48.00).abs() < 0.01, "{size:?}");
    assert!((size.vbox_mm - 32.00).abs() < 0.01, "{size:?}");
    assert!((size.circumference_mm - 140.78).abs() < 0.01, "{size:?}");
}

#[test]
fn non_conformant_public_files_are_reported_precisely() {
    let err = trace::parse(&data("bad-angle-letter.dcs")).unwrap_err();
    assert_eq!(err.to_string(), "line 3, TRCFMT: value 3 \"A\" is not E (equiangular) or U (with A= angles)");
    let err = trace::parse(&data("text-in-radii.dcs")).unwrap_err();
    assert_eq!(err.to_string(), "line 15, R: value 2 \"2,51\" is not a whole number of 1/100 mm");
}

#[test]
fn no_input_prefix_panics() {
    // Every prefix of every file (cut anywhere, including inside a quote or a number) parses or
    // fails cleanly.
    for name in dcs_files() {
        let bytes = data(&name);
        for end in 0..bytes.len() {
            let _ = trace::parse(&bytes[..end]);
            let _ = dcs_driver::measure::decode_output(&bytes[..end]);
        }
    }
}
