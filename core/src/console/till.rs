//! The till in the console (docs/adr/047-till.md): today's sales and those still open; a sale
//! with its lines (VAT shown per line), payments and credit notes, where a dispenser adds lines,
//! takes payments and completes the sale, and a company admin refunds a line; and the end-of-day
//! report. Amounts are typed in pounds (`12.50`) and shown as `£12.50`.
//!
//! Every page calls the till API's handlers, so it is allowed, refused and audited exactly as the
//! same request to the API would be.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{
    Chrome, ConsoleError, FieldErrors, PageResult, Placing, given, refused, refused_with, render,
};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::ApiError;
use crate::http::stock::items::{ItemQuery, list_items};
use crate::http::stock::locations::list_locations;
use crate::http::till::{
    OpenSale, SalesQuery, add_line, complete_sale, end_of_day, get_sale, list_sales, open_sale, refund,
    take_payment,
};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::page::PageQuery;
use ils_kernel::permissions::Action;
use ils_stock::items::Item;
use ils_stock::locations::Location;
use ils_storage::ids::{PatientId, SaleId};
use ils_till::day::EndOfDay;
use ils_till::refunds::{NewCreditNote, RefundLine};
use ils_till::sales::{LineKind, NewLine, NewPayment, PaymentMethod, SaleEntry};
use ils_till::{Line, Sale, SaleStatus};

/// Pence as people read them: `£12.50`.
fn money(pence: i64) -> String {
    super::stock::money(pence, "GBP")
}

/// Pounds as typed (`12.5`, `£12.50`) in pence; blank is `None`.
fn pence(field: &str, typed: &str) -> Result<Option<i64>, Error> {
    given(typed).map(|t| super::stock::minor_units(field, &t)).transpose()
}

fn kind_words(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Frame => "Frame",
        LineKind::Lenses => "Lenses",
        LineKind::ContactLenses => "Contact lenses",
        LineKind::Solution => "Solution",
        LineKind::Accessory => "Accessory",
        LineKind::Repair => "Repair",
        LineKind::SightTest => "Sight test",
        LineKind::ContactLensCheck => "Contact lens check",
        LineKind::Dispensing => "Dispensing",
    }
}

fn method_words(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Cash => "Cash",
        PaymentMethod::Card => "Card",
        PaymentMethod::NhsVoucher => "NHS voucher",
    }
}

#[derive(Template)]
#[template(path = "console/till.html")]
struct Till {
    chrome: Chrome,
    date: String,
    sales: Vec<SaleEntry>,
    may_sell: bool,
    may_report: bool,
    patient_id: String,
    errors: FieldErrors,
}

impl Till {
    fn money(&self, pence: &i64) -> String {
        money(*pence)
    }
}

/// `?date=YYYY-MM-DD`; today when absent.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DayForm {
    #[serde(default)]
    date: String,
}

async fn till_page(state: &AppState, viewer: &Viewer, date: String) -> Result<Till, ConsoleError> {
    let query = SalesQuery { date: given(&date) };
    let sales = list_sales(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0;
    Ok(Till {
        chrome: viewer.chrome.at("/till"),
        date,
        sales,
        may_sell: viewer.principal.may(Action::SalesWrite),
        may_report: viewer.principal.may(Action::TillReport),
        patient_id: String::new(),
        errors: FieldErrors::default(),
    })
}

/// `GET /till?date=`.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<DayForm>,
) -> PageResult {
    Ok(render(&till_page(&state, &viewer, form.date).await?))
}

/// A new sale: for a patient, or a walk-in when blank.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewSaleForm {
    #[serde(default)]
    patient_id: String,
}

/// `POST /till`: opens a sale and shows it.
pub(crate) async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewSaleForm>,
) -> PageResult {
    let patient = match given(&form.patient_id).map(|id| id.parse::<PatientId>()) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            let error = ApiError(Error::invalid_field("patient_id", "is not a patient's id"));
            let page = till_page(&state, &viewer, String::new()).await?;
            return refused(error, |errors| Till { errors, patient_id: form.patient_id.clone(), ..page });
        }
    };
    let body = OpenSale { patient_id: patient, order_id: None, lines: Vec::new() };
    match open_sale(State(state.clone()), viewer.principal.clone(), ApiJson(body)).await {
        Ok((_, sale)) => Ok(Redirect::to(&format!("/till/sales/{}", sale.0.id)).into_response()),
        Err(error) => {
            let page = till_page(&state, &viewer, String::new()).await?;
            refused(error, |errors| Till { errors, patient_id: form.patient_id.clone(), ..page })
        }
    }
}

