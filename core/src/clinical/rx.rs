//! Spectacle and contact-lens prescriptions for one eye: the values (powers, axes, prism, one
//! eye's prescription and its transposition) are [`ils_optics`]'s, shared with the plugins; this
//! module adds what is core's own — the tenant's power [`Steps`] setting, stored — and reports
//! a refused value as an invalid field.

pub use ils_optics::{Axis, CylinderForm, Eye, EyeRx, HorizontalBase, Power, Prism, VerticalBase, prentice};

use crate::error::Error;

crate::db::types::text_enum! {
    /// Which power steps a tenant records (a per-lab setting: some labs also work in eighths).
    #[derive(Default)]
    pub enum Steps {
        /// 0.25 D (the default).
        #[default]
        Quarter = "quarter",
        /// 0.125 D as well (.12, .37, .62, .87).
        Eighth = "eighth",
    }
}

impl From<Steps> for ils_optics::Steps {
    fn from(steps: Steps) -> Self {
        match steps {
            Steps::Quarter => ils_optics::Steps::Quarter,
            Steps::Eighth => ils_optics::Steps::Eighth,
        }
    }
}

impl From<ils_optics::InvalidValue> for Error {
    fn from(e: ils_optics::InvalidValue) -> Self {
        Error::invalid_field(&e.field, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_is_an_invalid_field_with_the_same_message() {
        let err: Error = EyeRx::new(Eye::Right, "2.00", None, None, None, Prism::default(), Steps::Eighth)
            .unwrap_err()
            .into();
        assert_eq!(err.to_string(), "right.sphere: \"2.00\" needs an explicit sign, e.g. +2.00 or -1.75");
        let Error::Invalid { fields, .. } = err else { panic!("not invalid: {err:?}") };
        assert_eq!(fields[0].field, "right.sphere");
    }
}
