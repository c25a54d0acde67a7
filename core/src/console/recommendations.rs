//! Recommendations in the console (ADR 030): a lens for a prescription in a frame, with the
//! thickness figures; the reorder suggestions for the tenant's stock, each due one with a button
//! that raises its draft purchase order (as the person pressing it); and production anomalies.
//! Everything goes through `Recommenders` (the tenant's enablements read once per page) and the
//! API's handlers. The stock page's reorder column and the order form's lens suggestion
//! (docs/adr/032) share its helpers and its accept route.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::form::CsrfForm;
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, given, refused, render};
use super::session::Viewer;
use crate::http::problem::ApiError;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_plugin_host::recommend::{
    DraftPurchaseOrder, Enabled, KindEntry, ProposedAction, PurchaseLine, Suggested,
};

#[derive(Template)]
#[template(path = "console/recommendations.html")]
struct Page {
    chrome: Chrome,
    kinds: Vec<KindEntry>,
    lens: Option<Vec<Suggested>>,
    frames: Option<Vec<Suggested>>,
    reorder: Option<Vec<Suggested>>,
    anomalies: Option<Vec<Suggested>>,
    form: LensForm,
    errors: FieldErrors,
    can_order: bool,
}

impl Page {
    fn gives(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k.kind == kind)
    }

    fn figure_rows(&self, s: &Suggested) -> Vec<(String, String)> {
        figure_rows(s)
    }

    /// The prescription's fields: name, label, value sent, an example.
    fn rx_fields(&self) -> Vec<(&'static str, &'static str, String, &'static str)> {
        let f = &self.form;
        vec![
            ("sphere", "Sphere (D)", f.sphere.clone(), "-6.00"),
            ("cylinder", "Cylinder (D)", f.cylinder.clone(), "-1.25"),
            ("axis", "Axis (°)", f.axis.clone(), "90"),
            ("add", "Add (D)", f.add.clone(), "+2.00"),
        ]
    }

    /// The patient's and the frame's fields: name, label, value sent.
    fn wearer_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let f = &self.form;
        vec![
            ("age", "Age (years)", f.age.clone()),
            ("pd", "PD (mm)", f.pd.clone()),
            ("eye_size", "Eye size (mm)", f.eye_size.clone()),
            ("bridge", "Bridge (mm)", f.bridge.clone()),
        ]
    }

    /// The draft a suggestion proposes, if any.
    fn draft<'a>(&self, s: &'a Suggested) -> Option<&'a DraftPurchaseOrder> {
        s.recommendation.action.as_ref().map(ils_plugin_host::recommend::draft_of)
    }
}

/// The lens form, as sent (kept to show it again).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LensForm {
    #[serde(default)]
    sphere: String,
    #[serde(default)]
    cylinder: String,
    #[serde(default)]
    axis: String,
    #[serde(default)]
    add: String,
    #[serde(default)]
    age: String,
    #[serde(default)]
    pd: String,
    #[serde(default)]
    eye_size: String,
    #[serde(default)]
    bridge: String,
}

fn number(field: &str, text: &str) -> Result<Option<Value>, Error> {
    match given(text) {
        None => Ok(None),
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| Some(json!(v)))
            .ok_or_else(|| Error::invalid_field(field, "must be a number")),
    }
}

/// A suggestion's figures as people read them: whole numbers without decimals, the unit after.
pub(crate) fn figure_rows(s: &Suggested) -> Vec<(String, String)> {
    s.recommendation.figures.iter().map(|f| (f.name.clone(), figure_value(f.value, &f.unit))).collect()
}

/// Why recommenders gave no answer, in a short sentence a person can act on: a refused question's
/// reasons, a plugin's own words, or "try again" for a failure of ILS itself.
pub(crate) fn said(error: &Error) -> String {
    match error {
        Error::Invalid { fields, message, .. } if !fields.is_empty() => {
            let reasons: Vec<&str> = fields.iter().map(|f| f.message.as_str()).collect();
            if reasons.iter().all(|r| r.is_empty()) { message.clone() } else { reasons.join("; ") }
        }
        Error::Db(_) | Error::Internal(_) | Error::Unavailable(_) => {
            "ILS could not ask the recommendation plugins just now; try again in a moment.".to_owned()
        }
        other => other.to_string(),
    }
}

/// The figure `name` of a suggestion, if it gives one (finite).
pub(crate) fn figure(s: &Suggested, name: &str) -> Option<f64> {
    s.recommendation.figures.iter().find(|f| f.name == name).map(|f| f.value).filter(|v| v.is_finite())
}

/// One figure's value as people read it: `52`, `8.54 mm`.
pub(crate) fn figure_value(value: f64, unit: &str) -> String {
    let number = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.2}") };
    match unit {
        "" => number,
        unit => format!("{number} {unit}"),
    }
}

/// The viewer's enabled recommenders, read once for the page (every role may use plugins; the
/// kinds themselves say which roles they serve).
pub(crate) async fn enabled(state: &AppState, viewer: &Viewer) -> Result<Enabled, Error> {
    let ctx = viewer.principal.tenant(Action::PluginsUse)?;
    let who = crate::http::plugins::caller(&viewer.principal, &ctx);
    state.recommenders.enabled(ctx.tenant_id, &who).await
}

impl LensForm {
    /// The `lens` input: powers as written (the optics check their steps), numbers as numbers.
    fn input(&self) -> Result<Value, Error> {
        let mut input = self.wearer()?;
        let eye = number("eye_size", &self.eye_size)?
            .ok_or_else(|| Error::invalid_field("eye_size", "is needed"))?;
        let bridge =
            number("bridge", &self.bridge)?.ok_or_else(|| Error::invalid_field("bridge", "is needed"))?;
        input.insert("frame".into(), json!({ "eye_size_mm": eye, "bridge_mm": bridge }));
        Ok(Value::Object(input))
    }

