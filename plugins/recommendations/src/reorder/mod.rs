//! Reorder points.
