//! Purchase orders: the list, raising one (supplier, where it is delivered, its lines), and an
//! order's page with the moves the API allows (send a draft, send it again, cancel), its e-mails to
//! the supplier with their PDFs, and the goods received.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Catalogue, Placing, chosen, every, invalid_fields, minor_units, money, refused, whole};
use crate::console::form::{Csrf, CsrfForm};
use crate::console::page::given;
use crate::console::page::{Chrome, ConsoleError, FieldErrors, PageResult, render};
use crate::console::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::stock::purchase_orders::{
    LineInput, OrderQuery, PurchaseOrderInput, cancel_order, create_order, get_order, list_orders,
    list_purchase_order_deliveries, send_again as send_order_again, send_order,
};
use crate::http::stock::receipts::list_receipts;
use crate::http::stock::suppliers::list_accounts;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_stock::purchase_orders::{
    Delivery, DeliveryChannel, DeliveryStatus, GoodsReceipt, PurchaseOrder, PurchaseOrderLine,
    PurchaseOrderStatus,
};
use ils_stock::suppliers::SupplierAccount;
use ils_storage::ids::{PurchaseOrderId, SupplierId};
use ils_tenancy::auth::Principal;

/// Blank lines a new order form starts with.
const FIRST_LINES: usize = 3;
/// The most lines the form grows to ("Add a line"); the API takes more.
const MOST_LINES: usize = 50;

/// The tenant's supplier accounts, for choosing a supplier and naming one.
async fn accounts(state: &AppState, principal: &Principal) -> Result<Vec<SupplierAccount>, ConsoleError> {
    every(|page| list_accounts(State(state.clone()), principal.clone(), ApiQuery(page))).await
}

fn supplier_name(accounts: &[SupplierAccount], id: &SupplierId) -> String {
    accounts.iter().find(|a| a.supplier.id == *id).map_or_else(|| id.to_string(), |a| a.supplier.name.clone())
}

#[derive(Template)]
#[template(path = "console/stock_purchase_orders.html")]
struct Orders {
    chrome: Chrome,
    catalogue: Catalogue,
    accounts: Vec<SupplierAccount>,
    orders: Vec<PurchaseOrder>,
    status: Option<PurchaseOrderStatus>,
    next: Option<String>,
    can_manage: bool,
}

impl Orders {
    fn statuses(&self) -> &'static [PurchaseOrderStatus] {
        PurchaseOrderStatus::ALL
    }

    fn supplier(&self, id: &SupplierId) -> String {
        supplier_name(&self.accounts, id)
    }

    fn is_status(&self, status: &PurchaseOrderStatus) -> bool {
        self.status == Some(*status)
    }

    fn total(&self, order: &PurchaseOrder) -> String {
        money(order.total_minor, &order.currency)
    }
}

/// The list's filter and position.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

/// `GET /stock/purchase-orders?status=`: the tenant's purchase orders, optionally in one status.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let status = super::filter("status", &query.status)?;
    let api = OrderQuery { status, supplier_id: None, cursor: query.cursor, limit: Some(100) };
    let page = list_orders(State(state.clone()), viewer.principal.clone(), ApiQuery(api)).await?.0;
    Ok(render(&Orders {
        chrome: viewer.chrome.at("/stock"),
        catalogue: Catalogue::load(&state, &viewer.principal).await?,
        accounts: accounts(&state, &viewer.principal).await?,
        orders: page.items,
        status,
        next: page.next_cursor,
        can_manage: viewer.principal.may(Action::PurchasingManage),
    }))
}

/// The order form's fields, as typed; a line is an item, a quantity and a unit price at the same
/// position of the three lists.
#[derive(Debug, Deserialize)]
pub(crate) struct OrderForm {
    #[serde(default)]
    supplier_id: String,
    #[serde(default)]
    location_id: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    item: Vec<String>,
    #[serde(default)]
    quantity: Vec<String>,
    #[serde(default)]
    price: Vec<String>,
    /// Set by the "Add a line" button: show the form again with one more line.
    more: Option<String>,
}

