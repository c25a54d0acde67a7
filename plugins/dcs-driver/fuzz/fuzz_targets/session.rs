//! The tracer handshake driven by arbitrary input, as a host would drive it.
//!
//! The input is a list of steps separated by 0xFF: an empty step is the ACK timer running out
//! (`on_timeout`); a step starting 0xFE is a message whose body is the rest, framed here with a
//! good CRC (so the fuzzer reaches the handshake without guessing CRCs); any other step is raw
//! bytes from the device (`on_bytes`). Whatever happens, the session never panics and everything
//! it sends is an ACK, a NAK or a well-formed frame whose body reads back as records.
#![no_main]

use dcs_driver::frame::{ACK, CrcStyle, NAK, decode, encode};
use dcs_driver::record::Document;
use dcs_driver::session::{Action, SessionConfig, TracerSession};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut session = TracerSession::new(SessionConfig::default());
    for step in data.split(|&b| b == 0xFF) {
        let actions = match step {
            [] => session.on_timeout(),
            [0xFE, body @ ..] => session.on_bytes(&encode(body, CrcStyle::Plain)),
            bytes => session.on_bytes(bytes),
        };
        for action in actions {
            let Action::Send(bytes) = action else { continue };
            if bytes == [ACK] || bytes == [NAK] {
                continue;
            }
            let body =
                decode(&bytes).unwrap_or_else(|e| panic!("the host sent a bad frame ({e}): {bytes:?}"));
            Document::parse(body).unwrap_or_else(|e| panic!("the host sent records it cannot read ({e})"));
        }
    }
});
