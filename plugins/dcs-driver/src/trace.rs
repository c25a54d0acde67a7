//! Shapes: `TRCFMT=1;count;E|U;R|L|B;F|P|D` followed by `R=` radii (and `A=` angles for `U`).
//!
//! Rules chosen (README, "Shapes"):
//! - Only format 1 (ASCII absolute radii) is read; 2–4 (packed binary) are refused as unsupported.
//! - Radii are positive whole hundredths of a millimetre; `A=` angles are whole hundredths of a
//!   degree, 0 ≤ A < 36000, strictly increasing. Both counts must equal the TRCFMT count (3–10000).
//! - Letters are upper case exactly as the standard writes them; anything else is refused.
//! - Equiangular point *i* of *n* is at 360°·i/n; 0° is horizontal (the 0–180 line), angles
//!   go anticlockwise seen from the front. Box and circumference do not depend on the direction.
//! - Each TRCFMT starts a shape; its `R=`/`A=` records run to the next TRCFMT. Other records
//!   between them are allowed; `R=`/`A=` before any TRCFMT are an error. `ZFMT`/`Z` are ignored.
//! - Side `B` means one shape for both eyes.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::record::{Document, Record};

/// Fewest points accepted in a shape.
pub const MIN_POINTS: usize = 3;
/// Most points accepted in a shape.
pub const MAX_POINTS: usize = 10_000;

/// Which eye a shape is for: in JSON `right`, `left`, `both` as core writes them (`R`, `L`, `B`
/// as DCS writes them are read too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceSide {
    /// Right (`R`).
    #[serde(alias = "R")]
    Right,
    /// Left (`L`).
    #[serde(alias = "L")]
    Left,
    /// Both eyes (`B`).
    #[serde(alias = "B")]
    Both,
}

/// What was traced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceSource {
    /// The frame's groove (`F`).
    Frame,
    /// A pattern (`P`).
    Pattern,
    /// A demo lens (`D`).
    DemoLens,
}

/// A traced shape: radii at angles, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TraceInput")]
pub struct Trace {
    side: TraceSide,
    source: TraceSource,
    radii: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    angles: Option<Vec<u32>>,
}

/// A shape as JSON gives it, before the checks. Other fields (core's `traced_at`, `device`) are
/// ignored.
#[derive(Debug, Deserialize)]
struct TraceInput {
    side: TraceSide,
    source: TraceSource,
    radii: Vec<u32>,
    #[serde(default)]
    angles: Option<Vec<u32>>,
}

impl TryFrom<TraceInput> for Trace {
    type Error = Error;
    fn try_from(t: TraceInput) -> Result<Self> {
        Trace::new(t.side, t.source, t.radii, t.angles)
    }
}

/// The derived size of a shape, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeSize {
    /// Horizontal box (A), mm.
    pub hbox_mm: f64,
    /// Vertical box (B), mm.
    pub vbox_mm: f64,
    /// Circumference (the closed polygon through the points), mm.
    pub circumference_mm: f64,
}

impl Trace {
    /// A shape from radii (1/100 mm) and, unless equiangular, their angles (1/100 degree).
    pub fn new(
        side: TraceSide,
        source: TraceSource,
        radii: Vec<u32>,
        angles: Option<Vec<u32>>,
    ) -> Result<Self> {
        let label = "R";
        if !(MIN_POINTS..=MAX_POINTS).contains(&radii.len()) {
            return Err(Error::in_label(
                label,
                ErrorKind::ValueCount {
                    expected: format!("{MIN_POINTS} to {MAX_POINTS} radii"),
                    found: radii.len(),
                },
            ));
        }
        if let Some(i) = radii.iter().position(|&r| r == 0) {
            return Err(Error::in_label(
                label,
                ErrorKind::BadValue { index: i + 1, value: "0".into(), expected: "a positive radius".into() },
            ));
        }
        if let Some(angles) = &angles {
            if angles.len() != radii.len() {
                return Err(Error::in_label(
                    "A",
                    ErrorKind::ValueCount {
                        expected: format!("{} angles, one per radius", radii.len()),
                        found: angles.len(),
                    },
                ));
            }
            check_angles(angles).map_err(|(i, expected)| {
                Error::in_label(
                    "A",
                    ErrorKind::BadValue {
                        index: i + 1,
                        value: angles.get(i).copied().unwrap_or(0).to_string(),
                        expected,
                    },
                )
            })?;
        }
        Ok(Self { side, source, radii, angles })
    }

