//! Which eye a value belongs to.

use serde::{Deserialize, Serialize};

/// Which eye a value is for: right (OD) or left (OS). Prism bases in and out, and prentice
/// decentration, mean opposite directions on the two eyes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Eye {
    /// The right eye (OD).
    Right,
    /// The left eye (OS).
    Left,
}

impl Eye {
    /// `right` or `left`, as field names in errors begin.
    pub(crate) fn side(self) -> &'static str {
        match self {
            Eye::Right => "right",
            Eye::Left => "left",
        }
    }
}