impl Default for OrderForm {
    fn default() -> Self {
        Self {
            supplier_id: String::new(),
            location_id: String::new(),
            currency: "GBP".to_owned(),
            notes: String::new(),
            item: Vec::new(),
            quantity: Vec::new(),
            price: Vec::new(),
            more: None,
        }
    }
}

/// One line of the form as shown.
pub(crate) struct LineRow {
    pub n: usize,
    pub item: String,
    pub quantity: String,
    pub price: String,
}

/// The input of line `n`'s `part` (`item`, `quantity`, `price`).
fn line_field(n: usize, part: &str) -> String {
    format!("line-{n}-{part}")
}

fn nth(values: &[String], n: usize) -> &str {
    values.get(n).map_or("", |v| v.trim())
}

impl OrderForm {
    fn rows_typed(&self) -> usize {
        self.item.len().max(self.quantity.len()).max(self.price.len())
    }

    /// The API's input, and for each of its lines the form's row it came from (blank rows are
    /// left out). Every mistake of typing is reported at once.
    fn input(&self) -> Result<(PurchaseOrderInput, Vec<usize>), Error> {
        let mut wrong = Vec::new();
        let mut lines = Vec::new();
        let mut rows = Vec::new();
        for n in 0..self.rows_typed() {
            let (item, quantity, price) = (nth(&self.item, n), nth(&self.quantity, n), nth(&self.price, n));
            if item.is_empty() && quantity.is_empty() && price.is_empty() {
                continue;
            }
            let item = chosen("item", item).map_err(|_| (line_field(n, "item"), "choose an item".to_owned()));
            let quantity = whole("quantity", quantity, "10")
                .map_err(|_| (line_field(n, "quantity"), "must be a whole number, e.g. 10".to_owned()));
            let price = minor_units("price", price)
                .map_err(|_| (line_field(n, "price"), "must be an amount, e.g. 2.50".to_owned()));
            match (item, quantity, price) {
                (Ok(item_id), Ok(quantity), Ok(unit_price_minor)) => {
                    lines.push(LineInput { item_id, quantity, unit_price_minor });
                    rows.push(n);
                }
                (item, quantity, price) => {
                    wrong.extend([item.err(), quantity.err(), price.err()].into_iter().flatten());
                }
            }
        }
        let supplier_id = chosen("supplier_id", &self.supplier_id)
            .map_err(|_| wrong.push(("supplier_id".to_owned(), "choose a supplier".to_owned())));
        let location_id = chosen("location_id", &self.location_id)
            .map_err(|_| wrong.push(("location_id".to_owned(), "choose where it is delivered".to_owned())));
        match (supplier_id, location_id) {
            (Ok(supplier_id), Ok(location_id)) if wrong.is_empty() => {
                let currency = self.currency.trim().to_uppercase();
                Ok((
                    PurchaseOrderInput {
                        supplier_id,
                        location_id,
                        currency,
                        notes: given(&self.notes),
                        lines,
                    },
                    rows,
                ))
            }
            _ => Err(invalid_fields(wrong)),
        }
    }
}

/// The form's input for an API field of a line (`lines[1].quantity`), given the rows the
/// API's lines came from.
fn line_input(rows: &[usize], api: &str) -> Option<String> {
    let rest = api.strip_prefix("lines[")?;
    let (k, part) = rest.split_once("].")?;
    let n = *rows.get(k.parse::<usize>().ok()?)?;
    let part = match part {
        "item_id" => "item",
        "quantity" => "quantity",
        "unit_price_minor" => "price",
        _ => return None,
    };
    Some(line_field(n, part))
}

#[derive(Template)]
#[template(path = "console/stock_purchase_order_new.html")]
struct NewOrder {
    chrome: Chrome,
    catalogue: Catalogue,
    accounts: Vec<SupplierAccount>,
    form: OrderForm,
    rows: Vec<LineRow>,
    errors: FieldErrors,
}

impl NewOrder {
    fn field(&self, n: &usize, part: &str) -> String {
        line_field(*n, part)
    }

