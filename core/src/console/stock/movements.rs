//! Moving stock by hand: an adjustment (found, damaged, used …) at one location, or a transfer
//! between two. Both go back to the item's levels, where the change shows.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Catalogue, Placing, chosen, refused, whole};
use crate::console::form::CsrfForm;
use crate::console::page::given;
use crate::console::page::{Chrome, ConsoleError, FieldErrors, PageResult, render};
use crate::console::session::Viewer;
use crate::http::extract::ApiJson;
use crate::http::stock::movements::{
    AdjustmentInput, TransferInput, adjust as api_adjust, transfer as api_transfer,
};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_stock::movements::AdjustmentReason;
use ils_storage::ids::ItemId;

/// Taking away more than is there is about the quantity typed.
const SHORT: &[(&str, &str)] = &[("insufficient_stock", "quantity")];

/// What a link to a movement form may fill in.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Prefill {
    #[serde(default)]
    item: String,
    #[serde(default)]
    location: String,
}

/// Where a recorded movement is shown: the item's levels.
fn levels_of(item: ItemId) -> axum::response::Response {
    Redirect::to(&format!("/stock?item={item}")).into_response()
}

#[derive(Template)]
#[template(path = "console/stock_adjust.html")]
struct Adjust {
    chrome: Chrome,
    catalogue: Catalogue,
    form: AdjustForm,
    errors: FieldErrors,
}

impl Adjust {
    fn reasons(&self) -> &'static [AdjustmentReason] {
        AdjustmentReason::ALL
    }
}

/// How a reason reads in the form.
pub(crate) fn reason_label(reason: &AdjustmentReason) -> &'static str {
    match reason {
        AdjustmentReason::OpeningBalance => "Opening balance",
        AdjustmentReason::Found => "Found",
        AdjustmentReason::Damaged => "Damaged",
        AdjustmentReason::Lost => "Lost or stolen",
        AdjustmentReason::Used => "Used up",
        AdjustmentReason::ReturnedToSupplier => "Returned to supplier",
        AdjustmentReason::Correction => "Correction",
    }
}

/// The adjustment form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AdjustForm {
    #[serde(default)]
    item_id: String,
    #[serde(default)]
    location_id: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

impl AdjustForm {
    fn input(&self) -> Result<AdjustmentInput, Error> {
        Ok(AdjustmentInput {
            item_id: chosen("item_id", &self.item_id)?,
            location_id: chosen("location_id", &self.location_id)?,
            quantity: whole("quantity", &self.quantity, "12 or -3")?,
            reason: chosen("reason", &self.reason)?,
            note: given(&self.note),
        })
    }
}

async fn adjust_page(
    state: &AppState,
    viewer: &Viewer,
    form: AdjustForm,
    errors: FieldErrors,
) -> Result<Adjust, ConsoleError> {
    viewer.tenant(Action::StockWrite)?;
    let catalogue = Catalogue::load(state, &viewer.principal).await?;
    Ok(Adjust { chrome: viewer.chrome.at("/stock"), catalogue, form, errors })
}

/// `GET /stock/adjustments?item=&location=`: the adjustment form.
pub(crate) async fn adjust_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(prefill): Query<Prefill>,
) -> PageResult {
    let form = AdjustForm { item_id: prefill.item, location_id: prefill.location, ..AdjustForm::default() };
    Ok(render(&adjust_page(&state, &viewer, form, FieldErrors::default()).await?))
}

/// `POST /stock/adjustments`: adjusts the stock and shows the item's levels; errors go back to
/// the form, field by field.
pub(crate) async fn adjust(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AdjustForm>,
) -> PageResult {
    let outcome = match form.input() {
        Ok(input) => api_adjust(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await,
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok((_, adjustment)) => Ok(levels_of(adjustment.0.item_id)),
        Err(error) => {
            let shown = adjust_page(&state, &viewer, form, FieldErrors::default()).await?;
            refused(error, Placing { conflicts: SHORT, ..Placing::default() }, |errors| Adjust {
                errors,
                ..shown
            })
        }
    }
}

#[derive(Template)]
#[template(path = "console/stock_transfer.html")]
struct Transfer {
    chrome: Chrome,
    catalogue: Catalogue,
    form: TransferForm,
    errors: FieldErrors,
}

/// The transfer form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TransferForm {
    #[serde(default)]
    item_id: String,
    #[serde(default)]
    from_location_id: String,
    #[serde(default)]
    to_location_id: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    note: String,
}

impl TransferForm {
    fn input(&self) -> Result<TransferInput, Error> {
        Ok(TransferInput {
            item_id: chosen("item_id", &self.item_id)?,
            from_location_id: chosen("from_location_id", &self.from_location_id)?,
            to_location_id: chosen("to_location_id", &self.to_location_id)?,
            quantity: whole("quantity", &self.quantity, "5")?,
            note: given(&self.note),
        })
    }
}

async fn transfer_page(
    state: &AppState,
    viewer: &Viewer,
    form: TransferForm,
    errors: FieldErrors,
) -> Result<Transfer, ConsoleError> {
    viewer.tenant(Action::StockWrite)?;
    let catalogue = Catalogue::load(state, &viewer.principal).await?;
    Ok(Transfer { chrome: viewer.chrome.at("/stock"), catalogue, form, errors })
}

/// `GET /stock/transfers?item=&location=`: the transfer form (`location` is where stock leaves).
pub(crate) async fn transfer_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(prefill): Query<Prefill>,
) -> PageResult {
    let form =
        TransferForm { item_id: prefill.item, from_location_id: prefill.location, ..TransferForm::default() };
    Ok(render(&transfer_page(&state, &viewer, form, FieldErrors::default()).await?))
}

/// `POST /stock/transfers`: moves the stock and shows the item's levels; errors go back to the
/// form, field by field.
pub(crate) async fn transfer(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<TransferForm>,
) -> PageResult {
    let outcome = match form.input() {
        Ok(input) => api_transfer(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await,
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok((_, transfer)) => Ok(levels_of(transfer.0.item_id)),
        Err(error) => {
            let shown = transfer_page(&state, &viewer, form, FieldErrors::default()).await?;
            refused(error, Placing { conflicts: SHORT, ..Placing::default() }, |errors| Transfer {
                errors,
                ..shown
            })
        }
    }
}
