//! Lab orders and lab accounts. The orders, their lifecycle, stores, services and events are
//! [`ils_orders`]'s, re-exported here under their old paths; the handlers are in
//! `crate::http::orders` and `crate::http::accounts`.

pub use ils_orders::*;

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_lists_every_order_event_in_order() {
        let all = crate::events::catalog::ALL;
        let start = all.iter().position(|e| *e == ils_orders::events::EVENTS[0]).expect("listed");
        assert_eq!(&all[start..start + ils_orders::events::EVENTS.len()], ils_orders::events::EVENTS);
    }
}
