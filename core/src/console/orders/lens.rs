//! The order form's lens suggestion (docs/adr/032): the `lens` kind asked with what the form
//! already has — the chosen prescription, the frame's A and DBL, the PDs, the patient's age — and
//! its answers shown beside the lens choice, each with a "Use this" that fills in the form's
//! design, material and index. Every round trip shows the form again exactly as it was typed.
//!
//! A pair is made in one material, and the eye that needs the most power decides it: the lens
//! is asked for the stronger eye by its strongest principal meridian (the right on a tie), the
//! meridian the material rule reads.

use serde_json::{Map, Value, json};

use super::OrderForm;
use crate::console::recommendations::{figure, figure_rows, said};
use crate::console::session::Viewer;
use crate::state::AppState;
use ils_clinical::patients::Patient;
use ils_clinical::prescriptions::Prescription;
use ils_clinical::rx::{CylinderForm, Eye, EyeRx, Power};
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_orders::{LensType, Material};
use ils_outbox::UnitOfWork;
use ils_plugin_host::recommend::{Enabled, Suggested};
use ils_storage::ids::PrescriptionId;

/// The lens an order records, as a suggestion gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LensChoice {
    pub lens_type: LensType,
    pub material: Material,
    pub index: f64,
}

impl LensChoice {
    /// Read from a suggestion: the index from its `refractive index` figure; the material that is
    /// made in that index (the resin its title names, where it names one); the design from its
    /// title. `None` when the suggestion does not say all three (a second pair's note, say).
    pub fn of(s: &Suggested) -> Option<Self> {
        let index = figure(s, "refractive index")?;
        let title = s.recommendation.title.to_lowercase();
        let thousandths = (index * 1000.0).round();
        let made_in = |m: &Material| m.indices().iter().any(|i| f64::from(*i) == thousandths);
        let named = [Material::Trivex, Material::Polycarbonate, Material::Glass]
            .into_iter()
            .find(|m| title.contains(&m.as_str().replace('_', " ")));
        let material = match named {
            Some(m) => Some(m).filter(made_in),
            // Glass only when named: a resin is what an index alone means today.
            None => [Material::Plastic, Material::Trivex, Material::Polycarbonate, Material::HighIndex]
                .into_iter()
                .find(made_in),
        }?;
        let lens_type = [
            ("occupational", LensType::Occupational),
            ("progressive", LensType::Progressive),
            ("trifocal", LensType::Trifocal),
            ("bifocal", LensType::Bifocal),
            ("single vision", LensType::SingleVision),
        ]
        .into_iter()
        .find(|(words, _)| title.contains(words))
        .map(|(_, t)| t)?;
        Some(Self { lens_type, material, index: thousandths / 1000.0 })
    }

    /// As the "Use this" button sends it back: `high_index 1.67 single_vision`.
    pub fn token(&self) -> String {
        format!("{} {} {}", self.material.as_str(), self.index, self.lens_type.as_str())
    }

    /// A token from [`LensChoice::token`]; `None` for anything else.
    pub fn parse(token: &str) -> Option<Self> {
        let mut parts = token.split_whitespace();
        let material = parts.next().and_then(|m| Material::ALL.iter().find(|x| x.as_str() == m))?;
        let index: f64 = parts.next()?.parse().ok().filter(|i: &f64| i.is_finite())?;
        let lens_type = parts.next().and_then(|t| LensType::ALL.iter().find(|x| x.as_str() == t))?;
        parts.next().is_none().then_some(Self { lens_type: *lens_type, material: *material, index })
    }

    /// Fills in the form's design, material and index; every other field stays as typed.
    pub fn fill(&self, form: &mut OrderForm) {
        form.lens_type = self.lens_type.as_str().to_owned();
        form.material = self.material.as_str().to_owned();
        form.index = self.index.to_string();
    }

