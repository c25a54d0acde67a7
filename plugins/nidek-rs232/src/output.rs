//! One transmission, parsed: the SOH header, then `@LM`, `@RM`, `@RT` blocks of fixed-width lines.
//!
//! Rules chosen (README, "Format"):
//! - Lines end CR (CRLF and LF are accepted too); line numbers count from 1 at the header.
//!   Blank lines are skipped. Everything after EOT is ignored; a missing EOT or SOH header is
//!   accepted (captures are often cut), but data before the first `@` block is an error.
//! - Text is 7-bit ASCII; any other byte, or a control byte inside a line, makes the line corrupt.
//! - A refraction line is code (2), sphere (6), cylinder (6), axis (3). Fields missing at the end
//!   of the line, or all blank, are absent; text after the axis is an error.
//! - A power field is a sign (`+`/`-`, or a space for zero) then `d.dd` or `dd.dd` right-aligned,
//!   on a 0.125 D step: an eighth may be written `.12` or `.13` (`.37`/`.38`, …); a value between
//!   steps (`+1.10`) is an error. Powers are [`ils_optics::Power`], exact eighths.
//!   A zero cylinder means no cylinder, and its axis is dropped; an axis of 0 with a cylinder is 180.
//! - Codes: ` R`/` L` lensmeter (in `@LM`), `O` objective, `f`/`F` far subjective/final,
//!   `n`/`N` near, `a`/`A` add, `v`/`V` corrected acuity and `u`/`U` uncorrected acuity (lower
//!   case subjective, upper case final); the second letter R, L or B (both eyes).
//!   `PD`/`pD` pupillary distance (final/subjective): binocular, then optional right and left
//!   monocular, in mm. `WD` working distance in cm. `TT` is known and skipped. Any other code
//!   is an error: a parity-damaged line must not pass as data.
//! - Acuity is decimal (`1.0`, `0.8`) or a Snellen fraction (`6/6`, `20/40`), read as decimal.

use ils_optics::Power;

use crate::error::{Error, ErrorKind, Result};

/// Start of heading.
pub const SOH: u8 = 0x01;
/// Start of text: before each `@` block.
pub const STX: u8 = 0x02;
/// End of transmission.
pub const EOT: u8 = 0x04;

/// Which instrument a block comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instrument {
    /// `@LM` lensmeter.
    Lensmeter,
    /// `@RM` autorefractor (objective).
    Autorefractor,
    /// `@RT` refractor (subjective and final).
    Refractor,
}

impl Instrument {
    /// The prefix of its measurement names: `lm`, `rm`, `rt`.
    pub fn prefix(self) -> &'static str {
        match self {
            Instrument::Lensmeter => "lm",
            Instrument::Autorefractor => "rm",
            Instrument::Refractor => "rt",
        }
    }
}

/// Which eye a reading is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eye {
    /// `R`: the right eye.
    Right,
    /// `L`: the left eye.
    Left,
    /// B: both eyes.
    Both,
}

/// The stage of the examination a value was recorded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Lower-case code.
    Subjective,
    /// Upper-case code.
    Final,
}

/// What a sphere/cylinder/axis line measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefractionKind {
    /// A lens on the lensmeter (` R`, ` L`).
    Lens,
    /// Objective (`O`).
    Objective,
    /// Far (`f`/`F`).
    Far(Stage),
    /// Near (`n`/`N`).
    Near(Stage),
}

/// One line of data.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Sphere, cylinder, axis.
    Refraction {
        /// What was measured.
        kind: RefractionKind,
        /// The eye.
        eye: Eye,
        /// Sphere (absent when the field was blank).
        sphere: Option<Power>,
        /// Cylinder (absent when blank or zero).
        cylinder: Option<Power>,
        /// Axis 1–180 (only with a cylinder).
        axis: Option<u16>,
    },
    /// Reading addition.
    Add {
        /// Subjective (`a`) or final (`A`).
        stage: Stage,
        /// The eye.
        eye: Eye,
        /// The addition.
        add: Power,
    },
    /// Visual acuity, decimal.
    Acuity {
        /// Subjective (`v`/`u`) or final (`V`/`U`).
        stage: Stage,
        /// With correction (`v`/`V`) or without (`u`/`U`).
        corrected: bool,
        /// The eye.
        eye: Eye,
        /// Decimal acuity (6/6 = 1.0).
        decimal: f64,
    },
    /// Pupillary distance, mm.
    Pd {
        /// Subjective (`pD`) or final (`PD`).
        stage: Stage,
        /// Binocular PD, when sent.
        binocular: Option<f64>,
        /// Right monocular.
        right: Option<f64>,
        /// Left monocular.
        left: Option<f64>,
    },
    /// Working distance, cm.
    WorkingDistance(f64),
}

