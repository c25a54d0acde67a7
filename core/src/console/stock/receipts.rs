//! Receiving goods against a purchase order, from the order's page: what arrived of each
//! outstanding line (everything, unless told otherwise), with the delivery note.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use super::purchase_orders::show_page;
use super::{Placing, invalid_fields, refused};
use crate::console::form::CsrfForm;
use crate::console::page::PageResult;
use crate::console::page::given;
use crate::console::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::stock::receipts::{ReceiptInput, ReceiptLineInput, receive as api_receive};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_storage::ids::{ItemId, PurchaseOrderId};

/// What the receipt form says arrived, with the input each line was typed in. A line left blank
/// or at 0 did not arrive.
fn arrived(form: &BTreeMap<String, String>) -> Result<(Vec<ReceiptLineInput>, Vec<String>), Error> {
    let mut lines = Vec::new();
    let mut fields = Vec::new();
    let mut wrong = Vec::new();
    for (field, value) in form {
        let Some(item) = field.strip_prefix("receive-") else { continue };
        let value = value.trim();
        if value.is_empty() || value == "0" {
            continue;
        }
        match (item.parse::<ItemId>(), value.parse::<i64>()) {
            (Ok(item_id), Ok(quantity)) => {
                lines.push(ReceiptLineInput { item_id, quantity });
                fields.push(field.clone());
            }
            (Err(_), _) => wrong.push((field.clone(), "is not a line of this order".to_owned())),
            (_, Err(_)) => wrong.push((field.clone(), "must be a whole number, e.g. 10".to_owned())),
        }
    }
    if !wrong.is_empty() {
        return Err(invalid_fields(wrong));
    }
    if lines.is_empty() {
        return Err(Error::Invalid {
            code: "invalid_input",
            message: "Enter what arrived of at least one item.".to_owned(),
            fields: Vec::new(),
        });
    }
    Ok((lines, fields))
}

/// The input a receipt line's API field (`lines[0].quantity`) was typed in.
fn line_input(fields: &[String], api: &str) -> Option<String> {
    let k = api.strip_prefix("lines[")?.split_once(']')?.0.parse::<usize>().ok()?;
    fields.get(k).cloned()
}

/// `POST /stock/purchase-orders/{id}/receipts`: records what arrived (stock rises at the order's
/// location, the order's status follows) and shows the order again.
pub(crate) async fn receive(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PurchaseOrderId>,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> PageResult {
    let (outcome, fields) = match arrived(&form) {
        Ok((lines, fields)) => {
            let note = given(form.get("note").map_or("", String::as_str));
            let input = ReceiptInput { lines, note };
            (
                api_receive(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input))
                    .await,
                fields,
            )
        }
        Err(error) => (Err(error.into()), Vec::new()),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/stock/purchase-orders/{id}")).into_response()),
        Err(error) => {
            let shown = show_page(&state, &viewer, id, form).await?;
            let rename = |api: &str| line_input(&fields, api);
            refused(error, Placing { rename: Some(&rename), ..Placing::default() }, |errors| {
                shown.with(errors)
            })
        }
    }
}
