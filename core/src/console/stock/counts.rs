//! Stock counts: start one for a location, enter what was counted (any number of items at once),
//! then finalise it — stock becomes what was counted — or cancel it.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::setup::Cursor;
use super::{Catalogue, Placing, chosen, invalid_fields, refused};
use crate::console::form::{Csrf, CsrfForm};
use crate::console::page::{Chrome, ConsoleError, FieldErrors, PageResult, render};
use crate::console::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::stock::counts::{
    CountInput, CountQuery, FinaliseInput, StartCountInput, cancel_count, finalise_count, get_stock_count,
    list_counts, record_count, start_count,
};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_stock::counts::{CountLine, StockCount, StockCountDetail, StockCountStatus};
use ils_stock::items::Item;
use ils_storage::ids::{ItemId, StockCountId};

#[derive(Template)]
#[template(path = "console/stock_counts.html")]
struct Counts {
    chrome: Chrome,
    catalogue: Catalogue,
    counts: Vec<StockCount>,
    next: Option<String>,
    can_move: bool,
    form: StartForm,
    errors: FieldErrors,
}

/// The form that starts a count.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StartForm {
    #[serde(default)]
    location_id: String,
}

async fn counts_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: Option<String>,
    form: StartForm,
) -> Result<Counts, ConsoleError> {
    let query = CountQuery { cursor, limit: Some(100), ..CountQuery::default() };
    let page = list_counts(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0;
    Ok(Counts {
        chrome: viewer.chrome.at("/stock"),
        catalogue: Catalogue::load(state, &viewer.principal).await?,
        counts: page.items,
        next: page.next_cursor,
        can_move: viewer.principal.may(Action::StockWrite),
        form,
        errors: FieldErrors::default(),
    })
}

/// `GET /stock/counts`: the counts so far, and the form that starts one.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(at): Query<Cursor>,
) -> PageResult {
    Ok(render(&counts_page(&state, &viewer, at.cursor, StartForm::default()).await?))
}

