//! Voucher bands (GOS 3) from a spectacle prescription.
//!
//! Two points DOMAIN.md leaves open are decided here (and in the README):
//!
//! - **Which cylinder form "sphere" is read in.** Neither: the sphere is the power of the
//!   meridian with the greatest magnitude, `max(|S|, |S + C|)`, which is the sphere of whichever
//!   form (plus or minus cylinder) has the larger sphere. The cylinder is `|C|`, the same in both
//!   forms. So a prescription gets the same band however it was written: `+5.00/+2.00×90` and its
//!   transposition `+7.00/−2.00×180` are both read as sphere 7.00, cylinder 2.00 (band B). It is
//!   also how complex lenses are defined (10.00 D or more in any meridian).
//! - **The overlap at exactly 10.00 D.** A sphere of exactly 10.00 is band C (G), not B (F): B is
//!   `6 < sph < 10`, C is `10 ≤ sph ≤ 14`, matching the complex-lens threshold.
//!
//! Single vision: A `sph ≤ 6 and cyl ≤ 2`; B `6 < sph < 10 and cyl ≤ 6`, or `sph ≤ 6 and
//! 2 < cyl ≤ 6`; C `10 ≤ sph ≤ 14 and cyl ≤ 6`; D `sph > 14 or cyl > 6`. Bifocals and
//! varifocals: E–H in the same places. Both eyes: the higher band. Band I: glasses the hospital
//! eye service prescribes that fall outside A–H.

use std::fmt;

pub use ils_optics::Power;
use serde::{Deserialize, Deserializer, Serialize};

/// The largest power magnitude accepted (a lab refuses implausible powers).
const MAX_POWER: Power = Power::from_eighths(40 * 8);

/// `power` if it is plausible (|P| ≤ 40.00 D), else `None`.
pub fn plausible(power: Power) -> Option<Power> {
    (power.abs() <= MAX_POWER).then_some(power)
}

/// A power from JSON dioptres, as a number or signed text: at most two decimals, in quarter
/// steps or the eighth steps some labs accept (written .12/.37/.62/.87), within ±40.00.
fn from_dioptres(d: f64) -> Option<Power> {
    if !d.is_finite() || d.abs() > 40.0 {
        return None;
    }
    let h = (d * 100.0).round();
    if (d * 100.0 - h).abs() > 1e-6
        || ![0.0, 12.0, 25.0, 37.0, 50.0, 62.0, 75.0, 87.0].contains(&(h.abs() % 100.0))
    {
        return None;
    }
    // `h` is within ±4000 here, so the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    Power::from_hundredths(h as i32).and_then(plausible)
}

/// Reads a power as [`from_dioptres`] does: `-1.25`, `"-1.25"`, `"+0.12"`.
fn read_power<'de, D: Deserializer<'de>>(d: D) -> Result<Power, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    let value = match Raw::deserialize(d)? {
        Raw::Number(n) => Some(n),
        Raw::Text(t) => t.trim().replace('−', "-").parse::<f64>().ok(),
    };
    value.and_then(from_dioptres).ok_or_else(|| {
        serde::de::Error::custom(
            "a power is dioptres with at most two decimals, within ±40.00, such as -1.25",
        )
    })
}