    /// Whether the form's lens is this one.
    pub fn is_in(&self, form: &OrderForm) -> bool {
        form.lens_type == self.lens_type.as_str()
            && form.material == self.material.as_str()
            && form.index.trim().parse::<f64>().is_ok_and(|i| (i - self.index).abs() < 0.0005)
    }
}

/// The strongest principal meridian of one eye, in hundredths of a dioptre, unsigned: the sphere
/// and sphere + cylinder in minus-cylinder form, the larger in magnitude.
fn strongest(rx: &EyeRx) -> (i32, Power) {
    let rx = rx.in_form(CylinderForm::Minus);
    let sphere = rx.sphere();
    let other = rx.cylinder().map_or(sphere, |(c, _)| sphere + c);
    [sphere, other]
        .into_iter()
        .map(|p| (p.hundredths().abs(), p))
        .max_by_key(|(h, _)| *h)
        .unwrap_or((0, sphere))
}

/// The eye the pair's lens is asked for: the stronger by its strongest meridian, the right on a
/// tie; with that meridian's power.
pub(crate) fn deciding_eye(right: &EyeRx, left: &EyeRx) -> (Eye, Power) {
    let (r, l) = (strongest(right), strongest(left));
    if l.0 > r.0 { (Eye::Left, l.1) } else { (Eye::Right, r.1) }
}

/// A field the suggestion needs and the form lacks: its id (to link to it) and its label.
pub(crate) type Needed = (&'static str, &'static str);

/// What the `lens` kind is asked.
#[derive(Debug, PartialEq)]
pub(crate) struct Question {
    /// The eye asked for.
    pub eye: Eye,
    /// Its strongest principal meridian.
    pub strongest: Power,
    rx: EyeRx,
    age_years: u8,
    pd_mm: f64,
    eye_size_mm: f64,
    bridge_mm: f64,
    /// An occupational design already chosen means desk use.
    desk: bool,
}

fn millimetres(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
}

impl Question {
    /// The question from the form as typed, the prescription it names and the patient's age;
    /// or the fields it still needs. A PD left blank on the form is the prescription's.
    pub fn of(form: &OrderForm, rx: &Prescription, age_years: u8) -> Result<Self, Vec<Needed>> {
        let mut needed = Vec::new();
        let mut take = |text: &str, stored: Option<u16>, need: Needed| {
            let v = millimetres(text).or_else(|| stored.map(|t| f64::from(t) / 10.0));
            if v.is_none() {
                needed.push(need);
            }
            v.unwrap_or_default()
        };
        let eye_size_mm = take(&form.a_mm, None, ("frame.a_mm", "A, mm"));
        let bridge_mm = take(&form.dbl_mm, None, ("frame.dbl_mm", "DBL, mm"));
        let right_pd = take(&form.pd_right_mm, rx.pd.0, ("measurements.pd_right_mm", "Right PD, mm"));
        let left_pd = take(&form.pd_left_mm, rx.pd.1, ("measurements.pd_left_mm", "Left PD, mm"));
        if !needed.is_empty() {
            return Err(needed);
        }
        let (eye, strongest) = deciding_eye(&rx.right, &rx.left);
        Ok(Self {
            eye,
            strongest,
            rx: if eye == Eye::Left { rx.left } else { rx.right },
            age_years,
            pd_mm: right_pd + left_pd,
            eye_size_mm,
            bridge_mm,
            desk: form.lens_type == LensType::Occupational.as_str(),
        })
    }

    /// The `lens` input: one eye's powers at the top level, the age, the binocular PD, the frame.
    pub fn input(&self) -> Value {
        let mut input = Map::new();
        input.insert("sphere".into(), json!(self.rx.sphere()));
        if let Some((cylinder, axis)) = self.rx.cylinder() {
            input.insert("cylinder".into(), json!(cylinder));
            input.insert("axis".into(), json!(axis.degrees()));
        }
        if let Some(add) = self.rx.add() {
            input.insert("add".into(), json!(add));
        }
        input.insert("age_years".into(), json!(self.age_years));
        input.insert("pd_mm".into(), json!(self.pd_mm));
        input.insert("frame".into(), json!({ "eye_size_mm": self.eye_size_mm, "bridge_mm": self.bridge_mm }));
        if self.desk {
            input.insert("main_use".into(), json!("desk"));
        }
        Value::Object(input)
    }
}

