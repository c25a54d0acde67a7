//! The renderers: each a pure function from a [`Document`](crate::Document) to bytes.

pub mod chart;
pub mod csv;
pub mod html;
pub mod pdf;