/// [`read_power`] for an optional power (`null` is none).
fn read_optional_power<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Power>, D::Error> {
    #[derive(Deserialize)]
    struct Read(#[serde(deserialize_with = "read_power")] Power);
    Ok(Option::<Read>::deserialize(d)?.map(|Read(p)| p))
}

/// Powers where the bands change.
const TWO: Power = Power::from_eighths(2 * 8);
const SIX: Power = Power::from_eighths(6 * 8);
const TEN: Power = Power::from_eighths(10 * 8);
const FOURTEEN: Power = Power::from_eighths(14 * 8);

/// One eye of a spectacle prescription, as far as bands need it. Deserialising checks it: a
/// cylinder needs an axis 1–180 (an entered 0 becomes 180), an axis needs a cylinder.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawEye")]
pub struct Eye {
    /// Sphere, as written.
    pub sphere: Power,
    /// Cylinder, as written, in either form.
    #[serde(default)]
    pub cylinder: Power,
    /// Axis (not used for the band; accepted so a prescription can be pasted whole).
    #[serde(default)]
    pub axis: Option<u16>,
    /// Prism in this lens, in prism dioptres (any base); a prismatic lens earns a supplement.
    #[serde(default)]
    pub prism: Option<f64>,
    /// Reading addition (not used for the band).
    #[serde(default)]
    pub add: Option<Power>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEye {
    #[serde(deserialize_with = "read_power")]
    sphere: Power,
    #[serde(default, deserialize_with = "read_power")]
    cylinder: Power,
    #[serde(default)]
    axis: Option<u16>,
    #[serde(default)]
    prism: Option<f64>,
    #[serde(default, deserialize_with = "read_optional_power")]
    add: Option<Power>,
}

impl TryFrom<RawEye> for Eye {
    type Error = String;
    fn try_from(raw: RawEye) -> Result<Self, String> {
        let axis = match (raw.cylinder.eighths(), raw.axis) {
            (0, Some(_)) => {
                return Err("an axis without a cylinder: enter the cylinder, or remove the axis".into());
            }
            (0, None) => None,
            (_, None) => return Err("a cylinder needs an axis (1 to 180)".into()),
            (_, Some(0)) => Some(180),
            (_, Some(a @ 1..=180)) => Some(a),
            (_, Some(a)) => return Err(format!("axis {a} is outside 1 to 180")),
        };
        if let Some(p) = raw.prism
            && !(p.is_finite() && (0.0..=30.0).contains(&p))
        {
            return Err(format!("prism {p} is outside 0 to 30 prism dioptres"));
        }
        Ok(Eye { sphere: raw.sphere, cylinder: raw.cylinder, axis, prism: raw.prism, add: raw.add })
    }
}

impl Eye {
    /// The sphere as read for banding: the magnitude of the meridian of greatest magnitude.
    pub fn sphere_read(&self) -> Power {
        self.sphere.abs().max((self.sphere + self.cylinder).abs())
    }

    /// The cylinder magnitude.
    pub fn cylinder_read(&self) -> Power {
        self.cylinder.abs()
    }

    /// Whether the lens has prism.
    pub fn has_prism(&self) -> bool {
        self.prism.is_some_and(|p| p.is_finite() && p > 0.0)
    }

    /// The single-vision band of this lens.
    pub fn band(&self) -> Band {
        let (sph, cyl) = (self.sphere_read(), self.cylinder_read());
        if sph > FOURTEEN || cyl > SIX {
            Band::D
        } else if sph >= TEN {
            Band::C
        } else if sph <= SIX && cyl <= TWO {
            Band::A
        } else {
            Band::B
        }
    }

    /// Whether this lens is complex: 10.00 D or more in any meridian.
    pub fn is_complex(&self) -> bool {
        self.sphere_read() >= TEN
    }
}

/// What kind of lenses are supplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LensType {
    /// Single vision (also contact lenses).
    #[default]
    SingleVision,
    /// Bifocal (also trifocal): bands E–H.
    Bifocal,
    /// Varifocal: counts as bifocal.
    Varifocal,
}

/// A voucher band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Band {
    /// Single vision, lowest powers.
    A,
    /// Single vision.
    B,
    /// Single vision, 10–14 D.
    C,
    /// Single vision, highest powers.
    D,
    /// Bifocal/varifocal, lowest powers.
    E,
    /// Bifocal/varifocal.
    F,
    /// Bifocal/varifocal, 10–14 D.
    G,
    /// Bifocal/varifocal, highest powers.
    H,
    /// Hospital eye service glasses outside A–H.
    I,
}

impl Band {
    /// Every band.
    pub const ALL: [Band; 9] =
        [Band::A, Band::B, Band::C, Band::D, Band::E, Band::F, Band::G, Band::H, Band::I];

    /// The bifocal band in the same place (A → E …); others unchanged.
    pub fn bifocal(self) -> Band {
        match self {
            Band::A => Band::E,
            Band::B => Band::F,
            Band::C => Band::G,
            Band::D => Band::H,
            other => other,
        }
    }

    /// Whether the band is single vision (A–D).
    pub fn is_single_vision(self) -> bool {
        matches!(self, Band::A | Band::B | Band::C | Band::D)
    }

    /// The band's letter.
    pub fn letter(self) -> &'static str {
        match self {
            Band::A => "A",
            Band::B => "B",
            Band::C => "C",
            Band::D => "D",
            Band::E => "E",
            Band::F => "F",
            Band::G => "G",
            Band::H => "H",
            Band::I => "I",
        }
    }

    /// The band for a letter.
    pub fn from_letter(s: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|b| b.letter().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

/// What the band calculation needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandRequest {
    /// Right eye.
    pub right: Eye,
    /// Left eye.
    pub left: Eye,
    /// Lens type.
    #[serde(default)]
    pub lens_type: LensType,
    /// Tinted lenses (a supplement when clinically needed).
    #[serde(default)]
    pub tint: bool,
    /// Glasses the hospital eye service prescribed that fall outside A–H (band I).
    #[serde(default)]
    pub hospital_eye_service: bool,
}