    /// The eye.
    pub fn side(&self) -> TraceSide {
        self.side
    }

    /// What was traced.
    pub fn source(&self) -> TraceSource {
        self.source
    }

    /// Radii, 1/100 mm.
    pub fn radii(&self) -> &[u32] {
        &self.radii
    }

    /// Angles, 1/100 degree (absent for an equiangular shape).
    pub fn angles(&self) -> Option<&[u32]> {
        self.angles.as_deref()
    }

    /// The points, in mm, x horizontal and y vertical.
    pub fn points(&self) -> Vec<(f64, f64)> {
        ils_optics::outline_points(&self.radii, self.angles.as_deref())
    }

    /// The boxed size and circumference.
    pub fn size(&self) -> ShapeSize {
        let points = self.points();
        let (hbox_mm, vbox_mm) = ils_optics::outline_box(&points);
        let circumference = points
            .iter()
            .zip(points.iter().cycle().skip(1))
            .map(|(&(x0, y0), &(x1, y1))| (x1 - x0).hypot(y1 - y0))
            .sum();
        ShapeSize { hbox_mm, vbox_mm, circumference_mm: circumference }
    }

    /// The records for this shape: TRCFMT, then `R=` (and `A=`) ten values a line.
    pub fn to_records(&self) -> Vec<Record> {
        let mode = if self.angles.is_some() { "U" } else { "E" };
        let side = match self.side {
            TraceSide::Right => "R",
            TraceSide::Left => "L",
            TraceSide::Both => "B",
        };
        let source = match self.source {
            TraceSource::Frame => "F",
            TraceSource::Pattern => "P",
            TraceSource::DemoLens => "D",
        };
        let fmt = ["1".to_string(), self.radii.len().to_string(), mode.into(), side.into(), source.into()];
        let mut out = vec![record("TRCFMT", fmt.to_vec())];
        for chunk in self.radii.chunks(10) {
            out.push(record("R", chunk.iter().map(u32::to_string).collect()));
        }
        if let Some(angles) = &self.angles {
            for chunk in angles.chunks(10) {
                out.push(record("A", chunk.iter().map(u32::to_string).collect()));
            }
        }
        out
    }
}

fn record(label: &'static str, values: Vec<String>) -> Record {
    Record::trusted(label, values)
}

fn check_angles(angles: &[u32]) -> std::result::Result<(), (usize, String)> {
    let mut previous: Option<u32> = None;
    for (i, &a) in angles.iter().enumerate() {
        if a >= 36_000 {
            return Err((i, "an angle below 36000 (hundredths of a degree)".into()));
        }
        if previous.is_some_and(|p| a <= p) {
            return Err((i, "greater than the angle before it".into()));
        }
        previous = Some(a);
    }
    Ok(())
}

struct Block<'a> {
    fmt: &'a Record,
    count: usize,
    equiangular: bool,
    side: TraceSide,
    source: TraceSource,
    radii: Vec<u32>,
    angles: Vec<u32>,
    first_a: Option<&'a Record>,
}

/// Checks a TRCFMT record as a shape's header: format 1, a count 3–10000, `E`/`U`, `R`/`L`/`B`
/// and `F`/`P`/`D` (what [`parse`] reads).
pub(crate) fn check_format(fmt: &Record) -> Result<()> {
    start_block(fmt).map(|_| ())
}