/// A reading and the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    /// What it says.
    pub reading: Reading,
}

/// One `@` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Which instrument.
    pub instrument: Instrument,
    /// The line of its `@` header.
    pub line: usize,
    /// Its data lines.
    pub lines: Vec<Line>,
}

/// The SOH header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The text as sent.
    pub text: String,
    /// The model, such as `RT-5100` (the word after `NIDEK`).
    pub model: Option<String>,
    /// The date, `YYYY-MM-DD`, from `DAyyyy/ m/ d`.
    pub date: Option<String>,
}

/// A whole transmission.
#[derive(Debug, Clone, PartialEq)]
pub struct Transmission {
    /// The header, when sent.
    pub header: Option<Header>,
    /// The blocks, in order.
    pub blocks: Vec<Block>,
}

/// Lines split on CR, LF or CRLF, with their 1-based numbers; stops at EOT.
fn lines(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let bytes = match bytes.iter().position(|&b| b == EOT) {
        Some(end) => bytes.get(..end).unwrap_or(bytes),
        None => bytes,
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' || bytes[i] == b'\n' {
            out.push((out.len() + 1, &bytes[start..i]));
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push((out.len() + 1, &bytes[start..]));
    }
    out
}

fn header(text: &str) -> Header {
    let words: Vec<&str> = text.split_whitespace().collect();
    let model = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("NIDEK"))
        .and_then(|i| words.get(i + 1))
        .map(|m| m.to_string());
    let date = text.find("DA").and_then(|i| text.get(i + 2..)).and_then(|rest| {
        let mut parts = rest.splitn(3, '/').map(str::trim);
        let year: u16 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.split_whitespace().next()?.parse().ok()?;
        ((1990..=2200).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day))
            .then(|| format!("{year:04}-{month:02}-{day:02}"))
    });
    Header { text: text.to_string(), model, date }
}

/// Parses a transmission. Never panics; a bad line is reported with its number.
///
/// ```
/// let out = nidek_rs232::output::parse(b"\x01NIDEK RT-5100 ID DA2026/11/21\r\x02@RT\rFR+10.00- 5.00 90\r\x04").unwrap();
/// assert_eq!(out.header.unwrap().date.as_deref(), Some("2026-11-21"));
/// assert_eq!(out.blocks[0].lines[0].number, 3);
/// ```
pub fn parse(bytes: &[u8]) -> Result<Transmission> {
    let mut transmission = Transmission { header: None, blocks: Vec::new() };
    for (number, raw) in lines(bytes) {
        let (soh, raw) = match raw.split_first() {
            Some((&SOH, rest)) => (true, rest),
            _ => (false, raw),
        };
        let raw = raw.strip_prefix(&[STX]).unwrap_or(raw);
        if let Some(&b) = raw.iter().find(|&&b| !(0x20..0x7F).contains(&b)) {
            return Err(Error::at(number, ErrorKind::Byte(b)));
        }
        // Checked above: printable ASCII.
        let text = std::str::from_utf8(raw).map_err(|_| Error::at(number, ErrorKind::Byte(0)))?;
        if soh {
            if transmission.header.is_some() || !transmission.blocks.is_empty() {
                return Err(Error::at(number, ErrorKind::Structure("a second SOH header".into())));
            }
            transmission.header = Some(header(text));
            continue;
        }
        if text.trim().is_empty() {
            continue;
        }
        if let Some(name) = text.strip_prefix('@') {
            let instrument = match name.trim_end() {
                "LM" => Instrument::Lensmeter,
                "RM" => Instrument::Autorefractor,
                "RT" => Instrument::Refractor,
                other => {
                    return Err(Error::at(number, ErrorKind::Structure(format!("unknown block @{other}"))));
                }
            };
            transmission.blocks.push(Block { instrument, line: number, lines: Vec::new() });
            continue;
        }
        let Some(block) = transmission.blocks.last_mut() else {
            return Err(Error::at(number, ErrorKind::Structure("data before the first @ block".into())));
        };
        if let Some(reading) = reading(text, block.instrument).map_err(|kind| Error::at(number, kind))? {
            block.lines.push(Line { number, reading });
        }
    }
    Ok(transmission)
}

