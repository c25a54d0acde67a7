//! What stock is kept and where: the item catalogue and the stock locations, each a list with the
//! form that adds one (for those who run purchasing).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Placing, refused, whole};
use crate::console::form::CsrfForm;
use crate::console::page::{Chrome, ConsoleError, FieldErrors, PageResult, render};
use crate::console::page::{given, number};
use crate::console::session::Viewer;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::stock::items::{ItemInput, ItemQuery, create_item as api_create_item, list_items};
use crate::http::stock::locations::{LocationInput, create_location as api_create_location, list_locations};
use crate::state::AppState;
use ils_kernel::page::PageQuery;
use ils_kernel::permissions::Action;
use ils_stock::items::{FrameSize, Item, Rim, Unit};
use ils_stock::locations::Location;

/// A list page's position: `next_cursor` from the page before.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Cursor {
    pub cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "console/stock_items.html")]
struct Items {
    chrome: Chrome,
    items: Vec<Item>,
    next: Option<String>,
    can_manage: bool,
    form: ItemForm,
    errors: FieldErrors,
}

impl Items {
    fn units(&self) -> &'static [Unit] {
        Unit::ALL
    }

    /// The rims, with the words people use for them.
    fn rims(&self) -> [(&'static str, &'static str); 3] {
        [
            (Rim::Full.as_str(), "full rim"),
            (Rim::SemiRimless.as_str(), "semi-rimless"),
            (Rim::Rimless.as_str(), "rimless"),
        ]
    }

    /// A frame's size as it is marked on the frame: `52□18`, with the rim.
    fn frame_size(&self, item: &Item) -> String {
        let Some(f) = item.frame else { return String::new() };
        let rim = f.rim.and_then(|r| self.rims().into_iter().find(|(v, _)| *v == r.as_str())).map(|(_, w)| w);
        let shown = format!("{}□{}", f.a_mm, f.dbl_mm);
        rim.map_or(shown.clone(), |rim| format!("{shown}, {rim}"))
    }
}

/// The item form's fields, as typed.
#[derive(Debug, Deserialize)]
pub(crate) struct ItemForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    reorder_point: String,
    #[serde(default)]
    barcode: String,
    #[serde(default, rename = "frame.a_mm")]
    frame_a: String,
    #[serde(default, rename = "frame.dbl_mm")]
    frame_dbl: String,
    #[serde(default, rename = "frame.rim")]
    frame_rim: String,
}

impl Default for ItemForm {
    fn default() -> Self {
        Self {
            sku: String::new(),
            name: String::new(),
            unit: Unit::Each.as_str().to_owned(),
            reorder_point: "0".to_owned(),
            barcode: String::new(),
            frame_a: String::new(),
            frame_dbl: String::new(),
            frame_rim: String::new(),
        }
    }
}

impl ItemForm {
    fn input(&self) -> Result<ItemInput, ils_kernel::error::Error> {
        Ok(ItemInput {
            sku: self.sku.trim().to_owned(),
            barcode: given(&self.barcode),
            name: self.name.clone(),
            unit: super::chosen("unit", &self.unit)?,
            reorder_point: whole("reorder_point", &self.reorder_point, "5")?,
            frame: self.frame()?,
        })
    }

    /// The frame's size: both measurements or neither; a rim only with them.
    fn frame(&self) -> Result<Option<FrameSize>, ils_kernel::error::Error> {
        let a = number::<f64>("frame.a_mm", &self.frame_a)?;
        let dbl = number::<f64>("frame.dbl_mm", &self.frame_dbl)?;
        let rim = match given(&self.frame_rim) {
            Some(rim) => Some(super::chosen::<Rim>("frame.rim", &rim)?),
            None => None,
        };
        match (a, dbl) {
            (Some(a_mm), Some(dbl_mm)) => Ok(Some(FrameSize { a_mm, dbl_mm, rim })),
            (None, None) if rim.is_none() => Ok(None),
            (None, _) => Err(ils_kernel::error::Error::invalid_field(
                "frame.a_mm",
                "a frame needs its eye size as well as its bridge and rim",
            )),
            (Some(_), None) => Err(ils_kernel::error::Error::invalid_field(
                "frame.dbl_mm",
                "a frame needs its bridge as well as its eye size",
            )),
        }
    }
}

async fn items_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: Option<String>,
    form: ItemForm,
    errors: FieldErrors,
) -> Result<Items, ConsoleError> {
    let query = ItemQuery { cursor, limit: Some(100), ..ItemQuery::default() };
    let page = list_items(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0;
    Ok(Items {
        chrome: viewer.chrome.at("/stock"),
        items: page.items,
        next: page.next_cursor,
        can_manage: viewer.principal.may(Action::PurchasingManage),
        form,
        errors,
    })
}

/// `GET /stock/items`: the catalogue, and the form that adds an item.
pub(crate) async fn items(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(at): Query<Cursor>,
) -> PageResult {
    Ok(render(&items_page(&state, &viewer, at.cursor, ItemForm::default(), FieldErrors::default()).await?))
}

/// `POST /stock/items`: adds an item; errors go back to the form.
pub(crate) async fn create_item(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> PageResult {
    let outcome = match form.input() {
        Ok(input) => {
            api_create_item(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await.map(|_| ())
        }
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/stock/items").into_response()),
        Err(error) => {
            let shown = items_page(&state, &viewer, None, form, FieldErrors::default()).await?;
            let placing = Placing {
                conflicts: &[("sku_taken", "sku"), ("barcode_taken", "barcode")],
                ..Placing::default()
            };
            refused(error, placing, |errors| Items { errors, ..shown })
        }
    }
}

#[derive(Template)]
#[template(path = "console/stock_locations.html")]
struct Locations {
    chrome: Chrome,
    locations: Vec<Location>,
    next: Option<String>,
    can_manage: bool,
    form: LocationForm,
    errors: FieldErrors,
}

/// The location form's field, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LocationForm {
    #[serde(default)]
    name: String,
}

async fn locations_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: Option<String>,
    form: LocationForm,
) -> Result<Locations, ConsoleError> {
    let query = PageQuery { cursor, limit: Some(100) };
    let page = list_locations(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0;
    Ok(Locations {
        chrome: viewer.chrome.at("/stock"),
        locations: page.items,
        next: page.next_cursor,
        can_manage: viewer.principal.may(Action::PurchasingManage),
        form,
        errors: FieldErrors::default(),
    })
}

/// `GET /stock/locations`: where stock is kept, and the form that adds a place.
pub(crate) async fn locations(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(at): Query<Cursor>,
) -> PageResult {
    Ok(render(&locations_page(&state, &viewer, at.cursor, LocationForm::default()).await?))
}

/// `POST /stock/locations`: adds a location; errors go back to the form.
pub(crate) async fn create_location(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<LocationForm>,
) -> PageResult {
    let input = LocationInput { name: form.name.clone() };
    match api_create_location(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await {
        Ok(_) => Ok(Redirect::to("/stock/locations").into_response()),
        Err(error) => {
            let shown = locations_page(&state, &viewer, None, form).await?;
            let placing = Placing { conflicts: &[("location_name_taken", "name")], ..Placing::default() };
            refused(error, placing, |errors| Locations { errors, ..shown })
        }
    }
}
