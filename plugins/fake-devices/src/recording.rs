//! Tracer recordings: the messages a device sends and what the host's answers must hold.
//!
//! ```text
//! # comment
//! device:                      a message the device sends: DCS records, one a line
//!   REQ=INI                    (indentation is for the reader; continuation lines work)
//!   TRCFMT=1;400;E;B;F
//! expect:                      records the host's next answer must hold, with these values
//!   ANS=INI
//!   STATUS=0
//! device:
//!   JOB=R-1001
//!   shape: ellipse hbox=51.37 vbox=40.06 points=400 side=B source=F
//!   shape: file frame.dcs      the TRCFMT/R=/A= records of a DCS file (relative to this one)
//! ```
//!
//! The README has the full description.

use std::path::{Path, PathBuf};

use dcs_driver::record::{Document, Record};
use dcs_driver::trace::{Trace, TraceSide, TraceSource, read_traces};

use crate::error::Error;
use crate::shape::ellipse;

/// One step of a recorded session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A message the device sends, framed.
    Send(Document),
    /// Records the host's next answer must hold, each with exactly these values (the answer may
    /// hold others too).
    Expect(Document),
}

/// A recorded tracer session, ready to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracerRecording {
    steps: Vec<Step>,
}

enum Block {
    Send,
    Expect,
}

struct Reader<'a> {
    origin: &'a str,
    base: Option<&'a Path>,
}