fn eye(c: u8) -> std::result::Result<Eye, ErrorKind> {
    match c {
        b'R' => Ok(Eye::Right),
        b'L' => Ok(Eye::Left),
        b'B' => Ok(Eye::Both),
        other => Err(ErrorKind::Code(format!("eye letter {:?} is not R, L or B", char::from(other)))),
    }
}

fn stage(c: u8) -> Stage {
    if c.is_ascii_lowercase() { Stage::Subjective } else { Stage::Final }
}

/// One data line; `None` for a known line that carries nothing to keep (`TT`).
fn reading(text: &str, instrument: Instrument) -> std::result::Result<Option<Reading>, ErrorKind> {
    let bytes = text.as_bytes();
    let (Some(&c0), Some(&c1)) = (bytes.first(), bytes.get(1)) else {
        return Err(ErrorKind::Code(format!("{text:?} is too short for a code")));
    };
    let rest = text.get(2..).unwrap_or("");
    let refraction = |kind| -> std::result::Result<Option<Reading>, ErrorKind> {
        let (sphere, cylinder, axis) = sca(rest)?;
        Ok(Some(Reading::Refraction { kind, eye: eye(c1)?, sphere, cylinder, axis }))
    };
    match (c0, c1) {
        (b'P' | b'p', b'D') => pd(rest, stage(c0)).map(Some),
        (b'W', b'D') => {
            number(rest.trim(), "working distance", 10.0..=100.0).map(|v| Some(Reading::WorkingDistance(v)))
        }
        (b'T', b'T') => Ok(None),
        (b' ', _) if instrument == Instrument::Lensmeter => refraction(RefractionKind::Lens),
        (b'O', _) => refraction(RefractionKind::Objective),
        (b'f' | b'F', _) => refraction(RefractionKind::Far(stage(c0))),
        (b'n' | b'N', _) => refraction(RefractionKind::Near(stage(c0))),
        (b'a' | b'A', _) => {
            let e = eye(c1)?;
            let field = rest.get(..6).unwrap_or(rest);
            if rest.len() > 6 && !rest[6..].trim().is_empty() {
                return Err(ErrorKind::Field("add".into(), format!("text after it: {:?}", &rest[6..])));
            }
            match power(field, "add")? {
                Some(add) if add > Power::PLANO => Ok(Some(Reading::Add { stage: stage(c0), eye: e, add })),
                Some(add) => Err(ErrorKind::Field("add".into(), format!("{add} is not positive"))),
                None => Ok(None),
            }
        }
        (b'v' | b'V' | b'u' | b'U', _) => {
            let e = eye(c1)?;
            let decimal = acuity(rest.trim())?;
            Ok(Some(Reading::Acuity {
                stage: stage(c0),
                corrected: c0.eq_ignore_ascii_case(&b'v'),
                eye: e,
                decimal,
            }))
        }
        _ => Err(ErrorKind::Code(format!("unknown code {:?}", text.get(..2).unwrap_or(text)))),
    }
}

type Sca = (Option<Power>, Option<Power>, Option<u16>);

/// Sphere (6), cylinder (6), axis (3), fields missing at the end absent.
fn sca(rest: &str) -> std::result::Result<Sca, ErrorKind> {
    let field = |from: usize, to: usize| rest.get(from..to.min(rest.len())).unwrap_or("");
    if rest.len() > 15 && !rest[15..].trim().is_empty() {
        return Err(ErrorKind::Field("axis".into(), format!("text after it: {:?}", &rest[15..])));
    }
    let sphere = power(field(0, 6), "sphere")?;
    let cylinder = power(field(6, 12), "cylinder")?.filter(|c| !c.is_zero());
    let axis_text = field(12, 15).trim();
    let axis = if axis_text.is_empty() {
        None
    } else {
        let a: u16 = axis_text
            .parse()
            .ok()
            .filter(|a| *a <= 180 && axis_text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| ErrorKind::Field("axis".into(), format!("{axis_text:?} is not 0–180")))?;
        Some(if a == 0 { 180 } else { a })
    };
    if cylinder.is_some() && axis.is_none() {
        return Err(ErrorKind::Field("axis".into(), "missing, and the cylinder needs one".into()));
    }
    Ok((sphere, cylinder, cylinder.and(axis)))
}

