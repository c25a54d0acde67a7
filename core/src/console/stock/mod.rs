//! Stock and purchasing in the console: levels by item and location (low ones marked), the item
//! catalogue and locations, adjustments and transfers, stock counts, suppliers, purchase orders
//! and the goods received against them.
//!
//! Every page calls the stock API's handlers (`crate::http::stock`), so a page is allowed, refused
//! and audited exactly as the same request to the API would be. What is here is only the console's
//! part: reading forms as typed, putting each error at the input that caused it, and naming items
//! and locations instead of showing their ids.

mod counts;
mod levels;
mod movements;
mod purchase_orders;
mod receipts;
mod setup;
mod suppliers;

use std::future::Future;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};

use super::page::ConsoleError;
pub(crate) use super::page::{Placing, refused_with as refused};
use crate::http::extract::ApiQuery;
use crate::http::problem::ApiResult;
use crate::http::stock::items::{ItemQuery, list_items};
use crate::http::stock::locations::list_locations;
use crate::state::AppState;
use ils_kernel::error::{Error, FieldError};
use ils_kernel::page::{Page, PageQuery};
use ils_stock::items::Item;
use ils_stock::locations::Location;
use ils_storage::ids::{ItemId, LocationId};
use ils_tenancy::auth::Principal;

pub(crate) use movements::reason_label;

/// The stock pages' routes, merged into the console's router.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/stock", get(levels::page))
        .route("/stock/items", get(setup::items).post(setup::create_item))
        .route("/stock/locations", get(setup::locations).post(setup::create_location))
        .route("/stock/adjustments", get(movements::adjust_form).post(movements::adjust))
        .route("/stock/transfers", get(movements::transfer_form).post(movements::transfer))
        .route("/stock/counts", get(counts::list).post(counts::start))
        .route("/stock/counts/{count}", get(counts::show))
        .route("/stock/counts/{count}/lines", post(counts::record))
        .route("/stock/counts/{count}/finalise", post(counts::finalise))
        .route("/stock/counts/{count}/cancel", post(counts::cancel))
        .route("/stock/suppliers", get(suppliers::page).post(suppliers::add))
        .route("/stock/suppliers/accounts", post(suppliers::open_account))
        .route("/stock/purchase-orders", get(purchase_orders::list).post(purchase_orders::raise))
        .route("/stock/purchase-orders/new", get(purchase_orders::new_form))
        .route("/stock/purchase-orders/{order}", get(purchase_orders::show))
        .route("/stock/purchase-orders/{order}/send", post(purchase_orders::send))
        .route("/stock/purchase-orders/{order}/send-again", post(purchase_orders::send_again))
        .route("/stock/purchase-orders/{order}/cancel", post(purchase_orders::cancel))
        .route("/stock/purchase-orders/{order}/receipts", post(receipts::receive))
}

/// One entry of the stock pages' own navigation.
pub(crate) struct Section {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The stock pages' navigation, with `here` (an href) marked current.
pub(crate) fn sections(here: impl AsRef<str>) -> Vec<Section> {
    const ALL: [(&str, &str); 8] = [
        ("/stock", "Levels"),
        ("/stock/items", "Items"),
        ("/stock/locations", "Locations"),
        ("/stock/adjustments", "Adjust"),
        ("/stock/transfers", "Transfer"),
        ("/stock/counts", "Counts"),
        ("/stock/suppliers", "Suppliers"),
        ("/stock/purchase-orders", "Purchase orders"),
    ];
    ALL.iter().map(|&(href, label)| Section { href, label, current: href == here.as_ref() }).collect()
}

/// How many pages of a list the console reads for a drop-down or a lookup: a practice's
/// catalogue is tens or hundreds of items, and a list longer than this is no use as a select.
const MAX_PAGES: usize = 5;
/// Rows per page read from the API.
const PAGE_SIZE: u32 = 200;

/// Every row of a paged API list (up to [`MAX_PAGES`] pages).
async fn every<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ConsoleError>
where
    F: FnMut(PageQuery) -> Fut,
    Fut: Future<Output = ApiResult<Json<Page<T>>>>,
{
    let mut rows = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = fetch(PageQuery { cursor, limit: Some(PAGE_SIZE) }).await?.0;
        rows.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(rows)
}

/// The tenant's items and locations: the choices of a form, and the names a list shows.
pub(crate) struct Catalogue {
    pub items: Vec<Item>,
    pub locations: Vec<Location>,
}

impl Catalogue {
    /// Reads both through the API, as `principal`.
    pub async fn load(state: &AppState, principal: &Principal) -> Result<Self, ConsoleError> {
        let items = every(|page| {
            let query = ItemQuery { cursor: page.cursor, limit: page.limit, ..ItemQuery::default() };
            list_items(State(state.clone()), principal.clone(), ApiQuery(query))
        })
        .await?;
        let locations =
            every(|page| list_locations(State(state.clone()), principal.clone(), ApiQuery(page))).await?;
        Ok(Self { items, locations })
    }

