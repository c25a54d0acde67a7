//! The recommender's computations as the plugin glue will call them: JSON-shaped values in,
//! suggestions with their figures out.

mod optics;