/// A 6-character power field: sign (`+`, `-`, or space for zero) and `d.dd`/`dd.dd`, on an
/// eighth step.
fn power(field: &str, what: &str) -> std::result::Result<Option<Power>, ErrorKind> {
    if field.trim().is_empty() {
        return Ok(None);
    }
    let bad =
        || ErrorKind::Field(what.into(), format!("{field:?} is not a power like \"+10.00\" or \"- 5.50\""));
    let sign = field.as_bytes().first().copied().ok_or_else(bad)?;
    let digits = field.get(1..).ok_or_else(bad)?.trim_start();
    let (whole, fraction) = digits.split_once('.').ok_or_else(bad)?;
    if whole.is_empty()
        || whole.len() > 2
        || fraction.len() != 2
        || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let value =
        whole.parse::<i32>().map_err(|_| bad())? * 100 + fraction.parse::<i32>().map_err(|_| bad())?;
    let value = Power::from_hundredths(value)
        .ok_or_else(|| ErrorKind::Field(what.into(), format!("{field:?} is not in 0.125 D steps")))?;
    match sign {
        b'+' => Ok(Some(value)),
        b'-' => Ok(Some(-value)),
        b' ' if value.is_zero() => Ok(Some(value)),
        b' ' => Err(ErrorKind::Field(what.into(), format!("{field:?} has no sign"))),
        _ => Err(bad()),
    }
}

fn number(
    text: &str,
    what: &str,
    range: std::ops::RangeInclusive<f64>,
) -> std::result::Result<f64, ErrorKind> {
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.matches('.').count() <= 1;
    ok.then(|| text.parse::<f64>().ok()).flatten().filter(|v| range.contains(v)).ok_or_else(|| {
        ErrorKind::Field(what.into(), format!("{text:?} is not a number {}–{}", range.start(), range.end()))
    })
}

fn pd(rest: &str, stage: Stage) -> std::result::Result<Reading, ErrorKind> {
    let mut fields = rest.split_whitespace();
    let binocular = fields.next().map(|t| number(t, "PD", 40.0..=90.0)).transpose()?;
    let right = fields.next().map(|t| number(t, "right PD", 20.0..=45.0)).transpose()?;
    let left = fields.next().map(|t| number(t, "left PD", 20.0..=45.0)).transpose()?;
    if let Some(extra) = fields.next() {
        return Err(ErrorKind::Field("PD".into(), format!("unexpected {extra:?} after the left PD")));
    }
    if right.is_some() != left.is_some() {
        return Err(ErrorKind::Field("PD".into(), "a right PD without a left one".into()));
    }
    Ok(Reading::Pd { stage, binocular, right, left })
}