impl Reader<'_> {
    fn error(&self, line: usize, message: impl Into<String>) -> Error {
        Error::Recording { origin: self.origin.to_string(), line, message: message.into() }
    }

    /// DCS records from the block's lines, line numbers shifted to the recording's.
    fn records(&self, text: &str, first_line: usize) -> Result<Vec<Record>, Error> {
        dcs_driver::record::parse(text.as_bytes()).map_err(|e| {
            let line = first_line + e.line.unwrap_or(1) - 1;
            let message = match &e.label {
                Some(label) => format!("{label}: {}", e.kind),
                None => e.kind.to_string(),
            };
            self.error(line, message)
        })
    }

    fn shape(&self, spec: &str, line: usize) -> Result<Vec<Record>, Error> {
        let mut words = spec.split_whitespace();
        match words.next() {
            Some("ellipse") => {
                let (mut hbox, mut vbox, mut points) = (None, None, 400);
                let (mut side, mut source) = (TraceSide::Both, TraceSource::Frame);
                for word in words {
                    let Some((key, value)) = word.split_once('=') else {
                        return Err(self.error(line, format!("{word:?} is not key=value")));
                    };
                    let bad = |what: &str| self.error(line, format!("{key}={value:?} is not {what}"));
                    match key {
                        "hbox" => hbox = Some(hundredths(value).ok_or_else(|| bad("mm to 0.01 (1–200)"))?),
                        "vbox" => vbox = Some(hundredths(value).ok_or_else(|| bad("mm to 0.01 (1–200)"))?),
                        "points" => points = value.parse().map_err(|_| bad("a point count"))?,
                        "side" => {
                            side = match value {
                                "R" => TraceSide::Right,
                                "L" => TraceSide::Left,
                                "B" => TraceSide::Both,
                                _ => return Err(bad("R, L or B")),
                            }
                        }
                        "source" => {
                            source = match value {
                                "F" => TraceSource::Frame,
                                "P" => TraceSource::Pattern,
                                "D" => TraceSource::DemoLens,
                                _ => return Err(bad("F, P or D")),
                            }
                        }
                        _ => return Err(self.error(line, format!("unknown ellipse setting {key:?}"))),
                    }
                }
                let (Some(hbox), Some(vbox)) = (hbox, vbox) else {
                    return Err(self.error(line, "an ellipse needs hbox= and vbox= (mm)"));
                };
                let trace = Trace::new(side, source, ellipse(hbox, vbox, points), None)
                    .map_err(|e| self.error(line, e.to_string()))?;
                Ok(trace.to_records())
            }
            Some("file") => {
                let name = words.collect::<Vec<_>>().join(" ");
                if name.is_empty() {
                    return Err(self.error(line, "`shape: file` needs a path"));
                }
                let path = match self.base {
                    Some(base) => base.join(&name),
                    None => PathBuf::from(&name),
                };
                let bytes =
                    std::fs::read(&path).map_err(|e| self.error(line, format!("{}: {e}", path.display())))?;
                let traces = Document::parse(&bytes)
                    .and_then(|doc| read_traces(&doc))
                    .map_err(|e| self.error(line, format!("{}: {e}", path.display())))?;
                if traces.is_empty() {
                    return Err(self.error(line, format!("{}: no TRCFMT shape in it", path.display())));
                }
                Ok(traces.iter().flat_map(Trace::to_records).collect())
            }
            _ => Err(self.error(line, "a shape is `ellipse hbox=… vbox=… [points=…]` or `file PATH`")),
        }
    }

    fn parse(&self, text: &str) -> Result<TracerRecording, Error> {
        let mut steps = Vec::new();
        // The open block: its kind, the line it started on, its records so far, and record text
        // not yet parsed with the line that text starts on.
        let mut open: Option<(Block, usize, Vec<Record>, String, usize)> = None;
        let close = |open: Option<(Block, usize, Vec<Record>, String, usize)>,
                     steps: &mut Vec<Step>|
         -> Result<(), Error> {
            let Some((block, start, mut records, pending, pending_line)) = open else { return Ok(()) };
            records.extend(self.records(&pending, pending_line)?);
            if records.is_empty() {
                return Err(self.error(start, "an empty block"));
            }
            let doc = Document { records };
            steps.push(match block {
                Block::Send => Step::Send(doc),
                Block::Expect => Step::Expect(doc),
            });
            Ok(())
        };
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                // Kept as an empty line so the DCS parser's line numbers stay the file's.
                if let Some((.., pending, _)) = open.as_mut().filter(|o| !o.3.is_empty()) {
                    pending.push('\n');
                }
                continue;
            }
            let block = match line {
                "device:" => Some(Block::Send),
                "expect:" => Some(Block::Expect),
                _ => None,
            };
            if let Some(block) = block {
                close(open.take(), &mut steps)?;
                open = Some((block, line_no, Vec::new(), String::new(), line_no + 1));
                continue;
            }
            let Some((block, _, records, pending, pending_line)) = open.as_mut() else {
                return Err(self.error(line_no, "records before any `device:` or `expect:`"));
            };
            if let Some(spec) = line.strip_prefix("shape:") {
                if matches!(block, Block::Expect) {
                    return Err(self.error(line_no, "a shape belongs in a `device:` message"));
                }
                records.extend(self.records(pending, *pending_line)?);
                records.extend(self.shape(spec, line_no)?);
                pending.clear();
                *pending_line = line_no + 1;
                continue;
            }
            if pending.is_empty() {
                *pending_line = line_no;
            }
            pending.push_str(line);
            pending.push('\n');
        }
        close(open, &mut steps)?;
        if !steps.iter().any(|s| matches!(s, Step::Send(_))) {
            return Err(self.error(1, "no `device:` message"));
        }
        Ok(TracerRecording { steps })
    }
}

/// A positive size in mm, to 0.01 mm, up to 200 mm: in hundredths.
fn hundredths(value: &str) -> Option<u32> {
    let mm: f64 = value.parse().ok()?;
    let h = (mm * 100.0).round();
    ((100.0..=20_000.0).contains(&h) && (mm * 100.0 - h).abs() < 1e-6).then_some(h as u32)
}

impl TracerRecording {
    /// Reads a recording from text. `origin` names it in errors; `shape: file` paths are taken
    /// relative to `base` (the recording's folder) when given.
    pub fn parse(text: &str, origin: &str, base: Option<&Path>) -> Result<Self, Error> {
        Reader { origin, base }.parse(text)
    }

    /// Reads a recording file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::ReadFile { path: path.to_path_buf(), source })?;
        Self::parse(&text, &path.display().to_string(), path.parent())
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The job number: the first `JOB` record the device sends.
    pub fn job(&self) -> Option<&str> {
        self.steps.iter().find_map(|step| match step {
            Step::Send(doc) => doc.get("JOB").map(Record::value),
            Step::Expect(_) => None,
        })
    }