    /// Field errors of inputs this page does not show (so that none is lost).
    fn unshown(&self) -> Vec<(String, String)> {
        let mut shown: Vec<String> = ["supplier_id", "location_id", "currency", "notes", "lines"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        for row in &self.rows {
            shown.extend(["item", "quantity", "price"].map(|part| line_field(row.n, part)));
        }
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        self.errors.others(shown).into_iter().map(|(f, m)| (f.to_owned(), m.to_owned())).collect()
    }
}

async fn order_form_page(
    state: &AppState,
    viewer: &Viewer,
    form: OrderForm,
    extra: usize,
) -> Result<NewOrder, ConsoleError> {
    viewer.tenant(Action::PurchasingManage)?;
    let count = (form.rows_typed() + extra).clamp(FIRST_LINES, MOST_LINES);
    let rows = (0..count)
        .map(|n| LineRow {
            n,
            item: nth(&form.item, n).to_owned(),
            quantity: nth(&form.quantity, n).to_owned(),
            price: nth(&form.price, n).to_owned(),
        })
        .collect();
    Ok(NewOrder {
        chrome: viewer.chrome.at("/stock"),
        catalogue: Catalogue::load(state, &viewer.principal).await?,
        accounts: accounts(state, &viewer.principal).await?,
        form,
        rows,
        errors: FieldErrors::default(),
    })
}

/// `GET /stock/purchase-orders/new`: the order form.
pub(crate) async fn new_form(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&order_form_page(&state, &viewer, OrderForm::default(), 0).await?))
}

/// `POST /stock/purchase-orders`: raises the order as a draft and shows it; errors go back to the
/// form, each at its line. "Add a line" shows the form again with one more.
pub(crate) async fn raise(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<OrderForm>,
) -> PageResult {
    if form.more.is_some() {
        return Ok(render(&order_form_page(&state, &viewer, form, 1).await?));
    }
    let (outcome, rows) = match form.input() {
        Ok((input, rows)) => {
            (create_order(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await, rows)
        }
        Err(error) => (Err(error.into()), Vec::new()),
    };
    match outcome {
        Ok((_, order)) => Ok(Redirect::to(&format!("/stock/purchase-orders/{}", order.0.id)).into_response()),
        Err(error) => {
            let shown = order_form_page(&state, &viewer, form, 0).await?;
            let rename = |api: &str| line_input(&rows, api);
            refused(error, Placing { rename: Some(&rename), ..Placing::default() }, |errors| NewOrder {
                errors,
                ..shown
            })
        }
    }
}

#[derive(Template)]
#[template(path = "console/stock_purchase_order.html")]
pub(super) struct Show {
    chrome: Chrome,
    catalogue: Catalogue,
    supplier: String,
    order: PurchaseOrder,
    receipts: Vec<GoodsReceipt>,
    /// Its sendings to the supplier, newest first.
    deliveries: Vec<Delivery>,
    can_manage: bool,
    can_receive: bool,
    /// What was typed into the receipt form, by input name, when it comes back with errors.
    typed: BTreeMap<String, String>,
    errors: FieldErrors,
}

/// The receipt form's input for what arrived of a line's item.
pub(super) fn receive_field(item: &ils_storage::ids::ItemId) -> String {
    format!("receive-{item}")
}

impl Show {
    /// The page showing why its form was refused.
    pub(super) fn with(self, errors: FieldErrors) -> Self {
        Self { errors, ..self }
    }

    fn money(&self, minor: &i64) -> String {
        money(*minor, &self.order.currency)
    }

    fn outstanding(&self, line: &PurchaseOrderLine) -> i64 {
        line.quantity - line.received_quantity
    }

    fn may_send(&self) -> bool {
        self.can_manage && self.order.status.can_move_to(PurchaseOrderStatus::Sent)
    }

    fn may_send_again(&self) -> bool {
        self.can_manage && self.order.status.accepts_receipts()
    }

    /// A delivery's state in words, with its time and attempts where they say something.
    fn delivery_words(&self, d: &Delivery) -> String {
        match d.status {
            DeliveryStatus::Queued if d.attempts == 0 => "Queued".to_owned(),
            DeliveryStatus::Queued => format!("Retrying ({} attempts so far)", d.attempts),
            DeliveryStatus::Delivered => match (d.acknowledged_at, d.delivered_at) {
                (Some(at), _) => format!("Acknowledged by the supplier {}", crate::console::page::when(&at)),
                (None, Some(at)) => format!("Delivered {}", crate::console::page::when(&at)),
                (None, None) => "Delivered".to_owned(),
            },
            DeliveryStatus::Failed => format!("Failed after {} attempts", d.attempts),
            DeliveryStatus::NotEmailed => "Not e-mailed".to_owned(),
        }
    }

    fn may_cancel(&self) -> bool {
        self.can_manage && self.order.status.can_move_to(PurchaseOrderStatus::Cancelled)
    }

    fn may_receive(&self) -> bool {
        self.can_receive && self.order.status.accepts_receipts()
    }

    fn field(&self, line: &PurchaseOrderLine) -> String {
        receive_field(&line.item_id)
    }

    /// What a receipt line's input shows: as typed, else everything outstanding.
    fn value(&self, line: &PurchaseOrderLine) -> String {
        match self.typed.get(&self.field(line)) {
            Some(typed) => typed.clone(),
            None => self.outstanding(line).to_string(),
        }
    }

    fn note(&self) -> String {
        self.typed.get("note").cloned().unwrap_or_default()
    }

    /// Field errors of inputs this page does not show (so that none is lost).
    fn unshown(&self) -> Vec<(String, String)> {
        let mut shown: Vec<String> = self.order.lines.iter().map(|l| self.field(l)).collect();
        shown.push("note".to_owned());
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        self.errors.others(shown).into_iter().map(|(f, m)| (f.to_owned(), m.to_owned())).collect()
    }
}

/// An order's page, with `typed` in its receipt form.
pub(super) async fn show_page(
    state: &AppState,
    viewer: &Viewer,
    id: PurchaseOrderId,
    typed: BTreeMap<String, String>,
) -> Result<Show, ConsoleError> {
    let principal = &viewer.principal;
    let order = get_order(State(state.clone()), principal.clone(), ApiPath(id)).await?.0;
    let receipts = list_receipts(State(state.clone()), principal.clone(), ApiPath(id)).await?.0;
    let deliveries =
        list_purchase_order_deliveries(State(state.clone()), principal.clone(), ApiPath(id)).await?.0;
    let supplier = supplier_name(&accounts(state, principal).await?, &order.supplier_id);
    Ok(Show {
        chrome: viewer.chrome.at("/stock"),
        catalogue: Catalogue::load(state, principal).await?,
        supplier,
        order,
        receipts,
        deliveries,
        can_manage: principal.may(Action::PurchasingManage),
        can_receive: principal.may(Action::StockWrite),
        typed,
        errors: FieldErrors::default(),
    })
}

/// `GET /stock/purchase-orders/{id}`: the order, its lines, the goods received, and what may be
/// done with it next.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PurchaseOrderId>,
) -> PageResult {
    Ok(render(&show_page(&state, &viewer, id, BTreeMap::new()).await?))
}