    /// How an item reads in a list: its SKU and name.
    pub fn item(&self, id: &ItemId) -> String {
        match self.items.iter().find(|i| i.id == *id) {
            Some(item) => format!("{} · {}", item.sku, item.name),
            None => id.to_string(),
        }
    }

    /// A location's name.
    pub fn location(&self, id: &LocationId) -> String {
        match self.locations.iter().find(|l| l.id == *id) {
            Some(location) => location.name.clone(),
            None => id.to_string(),
        }
    }
}

/// A whole number as typed (`12`, `+12`, `-3`).
pub(crate) fn whole(field: &str, value: &str, example: &str) -> Result<i64, Error> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::invalid_field(field, format!("must be a whole number, e.g. {example}")))
}

/// One of a select's options: an id.
pub(crate) fn chosen<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, Error> {
    value.trim().parse().map_err(|_| Error::invalid_field(field, "choose one of the options"))
}

/// An optional id filter from a query string: blank is "all".
pub(crate) fn filter<T: std::str::FromStr>(field: &str, value: &str) -> Result<Option<T>, ConsoleError> {
    match value.trim() {
        "" => Ok(None),
        v => Ok(Some(chosen(field, v)?)),
    }
}

/// An amount in minor units as people read it: `£12.50`, or `12.50 EUR`.
pub(crate) fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let (units, cents) = (minor.unsigned_abs() / 100, minor.unsigned_abs() % 100);
    match currency {
        "GBP" => format!("{sign}£{units}.{cents:02}"),
        _ => format!("{sign}{units}.{cents:02} {currency}"),
    }
}

/// An amount typed in major units (`2.50`, `£2.50`, `3`) in minor units.
pub(crate) fn minor_units(field: &str, value: &str) -> Result<i64, Error> {
    let invalid = || Error::invalid_field(field, "must be an amount, e.g. 2.50");
    let value = value.trim().trim_start_matches('£');
    let (units, cents) = value.split_once('.').unwrap_or((value, "0"));
    if units.is_empty()
        || cents.is_empty()
        || cents.len() > 2
        || !units.bytes().chain(cents.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let cents = if cents.len() == 1 { format!("{cents}0") } else { cents.to_owned() };
    let units: i64 = units.parse().map_err(|_| invalid())?;
    let cents: i64 = cents.parse().map_err(|_| invalid())?;
    units.checked_mul(100).and_then(|u| u.checked_add(cents)).ok_or_else(invalid)
}

/// Several field errors at once (a form whose typing is wrong in more than one place).
pub(crate) fn invalid_fields(fields: Vec<(String, String)>) -> Error {
    Error::Invalid {
        code: "invalid_input",
        message: "Some values need correcting: see the marked fields.".to_owned(),
        fields: fields.into_iter().map(|(field, message)| FieldError { field, message }).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_in_major_units_and_shown_with_their_currency() {
        assert_eq!(minor_units("p", "2.5").unwrap(), 250);
        assert_eq!(minor_units("p", "£12.05").unwrap(), 1205);
        assert_eq!(minor_units("p", "3").unwrap(), 300);
        for bad in ["", "2.", "2.505", "-1", "1e3", "two"] {
            assert!(minor_units("p", bad).is_err(), "{bad:?}");
        }
        assert_eq!(money(1205, "GBP"), "£12.05");
        assert_eq!(money(7, "EUR"), "0.07 EUR");
    }

    #[test]
    fn quantities_take_a_sign_and_nothing_else() {
        assert_eq!(whole("q", "+12", "12").unwrap(), 12);
        assert_eq!(whole("q", " -3 ", "12").unwrap(), -3);
        assert!(whole("q", "1.5", "12").is_err());
        assert!(whole("q", "twelve", "12").is_err());
    }
}