    /// Replaces the value of every `JOB` record, sent or expected (`--job`): a recording
    /// replays for any order number.
    pub fn set_job(&mut self, job: &str) -> Result<(), Error> {
        let record = Record::single("JOB", job).map_err(|_| Error::BadJob(job.to_string()))?;
        for step in &mut self.steps {
            let (Step::Send(doc) | Step::Expect(doc)) = step;
            for r in doc.records.iter_mut().filter(|r| r.label() == "JOB") {
                *r = record.clone();
            }
        }
        Ok(())
    }

    /// The shapes the device sends, in order.
    pub fn traces(&self) -> Vec<Trace> {
        self.steps
            .iter()
            .filter_map(|step| match step {
                Step::Send(doc) => read_traces(doc).ok(),
                Step::Expect(_) => None,
            })
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "# a session\ndevice:\n  REQ=INI\n  TRCFMT=1;400;E;B;F\nexpect:\n  ANS=INI\n  STATUS=0\n\
        device:\n  REQ=TRC\n  JOB=\"R-1\"\nexpect:\n  STATUS=0\ndevice:\n  JOB=R-1\n  \
        shape: ellipse hbox=51.37 vbox=40.06\n  _VEN=x\nexpect:\n  JOB=R-1\n  STATUS=0\n";

    #[test]
    fn a_recording_reads_as_messages_and_expectations_with_a_generated_shape() {
        let rec = TracerRecording::parse(SESSION, "test", None).unwrap();
        assert_eq!(rec.steps().len(), 6);
        let Step::Send(shape) = &rec.steps()[4] else { panic!("{:?}", rec.steps()[4]) };
        let labels: Vec<&str> = shape.records.iter().map(Record::label).collect();
        assert_eq!(labels[..2], ["JOB", "TRCFMT"]);
        assert_eq!(labels.last(), Some(&"_VEN"), "records after a shape line follow it");
        assert_eq!(shape.get("TRCFMT").unwrap().values(), ["1", "400", "E", "B", "F"]);
        let traces = rec.traces();
        assert_eq!(traces.len(), 1);
        let size = traces[0].size();
        assert!((size.hbox_mm - 51.37).abs() < 1e-9 && (size.vbox_mm - 40.06).abs() < 1e-9, "{size:?}");
        assert_eq!(rec.job(), Some("R-1"));
    }

    #[test]
    fn the_job_number_is_replaced_everywhere() {
        let mut rec = TracerRecording::parse(SESSION, "test", None).unwrap();
        rec.set_job("ORD-2026-000042").unwrap();
        for step in rec.steps() {
            let (Step::Send(doc) | Step::Expect(doc)) = step;
            assert!(doc.all("JOB").all(|r| r.value() == "ORD-2026-000042"));
        }
        assert!(matches!(rec.set_job("two\nlines"), Err(Error::BadJob(_))));
    }

    #[test]
    fn mistakes_name_the_line() {
        let err = |text: &str| TracerRecording::parse(text, "rec.txt", None).unwrap_err().to_string();
        assert_eq!(err("REQ=INI\n"), "rec.txt, line 1: records before any `device:` or `expect:`");
        assert_eq!(
            err("device:\n  REQ=INI\n  S PH=1\n"),
            "rec.txt, line 3: label \"S PH\" is not letters, digits and `_`"
        );
        assert_eq!(
            err("device:\n  shape: ellipse hbox=51.375 vbox=40\n"),
            "rec.txt, line 2: hbox=\"51.375\" is not mm to 0.01 (1–200)"
        );
        assert_eq!(err("device:\n  shape: circle\n").split(':').next(), Some("rec.txt, line 2"));
        assert_eq!(err("device:\nexpect:\n  STATUS=0\n"), "rec.txt, line 1: an empty block");
        assert_eq!(err("expect:\n  STATUS=0\n"), "rec.txt, line 1: no `device:` message");
        assert!(
            err("device:\n  shape: file /nonexistent/x.dcs\n").starts_with("rec.txt, line 2: /nonexistent")
        );
    }
}
