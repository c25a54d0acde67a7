//! Stock levels: what is where, by item and location, those at or below the reorder point marked;
//! beside them, when a recommender gives the viewer the `reorder` kind, its suggested reorder point
//! and quantity, due ones with the button that raises their draft purchase order (docs/adr/032).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Catalogue, filter};
use crate::console::page::{Chrome, PageResult, render};
use crate::console::recommendations::{enabled, figure, said};
use crate::console::session::Viewer;
use crate::http::extract::ApiQuery;
use crate::http::stock::levels::{LevelQuery, list_levels};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_plugin_host::recommend::{DraftPurchaseOrder, Suggested, draft_of};
use ils_stock::levels::StockLevel;
use ils_storage::ids::{ItemId, LocationId};

/// The `reorder` kind's suggestion for one item at one location, as the column shows it.
#[derive(Debug)]
struct Reorder {
    /// The suggested reorder point (the figure `suggested reorder point`).
    point: Option<i64>,
    /// The suggested order quantity (the figure `order quantity`).
    quantity: Option<i64>,
    title: String,
    explanation: String,
    /// The draft purchase order proposed: the suggestion is due.
    draft: Option<DraftPurchaseOrder>,
}

impl Reorder {
    /// The row a suggestion belongs to: its subject names `{item}@{location}` (the `reorder`
    /// kind's subjects), else its proposed draft's location and first line.
    fn of(s: &Suggested) -> Option<((ItemId, LocationId), Reorder)> {
        let r = &s.recommendation;
        let draft = r.action.as_ref().map(|a| draft_of(a).clone());
        let (item, location) = match r.subject.split_once('@') {
            Some((item, location)) => (item.to_owned(), location.to_owned()),
            None => {
                let d = draft.as_ref()?;
                (d.lines.first()?.item_id.clone(), d.location_id.clone())
            }
        };
        let key = (item.parse().ok()?, location.parse().ok()?);
        // Counts of units: a fraction is rounded up, as the recommender rounds them.
        let units = |name: &str| figure(s, name).map(|v| v.ceil() as i64);
        let reorder = Reorder {
            point: units("suggested reorder point"),
            quantity: units("order quantity"),
            title: r.title.clone(),
            explanation: r.explanation.clone(),
            draft,
        };
        Some((key, reorder))
    }
}

/// The reorder column: absent without a recommender giving the viewer `reorder`.
#[derive(Debug)]
enum Column {
    /// No recommender gives the viewer `reorder`.
    Absent,
    /// The recommenders did not answer: a short notice instead of the column.
    Unavailable(String),
    /// Each row's suggestion (the best scored where several recommenders give one).
    Shown(HashMap<(ItemId, LocationId), Reorder>),
}

/// One gather of `reorder` for the page, narrowed to its filters.
async fn column(
    state: &AppState,
    viewer: &Viewer,
    item: Option<ItemId>,
    location: Option<LocationId>,
) -> Column {
    let enabled = match enabled(state, viewer).await {
        Ok(enabled) if enabled.gives("reorder") => enabled,
        Ok(_) => return Column::Absent,
        Err(error) => {
            tracing::warn!(%error, "the recommenders could not be read for the stock page");
            return Column::Absent;
        }
    };
    let mut input = Map::new();
    if let Some(item) = item {
        input.insert("item_id".into(), json!(item));
    }
    if let Some(location) = location {
        input.insert("location_id".into(), json!(location));
    }
    match enabled.gather("reorder", Value::Object(input)).await {
        Ok(found) => {
            let mut rows = HashMap::new();
            // Best first: the first suggestion for a row is the one shown.
            for (key, reorder) in found.recommendations.iter().filter_map(Reorder::of) {
                rows.entry(key).or_insert(reorder);
            }
            Column::Shown(rows)
        }
        Err(error) => Column::Unavailable(said(&error)),
    }
}

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
    reorder: Column,
    /// Whether the viewer may raise purchase orders (the due suggestions' button).
    can_order: bool,
}

impl Levels {
    fn is_item(&self, id: &ItemId) -> bool {
        self.item == Some(*id)
    }

    fn is_location(&self, id: &LocationId) -> bool {
        self.location == Some(*id)
    }

    /// Whether the reorder column is shown.
    fn suggests(&self) -> bool {
        matches!(self.reorder, Column::Shown(_))
    }

    /// The notice shown when the recommenders did not answer.
    fn reorder_notice(&self) -> Option<&str> {
        match &self.reorder {
            Column::Unavailable(why) => Some(why),
            _ => None,
        }
    }

    /// The suggestion for `level`'s item and location, if there is one.
    fn suggestion(&self, level: &StockLevel) -> Option<&Reorder> {
        match &self.reorder {
            Column::Shown(rows) => rows.get(&(level.item_id, level.location_id)),
            _ => None,
        }
    }

    /// Whether some row shown is due and the viewer cannot raise its order.
    fn due_for_others(&self) -> bool {
        !self.can_order && self.levels.iter().any(|l| self.suggestion(l).is_some_and(|r| r.draft.is_some()))
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
/// or only the low ones; with the suggested reorder beside each, from one gather.
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
    let reorder = column(&state, &viewer, item, location).await;
    Ok(render(&Levels {
        chrome: viewer.chrome.at("/stock"),
        catalogue,
        levels: page.items,
        item,
        location,
        low: query.low,
        next: page.next_cursor,
        can_move: viewer.principal.may(Action::StockWrite),
        reorder,
        can_order: viewer.principal.may(Action::PurchasingManage),
    }))
}