fn start_block(fmt: &Record) -> Result<Block<'_>> {
    let v = fmt.values();
    if v.len() != 5 {
        return Err(fmt.error(ErrorKind::ValueCount {
            expected: "5 (format;count;E|U;R|L|B;F|P|D)".into(),
            found: v.len(),
        }));
    }
    match v[0].as_str() {
        "1" => {}
        "2" | "3" | "4" => {
            return Err(fmt.error(ErrorKind::Unsupported(format!(
                "TRCFMT format {} (only 1, ASCII absolute radii, is read)",
                v[0]
            ))));
        }
        _ => return Err(fmt.bad_value(0, "a trace format 1–4")),
    }
    let count = v[1]
        .parse::<usize>()
        .ok()
        .filter(|n| (MIN_POINTS..=MAX_POINTS).contains(n))
        .ok_or_else(|| fmt.bad_value(1, &format!("a point count {MIN_POINTS}–{MAX_POINTS}")))?;
    let equiangular = match v[2].as_str() {
        "E" => true,
        "U" => false,
        _ => return Err(fmt.bad_value(2, "E (equiangular) or U (with A= angles)")),
    };
    let side = match v[3].as_str() {
        "R" => TraceSide::Right,
        "L" => TraceSide::Left,
        "B" => TraceSide::Both,
        _ => return Err(fmt.bad_value(3, "R, L or B")),
    };
    let source = match v[4].as_str() {
        "F" => TraceSource::Frame,
        "P" => TraceSource::Pattern,
        "D" => TraceSource::DemoLens,
        _ => return Err(fmt.bad_value(4, "F (frame), P (pattern) or D (demo lens)")),
    };
    Ok(Block { fmt, count, equiangular, side, source, radii: Vec::new(), angles: Vec::new(), first_a: None })
}

fn numbers(record: &Record, into: &mut Vec<u32>, limit: usize, what: &str) -> Result<()> {
    for (i, v) in record.values().iter().enumerate() {
        if into.len() >= limit {
            return Err(record.error(ErrorKind::Protocol(format!(
                "value {} is one more than the TRCFMT count of {limit}",
                i + 1
            ))));
        }
        match v.parse::<u32>() {
            Ok(n) if !v.starts_with('+') => into.push(n),
            _ => return Err(record.bad_value(i, what)),
        }
    }
    Ok(())
}

fn finish(block: Block<'_>) -> Result<Trace> {
    if block.radii.len() != block.count {
        return Err(block.fmt.error(ErrorKind::ValueCount {
            expected: format!("{} radii in its R= records", block.count),
            found: block.radii.len(),
        }));
    }
    let angles = if block.equiangular {
        if let Some(a) = block.first_a {
            return Err(a.error(ErrorKind::Protocol("A= angles in an equiangular (E) shape".into())));
        }
        None
    } else {
        if block.angles.len() != block.count {
            return Err(block.fmt.error(ErrorKind::ValueCount {
                expected: format!("{} angles in its A= records (TRCFMT U)", block.count),
                found: block.angles.len(),
            }));
        }
        Some(block.angles)
    };
    let line = block.fmt.line();
    Trace::new(block.side, block.source, block.radii, angles).map_err(|mut e| {
        e.line = e.line.or(Some(line));
        e
    })
}

/// Every shape in a document, in order.
pub fn read_traces(doc: &Document) -> Result<Vec<Trace>> {
    let mut out = Vec::new();
    let mut block: Option<Block<'_>> = None;
    for record in &doc.records {
        match record.label() {
            "TRCFMT" => {
                if let Some(done) = block.take() {
                    out.push(finish(done)?);
                }
                block = Some(start_block(record)?);
            }
            "R" | "A" => {
                let Some(b) = block.as_mut() else {
                    return Err(
                        record.error(ErrorKind::Protocol(format!("{}= before any TRCFMT", record.label())))
                    );
                };
                if record.label() == "R" {
                    numbers(record, &mut b.radii, b.count, "a whole number of 1/100 mm")?;
                } else {
                    b.first_a = b.first_a.or(Some(record));
                    numbers(record, &mut b.angles, b.count, "a whole number of 1/100 degree")?;
                }
            }
            _ => {}
        }
    }
    if let Some(done) = block {
        out.push(finish(done)?);
    }
    Ok(out)
}

