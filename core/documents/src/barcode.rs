//! Code 128 barcodes (ISO/IEC 15417), encoded by the `barcoders` crate: what a lab's scanner
//! reads off a job ticket. Why Code 128 and these sizes: `docs/adr/037-business-documents.md`.

use thiserror::Error;

/// A Code 128 barcode of a short printable-ASCII value (`J000123`), checked when made: a
/// `Barcode` always renders.
///
/// It is printed [`MODULE_PT`](Self::MODULE_PT) points a module (0.35 mm), with
/// [`QUIET_MODULES`](Self::QUIET_MODULES) blank modules either side and bars
/// [`HEIGHT_PT`](Self::HEIGHT_PT) points (14.1 mm) tall, the value written under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    value: String,
    modules: Vec<bool>,
}

/// Why a value cannot be a barcode.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidBarcode {
    /// Nothing to encode.
    #[error("a barcode needs a value")]
    Empty,
    /// Longer than fits across the page.
    #[error("a barcode value has at most {max} characters; this one has {len}")]
    TooLong {
        /// The value's length.
        len: usize,
        /// The most a barcode takes ([`Barcode::MAX_LEN`]).
        max: usize,
    },
    /// A character Code 128's set B has no symbol for.
    #[error("{0:?} cannot be in a barcode: only printable ASCII (space to ~) can")]
    Character(char),
    /// The encoder refused the value.
    #[error("the value cannot be encoded as Code 128: {0}")]
    Encoding(String),
}

impl Barcode {
    /// The most characters a value may have: with its quiet zones, a barcode of 40 characters
    /// is 495 modules, within an A4 page's text width at [`MODULE_PT`](Self::MODULE_PT).
    pub const MAX_LEN: usize = 40;
    /// The width of a module (the narrowest bar or space), in points: 0.35 mm, above the
    /// 0.25 mm a handheld scanner needs at arm's length.
    pub const MODULE_PT: f32 = 1.0;
    /// Blank modules before the first bar and after the last, where a scanner finds the symbol's
    /// edges.
    pub const QUIET_MODULES: usize = 10;
    /// The height of the bars, in points (14.1 mm).
    pub const HEIGHT_PT: f32 = 40.0;

    /// `value` as a Code 128 barcode in code set B, which encodes every printable ASCII
    /// character; anything else (a letter with an accent, a control character) is refused.
    pub fn code128(value: &str) -> Result<Self, InvalidBarcode> {
        if value.is_empty() {
            return Err(InvalidBarcode::Empty);
        }
        if let Some(c) = value.chars().find(|c| !(' '..='~').contains(c)) {
            return Err(InvalidBarcode::Character(c));
        }
        if value.len() > Self::MAX_LEN {
            return Err(InvalidBarcode::TooLong { len: value.len(), max: Self::MAX_LEN });
        }
        // `Ɓ` selects code set B for the whole value.
        let symbol = barcoders::sym::code128::Code128::new(format!("Ɓ{value}"))
            .map_err(|e| InvalidBarcode::Encoding(e.to_string()))?;
        let modules = symbol.encode().into_iter().map(|m| m == 1).collect();
        Ok(Self { value: value.into(), modules })
    }

    /// The value it encodes.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Its modules from the start character's first bar to the stop pattern's last, `true` for
    /// a bar; the quiet zones are not included.
    pub fn modules(&self) -> &[bool] {
        &self.modules
    }

    /// The width of the symbol with its quiet zones, in modules.
    pub fn total_modules(&self) -> usize {
        self.modules.len() + 2 * Self::QUIET_MODULES
    }

    /// Each bar as its first module (counted from the start of the left quiet zone) and its
    /// width in modules.
    pub fn bars(&self) -> Vec<(usize, usize)> {
        let mut bars: Vec<(usize, usize)> = Vec::new();
        for (i, _) in self.modules.iter().enumerate().filter(|(_, bar)| **bar) {
            let at = i + Self::QUIET_MODULES;
            match bars.last_mut() {
                Some((start, width)) if *start + *width == at => *width += 1,
                _ => bars.push((at, 1)),
            }
        }
        bars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_number_encodes_as_start_b_its_characters_a_check_character_and_stop() {
        let barcode = Barcode::code128("J000123").unwrap();
        // Start, 7 characters and the check character at 11 modules, the stop at 13.
        assert_eq!(barcode.modules().len(), 9 * 11 + 13);
        assert_eq!(barcode.total_modules(), 132);
        // Start B is 11010010000; every symbol starts with a bar and the stop ends with one.
        let start: String = barcode.modules()[..11].iter().map(|&m| if m { '1' } else { '0' }).collect();
        assert_eq!(start, "11010010000");
        assert_eq!(barcode.bars().first(), Some(&(Barcode::QUIET_MODULES, 2)));
        let (last, width) = barcode.bars().last().copied().unwrap();
        assert_eq!(last + width, Barcode::QUIET_MODULES + barcode.modules().len());
    }

    #[test]
    fn values_code_128_cannot_print_are_refused_with_the_reason() {
        assert_eq!(Barcode::code128(""), Err(InvalidBarcode::Empty));
        assert_eq!(Barcode::code128("J00é123"), Err(InvalidBarcode::Character('é')));
        assert_eq!(Barcode::code128("J\t1"), Err(InvalidBarcode::Character('\t')));
        let long = "J".repeat(41);
        assert_eq!(Barcode::code128(&long), Err(InvalidBarcode::TooLong { len: 41, max: 40 }));
        assert_eq!(
            InvalidBarcode::Character('é').to_string(),
            "'é' cannot be in a barcode: only printable ASCII (space to ~) can"
        );
        // Every printable character, markup included, is fine.
        assert!(Barcode::code128(" <script>~").is_ok());
        assert!(Barcode::code128(&"9".repeat(40)).is_ok());
    }
}
