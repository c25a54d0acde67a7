//! The fonts compiled into the crate (DejaVu Sans, `fonts/`, with their licence), and text
//! widths from their metrics for laying out PDF pages.
//!
//! Nothing here, nor in the chart or PDF renderers, reads the machine's fonts: a wasm component
//! has none, and a native bench must render the same bytes.

use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, GlyphId, MetadataProvider};

/// DejaVu Sans.
pub(crate) static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub(crate) static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
/// Their family name, for SVG text.
pub(crate) const FAMILY: &str = "DejaVu Sans";

/// Advance widths of one font, kerning left out (it only narrows text; widths are a bound).
pub(crate) struct Widths<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    metrics: GlyphMetrics<'a>,
}

impl Widths<'static> {
    /// Widths of `font` (one of the embedded fonts).
    pub(crate) fn of(font: &'static [u8]) -> Option<Self> {
        let font = FontRef::new(font).ok()?;
        // At 1 pixel per em, an advance is in ems.
        Some(Self {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::new(1.0), LocationRef::default()),
        })
    }
}

impl Widths<'_> {
    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let ems: f32 = text
            .chars()
            .map(|c| {
                let glyph = self.charmap.map(c).unwrap_or(GlyphId::NOTDEF);
                self.metrics.advance_width(glyph).unwrap_or(0.5)
            })
            .sum();
        ems * size
    }

    /// `text` cut to fit `width` at `size`, ending in `…` when cut.
    pub(crate) fn fit(&self, text: &str, size: f32, width: f32) -> String {
        if self.width(text, size) <= width {
            return text.to_string();
        }
        let ellipsis = self.width("…", size);
        let mut out = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            let w = self.width(c.encode_utf8(&mut [0; 4]), size);
            if used + w + ellipsis > width {
                break;
            }
            used += w;
            out.push(c);
        }
        out.push('…');
        out
    }

    /// `text` broken into lines no wider than `width` at `size`, at spaces; a word wider than a
    /// line is cut.
    pub(crate) fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if self.width(&candidate, size) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines.into_iter().map(|l| self.fit(&l, size, width)).collect()
    }

    /// `text` broken into lines no wider than `width` at `size`: at its line breaks, then at
    /// spaces; a word wider than a line is broken between characters. Nothing is cut.
    pub(crate) fn break_lines(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
                if self.width(&candidate, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, size) > width && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font_and_long_text_is_wrapped_or_cut() {
        let widths = Widths::of(REGULAR).unwrap();
        // DejaVu Sans: "M" is wider than "i"; 10 pt text scales linearly.
        assert!(widths.width("M", 10.0) > widths.width("i", 10.0));
        assert!((widths.width("abc", 20.0) - 2.0 * widths.width("abc", 10.0)).abs() < 1e-3);
        let lines = widths.wrap("Lead time median in days", 9.0, 60.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| widths.width(l, 9.0) <= 60.0));
        let cut = widths.fit("Supplier with a very long name indeed", 9.0, 50.0);
        assert!(cut.ends_with('…') && widths.width(&cut, 9.0) <= 50.0);
    }

    #[test]
    fn breaking_lines_keeps_every_character_and_the_text_s_own_line_breaks() {
        let widths = Widths::of(REGULAR).unwrap();
        let text =
            "Northgate Opticians\nUnit 4, Riverside Industrial Estate\nsupercalifragilisticexpialidocious";
        let lines = widths.break_lines(text, 9.0, 70.0);
        assert_eq!(lines[0], "Northgate");
        assert!(lines.len() > 5, "{lines:?}");
        assert!(lines.iter().all(|l| widths.width(l, 9.0) <= 70.0), "{lines:?}");
        let joined: String = lines.concat().split_whitespace().collect();
        let original: String = text.split_whitespace().collect();
        assert_eq!(joined, original);
        assert_eq!(widths.break_lines("", 9.0, 70.0), [""]);
    }
}
