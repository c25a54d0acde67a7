//! One transmission, parsed: the SOH header, then `@LM`, `@RM`, `@RT` blocks of fixed-width lines.
//!
//! Rules chosen (README, "Rules chosen"):
//! - Lines end CR (CRLF and LF are accepted too); line numbers count from 1 at the header.
//!   Blank lines are skipped. Everything after EOT is ignored; a missing EOT or SOH header is
//!   accepted (captures are often cut), but data before the first `@` block is an error.
//! - Text is 7-bit ASCII; any other byte, or a control byte inside a line, makes the line corrupt
//!   and refuses the capture, in an unknown block too: it is damage on the link, not content.
//! - What the driver does not know is skipped with a warning, and the rest is kept: a line whose
//!   code is unknown, an unknown `@` block and each line in it. A line with a known code whose
//!   fields do not read refuses the capture: a wrong power must not pass as data.
//! - A refraction line is code (2), sphere (6), cylinder (6), axis (3). Fields missing at the end
//!   of the line, or all blank, are absent; text after the axis is an error.
//! - A power field is a sign (`+`/`-`, or a space for zero) then `d.dd` or `dd.dd` right-aligned,
//!   on a 0.125 D step: an eighth may be written `.12` or `.13` (`.37`/`.38`, …); a value between
//!   steps (`+1.10`) is an error. Powers are [`ils_optics::Power`], exact eighths.
//!   A zero cylinder means no cylinder, and its axis is dropped; an axis of 0 with a cylinder is 180.
//! - Codes: ` R`/` L` lensmeter (in `@LM`), `O` objective, `f`/`F` far, `n`/`N` near, `a`/`A` add,
//!   `v`/`V` corrected acuity and `u`/`U` uncorrected acuity; the second letter R, L or B (both
//!   eyes). `PD` pupillary distance and `NP` near PD: binocular, then optional right and left
//!   monocular, in mm. `WD` working distance in cm. `TT` is known and skipped.
//! - Case: block names, eye letters and the letters of `PD`, `NP`, `WD`, `TT` and `O` are read
//!   in any case. Where case means the stage, the first letter's case is kept: in `@RT`, lower
//!   case is subjective and upper case final. In `@LM` and `@RM` the block is the stage
//!   ([`Stage::Lensmeter`], [`Stage::Objective`]), whatever the case; `O` is objective anywhere.
//! - `NP` near PD is this driver's reading of the format, like `PD`'s monocular fields: check
//!   it against a real capture.
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
    /// The instrument of a block name (`LM`, `rm`, …), any case.
    fn of_block(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "LM" => Some(Instrument::Lensmeter),
            "RM" => Some(Instrument::Autorefractor),
            "RT" => Some(Instrument::Refractor),
            _ => None,
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

/// Where a value comes from: the block for `@LM` and `@RM`; in `@RT`, the code's letter case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A lens measured in `@LM`.
    Lensmeter,
    /// The autorefractor (`@RM`), or an `O` line.
    Objective,
    /// `@RT`, lower-case code.
    Subjective,
    /// `@RT`, upper-case code.
    Final,
}

/// Far or near: refraction (`F`/`N`) and PD (`PD`/`NP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// Far (`F`, ` R`/` L`, `O`; `PD`).
    Far,
    /// Near (`N`; `NP`).
    Near,
}

