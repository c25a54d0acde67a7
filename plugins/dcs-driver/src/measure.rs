//! Device output to measurements: what a lensmeter, tracer or blocker reports, as named values.
//!
//! Input is either framed (one or more `FS … GS` frames, each CRC-checked; ACK/NAK bytes and
//! line noise between frames are ignored) or plain records. Names and units:
//!
//! | label | name | unit | | label | name | unit |
//! |---|---|---|---|---|---|---|
//! | SPH | `sphere` | D | | HBOX | `hbox` | mm |
//! | CYL | `cylinder` | D | | VBOX | `vbox` | mm |
//! | AX | `axis` | deg | | FED | `fed` | mm |
//! | ADD | `add` | D | | CIRC | `circumference` | mm |
//! | PRVM | `prism` | prism_dioptre | | DIA | `diameter` | mm |
//! | PRVA | `prism_base` | deg | | CTHICK | `centre_thickness` | mm |
//! | IPD | `pd` | mm | | FCRV | `frame_curve` | D |
//! | NPD | `near_pd` | mm | | LIND | `index` | (empty) |
//! | SEGHT | `segment_height` | mm | | DBL | `dbl` | mm (both) |
//! | OCHT | `oc_height` | mm | | | | |
//!
//! Each shape adds `trace_hbox`, `trace_vbox` and `trace_circumference` (mm, rounded to 0.01)
//! on its side (`B` → both).

use ils_plugin_sdk::{Measurement, Side};

use crate::error::Result;
use crate::frame::{Deframer, FS, Incoming, decode};
use crate::record::Document;
use crate::trace::{TraceSide, read_traces};
use crate::values::{Eyes, decimal_at, pair_of};

const BINOCULAR: [(&str, &str, &str); 17] = [
    ("SPH", "sphere", "D"),
    ("CYL", "cylinder", "D"),
    ("AX", "axis", "deg"),
    ("ADD", "add", "D"),
    ("PRVM", "prism", "prism_dioptre"),
    ("PRVA", "prism_base", "deg"),
    ("IPD", "pd", "mm"),
    ("NPD", "near_pd", "mm"),
    ("SEGHT", "segment_height", "mm"),
    ("OCHT", "oc_height", "mm"),
    ("HBOX", "hbox", "mm"),
    ("VBOX", "vbox", "mm"),
    ("FED", "fed", "mm"),
    ("CIRC", "circumference", "mm"),
    ("DIA", "diameter", "mm"),
    ("CTHICK", "centre_thickness", "mm"),
    ("FCRV", "frame_curve", "D"),
];

/// The messages in device output: each frame's body, or the whole input when it has no FS.
pub fn messages(data: &[u8]) -> Result<Vec<Document>> {
    if !data.contains(&FS) {
        return Ok(vec![Document::parse(data)?]);
    }
    let mut out = Vec::new();
    for incoming in Deframer::new().push(data) {
        match incoming {
            Incoming::Frame(frame) => out.push(Document::parse(decode(&frame)?)?),
            Incoming::Overflow => {
                return Err(crate::error::Error::new(crate::error::ErrorKind::Frame(
                    "longer than the 256 KiB limit".into(),
                )));
            }
            Incoming::Ack | Incoming::Nak => {}
        }
    }
    Ok(out)
}

fn m(name: &str, value: f64, unit: &str, side: Side) -> Measurement {
    Measurement { name: name.into(), value, unit: unit.into(), side }
}

/// The measurements in one message.
pub fn measurements(doc: &Document) -> Result<Vec<Measurement>> {
    let eyes = Eyes::of(doc)?;
    let mut out = Vec::new();
    for (label, name, unit) in BINOCULAR.into_iter().chain([("LIND", "index", "")]) {
        if let Some((right, left)) = pair_of(doc, label, eyes)? {
            out.extend(right.map(|v| m(name, v, unit, Side::Right)));
            out.extend(left.map(|v| m(name, v, unit, Side::Left)));
        }
    }
    if let Some(r) = doc.single("DBL")?
        && let Some(v) = decimal_at(r, 0)?
    {
        out.push(m("dbl", v, "mm", Side::Both));
    }
    for trace in read_traces(doc)? {
        let side = match trace.side() {
            TraceSide::Right => Side::Right,
            TraceSide::Left => Side::Left,
            TraceSide::Both => Side::Both,
        };
        let size = trace.size();
        let round = |v: f64| (v * 100.0).round() / 100.0;
        out.push(m("trace_hbox", round(size.hbox_mm), "mm", side));
        out.push(m("trace_vbox", round(size.vbox_mm), "mm", side));
        out.push(m("trace_circumference", round(size.circumference_mm), "mm", side));
    }
    Ok(out)
}

/// Decodes device output into measurements (an entry point for fuzzing).
pub fn decode_output(data: &[u8]) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    for doc in messages(data)? {
        out.extend(measurements(&doc)?);
    }
    Ok(out)
}