/// One eye as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EyeReading {
    /// The sphere read (magnitude of the strongest meridian).
    #[serde(deserialize_with = "read_power")]
    pub sphere: Power,
    /// The cylinder read (magnitude).
    #[serde(deserialize_with = "read_power")]
    pub cylinder: Power,
    /// This lens's band.
    pub band: Band,
}

/// The band, and what earns supplements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandResult {
    /// The voucher band.
    pub band: Band,
    /// The lens type.
    pub lens_type: LensType,
    /// Right eye as read.
    pub right: EyeReading,
    /// Left eye as read.
    pub left: EyeReading,
    /// Either lens is complex (10.00 D or more in a meridian).
    pub complex_lenses: bool,
    /// Lenses with prism (each earns the prism supplement).
    pub prism_lenses: u8,
    /// A tint supplement applies.
    pub tint: bool,
    /// How the band was reached, in words.
    pub explanation: String,
}

fn reading(eye: &Eye) -> EyeReading {
    EyeReading { sphere: eye.sphere_read(), cylinder: eye.cylinder_read(), band: eye.band() }
}

/// The band of a pair of glasses.
pub fn calculate(req: &BandRequest) -> BandResult {
    let (right, left) = (reading(&req.right), reading(&req.left));
    let single = right.band.max(left.band);
    let multifocal = matches!(req.lens_type, LensType::Bifocal | LensType::Varifocal);
    let band = if req.hospital_eye_service {
        Band::I
    } else if multifocal {
        single.bifocal()
    } else {
        single
    };
    let explanation = if req.hospital_eye_service {
        "Hospital eye service glasses outside bands A–H: band I.".to_string()
    } else {
        format!(
            "Right reads sphere {} cylinder {} (band {}), left sphere {} cylinder {} (band {}); the higher \
             is {single}{}.",
            magnitude(right.sphere),
            magnitude(right.cylinder),
            right.band,
            magnitude(left.sphere),
            magnitude(left.cylinder),
            left.band,
            if multifocal { format!(", which for bifocals and varifocals is {band}") } else { String::new() }
        )
    };
    BandResult {
        band,
        lens_type: req.lens_type,
        complex_lenses: req.right.is_complex() || req.left.is_complex(),
        prism_lenses: u8::from(req.right.has_prism()) + u8::from(req.left.has_prism()),
        tint: req.tint,
        right,
        left,
        explanation,
    }
}

