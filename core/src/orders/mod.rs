//! Lab orders and their production. So far: the order lifecycle as an explicit state machine;
//! storage, routes, the timeline and the production queue follow.

pub mod status;