/// `POST /stock/counts`: opens a count of a location and shows it.
pub(crate) async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<StartForm>,
) -> PageResult {
    let outcome = match chosen("location_id", &form.location_id) {
        Ok(location_id) => {
            let input = StartCountInput { location_id };
            start_count(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await
        }
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok((_, count)) => Ok(Redirect::to(&format!("/stock/counts/{}", count.0.count.id)).into_response()),
        Err(error) => {
            let shown = counts_page(&state, &viewer, None, form).await?;
            let placing = Placing { conflicts: &[("stock_count_open", "location_id")], ..Placing::default() };
            refused(error, placing, |errors| Counts { errors, ..shown })
        }
    }
}

#[derive(Template)]
#[template(path = "console/stock_count.html")]
struct Count {
    chrome: Chrome,
    catalogue: Catalogue,
    count: StockCountDetail,
    can_move: bool,
    can_override: bool,
    /// What was typed, by input name, when the form comes back with errors.
    typed: BTreeMap<String, String>,
    errors: FieldErrors,
}

/// The input for what was counted of an item.
fn counted_field(item: &ItemId) -> String {
    format!("counted-{item}")
}

impl Count {
    fn is_open(&self) -> bool {
        self.count.count.status == StockCountStatus::Open
    }

    fn field(&self, line: &CountLine) -> String {
        counted_field(&line.item_id)
    }

    /// The counted figure to show in a line's input: as typed, else as recorded.
    fn value(&self, line: &CountLine) -> String {
        match self.typed.get(&counted_field(&line.item_id)) {
            Some(typed) => typed.clone(),
            None => line.counted_quantity.map(|q| q.to_string()).unwrap_or_default(),
        }
    }

    /// Items not on the count yet (none was on record at the location when it opened).
    fn others(&self) -> Vec<&Item> {
        self.catalogue.items.iter().filter(|i| !self.count.lines.iter().any(|l| l.item_id == i.id)).collect()
    }

    fn typed(&self, name: &str) -> String {
        self.typed.get(name).cloned().unwrap_or_default()
    }

    /// Field errors of inputs this page does not show (so that none is lost).
    fn unshown(&self) -> Vec<(String, String)> {
        let mut shown: Vec<String> = self.count.lines.iter().map(|l| self.field(l)).collect();
        shown.extend(["extra_item".to_owned(), "extra_counted".to_owned()]);
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        self.errors.others(shown).into_iter().map(|(f, m)| (f.to_owned(), m.to_owned())).collect()
    }
}

async fn count_page(
    state: &AppState,
    viewer: &Viewer,
    id: StockCountId,
    typed: BTreeMap<String, String>,
) -> Result<Count, ConsoleError> {
    let count = get_stock_count(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    Ok(Count {
        chrome: viewer.chrome.at("/stock"),
        catalogue: Catalogue::load(state, &viewer.principal).await?,
        count,
        can_move: viewer.principal.may(Action::StockWrite),
        can_override: viewer.principal.may(Action::StockOverride),
        typed,
        errors: FieldErrors::default(),
    })
}

/// `GET /stock/counts/{id}`: a count, with the form for what was counted while it is open.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<StockCountId>,
) -> PageResult {
    Ok(render(&count_page(&state, &viewer, id, BTreeMap::new()).await?))
}

/// What the count form says was counted: one figure per item, by the input it was typed in.
fn counted(form: &BTreeMap<String, String>) -> Result<Vec<(ItemId, String, i64)>, Error> {
    let mut counted = Vec::new();
    let mut wrong = Vec::new();
    for (field, value) in form {
        let value = value.trim();
        let item = if let Some(item) = field.strip_prefix("counted-") {
            item.parse::<ItemId>().map_err(|_| (field.clone(), "is not an item of this count".to_owned()))
        } else if field == "extra_counted" && !value.is_empty() {
            let item = form.get("extra_item").map(String::as_str).unwrap_or_default();
            chosen::<ItemId>("extra_item", item)
                .map_err(|_| ("extra_item".to_owned(), "choose the item".to_owned()))
        } else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let quantity =
            value.parse::<i64>().map_err(|_| (field.clone(), "must be a whole number, e.g. 12".to_owned()));
        match (item, quantity) {
            (Ok(item), Ok(quantity)) => counted.push((item, field.clone(), quantity)),
            (Err(e), _) | (_, Err(e)) => wrong.push(e),
        }
    }
    if !wrong.is_empty() {
        return Err(invalid_fields(wrong));
    }
    if counted.is_empty() {
        return Err(Error::Invalid {
            code: "invalid_input",
            message: "Enter what was counted of at least one item.".to_owned(),
            fields: Vec::new(),
        });
    }
    Ok(counted)
}

/// `POST /stock/counts/{id}/lines`: records every figure typed (each as the API's
/// `PUT /stock-counts/{id}/items/{item}`) and shows the count again.
pub(crate) async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<StockCountId>,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> PageResult {
    let lines = match counted(&form) {
        Ok(lines) => lines,
        Err(error) => {
            let shown = count_page(&state, &viewer, id, form).await?;
            return refused(error.into(), Placing::default(), |errors| Count { errors, ..shown });
        }
    };
    // One request per figure, as over the API: figures before a refused one stay recorded, and
    // the page shows the refused one at its input with everything typed.
    for (item, field, quantity) in lines {
        let input = CountInput { counted_quantity: quantity };
        let recorded =
            record_count(State(state.clone()), viewer.principal.clone(), ApiPath((id, item)), ApiJson(input))
                .await;
        if let Err(error) = recorded {
            let shown = count_page(&state, &viewer, id, form).await?;
            let rename = |api: &str| (api == "counted_quantity").then(|| field.clone());
            return refused(error, Placing { rename: Some(&rename), ..Placing::default() }, |errors| Count {
                errors,
                ..shown
            });
        }
    }
    Ok(Redirect::to(&format!("/stock/counts/{id}")).into_response())
}

/// The finalise button, with its override box.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FinaliseForm {
    #[serde(default, rename = "override")]
    override_moves: bool,
}

/// `POST /stock/counts/{id}/finalise`: sets stock to what was counted.
pub(crate) async fn finalise(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<StockCountId>,
    CsrfForm(form): CsrfForm<FinaliseForm>,
) -> PageResult {
    let input = FinaliseInput { override_moves: form.override_moves };
    match finalise_count(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input)).await {
        Ok(_) => Ok(Redirect::to(&format!("/stock/counts/{id}")).into_response()),
        Err(error) => {
            let shown = count_page(&state, &viewer, id, BTreeMap::new()).await?;
            refused(error, Placing::default(), |errors| Count { errors, ..shown })
        }
    }
}

/// `POST /stock/counts/{id}/cancel`: abandons the count; stock does not change.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<StockCountId>,
    _csrf: Csrf,
) -> PageResult {
    match cancel_count(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await {
        Ok(_) => Ok(Redirect::to(&format!("/stock/counts/{id}")).into_response()),
        Err(error) => {
            let shown = count_page(&state, &viewer, id, BTreeMap::new()).await?;
            refused(error, Placing::default(), |errors| Count { errors, ..shown })
        }
    }
}
