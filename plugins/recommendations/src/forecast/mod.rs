//! Demand forecasts.
