//! Cursor pagination. A cursor is the opaque base64url form of the last id on a page; ids are
//! UUIDv7, so "after this id" is "created after this one" and pages never skip or repeat rows
//! while others are being added.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 200;

/// Query parameters of every list endpoint.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct PageQuery {
    /// `next_cursor` from the previous page.
    #[cfg_attr(feature = "openapi", param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$"))]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// A validated page request.
#[derive(Clone, Debug)]
pub struct PageRequest {
    after: Option<Uuid>,
    limit: u32,
}

impl PageRequest {
    /// Checks the cursor and the limit.
    pub fn parse(query: &PageQuery) -> Result<Self> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid_field("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let after = match query.cursor.as_deref() {
            None | Some("") => None,
            Some(cursor) => Some(
                URL_SAFE_NO_PAD
                    .decode(cursor)
                    .ok()
                    .and_then(|bytes| Uuid::from_slice(&bytes).ok())
                    .ok_or_else(|| Error::invalid_field("cursor", "is not a cursor this API issued"))?,
            ),
        };
        Ok(Self { after, limit })
    }

    /// The id to continue after.
    pub fn after<T: From<Uuid>>(&self) -> Result<Option<T>> {
        Ok(self.after.map(T::from))
    }

    /// How many rows to fetch: one more than a page, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Trims the extra row and sets the next cursor.
    pub fn finish<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> Uuid) -> Page<T> {
        let limit = self.limit as usize;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| URL_SAFE_NO_PAD.encode(key(last).as_bytes()))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

/// One page of a list.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_bad_values_are_refused() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let req = PageRequest::parse(&PageQuery { cursor: None, limit: Some(2) }).unwrap();
        let page = req.finish(ids.clone(), |u| *u);
        assert_eq!(page.items.len(), 2);
        let next = PageRequest::parse(&PageQuery { cursor: page.next_cursor, limit: Some(2) }).unwrap();
        assert_eq!(next.after::<Uuid>().unwrap(), Some(ids[1]));
        assert!(PageRequest::parse(&PageQuery { cursor: Some("nope".into()), limit: None }).is_err());
        assert!(PageRequest::parse(&PageQuery { cursor: None, limit: Some(0) }).is_err());
        assert!(PageRequest::parse(&PageQuery { cursor: None, limit: Some(201) }).is_err());
    }
}
