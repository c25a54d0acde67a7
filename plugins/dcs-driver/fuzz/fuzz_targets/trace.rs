//! TRCFMT shapes from arbitrary bytes: `trace::parse` never panics; every shape it reads has a
//! finite, non-negative box and circumference, a circumference at least twice its widest box side
//! (a closed outline around the points), and its records (`to_records`, emitted) read back to
//! the same shape.
#![no_main]

use dcs_driver::record::emit;
use dcs_driver::trace::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(traces) = parse(data) else { return };
    for trace in &traces {
        let size = trace.size();
        for v in [size.hbox_mm, size.vbox_mm, size.circumference_mm] {
            assert!(v.is_finite() && v >= 0.0, "{size:?}");
        }
        let widest = size.hbox_mm.max(size.vbox_mm);
        assert!(size.circumference_mm >= 2.0 * widest * (1.0 - 1e-9), "{size:?}");
        let written = emit(&trace.to_records());
        let again = parse(&written).expect("the records of a shape read back");
        assert_eq!(again, std::slice::from_ref(trace), "{:?}", String::from_utf8_lossy(&written));
    }
});
