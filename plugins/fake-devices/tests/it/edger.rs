use dcs_driver::frame::{ACK, NAK};
use dcs_driver::job::Job;
use dcs_driver::record::Document;
use dcs_driver::{Output, encode_job};
use ils_fake_devices::shape::ellipse;
use ils_fake_devices::{EdgerOptions, Endpoint, Transport, run_edger};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::guard;

fn job(number: &str, shapes: serde_json::Value) -> String {
    json!({
        "number": number,
        "rx": { "right": { "sphere": "-2.25", "cylinder": "-0.75", "axis": 175 },
                "left": { "sphere": "+0.50" } },
        "lens": { "type": "single_vision", "material": "polycarbonate", "index": 1.59 },
        "frame": { "a_mm": 51.37, "b_mm": 40.06, "dbl_mm": 17.85, "shapes": shapes },
        "measurements": { "pd_right_mm": 32.0, "pd_left_mm": 31.5 }
    })
    .to_string()
}

/// Sends one packet and returns the edger's one-byte answer.
async fn send(stream: &mut TcpStream, packet: &[u8]) -> u8 {
    stream.write_all(packet).await.unwrap();
    let mut answer = [0];
    guard("the edger's answer", stream.read_exact(&mut answer)).await.unwrap();
    answer[0]
}

#[tokio::test]
async fn an_edger_acks_each_job_packet_after_writing_it_and_naks_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("jobs.txt");
    let mut endpoint = Endpoint::open(&Transport::Listen("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = endpoint.local_addr().unwrap();
    let options = EdgerOptions { out: Some(out.clone()), jobs: Some(2), ..EdgerOptions::default() };
    let device = tokio::spawn(async move {
        let mut printed = Vec::new();
        let report = run_edger(&mut endpoint, &options, |job| printed.push(job.clone())).await;
        (report, printed)
    });
    let mut stream = guard("connect", TcpStream::connect(addr)).await.unwrap();

    let radii = ellipse(5137, 4006, 400);
    let first = encode_job(
        &job("R-1001", json!([{ "side": "both", "source": "frame", "radii": radii }])),
        Output::Framed,
    )
    .unwrap();
    let mut damaged = first.clone();
    let sph = damaged.windows(4).position(|w| w == b"SPH=").unwrap();
    damaged[sph + 5] = b'7';
    assert_eq!(send(&mut stream, &damaged).await, NAK, "a bad CRC");
    assert_eq!(send(&mut stream, &first).await, ACK);
    // The ACK means the job is written.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("JOB=R-1001\n") && text.contains("TRCFMT=1;400;E;B;F\n"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("R=")).count(), 40, "400 radii, ten a line");
    assert!(text.ends_with("\n\n"), "a blank line after the job");

    let right = ellipse(5200, 3900, 1000);
    let shapes = json!([{ "side": "right", "source": "frame", "radii": right },
                        { "side": "left", "source": "frame", "radii": right }]);
    let second = encode_job(&job("R-1002", shapes), Output::FramedPadded).unwrap();
    assert_eq!(send(&mut stream, &second).await, ACK, "a zero-padded CRC");
    drop(stream);
    let (report, printed) = guard("the edger", device).await.unwrap();
    let report = report.unwrap();
    assert_eq!((report.jobs.len(), report.rejected, report.unreadable), (2, 1, 0));
    assert_eq!(printed, report.jobs);

    // The file holds both jobs, each reading back to what was sent.
    let text = std::fs::read_to_string(&out).unwrap();
    let jobs: Vec<Job> = text
        .split("\n\n")
        .filter(|part| !part.trim().is_empty())
        .map(|part| Job::from_document(&Document::parse(part.as_bytes()).unwrap()).unwrap())
        .collect();
    assert_eq!(jobs.iter().map(|j| j.number.as_str()).collect::<Vec<_>>(), ["R-1001", "R-1002"]);
    assert_eq!(jobs[0].frame.shapes[0].radii(), radii.as_slice());
    assert_eq!(jobs[1].frame.shapes.len(), 2);
    assert_eq!(jobs[1].frame.shapes[0].radii(), right.as_slice());
}