fn acuity(text: &str) -> std::result::Result<f64, ErrorKind> {
    let bad = || ErrorKind::Field("acuity".into(), format!("{text:?} is not decimal (1.0) or Snellen (6/6)"));
    let value = match text.split_once('/') {
        Some((num, den)) => {
            let num = number(num, "acuity", 1.0..=20.0).map_err(|_| bad())?;
            let den = number(den, "acuity", 1.0..=400.0).map_err(|_| bad())?;
            num / den
        }
        None => number(text, "acuity", 0.0..=2.0).map_err(|_| bad())?,
    };
    Ok((value * 1000.0).round() / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> std::result::Result<Option<Reading>, ErrorKind> {
        reading(line, Instrument::Refractor)
    }

    /// A power from hundredths of a dioptre, as the device writes it.
    fn p(hundredths: i32) -> Power {
        Power::from_hundredths(hundredths).unwrap()
    }

    #[test]
    fn fixed_width_refraction_lines() {
        assert_eq!(
            one("FR+10.00- 5.00 90").unwrap(),
            Some(Reading::Refraction {
                kind: RefractionKind::Far(Stage::Final),
                eye: Eye::Right,
                sphere: Some(p(1000)),
                cylinder: Some(p(-500)),
                axis: Some(90),
            })
        );
        let Some(Reading::Refraction { sphere, cylinder, axis, .. }) = one("fL- 0.25  0.00  0").unwrap()
        else {
            panic!()
        };
        assert_eq!((sphere, cylinder, axis), (Some(p(-25)), None, None), "zero cylinder drops the axis");
        let Some(Reading::Refraction { cylinder, axis, .. }) = one("OR+ 1.00- 0.50  0").unwrap() else {
            panic!()
        };
        assert_eq!((cylinder, axis), (Some(p(-50)), Some(180)), "axis 0 is 180");
        let Some(Reading::Refraction { sphere, cylinder, .. }) = one("NR+ 2.50").unwrap() else { panic!() };
        assert_eq!((sphere, cylinder), (Some(p(250)), None), "missing fields at the end are absent");
    }

    #[test]
    fn bad_fields_say_which_and_why() {
        let err = |l: &str| one(l).unwrap_err().to_string();
        assert_eq!(
            err("FR+1O.00- 5.00 90"),
            "sphere: \"+1O.00\" is not a power like \"+10.00\" or \"- 5.50\""
        );
        assert_eq!(err("FR+10.00- 5.00190"), "axis: \"190\" is not 0–180");
        assert_eq!(err("FR+10.00- 5.00"), "axis: missing, and the cylinder needs one");
        assert_eq!(err("FR+10.00- 5.00 90 x"), "axis: text after it: \" x\"");
        assert_eq!(err("FX+10.00"), "code: eye letter 'X' is not R, L or B");
        assert_eq!(err("QR+10.00"), "code: unknown code \"QR\"");
        assert_eq!(err("FR 1.00"), "sphere: \" 1.00\" has no sign");
        assert_eq!(err("AR- 1.00"), "add: -1.00 is not positive");
        assert_eq!(err("FR+ 1.10"), "sphere: \"+ 1.10\" is not in 0.125 D steps");
        assert_eq!(err("VR 6/x"), "acuity: \"6/x\" is not decimal (1.0) or Snellen (6/6)");
        assert_eq!(err("PD64.0 32.0"), "PD: a right PD without a left one");
    }

    #[test]
    fn an_eighth_step_reads_as_written_two_ways() {
        for line in ["FR+ 1.12- 0.37 90", "FR+ 1.13- 0.38 90"] {
            let Some(Reading::Refraction { sphere, cylinder, .. }) = one(line).unwrap() else { panic!() };
            assert_eq!(
                (sphere, cylinder),
                (Some(Power::from_eighths(9)), Some(Power::from_eighths(-3))),
                "{line}"
            );
        }
    }

    #[test]
    fn acuity_pd_and_working_distance() {
        assert_eq!(
            one("VR 6/6").unwrap(),
            Some(Reading::Acuity { stage: Stage::Final, corrected: true, eye: Eye::Right, decimal: 1.0 })
        );
        assert_eq!(
            one("uL20/40").unwrap(),
            Some(Reading::Acuity {
                stage: Stage::Subjective,
                corrected: false,
                eye: Eye::Left,
                decimal: 0.5
            })
        );
        assert_eq!(
            one("PD64.0 32.5 31.5").unwrap(),
            Some(Reading::Pd {
                stage: Stage::Final,
                binocular: Some(64.0),
                right: Some(32.5),
                left: Some(31.5)
            })
        );
        assert_eq!(
            one("pD63.0        ").unwrap(),
            Some(Reading::Pd { stage: Stage::Subjective, binocular: Some(63.0), right: None, left: None })
        );
        assert_eq!(one("WD35").unwrap(), Some(Reading::WorkingDistance(35.0)));
        assert_eq!(one("TT 005").unwrap(), None);
    }

    #[test]
    fn lines_end_cr_lf_or_crlf_and_stop_at_eot() {
        let got: Vec<(usize, &[u8])> = lines(b"a\rb\r\nc\nd\x04e\rf");
        assert_eq!(got, [(1, &b"a"[..]), (2, b"b"), (3, b"c"), (4, b"d")]);
    }

    #[test]
    fn one_header_per_transmission() {
        let err = parse(b"\x01NIDEK RT-5100\r\x02@RT\r\x01NIDEK RT-5100\r").unwrap_err();
        assert_eq!(err.to_string(), "line 3: a second SOH header");
        let err = parse(b"\x02@RT\rFR+ 1.00\x07\r").unwrap_err();
        assert_eq!(err.to_string(), "line 2: byte 0x07 is not printable ASCII");
    }

    #[test]
    fn headers_give_model_and_date() {
        let h = header("NIDEK RT-5100 ID             DA2016/ 5/23");
        assert_eq!((h.model.as_deref(), h.date.as_deref()), (Some("RT-5100"), Some("2016-05-23")));
        let h = header("NIDEK RT-5100 ID");
        assert_eq!(h.date, None);
    }
}
