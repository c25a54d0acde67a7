//! The renderers: each a pure function from a [`Document`](crate::document::Document) to bytes.

pub mod chart;
pub mod csv;
pub mod html;
pub mod pdf;