/// One line of data.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Sphere, cylinder, axis.
    Refraction {
        /// Lensmeter, objective, subjective or final.
        stage: Stage,
        /// Far or near.
        distance: Distance,
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
        /// Lensmeter, objective, subjective (`a`) or final (`A`).
        stage: Stage,
        /// The eye.
        eye: Eye,
        /// The addition.
        add: Power,
    },
    /// Visual acuity, decimal.
    Acuity {
        /// Subjective (`v`/`u`) or final (`V`/`U`) in `@RT`.
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
        /// Objective in `@RM`; subjective (`pD`, `nP`) or final (`PD`, `NP`) in `@RT`.
        stage: Stage,
        /// Far (`PD`) or near (`NP`).
        distance: Distance,
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

/// One `@` block the driver knows.
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
    /// The known blocks, in order.
    pub blocks: Vec<Block>,
    /// What was skipped, one per line, each starting `line N: `: an unknown code, an unknown
    /// block and each line in it.
    pub warnings: Vec<String>,
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

/// The block the next data line belongs to.
enum Current {
    /// No `@` line yet.
    None,
    /// The last of `Transmission::blocks`.
    Known,
    /// An unknown block, by name: its lines are skipped.
    Unknown(String),
}

/// Parses a transmission. Never panics; a line that does not read is reported with its number,
/// and what the driver does not know is skipped with a warning.
///
/// ```
/// let out = nidek_rs232::output::parse(
///     b"\x01NIDEK RT-5100 ID DA2026/11/21\r\x02@RT\rFR+10.00- 5.00 90\rXY 12.5\r\x04",
/// )
/// .unwrap();
/// assert_eq!(out.header.unwrap().date.as_deref(), Some("2026-11-21"));
/// assert_eq!(out.blocks[0].lines[0].number, 3);
/// assert_eq!(out.warnings, [r#"line 4: unknown code "XY" ("XY 12.5"), skipped"#]);
/// ```
pub fn parse(bytes: &[u8]) -> Result<Transmission> {
    let mut transmission = Transmission { header: None, blocks: Vec::new(), warnings: Vec::new() };
    let mut current = Current::None;
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
            if transmission.header.is_some() || !matches!(current, Current::None) {
                return Err(Error::at(number, ErrorKind::Structure("a second SOH header".into())));
            }
            transmission.header = Some(header(text));
            continue;
        }
        if text.trim().is_empty() {
            continue;
        }
        let warn = |warnings: &mut Vec<String>, what: String| warnings.push(format!("line {number}: {what}"));
        if let Some(name) = text.strip_prefix('@') {
            let name = name.trim();
            current = match Instrument::of_block(name) {
                Some(instrument) => {
                    transmission.blocks.push(Block { instrument, line: number, lines: Vec::new() });
                    Current::Known
                }
                None => {
                    warn(&mut transmission.warnings, format!("unknown block @{name}, its lines skipped"));
                    Current::Unknown(name.to_string())
                }
            };
            continue;
        }
        let text = text.trim_end();
        let block = match (&current, transmission.blocks.last_mut()) {
            (Current::Known, Some(block)) => block,
            (Current::Unknown(name), _) => {
                warn(&mut transmission.warnings, format!("{text:?} is in unknown block @{name}, skipped"));
                continue;
            }
            _ => {
                return Err(Error::at(number, ErrorKind::Structure("data before the first @ block".into())));
            }
        };
        match reading(text, block.instrument).map_err(|kind| Error::at(number, kind))? {
            Parsed::Reading(reading) => block.lines.push(Line { number, reading }),
            Parsed::Nothing => {}
            Parsed::Unknown => {
                let code = text.get(..2).unwrap_or(text);
                warn(&mut transmission.warnings, format!("unknown code {code:?} ({text:?}), skipped"));
            }
        }
    }
    Ok(transmission)
}

/// What a data line is.
#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    /// A value to keep.
    Reading(Reading),
    /// A known code that carries nothing to keep (`TT`, a blank add).
    Nothing,
    /// A code this driver does not know.
    Unknown,
}

fn eye(c: u8) -> std::result::Result<Eye, ErrorKind> {
    match c.to_ascii_uppercase() {
        b'R' => Ok(Eye::Right),
        b'L' => Ok(Eye::Left),
        b'B' => Ok(Eye::Both),
        _ => Err(ErrorKind::Code(format!("eye letter {:?} is not R, L or B", char::from(c)))),
    }
}