/// The forms of a sale's page, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LineForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    quantity: String,
    /// Pounds.
    #[serde(default)]
    unit_price_minor: String,
    /// Pounds.
    #[serde(default)]
    discount_minor: String,
    #[serde(default)]
    item_id: String,
    #[serde(default)]
    location_id: String,
}

/// A payment as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PaymentForm {
    #[serde(default)]
    method: String,
    /// Pounds.
    #[serde(default)]
    amount_minor: String,
    #[serde(default)]
    reference: String,
}

/// A refund of one line as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RefundForm {
    #[serde(default)]
    refund_line_no: String,
    #[serde(default)]
    refund_quantity: String,
    #[serde(default)]
    refund_method: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "console/sale.html")]
struct SalePage {
    chrome: Chrome,
    sale: Sale,
    kinds: &'static [LineKind],
    methods: &'static [PaymentMethod],
    items: Vec<Item>,
    locations: Vec<Location>,
    may_sell: bool,
    may_refund: bool,
    line: LineForm,
    payment: PaymentForm,
    refund: RefundForm,
    errors: FieldErrors,
}

impl SalePage {
    fn money(&self, pence: &i64) -> String {
        money(*pence)
    }

    fn kind(&self, kind: &LineKind) -> &'static str {
        kind_words(*kind)
    }

    fn method(&self, method: &PaymentMethod) -> &'static str {
        method_words(*method)
    }

    fn vat(&self, line: &Line) -> String {
        if line.vat_percent == 0 {
            "exempt".to_owned()
        } else {
            format!("{} at {}%", money(line.vat_minor), line.vat_percent)
        }
    }

    fn open(&self) -> bool {
        self.sale.status == SaleStatus::Open
    }

    fn refundable(&self, line: &Line) -> bool {
        i64::from(line.quantity) > line.refunded_quantity
    }
}

async fn sale_page(state: &AppState, viewer: &Viewer, id: SaleId) -> Result<SalePage, ConsoleError> {
    let sale = get_sale(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    let (items, locations) = if viewer.principal.may(Action::StockRead) && sale.status == SaleStatus::Open {
        let query = ItemQuery { sku: None, barcode: None, cursor: None, limit: Some(200) };
        let items =
            list_items(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
        let page = PageQuery { cursor: None, limit: Some(200) };
        let locations =
            list_locations(State(state.clone()), viewer.principal.clone(), ApiQuery(page)).await?.0.items;
        (items, locations)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(SalePage {
        chrome: viewer.chrome.at("/till"),
        sale,
        kinds: LineKind::ALL,
        methods: PaymentMethod::ALL,
        items,
        locations,
        may_sell: viewer.principal.may(Action::SalesWrite),
        may_refund: viewer.principal.may(Action::SalesRefund),
        line: LineForm { quantity: "1".into(), ..LineForm::default() },
        payment: PaymentForm::default(),
        refund: RefundForm { refund_quantity: "1".into(), ..RefundForm::default() },
        errors: FieldErrors::default(),
    })
}

/// `GET /till/sales/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SaleId>,
) -> PageResult {
    Ok(render(&sale_page(&state, &viewer, id).await?))
}

fn typed_line(form: &LineForm) -> Result<NewLine, Error> {
    let kind = form
        .kind
        .parse::<LineKind>()
        .map_err(|_| Error::invalid_field("kind", "choose what the line sells"))?;
    let quantity = form
        .quantity
        .trim()
        .parse::<i64>()
        .map_err(|_| Error::invalid_field("quantity", "must be a whole number"))?;
    let price = pence("unit_price_minor", &form.unit_price_minor)?
        .ok_or_else(|| Error::invalid_field("unit_price_minor", "is required"))?;
    let discount = pence("discount_minor", &form.discount_minor)?.unwrap_or(0);
    Ok(NewLine {
        kind,
        description: form.description.clone(),
        item_id: chosen("item_id", &form.item_id)?,
        location_id: chosen("location_id", &form.location_id)?,
        quantity,
        unit_price_minor: price,
        discount_minor: discount,
    })
}

/// An id chosen from a list; blank is none.
fn chosen<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, Error> {
    given(text).map(|t| super::stock::chosen(field, &t)).transpose()
}

/// `POST /till/sales/{id}/lines`.
pub(crate) async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SaleId>,
    CsrfForm(form): CsrfForm<LineForm>,
) -> PageResult {
    let outcome = match typed_line(&form) {
        Ok(line) => add_line(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(line))
            .await
            .map(|_| ()),
        Err(error) => Err(ApiError(error)),
    };
    answered(&state, &viewer, id, outcome, Placing::default(), |page, errors| SalePage {
        errors,
        line: form,
        ..page
    })
    .await
}

/// `POST /till/sales/{id}/payments`.
pub(crate) async fn pay(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SaleId>,
    CsrfForm(form): CsrfForm<PaymentForm>,
) -> PageResult {
    let typed = (|| -> Result<NewPayment, Error> {
        let method = form
            .method
            .parse::<PaymentMethod>()
            .map_err(|_| Error::invalid_field("method", "choose how it is paid"))?;
        let amount = pence("amount_minor", &form.amount_minor)?
            .ok_or_else(|| Error::invalid_field("amount_minor", "is required"))?;
        Ok(NewPayment { method, amount_minor: amount, reference: given(&form.reference) })
    })();
    let outcome = match typed {
        Ok(payment) => {
            take_payment(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(payment))
                .await
                .map(|_| ())
        }
        Err(error) => Err(ApiError(error)),
    };
    answered(&state, &viewer, id, outcome, Placing::default(), |page, errors| SalePage {
        errors,
        payment: form,
        ..page
    })
    .await
}

/// Back to the sale after a change; refused, the sale's page again with the errors at the form
/// that caused them (`keep` puts back what was typed).
async fn answered(
    state: &AppState,
    viewer: &Viewer,
    id: SaleId,
    outcome: Result<(), ApiError>,
    placing: Placing<'_>,
    keep: impl FnOnce(SalePage, FieldErrors) -> SalePage,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/till/sales/{id}")).into_response()),
        Err(error) => {
            let page = sale_page(state, viewer, id).await?;
            refused_with(error, placing, |errors| keep(page, errors))
        }
    }
}

