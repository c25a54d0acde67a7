//! The recommender plugin's computations, without the plugin: plain values in, plain values out,
//! each result carrying an [`Explanation`] that shows the figures it used.
//!
//! - [`optics`]: material, design and frame suggestions for a prescription in a frame, with a
//!   lens thickness estimate from surface sags; the practice's frames ranked for a prescription
//!   by that estimate and by what similar prescriptions bought.
//! - [`forecast`]: demand forecasts (Croston, SBA, TSB for intermittent demand; exponential
//!   smoothing, Holt and Holt–Winters otherwise), the rule that picks one, and a rolling-origin
//!   backtest against naive and moving-average baselines.
//! - [`reorder`]: lead time from purchase-order history, safety stock for a service target on a
//!   normal or (for skewed demand) gamma model of lead-time demand, reorder point and order
//!   quantity.
//! - [`anomaly`]: turnaround and quality-failure series drifting from their normal level.
//!
//! The computations do no I/O; the plugin glue ([`plugin`]) reads the tenant's data through
//! `ils:platform` and passes it in. The rules and
//! their thresholds are listed in the crate's README with the tests that check them.
//!
//! ```
//! use ils_recommendations::optics::{Frame, LensQuery, Material, suggest_lens};
//!
//! let query: LensQuery = serde_json::from_str(
//!     r#"{"sphere": "-6.00", "age_years": 35, "pd_mm": 64,
//!         "frame": {"eye_size_mm": 52, "bridge_mm": 18}}"#,
//! )?;
//! let lens = suggest_lens(&query)?;
//! assert_eq!(lens.material, Material::Index167);
//! assert!(lens.aspheric);
//! assert!(lens.explanation.mentions("strongest meridian 6.00 D is over 4.00 D and ≤ 6.00 D"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod anomaly;
mod error;
mod explain;
pub mod forecast;
pub mod optics;
pub mod plugin;
pub mod reorder;

pub use error::RecoError;
pub use explain::Explanation;
