//! Framing from arbitrary bytes:
//! - the `Deframer` finds the same frames, ACKs and NAKs whether the bytes come at once or in two
//!   pieces, every frame it gives is `FS … GS`, and `frame::decode` reads or refuses each one;
//! - `frame::decode(frame::encode(body))` is the body, in both CRC styles, and a body without FS or
//!   GS comes out of the `Deframer` as that one frame;
//! - `measure::decode_output` (the plugin's `decode`) never panics, and every value it returns is
//!   finite.
#![no_main]

use dcs_driver::frame::{CrcStyle, Deframer, FS, GS, Incoming, decode, encode};
use dcs_driver::measure::decode_output;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = Deframer::new().push(data);
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut deframer = Deframer::new();
    let mut pieces = deframer.push(&data[..split]);
    pieces.extend(deframer.push(&data[split..]));
    assert_eq!(whole, pieces, "cutting the stream at {split} changed what the deframer found");
    for incoming in &whole {
        if let Incoming::Frame(frame) = incoming {
            assert!(frame.first() == Some(&FS) && frame.last() == Some(&GS), "not FS … GS: {frame:?}");
            let _ = decode(frame);
        }
    }
    let _ = decode(data);

    for style in [CrcStyle::Plain, CrcStyle::Padded] {
        let framed = encode(data, style);
        assert_eq!(decode(&framed).expect("a frame encode wrote"), data, "{style:?}");
        if !data.contains(&FS) && !data.contains(&GS) {
            assert_eq!(Deframer::new().push(&framed), [Incoming::Frame(framed.clone())], "{style:?}");
        }
    }

    if let Ok(values) = decode_output(data) {
        for m in &values {
            assert!(m.value.is_finite(), "{m:?}");
        }
    }
});