/// The stage of a line starting `c0` in a block of `instrument`.
fn stage(instrument: Instrument, c0: u8) -> Stage {
    match instrument {
        Instrument::Lensmeter => Stage::Lensmeter,
        Instrument::Autorefractor => Stage::Objective,
        Instrument::Refractor if c0.eq_ignore_ascii_case(&b'O') => Stage::Objective,
        Instrument::Refractor if c0.is_ascii_lowercase() => Stage::Subjective,
        Instrument::Refractor => Stage::Final,
    }
}

/// One data line (not blank, trailing spaces trimmed).
fn reading(text: &str, instrument: Instrument) -> std::result::Result<Parsed, ErrorKind> {
    let bytes = text.as_bytes();
    let Some(&c0) = bytes.first() else { return Ok(Parsed::Nothing) };
    // A one-letter line reads as a code with a blank second letter: a known first letter then
    // asks for an eye letter, an unknown one is an unknown code.
    let c1 = bytes.get(1).copied().unwrap_or(b' ');
    let rest = text.get(2..).unwrap_or("");
    let stage = stage(instrument, c0);
    let refraction = |distance| -> std::result::Result<Parsed, ErrorKind> {
        let eye = eye(c1)?;
        let (sphere, cylinder, axis) = sca(rest)?;
        Ok(Parsed::Reading(Reading::Refraction { stage, distance, eye, sphere, cylinder, axis }))
    };
    match (c0.to_ascii_uppercase(), c1.to_ascii_uppercase()) {
        (b'P', b'D') => pd(rest, stage, Distance::Far),
        (b'N', b'P') => pd(rest, stage, Distance::Near),
        (b'W', b'D') => number(rest.trim(), "working distance", 10.0..=100.0)
            .map(|v| Parsed::Reading(Reading::WorkingDistance(v))),
        (b'T', b'T') => Ok(Parsed::Nothing),
        (b' ', _) if instrument == Instrument::Lensmeter => refraction(Distance::Far),
        (b'O' | b'F', _) => refraction(Distance::Far),
        (b'N', _) => refraction(Distance::Near),
        (b'A', _) => {
            let eye = eye(c1)?;
            let field = rest.get(..6).unwrap_or(rest);
            if rest.len() > 6 && !rest[6..].trim().is_empty() {
                return Err(ErrorKind::Field("add".into(), format!("text after it: {:?}", &rest[6..])));
            }
            match power(field, "add")? {
                Some(add) if add > Power::PLANO => Ok(Parsed::Reading(Reading::Add { stage, eye, add })),
                Some(add) => Err(ErrorKind::Field("add".into(), format!("{add} is not positive"))),
                None => Ok(Parsed::Nothing),
            }
        }
        (u0 @ (b'V' | b'U'), _) => {
            let eye = eye(c1)?;
            let decimal = acuity(rest.trim())?;
            Ok(Parsed::Reading(Reading::Acuity { stage, corrected: u0 == b'V', eye, decimal }))
        }
        _ => Ok(Parsed::Unknown),
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

fn pd(rest: &str, stage: Stage, distance: Distance) -> std::result::Result<Parsed, ErrorKind> {
    let what = match distance {
        Distance::Far => "PD",
        Distance::Near => "near PD",
    };
    let mut fields = rest.split_whitespace();
    let binocular = fields.next().map(|t| number(t, what, 40.0..=90.0)).transpose()?;
    let right = fields.next().map(|t| number(t, &format!("right {what}"), 20.0..=45.0)).transpose()?;
    let left = fields.next().map(|t| number(t, &format!("left {what}"), 20.0..=45.0)).transpose()?;
    if let Some(extra) = fields.next() {
        return Err(ErrorKind::Field(what.into(), format!("unexpected {extra:?} after the left PD")));
    }
    if right.is_some() != left.is_some() {
        return Err(ErrorKind::Field(what.into(), "a right PD without a left one".into()));
    }
    Ok(Parsed::Reading(Reading::Pd { stage, distance, binocular, right, left }))
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

    fn one(line: &str) -> std::result::Result<Parsed, ErrorKind> {
        reading(line, Instrument::Refractor)
    }

    fn kept(line: &str) -> Reading {
        match one(line) {
            Ok(Parsed::Reading(r)) => r,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    /// A power from hundredths of a dioptre, as the device writes it.
    fn p(hundredths: i32) -> Power {
        Power::from_hundredths(hundredths).unwrap()
    }

    #[test]
    fn fixed_width_refraction_lines() {
        assert_eq!(
            kept("FR+10.00- 5.00 90"),
            Reading::Refraction {
                stage: Stage::Final,
                distance: Distance::Far,
                eye: Eye::Right,
                sphere: Some(p(1000)),
                cylinder: Some(p(-500)),
                axis: Some(90),
            }
        );
        let Reading::Refraction { sphere, cylinder, axis, .. } = kept("fL- 0.25  0.00  0") else { panic!() };
        assert_eq!((sphere, cylinder, axis), (Some(p(-25)), None, None), "zero cylinder drops the axis");
        let Reading::Refraction { cylinder, axis, .. } = kept("OR+ 1.00- 0.50  0") else { panic!() };
        assert_eq!((cylinder, axis), (Some(p(-50)), Some(180)), "axis 0 is 180");
        let Reading::Refraction { sphere, cylinder, .. } = kept("NR+ 2.50") else { panic!() };
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
        assert_eq!(err("vx 1.0"), "code: eye letter 'x' is not R, L or B");
        assert_eq!(err("F"), "code: eye letter ' ' is not R, L or B");
        assert_eq!(err("FR 1.00"), "sphere: \" 1.00\" has no sign");
        assert_eq!(err("AR- 1.00"), "add: -1.00 is not positive");
        assert_eq!(err("FR+ 1.10"), "sphere: \"+ 1.10\" is not in 0.125 D steps");
        assert_eq!(err("VR 6/x"), "acuity: \"6/x\" is not decimal (1.0) or Snellen (6/6)");
        assert_eq!(err("PD64.0 32.0"), "PD: a right PD without a left one");
        assert_eq!(err("NP60.5 30.0 3O.5"), "left near PD: \"3O.5\" is not a number 20–45");
    }

    #[test]
    fn unknown_codes_are_told_apart_from_known_ones() {
        for line in ["QR+10.00", "XY 12.5", "KM 12.34", "PX64.0", "WX40", "X", "R- 1.00"] {
            assert_eq!(one(line), Ok(Parsed::Unknown), "{line:?}");
        }
        assert_eq!(one("TT 005"), Ok(Parsed::Nothing));
        assert_eq!(one("tt 005"), Ok(Parsed::Nothing));
        assert_eq!(reading(" R- 1.00", Instrument::Lensmeter).map(|_| ()), Ok(()));
    }

    #[test]
    fn an_eighth_step_reads_as_written_two_ways() {
        for line in ["FR+ 1.12- 0.37 90", "FR+ 1.13- 0.38 90"] {
            let Reading::Refraction { sphere, cylinder, .. } = kept(line) else { panic!() };
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
            kept("VR 6/6"),
            Reading::Acuity { stage: Stage::Final, corrected: true, eye: Eye::Right, decimal: 1.0 }
        );
        assert_eq!(
            kept("uL20/40"),
            Reading::Acuity { stage: Stage::Subjective, corrected: false, eye: Eye::Left, decimal: 0.5 }
        );
        assert_eq!(
            kept("PD64.0 32.5 31.5"),
            Reading::Pd {
                stage: Stage::Final,
                distance: Distance::Far,
                binocular: Some(64.0),
                right: Some(32.5),
                left: Some(31.5)
            }
        );
        assert_eq!(
            kept("pD63.0        "),
            Reading::Pd {
                stage: Stage::Subjective,
                distance: Distance::Far,
                binocular: Some(63.0),
                right: None,
                left: None
            }
        );
        assert_eq!(
            kept("Np60.5 30.0 30.5"),
            Reading::Pd {
                stage: Stage::Final,
                distance: Distance::Near,
                binocular: Some(60.5),
                right: Some(30.0),
                left: Some(30.5)
            }
        );
        assert_eq!(kept("WD35"), Reading::WorkingDistance(35.0));
        assert_eq!(kept("wd40"), Reading::WorkingDistance(40.0));
    }

    #[test]
    fn case_is_read_as_the_stage_only_where_it_means_one() {
        let stage_and_eye = |line: &str, instrument| match reading(line, instrument) {
            Ok(Parsed::Reading(Reading::Refraction { stage, eye, .. })) => (stage, eye),
            Ok(Parsed::Reading(Reading::Pd { stage, .. })) => (stage, Eye::Both),
            other => panic!("{line:?}: {other:?}"),
        };
        let rt = Instrument::Refractor;
        assert_eq!(stage_and_eye("Fl+ 1.00", rt), (Stage::Final, Eye::Left));
        assert_eq!(stage_and_eye("fr+ 1.00", rt), (Stage::Subjective, Eye::Right));
        assert_eq!(stage_and_eye("nb+ 1.00", rt), (Stage::Subjective, Eye::Both));
        assert_eq!(stage_and_eye("or+ 1.00", rt), (Stage::Objective, Eye::Right), "O is objective in @RT");
        assert_eq!(stage_and_eye("Pd64.0", rt), (Stage::Final, Eye::Both));
        assert_eq!(stage_and_eye("pd64.0", rt), (Stage::Subjective, Eye::Both));
        assert_eq!(stage_and_eye("nP60.0", rt), (Stage::Subjective, Eye::Both));
        assert_eq!(stage_and_eye("PD64.0", Instrument::Autorefractor), (Stage::Objective, Eye::Both));
        assert_eq!(stage_and_eye("fR+ 1.00", Instrument::Lensmeter), (Stage::Lensmeter, Eye::Right));
        assert_eq!(stage_and_eye(" l+ 1.00", Instrument::Lensmeter), (Stage::Lensmeter, Eye::Left));
        let Reading::Add { stage, eye, .. } = kept("Al+ 2.00") else { panic!() };
        assert_eq!((stage, eye), (Stage::Final, Eye::Left));
    }

    #[test]
    fn unknown_lines_and_blocks_are_warned_about_and_the_rest_kept() {
        let out = parse(b"\x02@rt\rFR+ 1.00\rXY 12.5  \r\x02@KM\rKR 43.25\r\rKL 43.50\r\x02@Rm\rOR- 0.50\r")
            .unwrap();
        let blocks: Vec<(Instrument, Vec<usize>)> =
            out.blocks.iter().map(|b| (b.instrument, b.lines.iter().map(|l| l.number).collect())).collect();
        assert_eq!(blocks, [(Instrument::Refractor, vec![2]), (Instrument::Autorefractor, vec![9])]);
        assert_eq!(
            out.warnings,
            [
                r#"line 3: unknown code "XY" ("XY 12.5"), skipped"#,
                "line 4: unknown block @KM, its lines skipped",
                r#"line 5: "KR 43.25" is in unknown block @KM, skipped"#,
                r#"line 7: "KL 43.50" is in unknown block @KM, skipped"#,
            ]
        );
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
        let err = parse(b"\x02@KM\r\x01NIDEK RT-5100\r").unwrap_err();
        assert_eq!(err.to_string(), "line 2: a second SOH header", "after an unknown block too");
        let err = parse(b"\x02@RT\rFR+ 1.00\x07\r").unwrap_err();
        assert_eq!(err.to_string(), "line 2: byte 0x07 is not printable ASCII");
        let err = parse(b"\x02@KM\rKR 4\xB3.25\r").unwrap_err();
        assert_eq!(err.to_string(), "line 2: byte 0xB3 is not printable ASCII", "damage in an unknown block");
    }

    #[test]
    fn headers_give_model_and_date() {
        let h = header("NIDEK RT-5100 ID             DA2016/ 5/23");
        assert_eq!((h.model.as_deref(), h.date.as_deref()), (Some("RT-5100"), Some("2016-05-23")));
        let h = header("NIDEK RT-5100 ID");
        assert_eq!(h.date, None);
    }
}
