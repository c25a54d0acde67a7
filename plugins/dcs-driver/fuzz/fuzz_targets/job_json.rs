//! Job JSON from arbitrary text: `Job::from_json` never panics; a job it accepts is written by
//! `to_document` (or refused with an error), the records written read back as the same records,
//! `Job::from_document` reads them without panicking, and `encode_job` frames it in every output.
#![no_main]

use dcs_driver::job::Job;
use dcs_driver::record::Document;
use dcs_driver::{Output, encode_job};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    let Ok(job) = Job::from_json(json) else { return };
    let Ok(doc) = job.to_document() else { return };
    let bytes = doc.to_bytes();
    let again = Document::parse(&bytes).expect("a job's records read back");
    assert_eq!(again, doc, "{:?}", String::from_utf8_lossy(&bytes));
    let _ = Job::from_document(&again);
    for output in [Output::Framed, Output::FramedPadded, Output::Records] {
        encode_job(json, output).expect("a job to_document wrote is encoded");
    }
});
