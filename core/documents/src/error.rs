//! What can go wrong rendering.

use thiserror::Error;

/// Why a document could not be rendered: a chart that would not draw, a PDF that would not be
/// written. Not the caller's data: nothing in a [`Document`](crate::Document) is refused here.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("rendering failed: {0}")]
pub struct RenderError(pub(crate) String);