/// The form of a button with nothing but its CSRF token.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Press {}

/// `POST /till/sales/{id}/complete`.
pub(crate) async fn complete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SaleId>,
    CsrfForm(_): CsrfForm<Press>,
) -> PageResult {
    let outcome =
        complete_sale(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await.map(|_| ());
    answered(&state, &viewer, id, outcome, Placing::default(), |page, errors| SalePage { errors, ..page })
        .await
}

/// `POST /till/sales/{id}/credit-notes`: refunds units of one line.
pub(crate) async fn credit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SaleId>,
    CsrfForm(form): CsrfForm<RefundForm>,
) -> PageResult {
    let typed = (|| -> Result<NewCreditNote, Error> {
        let line_no = form
            .refund_line_no
            .trim()
            .parse::<i32>()
            .map_err(|_| Error::invalid_field("refund_line_no", "choose a line"))?;
        let quantity = form
            .refund_quantity
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::invalid_field("refund_quantity", "must be a whole number"))?;
        let refund_method = form
            .refund_method
            .parse::<PaymentMethod>()
            .map_err(|_| Error::invalid_field("refund_method", "choose cash or card"))?;
        Ok(NewCreditNote {
            lines: vec![RefundLine { line_no, quantity }],
            refund_method,
            reason: form.reason.clone(),
        })
    })();
    let outcome = match typed {
        Ok(note) => refund(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(note))
            .await
            .map(|_| ()),
        Err(error) => Err(ApiError(error)),
    };
    let rename = |field: &str| field.strip_prefix("lines[0].").map(|f| format!("refund_{f}"));
    let placing = Placing { rename: Some(&rename), ..Placing::default() };
    answered(&state, &viewer, id, outcome, placing, |page, errors| SalePage { errors, refund: form, ..page })
        .await
}

#[derive(Template)]
#[template(path = "console/till_day.html")]
struct Day {
    chrome: Chrome,
    report: EndOfDay,
}

impl Day {
    fn money(&self, pence: &i64) -> String {
        money(*pence)
    }

    fn method(&self, method: &PaymentMethod) -> &'static str {
        method_words(*method)
    }
}

/// `GET /till/day?date=`: the end-of-day report; today when no date is given.
pub(crate) async fn day(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<DayForm>,
) -> PageResult {
    let date = given(&form.date).unwrap_or_else(|| ils_clinical::today().to_string());
    let report = end_of_day(State(state), viewer.principal.clone(), ApiPath(date)).await?.0;
    Ok(render(&Day { chrome: viewer.chrome.at("/till"), report }))
}
