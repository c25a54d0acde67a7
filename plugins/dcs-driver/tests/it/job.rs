use dcs_driver::job::{Job, LensType};
use dcs_driver::record::Document;
use dcs_driver::{DcsDriver, Output, encode_job, frame};
use ils_plugin_sdk::Plugin;
use serde_json::json;

/// A job as core's `Order` serialises it (extra fields and all), with a traced box and shape.
pub(crate) fn order() -> serde_json::Value {
    json!({
        "id": "0193f1a2-0000-7000-8000-000000000001",
        "number": "J000123",
        "routing": "in_house",
        "status": "pending",
        "rx": {
            "right": {"sphere": "-2.25", "cylinder": "-0.75", "axis": 175, "add": "+2.00",
                      "prism_horizontal": {"amount": 2.0, "base": "in"},
                      "prism_vertical": {"amount": 1.5, "base": "up"},
                      "prism_compound": [2.5, 36.9], "written": "-2.25/-0.75×175"},
            "left": {"sphere": "+0.50", "cylinder": "-1.12", "axis": 10, "add": "+2.00",
                     "prism_horizontal": null, "prism_vertical": {"amount": 0.5, "base": "down"},
                     "written": "+0.50/-1.12×10"}
        },
        "lens": {"type": "progressive", "material": "high_index", "index": 1.67, "coatings": ["anti_reflective"], "tint": null},
        "frame": {"description": "Lindberg 5512 52□18", "a_mm": 51.37, "b_mm": 40.06, "dbl_mm": 18.25, "type": "metal", "edge": "groove",
                  "shapes": [{"side": "both", "source": "frame", "radii": [2600, 1800, 2600, 1800, 2500, 1750],
                              "angles": null, "traced_at": "2026-12-01T10:00:00Z"}]},
        "measurements": {"pd_right_mm": 32.0, "pd_left_mm": 31.5, "height_right_mm": 22.0, "height_left_mm": 22.5,
                         "near_pd_right_mm": 30.0, "near_pd_left_mm": 29.5},
        "due_on": "2026-12-01",
        "price": {"amount_minor": 12950, "currency": "GBP"}
    })
}

fn body(packet: &[u8]) -> Document {
    Document::parse(frame::decode(packet).unwrap()).unwrap()
}

#[test]
fn a_job_packet_reads_back_to_the_order() {
    let json = order().to_string();
    let packet = DcsDriver::encode_job("schneider-hsc", &json).unwrap();
    let doc = body(&packet);
    let values = |label: &str| doc.get(label).unwrap_or_else(|| panic!("{label}")).values().to_vec();
    assert_eq!(values("JOB"), ["J000123"]);
    assert_eq!(values("DO"), ["B"]);
    assert_eq!(values("SPH"), ["-2.25", "+0.50"]);
    assert_eq!(values("CYL"), ["-0.75", "-1.125"]);
    assert_eq!(values("AX"), ["175", "10"]);
    assert_eq!(values("ADD"), ["+2.00", "+2.00"]);
    assert_eq!(values("PRVM"), ["2.50", "0.50"]);
    assert_eq!(values("PRVA"), ["36.87", "270.00"]);
    assert_eq!(values("IPD"), ["32.00", "31.50"]);
    assert_eq!(values("NPD"), ["30.00", "29.50"]);
    assert_eq!(values("SEGHT"), ["22.00", "22.50"]);
    assert!(doc.get("OCHT").is_none());
    assert_eq!(values("LTYP"), ["PR", "PR"]);
    assert_eq!(values("LMATTYPE"), ["5", "5"]);
    assert_eq!(values("LIND"), ["1.67", "1.67"]);
    assert_eq!(values("HBOX"), ["51.37", "51.37"]);
    assert_eq!(values("VBOX"), ["40.06", "40.06"]);
    assert_eq!(values("DBL"), ["18.25"]);
    assert_eq!(values("FTYP"), ["2"]);
    assert_eq!(values("ETYP"), ["3", "3"]);
    assert_eq!(values("TRCFMT"), ["1", "6", "E", "B", "F"]);
    assert_eq!(values("R"), ["2600", "1800", "2600", "1800", "2500", "1750"]);

    let expected = Job::from_json(&json).unwrap();
    assert_eq!(Job::from_document(&doc).unwrap(), expected);
}

#[test]
fn a_single_vision_job_for_one_eye() {
    let mut order = order();
    order["lens"] = json!({"type": "single_vision", "material": "trivex", "index": 1.53});
    order["rx"] = json!({"left": {"sphere": "plano", "cylinder": null, "axis": null}});
    order["frame"]["shapes"] = json!([]);
    let json = order.to_string();
    let bytes = encode_job(&json, Output::Records).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.starts_with("JOB=J000123\r\nDO=L\r\nSPH=;0.00\r\nCYL=;0.00\r\nAX=;0\r\nIPD=;31.50\r\n"),
        "{text}"
    );
    assert!(
        text.contains("OCHT=;22.50\r\nHBOX=;51.37\r\n") && !text.contains("SEGHT") && !text.contains("ADD"),
        "{text}"
    );
    assert!(text.contains("LMATTYPE=6;6\r\nLIND=1.53;1.53\r\n"), "{text}");
    let doc = Document::parse(&bytes).unwrap();
    assert_eq!(Job::from_document(&doc).unwrap(), Job::from_json(&json).unwrap());
}

#[test]
fn occupational_lenses_are_written_as_progressives() {
    let mut order = order();
    order["lens"]["type"] = json!("occupational");
    let packet = encode_job(&order.to_string(), Output::FramedPadded).unwrap();
    let crc_line = packet.windows(4).position(|w| w == b"CRC=").unwrap();
    assert!(packet[crc_line + 4..crc_line + 9].iter().all(u8::is_ascii_digit), "five digits");
    let back = Job::from_document(&body(&packet)).unwrap();
    assert_eq!(back.lens.lens_type, LensType::Progressive);
}

#[test]
fn bad_jobs_are_refused_with_the_field() {
    let refuse =
        |order: serde_json::Value| DcsDriver::encode_job("dcs", &order.to_string()).unwrap_err().message;
    let mut o = order();
    o["rx"]["right"]["sphere"] = json!("2.00");
    assert!(refuse(o).contains("a power with its sign"));
    let mut o = order();
    o["rx"]["right"]["axis"] = json!(null);
    assert_eq!(refuse(o), "job: rx.right: a cylinder needs an axis");
    let mut o = order();
    o["lens"]["material"] = json!("wood");
    assert!(refuse(o).contains("unknown variant `wood`"));
    let mut o = order();
    o["frame"]["shapes"][0]["radii"] = json!([1, 2]);
    assert!(refuse(o).contains("3 to 10000 radii"));
    assert!(DcsDriver::encode_job("dcs", "{").unwrap_err().message.starts_with("job: "));
    let mut o = order();
    o["number"] = json!("J1\r\nSPH=+9.00");
    assert_eq!(refuse(o), "JOB: value 1 contains a line break or control byte");
}
