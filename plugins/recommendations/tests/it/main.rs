//! The recommender's computations as the plugin glue will call them: JSON-shaped values in,
//! suggestions with their figures out. `support` generates data with known structure.

mod anomaly;
mod forecast;
mod frames;
mod optics;
mod phrasing;
mod reorder;
mod support;
