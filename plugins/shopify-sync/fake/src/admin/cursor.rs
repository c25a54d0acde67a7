//! Connection cursors: opaque to clients, base64 of `{"last_id":N}` as Shopify's are.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::json;

/// The cursor after the node with this id.
pub(crate) fn encode(last_id: u64) -> String {
    BASE64.encode(json!({ "last_id": last_id, "last_value": last_id.to_string() }).to_string())
}

/// The id a cursor points after, if it is one of ours.
pub(crate) fn decode(cursor: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Wire {
        last_id: u64,
    }
    let bytes = BASE64.decode(cursor).ok()?;
    serde_json::from_slice::<Wire>(&bytes).ok().map(|w| w.last_id)
}

/// One page of `ids` (ascending) after `after`: the ids and whether more follow.
pub(crate) fn page<I: IntoIterator<Item = u64>>(ids: I, first: u32, after: Option<u64>) -> (Vec<u64>, bool) {
    let mut rest = ids.into_iter().filter(|id| after.is_none_or(|a| *id > a));
    let taken: Vec<u64> = rest.by_ref().take(first as usize).collect();
    (taken, rest.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_pages_follow_on() {
        assert_eq!(decode(&encode(42)), Some(42));
        assert_eq!(decode("not a cursor"), None);
        assert_eq!(page([1, 2, 3, 4, 5], 2, None), (vec![1, 2], true));
        assert_eq!(page([1, 2, 3, 4, 5], 2, Some(4)), (vec![5], false));
        assert_eq!(page([1, 2, 3, 4], 2, Some(2)), (vec![3, 4], false));
    }
}
