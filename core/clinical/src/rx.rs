//! Spectacle and contact-lens prescriptions for one eye: the values (powers, axes, prism, one
//! eye's prescription and its transposition) are [`ils_optics`]'s, shared with the plugins; this
//! module re-exports them for the clinical code. A refused value
//! is an invalid field (`ils_kernel::Error` converts [`ils_optics::InvalidValue`]).

pub use ils_optics::{
    Axis, CylinderForm, Eye, EyeRx, HorizontalBase, Power, Prism, Steps, VerticalBase, prentice,
};

#[cfg(test)]
mod tests {
    use super::*;
    use ils_kernel::Error;

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