/// Parses the shapes in DCS text (unframed records): an entry point for fuzzing.
pub fn parse(bytes: &[u8]) -> Result<Vec<Trace>> {
    read_traces(&Document::parse(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle(n: usize, radius: u32) -> String {
        let mut s = format!("TRCFMT=1;{n};E;R;F\r\n");
        for chunk in vec![radius; n].chunks(8) {
            s.push_str(&format!("R={}\r\n", chunk.iter().map(u32::to_string).collect::<Vec<_>>().join(";")));
        }
        s
    }

    #[test]
    fn a_circle_has_its_diameter_as_box_and_its_perimeter() {
        let traces = parse(circle(400, 2500).as_bytes()).unwrap();
        assert_eq!(traces.len(), 1);
        let size = traces[0].size();
        assert!((size.hbox_mm - 50.0).abs() < 1e-9, "{size:?}");
        assert!((size.vbox_mm - 50.0).abs() < 1e-9, "{size:?}");
        let polygon = 400.0 * 50.0 * (std::f64::consts::PI / 400.0).sin();
        assert!((size.circumference_mm - polygon).abs() < 1e-6, "{size:?}");
        assert!((size.circumference_mm - 157.08).abs() < 0.01);
    }

    #[test]
    fn shapes_with_angles_use_them() {
        // A 40 × 20 mm diamond: points at 0°, 90°, 180°, 270°.
        let text = "TRCFMT=1;4;U;L;P\r\nR=2000;1000;2000;1000\r\nA=0;9000;18000;27000\r\n";
        let trace = &parse(text.as_bytes()).unwrap()[0];
        assert_eq!((trace.side(), trace.source()), (TraceSide::Left, TraceSource::Pattern));
        let size = trace.size();
        assert!((size.hbox_mm - 40.0).abs() < 1e-9 && (size.vbox_mm - 20.0).abs() < 1e-9);
        assert!((size.circumference_mm - 4.0 * 500f64.sqrt()).abs() < 1e-9);
        assert_eq!(parse(&crate::record::emit(&trace.to_records())).unwrap(), std::slice::from_ref(trace));
    }

    #[test]
    fn non_conformant_shapes_are_reported_not_guessed() {
        let err = |t: &str| parse(t.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err("JOB=1\r\nTRCFMT=1;4;A;R;F\r\nR=1;2;3;4\r\n"),
            "line 2, TRCFMT: value 3 \"A\" is not E (equiangular) or U (with A= angles)"
        );
        assert_eq!(
            err("TRCFMT=1;4;E;R;F\r\nR=1;2;x3;4\r\n"),
            "line 2, R: value 3 \"x3\" is not a whole number of 1/100 mm"
        );
        assert_eq!(
            err("TRCFMT=1;4;E;R;F\r\nR=1;2;3\r\n"),
            "line 1, TRCFMT: has 3 values, expected 4 radii in its R= records"
        );
        assert_eq!(
            err("TRCFMT=1;3;E;R;F\r\nR=1;2;3;4\r\n"),
            "line 2, R: protocol: value 4 is one more than the TRCFMT count of 3"
        );
        assert!(err("TRCFMT=3;400;E;R;F\r\n").contains("unsupported: TRCFMT format 3"));
        assert!(
            err("TRCFMT=1;4;U;R;F\r\nR=1;2;3;4\r\nA=0;10;10;20\r\n")
                .contains("A: value 3 \"10\" is not greater")
        );
        assert!(err("TRCFMT=1;4;U;R;F\r\nR=1;2;3;4\r\n").contains("expected 4 angles"));
        assert!(err("TRCFMT=1;4;E;R;F\r\nR=1;2;3;4\r\nA=0;1;2;3\r\n").contains("line 3, A: protocol"));
        assert!(err("R=1;2;3\r\n").contains("before any TRCFMT"));
        assert!(err("TRCFMT=1;3;e;R;F\r\nR=1;2;3\r\n").contains("value 3 \"e\""), "letters are upper case");
        assert!(err("TRCFMT=1;4;E;R\r\n").contains("expected 5"));
        assert!(err("TRCFMT=1;2;E;R;F\r\nR=1;2\r\n").contains("value 2 \"2\" is not a point count 3–10000"));
        assert!(err("TRCFMT=1;3;E;R;F\r\nR=1;0;3\r\n").contains("positive radius"));
        assert!(err("TRCFMT=1;3;E;R;F\r\nR=1;-2;3\r\n").contains("value 2 \"-2\""));
    }

    #[test]
    fn two_shapes_follow_each_other() {
        let text = format!("{}JOB=7\r\n{}", circle(4, 1000), circle(3, 2000).replace(";R;", ";L;"));
        let traces = parse(text.as_bytes()).unwrap();
        assert_eq!(
            traces.iter().map(|t| (t.side(), t.radii().len())).collect::<Vec<_>>(),
            [(TraceSide::Right, 4), (TraceSide::Left, 3)]
        );
    }
}