/// A power's magnitude without its sign: `7.00`.
fn magnitude(p: Power) -> String {
    p.abs().to_string().trim_start_matches('+').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An eye from hundredths of a dioptre, as the rules are written.
    fn eye(sph: i32, cyl: i32) -> Eye {
        let p = |h| Power::from_hundredths(h).unwrap();
        Eye { sphere: p(sph), cylinder: p(cyl), ..Eye::default() }
    }

    fn band(sph: i32, cyl: i32) -> Band {
        eye(sph, cyl).band()
    }

    #[test]
    fn sphere_edges_at_6_10_and_14() {
        assert_eq!(band(600, 0), Band::A);
        assert_eq!(band(-600, 0), Band::A, "magnitude");
        assert_eq!(band(625, 0), Band::B);
        assert_eq!(band(975, 0), Band::B);
        assert_eq!(band(1000, 0), Band::C, "10.00 exactly is C (decided)");
        assert_eq!(band(-1000, 0), Band::C);
        assert_eq!(band(1400, 0), Band::C);
        assert_eq!(band(1425, 0), Band::D);
        assert_eq!(band(-1425, 0), Band::D);
    }

    #[test]
    fn cylinder_edges_at_2_and_6() {
        // Minus-cylinder form with a plano sphere: the strongest meridian equals the cylinder.
        assert_eq!(band(0, -200), Band::A);
        assert_eq!(band(0, -225), Band::B);
        assert_eq!(band(0, -600), Band::B);
        assert_eq!(band(0, -625), Band::D);
        // Cylinder above 2 with sphere at 6 reads sphere 6 only if the cylinder points the other way.
        assert_eq!(band(-600, 225), Band::B);
        assert_eq!(band(1000, -600), Band::C, "C allows a cylinder up to 6");
        assert_eq!(band(1000, -625), Band::D);
    }

    #[test]
    fn both_cylinder_forms_give_the_same_band() {
        // (minus-cylinder form, the same lens in plus-cylinder form, band)
        let cases = [
            ((700, -200), (500, 200), Band::B),   // plus form alone would read 5.00: A
            ((600, -200), (400, 200), Band::A),   // 6.00 edge in both forms
            ((-400, -200), (-600, 200), Band::A), // minus form alone would read 4.00
            ((-425, -200), (-625, 200), Band::B),
            ((1000, -100), (900, 100), Band::C), // the 10.00 edge: plus form alone would be B
            ((-975, -25), (-1000, 25), Band::C),
            ((1400, -200), (1200, 200), Band::C), // 14.00 edge
            ((-1200, -225), (-1425, 225), Band::D),
        ];
        for ((s1, c1), (s2, c2), want) in cases {
            assert_eq!(band(s1, c1), want, "{s1}/{c1}");
            assert_eq!(band(s2, c2), want, "{s2}/{c2}");
        }
    }

    #[test]
    fn the_higher_eye_decides_and_multifocals_move_to_e_to_h() {
        let mut req = BandRequest { right: eye(-200, -50), left: eye(-1050, 0), ..BandRequest::default() };
        let r = calculate(&req);
        assert_eq!((r.right.band, r.left.band, r.band), (Band::A, Band::C, Band::C));
        assert!(r.complex_lenses);
        req.lens_type = LensType::Varifocal;
        assert_eq!(calculate(&req).band, Band::G);
        req.lens_type = LensType::Bifocal;
        assert_eq!(calculate(&req).band, Band::G);
        for (sv, bi) in [(Band::A, Band::E), (Band::B, Band::F), (Band::C, Band::G), (Band::D, Band::H)] {
            assert_eq!(sv.bifocal(), bi);
        }
        assert_eq!(Band::I.bifocal(), Band::I);
    }

    #[test]
    fn hospital_eye_service_is_band_i() {
        let req = BandRequest {
            right: eye(100, 0),
            left: eye(100, 0),
            hospital_eye_service: true,
            ..BandRequest::default()
        };
        assert_eq!(calculate(&req).band, Band::I);
    }

    #[test]
    fn prism_and_tint_are_counted() {
        let mut right = eye(100, 0);
        right.prism = Some(1.5);
        let mut left = eye(100, 0);
        left.prism = Some(0.0);
        let r = calculate(&BandRequest { right, left, tint: true, ..BandRequest::default() });
        assert_eq!((r.prism_lenses, r.tint), (1, true));
        left.prism = Some(2.0);
        assert_eq!(calculate(&BandRequest { right, left, ..BandRequest::default() }).prism_lenses, 2);
    }

    #[test]
    fn powers_parse_from_numbers_and_signed_text() {
        let e: Eye = serde_json::from_str(r#"{"sphere": "-1.25", "cylinder": -0.5, "axis": 90}"#).unwrap();
        assert_eq!((e.sphere.hundredths(), e.cylinder.hundredths()), (-125, -50));
        let e: Eye = serde_json::from_str(r#"{"sphere": "+0.12", "add": "+2.00"}"#).unwrap();
        assert_eq!((e.sphere, e.add), (Power::from_eighths(1), Some(Power::from_eighths(16))));
        for bad in [
            r#"{"sphere": 50}"#,
            r#"{"sphere": "abc"}"#,
            r#"{"sphere": 1.125}"#,
            r#"{"sphere": 1e308}"#,
            r#"{"sphere": 1, "x": 1}"#,
            r#"{"sphere": "+0.13"}"#,
            r#"{"sphere": 40.25}"#,
            r#"{"sphere": 1, "add": "x"}"#,
        ] {
            assert!(serde_json::from_str::<Eye>(bad).is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_value(e).unwrap()["sphere"], "+0.12");
    }

    #[test]
    fn the_explanation_names_each_eye() {
        let r = calculate(&BandRequest {
            right: eye(700, -200),
            left: eye(100, 0),
            lens_type: LensType::Bifocal,
            ..BandRequest::default()
        });
        assert_eq!(
            r.explanation,
            "Right reads sphere 7.00 cylinder 2.00 (band B), left sphere 1.00 cylinder 0.00 (band A); the higher is B, which for bifocals and varifocals is F."
        );
    }
}
