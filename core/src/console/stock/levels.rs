//! Stock levels: what is where, by item and location, those at or below the reorder point marked.

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::{Catalogue, filter};
use crate::console::page::{Chrome, PageResult, render};
use crate::console::session::Viewer;
use crate::http::extract::ApiQuery;
use crate::http::stock::levels::{LevelQuery, list_levels};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_stock::levels::StockLevel;
use ils_storage::ids::{ItemId, LocationId};

#[derive(Template)]
#[template(path = "console/stock_levels.html")]
struct Levels {
    chrome: Chrome,
    catalogue: Catalogue,
    levels: Vec<StockLevel>,
    item: Option<ItemId>,
    location: Option<LocationId>,
    low: bool,
    next: Option<String>,
    can_move: bool,
}

impl Levels {
    fn is_item(&self, id: &ItemId) -> bool {
        self.item == Some(*id)
    }

    fn is_location(&self, id: &LocationId) -> bool {
        self.location == Some(*id)
    }

    /// The query string of the next page: these filters, from `cursor`.
    fn next_href(&self, cursor: &str) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(item) = self.item {
            query.append_pair("item", &item.to_string());
        }
        if let Some(location) = self.location {
            query.append_pair("location", &location.to_string());
        }
        if self.low {
            query.append_pair("low", "true");
        }
        query.append_pair("cursor", cursor);
        format!("/stock?{}", query.finish())
    }
}

/// The levels page's filters, as a link or the filter form sends them (blank is "all").
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LevelsQuery {
    #[serde(default)]
    item: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    low: bool,
    cursor: Option<String>,
}

/// `GET /stock?item=&location=&low=true`: stock levels, optionally of one item, at one location,
/// or only the low ones.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<LevelsQuery>,
) -> PageResult {
    let item = filter("item", &query.item)?;
    let location = filter("location", &query.location)?;
    let api = LevelQuery {
        item_id: item,
        location_id: location,
        low: query.low,
        cursor: query.cursor,
        limit: Some(100),
    };
    let page = list_levels(State(state.clone()), viewer.principal.clone(), ApiQuery(api)).await?.0;
    let catalogue = Catalogue::load(&state, &viewer.principal).await?;
    Ok(render(&Levels {
        chrome: viewer.chrome.at("/stock"),
        catalogue,
        levels: page.items,
        item,
        location,
        low: query.low,
        next: page.next_cursor,
        can_move: viewer.principal.may(Action::StockWrite),
    }))
}