/// `POST /stock/purchase-orders/{id}/send`: sends a draft to the supplier.
pub(crate) async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PurchaseOrderId>,
    _csrf: Csrf,
) -> PageResult {
    let sent = send_order(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await.map(|_| ());
    moved(&state, &viewer, id, sent).await
}

/// `POST /stock/purchase-orders/{id}/send-again`: e-mails a sent order to the supplier once more.
pub(crate) async fn send_again(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PurchaseOrderId>,
    _csrf: Csrf,
) -> PageResult {
    let sent =
        send_order_again(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await.map(|_| ());
    moved(&state, &viewer, id, sent).await
}

/// `POST /stock/purchase-orders/{id}/cancel`: cancels the order (closes it short once goods came).
pub(crate) async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PurchaseOrderId>,
    _csrf: Csrf,
) -> PageResult {
    let cancelled =
        cancel_order(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await.map(|_| ());
    moved(&state, &viewer, id, cancelled).await
}

/// Back to the order after a move, or the order with why the move was refused.
async fn moved(
    state: &AppState,
    viewer: &Viewer,
    id: PurchaseOrderId,
    outcome: crate::http::problem::ApiResult<()>,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/stock/purchase-orders/{id}")).into_response()),
        Err(error) => {
            let shown = show_page(state, viewer, id, BTreeMap::new()).await?;
            refused(error, Placing::default(), |errors| Show { errors, ..shown })
        }
    }
}
