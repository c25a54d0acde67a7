//! DCS records from arbitrary bytes: `record::parse` never panics, and whatever it reads is written
//! by `record::emit` as text that reads back to the same records (line numbers aside), and `emit`
//! of that is byte for byte the same (emit is canonical).
#![no_main]

use dcs_driver::record::{emit, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(records) = parse(data) else { return };
    let written = emit(&records);
    let text = String::from_utf8_lossy(&written);
    let again = parse(&written).unwrap_or_else(|e| panic!("emit wrote what parse refuses ({e}): {text:?}"));
    assert_eq!(again, records, "parse → emit → parse changed the records; emitted {text:?}");
    assert_eq!(emit(&again), written, "emit is not canonical");
});