/// One suggestion as the form shows it.
#[derive(Debug)]
pub(crate) struct Shown {
    pub title: String,
    pub explanation: String,
    pub figures: Vec<(String, String)>,
    pub plugin_name: String,
    /// What "Use this" fills in; `None` when the suggestion does not name a whole lens.
    pub choice: Option<LensChoice>,
}

/// The suggestion part of the order form.
#[derive(Debug, Default)]
pub(crate) enum Panel {
    /// No recommender gives `lens` to the viewer: nothing is shown.
    #[default]
    Hidden,
    /// The button, nothing asked yet.
    Offered,
    /// The fields a suggestion needs that the form lacks.
    Needs(Vec<Needed>),
    /// The recommenders did not answer, or refused the question: why, in words.
    Unavailable(String),
    /// The answers, for the eye that decides the pair.
    Found { eye: Eye, strongest: Power, shown: Vec<Shown> },
}

impl Panel {
    /// Whether the form offers a suggestion at all.
    pub fn offered(&self) -> bool {
        !matches!(self, Panel::Hidden)
    }

    /// The fields still needed, if that is the answer.
    pub fn needs(&self) -> &[Needed] {
        match self {
            Panel::Needs(needed) => needed,
            _ => &[],
        }
    }

    /// Why there is no suggestion, if the recommenders said.
    pub fn unavailable(&self) -> Option<&str> {
        match self {
            Panel::Unavailable(why) => Some(why),
            _ => None,
        }
    }

    /// The suggestions, if any were asked for.
    pub fn shown(&self) -> Option<&[Shown]> {
        match self {
            Panel::Found { shown, .. } => Some(shown),
            _ => None,
        }
    }

    /// Which eye the suggestion is for, in words.
    pub fn basis(&self) -> String {
        match self {
            Panel::Found { eye, strongest, .. } => {
                let side = if *eye == Eye::Left { "left" } else { "right" };
                format!(
                    "For the {side} eye, whose strongest meridian ({strongest} D) is the stronger of the two: \
                     a pair is made in one material, and this eye decides it."
                )
            }
            _ => String::new(),
        }
    }
}

/// The panel a form starts with: offered when a recommender gives `lens` to the viewer. A
/// failure to read the recommenders hides it; the form works without it.
pub(crate) fn offered(enabled: Option<&Enabled>) -> Panel {
    if enabled.is_some_and(|e| e.gives("lens")) { Panel::Offered } else { Panel::Hidden }
}