    /// The `frames` input: the prescription, age and PD; the frames are the stocked ones.
    fn frames_input(&self) -> Result<Value, Error> {
        Ok(Value::Object(self.wearer()?))
    }

    /// The prescription, the age and the PD, as both kinds take them.
    fn wearer(&self) -> Result<Map<String, Value>, Error> {
        let mut input = Map::new();
        let sphere = given(&self.sphere).ok_or_else(|| Error::invalid_field("sphere", "is needed"))?;
        input.insert("sphere".into(), json!(sphere));
        for (name, text) in [("cylinder", &self.cylinder), ("add", &self.add)] {
            if let Some(power) = given(text) {
                input.insert(name.into(), json!(power));
            }
        }
        if let Some(axis) = given(&self.axis) {
            let axis: u16 = axis.parse().map_err(|_| Error::invalid_field("axis", "must be 1–180"))?;
            input.insert("axis".into(), json!(axis));
        }
        let age = given(&self.age).ok_or_else(|| Error::invalid_field("age", "is needed"))?;
        let age: u8 =
            age.parse().map_err(|_| Error::invalid_field("age", "must be a whole number of years"))?;
        input.insert("age_years".into(), json!(age));
        let pd = number("pd", &self.pd)?.ok_or_else(|| Error::invalid_field("pd", "is needed"))?;
        input.insert("pd_mm".into(), pd);
        Ok(input)
    }
}

async fn page(state: &AppState, viewer: &Viewer, form: LensForm) -> Result<(Page, Enabled), ConsoleError> {
    let enabled = enabled(state, viewer).await?;
    let reorder = if enabled.gives("reorder") {
        Some(enabled.gather("reorder", json!({})).await?.recommendations)
    } else {
        None
    };
    let anomalies = if enabled.gives("anomalies") {
        Some(enabled.gather("anomalies", json!({})).await?.recommendations)
    } else {
        None
    };
    let page = Page {
        chrome: viewer.chrome.at("/stock"),
        kinds: enabled.kinds(),
        lens: None,
        frames: None,
        reorder,
        anomalies,
        form,
        errors: FieldErrors::default(),
        can_order: viewer.principal.may(Action::PurchasingManage),
    };
    Ok((page, enabled))
}

/// `GET /recommendations`.
pub(crate) async fn show(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&page(&state, &viewer, LensForm::default()).await?.0))
}

/// Which of the prescription form's questions was asked.
#[derive(Clone, Copy)]
enum Asked {
    /// `lens`: material, design and thickness in the frame typed.
    Lens,
    /// `frames`: the stocked frames for the prescription.
    Frames,
}

/// The page with the answer to the prescription form's question `asked`, or the form with what
/// the plugin refused.
async fn ask(state: &AppState, viewer: &Viewer, form: LensForm, asked: Asked) -> PageResult {
    let (kind, input) = match asked {
        Asked::Lens => ("lens", form.input()),
        Asked::Frames => ("frames", form.frames_input()),
    };
    let (mut shown, enabled) = page(state, viewer, form).await?;
    let found = match input {
        Ok(input) => enabled.gather(kind, input).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(found) => {
            let answer = Some(found.recommendations);
            match asked {
                Asked::Lens => shown.lens = answer,
                Asked::Frames => shown.frames = answer,
            }
            Ok(render(&shown))
        }
        Err(e) => refused(ApiError(lens_field(e)), |errors| Page { errors, ..shown }),
    }
}

/// `POST /recommendations/lens`: the page with the lens suggestions for the prescription sent.
pub(crate) async fn lens(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<LensForm>,
) -> PageResult {
    ask(&state, &viewer, form, Asked::Lens).await
}

/// `POST /recommendations/frames`: the page with the stocked frames ranked for the prescription.
pub(crate) async fn frames(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<LensForm>,
) -> PageResult {
    ask(&state, &viewer, form, Asked::Frames).await
}

/// The optics name their fields as the API does (`age_years`); the form names them its own way.
fn lens_field(e: Error) -> Error {
    match e {
        Error::Invalid { code, message, fields } => Error::Invalid {
            code,
            message,
            fields: fields
                .into_iter()
                .map(|mut f| {
                    f.field = match f.field.as_str() {
                        "age_years" => "age".into(),
                        "pd_mm" => "pd".into(),
                        other => other.into(),
                    };
                    f
                })
                .collect(),
        },
        other => other,
    }
}

/// The proposal a reorder suggestion's button sends back.
#[derive(Debug, Deserialize)]
pub(crate) struct AcceptForm {
    supplier_id: String,
    location_id: String,
    item_id: String,
    quantity: i64,
}

/// `POST /recommendations/accept`: raises the proposed draft purchase order and shows it.
pub(crate) async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AcceptForm>,
) -> PageResult {
    let ctx = viewer.tenant(Action::PurchasingManage)?;
    let action = ProposedAction::DraftPurchaseOrder(DraftPurchaseOrder {
        supplier_id: form.supplier_id,
        location_id: form.location_id,
        lines: vec![PurchaseLine { item_id: form.item_id, quantity: form.quantity }],
    });
    let notes = Some("Raised from a reorder suggestion.".to_string());
    let order = crate::http::recommendations::raise_proposed(&state, &ctx, &action, notes).await?;
    Ok(Redirect::to(&format!("/stock/purchase-orders/{}", order.id)).into_response())
}
