//! A document as a PDF: A4 portrait, laid out (`layout.rs`), framed (`frame.rs`) and drawn
//! with krilla.
//!
//! Every page has the organisation, the title and the period (if any) at the top and
//! "Page N of M" at the bottom; the first page has the letterhead, if any. Charts are the same
//! SVG the HTML shows, parsed by usvg with only the embedded DejaVu fonts in its database (never
//! the machine's) and drawn with krilla-svg, their text kept as text. Barcodes are filled
//! rectangles, black on the white page. krilla embeds the fonts as subsets (`/FontFile2`). The
//! creation date in the metadata is the document's generation time, so the same document gives
//! the same bytes.

mod frame;
mod layout;

use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};

use self::layout::{Fonts, Op, PAGE_HEIGHT, PAGE_WIDTH};
use crate::document::{Document, Section};
use crate::error::RenderError;
use crate::fonts::{BOLD, FAMILY, REGULAR, Widths};
use crate::render::chart;

/// A colour as red, green, blue.
type Rgb = (u8, u8, u8);
const INK: Rgb = (26, 26, 26);
const GREY: Rgb = (100, 100, 100);
const BAND: Rgb = (243, 243, 243);
const BLACK: Rgb = (0, 0, 0);

/// The document as a PDF.
pub fn render(document: &Document) -> Result<Vec<u8>, RenderError> {
    let font_error = || RenderError("the embedded font cannot be read".into());
    let widths = Fonts {
        regular: Widths::of(REGULAR).ok_or_else(font_error)?,
        bold: Widths::of(BOLD).ok_or_else(font_error)?,
    };
    let (_, first_top) = frame::header(document, &widths, 1);
    let pages = layout::layout(document, &widths, first_top);
    let charts = charts(document)?;
    let pen = Pen {
        regular: Font::new(REGULAR.into(), 0).ok_or_else(font_error)?,
        bold: Font::new(BOLD.into(), 0).ok_or_else(font_error)?,
        widths,
    };

    let mut pdf = krilla::Document::new();
    pdf.set_metadata(metadata(document));
    let settings =
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| RenderError("page size".into()))?;
    for (i, body) in pages.iter().enumerate() {
        let (header, _) = frame::header(document, &pen.widths, i + 1);
        let footer = frame::footer(document, &pen.widths, i + 1, pages.len());
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in header.iter().chain(&footer).chain(body) {
            pen.draw(&mut surface, op, &charts)?;
        }
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|e| RenderError(format!("writing the PDF: {e}")))
}

/// Each chart's SVG as a usvg tree laid out with the embedded fonts only.
fn charts(document: &Document) -> Result<Vec<usvg::Tree>, RenderError> {
    let mut fonts = usvg::fontdb::Database::new();
    fonts.load_font_source(usvg::fontdb::Source::Binary(Arc::new(REGULAR)));
    fonts.load_font_source(usvg::fontdb::Source::Binary(Arc::new(BOLD)));
    fonts.set_sans_serif_family(FAMILY);
    let options =
        usvg::Options { font_family: FAMILY.into(), fontdb: Arc::new(fonts), ..usvg::Options::default() };
    document
        .sections
        .iter()
        .filter_map(|s| match s {
            Section::Chart(c) => Some(c),
            _ => None,
        })
        .map(|c| {
            let svg = chart::svg(c)?;
            usvg::Tree::from_str(&svg, &options).map_err(|e| RenderError(format!("chart {:?}: {e}", c.title)))
        })
        .collect()
}

/// Title, author and creation date (the document's generation time, in UTC).
fn metadata(document: &Document) -> Metadata {
    let mut metadata = Metadata::new()
        .title(format!("{} — {}", document.title, document.organisation))
        .authors(vec![document.organisation.clone()])
        .creator("ILS".into())
        .language("en-GB".into());
    if let Ok(at) = jiff::Timestamp::from_millisecond(document.generated_at_ms) {
        let at = jiff::tz::TimeZone::UTC.to_datetime(at);
        let (Ok(year), Ok(month), Ok(day), Ok(hour), Ok(minute), Ok(second)) = (
            u16::try_from(at.year()),
            u8::try_from(at.month()),
            u8::try_from(at.day()),
            u8::try_from(at.hour()),
            u8::try_from(at.minute()),
            u8::try_from(at.second()),
        ) else {
            return metadata;
        };
        let date = DateTime::new(year)
            .month(month)
            .day(day)
            .hour(hour)
            .minute(minute)
            .second(second)
            .utc_offset_hour(0)
            .utc_offset_minute(0);
        metadata = metadata.creation_date(date);
    }
    metadata
}

struct Pen {
    regular: Font,
    bold: Font,
    widths: Fonts,
}

impl Pen {
    fn draw(&self, surface: &mut Surface<'_>, op: &Op, charts: &[usvg::Tree]) -> Result<(), RenderError> {
        match op {
            Op::Text { x, y, size, bold, grey, text } => {
                self.text(surface, *x, *y, *size, *bold, if *grey { GREY } else { INK }, text);
            }
            Op::Rule { x, y, width, thickness, grey } => {
                self.rule(surface, *x, *y, *width, *thickness, if *grey { GREY } else { INK });
            }
            Op::Band { x, y, width, height } => rects(surface, &[(*x, *width)], *y, *height, BAND),
            Op::Bars { y, height, bars } => rects(surface, bars, *y, *height, BLACK),
            Op::Chart { index, x, y, width, height } => {
                let tree = charts.get(*index).ok_or_else(|| RenderError("a chart went missing".into()))?;
                let size = Size::from_wh(*width, *height).ok_or_else(|| RenderError("chart size".into()))?;
                surface.push_transform(&Transform::from_translate(*x, *y));
                let drawn = surface.draw_svg(tree, size, SvgSettings::default());
                surface.pop();
                drawn.ok_or_else(|| RenderError("drawing a chart".into()))?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn text(
        &self,
        surface: &mut Surface<'_>,
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        colour: Rgb,
        text: &str,
    ) {
        let font = if bold { self.bold.clone() } else { self.regular.clone() };
        surface.set_stroke(None);
        surface.set_fill(Some(fill(colour)));
        surface.draw_text(Point::from_xy(x, y), font, size, text, false, TextDirection::Auto);
    }

    fn rule(&self, surface: &mut Surface<'_>, x: f32, y: f32, width: f32, thickness: f32, colour: Rgb) {
        let mut path = PathBuilder::new();
        path.move_to(x, y);
        path.line_to(x + width, y);
        if let Some(path) = path.finish() {
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke { paint: paint(colour), width: thickness, ..Stroke::default() }));
            surface.draw_path(&path);
        }
    }
}

/// Filled rectangles of one height, each given as its left edge and width, as one path.
fn rects(surface: &mut Surface<'_>, spans: &[(f32, f32)], y: f32, height: f32, colour: Rgb) {
    let mut path = PathBuilder::new();
    for (x, width) in spans {
        if let Some(rect) = krilla::geom::Rect::from_xywh(*x, y, *width, height) {
            path.push_rect(rect);
        }
    }
    if let Some(path) = path.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(colour)));
        surface.draw_path(&path);
    }
}

fn paint((r, g, b): Rgb) -> krilla::paint::Paint {
    rgb::Color::new(r, g, b).into()
}

fn fill(colour: Rgb) -> Fill {
    Fill { paint: paint(colour), opacity: NormalizedF32::ONE, rule: Default::default() }
}