/// The prescription the form names, if it is this patient's (the read is audited, as the API's).
async fn prescription(
    state: &AppState,
    viewer: &Viewer,
    form: &OrderForm,
    patient: &Patient,
) -> Result<Option<Prescription>, Error> {
    let Ok(id) = form.prescription_id.trim().parse::<PrescriptionId>() else { return Ok(None) };
    let ctx = viewer.principal.tenant(Action::PatientsRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let rx = match ils_clinical::prescriptions::read(&mut uow, id).await {
        Ok(rx) => rx,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    uow.commit().await?;
    Ok((rx.patient_id == patient.id).then_some(rx))
}

/// The panel with the suggestions for the form as typed, asked of `enabled`'s recommenders.
pub(crate) async fn suggest(
    state: &AppState,
    viewer: &Viewer,
    enabled: &Enabled,
    form: &OrderForm,
    patient: &Patient,
) -> Panel {
    if !enabled.gives("lens") {
        return Panel::Hidden;
    }
    let rx = match prescription(state, viewer, form, patient).await {
        Ok(Some(rx)) => rx,
        Ok(None) => return Panel::Needs(vec![("prescription_id", "Prescription")]),
        Err(e) => return Panel::Unavailable(said(&e)),
    };
    let age = ils_clinical::retention::age_on(patient.date_of_birth, ils_clinical::today());
    let age = u8::try_from(age.max(0)).unwrap_or(u8::MAX);
    let question = match Question::of(form, &rx, age) {
        Ok(q) => q,
        Err(needed) => return Panel::Needs(needed),
    };
    match enabled.gather("lens", question.input()).await {
        Ok(found) => Panel::Found {
            eye: question.eye,
            strongest: question.strongest,
            shown: found
                .recommendations
                .iter()
                .map(|s| Shown {
                    title: s.recommendation.title.clone(),
                    explanation: s.recommendation.explanation.clone(),
                    figures: figure_rows(s),
                    plugin_name: s.plugin_name.clone(),
                    choice: LensChoice::of(s),
                })
                .collect(),
        },
        Err(e) => Panel::Unavailable(said(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ils_clinical::prescriptions::RxKind;
    use ils_clinical::rx::{Prism, Steps};
    use ils_records::{Figure, Recommendation};

    fn eye(eye: Eye, sphere: &str, cylinder: Option<(&str, i64)>) -> EyeRx {
        EyeRx::new(
            eye,
            sphere,
            cylinder.map(|c| c.0),
            cylinder.map(|c| c.1),
            None,
            Prism::default(),
            Steps::Quarter,
        )
        .unwrap()
    }

    fn suggested(title: &str, index: Option<f64>) -> Suggested {
        Suggested {
            plugin_id: "recommendations".into(),
            plugin_name: "Recommendations".into(),
            recommendation: Recommendation {
                subject: String::new(),
                title: title.into(),
                score: 0.9,
                explanation: String::new(),
                figures: index.map(|i| Figure::new("refractive index", i, "")).into_iter().collect(),
                action: None,
            },
        }
    }

    #[test]
    fn the_stronger_eye_by_its_strongest_meridian_decides_and_the_right_wins_a_tie() {
        // Left -4.00/-2.50: meridians -4.00 and -6.50; right -5.00 DS.
        let (right, left) = (eye(Eye::Right, "-5.00", None), eye(Eye::Left, "-4.00", Some(("-2.50", 90))));
        assert_eq!(
            deciding_eye(&right, &left),
            (Eye::Left, Power::parse("p", "-6.50", Steps::Quarter).unwrap())
        );
        // Written in plus-cylinder form the same eye is just as strong.
        let plus = eye(Eye::Left, "-6.50", Some(("+2.50", 180)));
        assert_eq!(deciding_eye(&right, &plus).0, Eye::Left);
        // A plus eye counts by magnitude; equal magnitudes go to the right.
        assert_eq!(
            deciding_eye(&eye(Eye::Right, "+3.00", None), &eye(Eye::Left, "-3.00", None)).0,
            Eye::Right
        );
        assert_eq!(
            deciding_eye(&eye(Eye::Right, "+1.00", None), &eye(Eye::Left, "-3.00", None)).0,
            Eye::Left
        );
    }

    #[test]
    fn a_suggestion_becomes_the_orders_design_material_and_index() {
        let choice = |title: &str, index: f64| LensChoice::of(&suggested(title, Some(index)));
        let high = choice("1.67 aspheric single vision", 1.67).unwrap();
        assert_eq!(
            high,
            LensChoice { lens_type: LensType::SingleVision, material: Material::HighIndex, index: 1.67 }
        );
        assert_eq!(choice("1.50 CR-39 progressive", 1.5).unwrap().material, Material::Plastic);
        assert_eq!(choice("1.53 Trivex single vision", 1.53).unwrap().material, Material::Trivex);
        let poly = choice("1.59 polycarbonate occupational (desk) progressive", 1.59).unwrap();
        assert_eq!((poly.material, poly.lens_type), (Material::Polycarbonate, LensType::Occupational));
        assert_eq!(choice("1.60 aspheric progressive", 1.6).unwrap().material, Material::HighIndex);
        // A note without an index, or a design nobody makes, fills in nothing.
        assert_eq!(
            LensChoice::of(&suggested("Second pair: 1.67 occupational (desk) progressive", None)),
            None
        );
        assert_eq!(choice("1.67 contact lens", 1.67), None);
        // A resin named in an index it is not made in is not guessed at.
        assert_eq!(choice("1.67 polycarbonate single vision", 1.67), None);
    }

    #[test]
    fn the_use_button_sends_back_exactly_the_choice() {
        let choice =
            LensChoice { lens_type: LensType::Progressive, material: Material::HighIndex, index: 1.74 };
        assert_eq!(choice.token(), "high_index 1.74 progressive");
        assert_eq!(LensChoice::parse(&choice.token()), Some(choice));
        for bad in [
            "",
            "high_index",
            "resin 1.74 progressive",
            "high_index x progressive",
            "high_index 1.74 progressive more",
        ] {
            assert_eq!(LensChoice::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn using_a_suggestion_changes_the_lens_and_nothing_else() {
        let mut form = OrderForm {
            lens_type: "progressive".into(),
            material: "plastic".into(),
            index: "1.5".into(),
            coatings: vec!["hard_coat".into()],
            frame: "Ray-Ban RB5154 51-21".into(),
            a_mm: "51".into(),
            notes: "rush".into(),
            ..OrderForm::default()
        };
        let choice =
            LensChoice { lens_type: LensType::SingleVision, material: Material::HighIndex, index: 1.67 };
        assert!(!choice.is_in(&form));
        choice.fill(&mut form);
        assert!(choice.is_in(&form));
        assert_eq!(
            (form.lens_type.as_str(), form.material.as_str(), form.index.as_str()),
            ("single_vision", "high_index", "1.67")
        );
        assert_eq!(form.coatings, ["hard_coat"]);
        assert_eq!(
            (form.frame.as_str(), form.a_mm.as_str(), form.notes.as_str()),
            ("Ray-Ban RB5154 51-21", "51", "rush")
        );
    }

    fn prescription(right: EyeRx, left: EyeRx, pd: (Option<u16>, Option<u16>)) -> Prescription {
        Prescription {
            id: PrescriptionId::new(),
            patient_id: ils_storage::ids::PatientId::new(),
            kind: RxKind::Spectacles,
            right,
            left,
            pd,
            issued_on: ils_clinical::today(),
            expires_on: None,
            prescriber: "O. Optom".into(),
            notes: String::new(),
            examination_id: None,
            created_by: None,
            created_at: ils_storage::types::Timestamp::now(),
        }
    }

    #[test]
    fn the_question_names_the_fields_it_lacks_and_takes_a_blank_pd_from_the_prescription() {
        let right = eye(Eye::Right, "-2.00", None);
        let left = eye(Eye::Left, "-4.00", Some(("-2.50", 90)));
        let blank = OrderForm::default();
        let needed = Question::of(&blank, &prescription(right, left, (None, Some(315))), 35).unwrap_err();
        let ids: Vec<&str> = needed.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, ["frame.a_mm", "frame.dbl_mm", "measurements.pd_right_mm"]);

        let form = OrderForm {
            a_mm: "52".into(),
            dbl_mm: " 18 ".into(),
            pd_right_mm: "32".into(),
            lens_type: "occupational".into(),
            ..OrderForm::default()
        };
        let question = Question::of(&form, &prescription(right, left, (None, Some(315))), 35).unwrap();
        assert_eq!(question.eye, Eye::Left);
        assert_eq!(
            question.input(),
            json!({
                "sphere": "-4.00", "cylinder": "-2.50", "axis": 90, "age_years": 35, "pd_mm": 63.5,
                "frame": { "eye_size_mm": 52.0, "bridge_mm": 18.0 }, "main_use": "desk",
            })
        );
    }
}
