//! A report as a PDF: A4 portrait, laid out (`layout.rs`) and drawn with krilla.
//!
//! Every page has the practice, the report's title and the period at the top and
//! "Page N of M" at the bottom. Charts are the same SVG the HTML shows, parsed by usvg with only
//! the embedded DejaVu fonts in its database (never the machine's) and drawn with krilla-svg,
//! their text kept as text. krilla embeds the fonts as subsets (`/FontFile2`). The creation
//! date in the metadata is the context's generation time, so the same inputs give the same
//! bytes.

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

use self::layout::{BODY_WIDTH, Fonts, MARGIN, Op, PAGE_HEIGHT, PAGE_WIDTH};
use crate::document::{Document, Section};
use crate::error::RenderError;
use crate::fonts::{BOLD, FAMILY, REGULAR, Widths};
use crate::render::chart;

/// A colour as red, green, blue.
type Rgb = (u8, u8, u8);
const INK: Rgb = (26, 26, 26);
const GREY: Rgb = (100, 100, 100);
const BAND: Rgb = (243, 243, 243);

/// The document as a PDF.
pub fn render(document: &Document) -> Result<Vec<u8>, RenderError> {
    let font_error = || RenderError("the embedded font cannot be read".into());
    let widths = Fonts {
        regular: Widths::of(REGULAR).ok_or_else(font_error)?,
        bold: Widths::of(BOLD).ok_or_else(font_error)?,
    };
    let pages = layout::layout(document, &widths);
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
    for (i, ops) in pages.iter().enumerate() {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        pen.frame(&mut surface, document, i + 1, pages.len());
        for op in ops {
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

/// Title, author and creation date (the context's time, in UTC).
fn metadata(document: &Document) -> Metadata {
    let mut metadata = Metadata::new()
        .title(format!("{} — {}", document.title, document.practice_name))
        .authors(vec![document.practice_name.clone()])
        .creator("ILS reports".into())
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
    /// The page's header and footer.
    fn frame(&self, surface: &mut Surface<'_>, document: &Document, number: usize, total: usize) {
        let half = BODY_WIDTH / 2.0 - 6.0;
        let right = MARGIN + BODY_WIDTH;
        let practice = self.widths.bold.fit(&document.practice_name, 9.0, BODY_WIDTH);
        self.text(surface, MARGIN, 38.0, 9.0, true, INK, &practice);
        let title = self.widths.bold.fit(&document.title, 14.0, BODY_WIDTH);
        self.text(surface, MARGIN, 57.0, 14.0, true, INK, &title);
        let period = self.widths.regular.fit(&document.period, 8.5, half);
        self.text(surface, MARGIN, 71.0, 8.5, false, GREY, &period);
        let generated = format!("Generated {}", document.generated_at);
        let width = self.widths.regular.width(&generated, 8.5);
        self.text(surface, right - width, 71.0, 8.5, false, GREY, &generated);
        self.rule(surface, MARGIN, 78.0, BODY_WIDTH, 0.8, INK);

        self.rule(surface, MARGIN, 806.0, BODY_WIDTH, 0.5, GREY);
        let left =
            self.widths.regular.fit(&format!("{} · {}", document.practice_name, document.title), 8.0, half);
        self.text(surface, MARGIN, 818.0, 8.0, false, GREY, &left);
        let page = format!("Page {number} of {total}");
        let width = self.widths.regular.width(&page, 8.0);
        self.text(surface, right - width, 818.0, 8.0, false, INK, &page);
    }

    fn draw(&self, surface: &mut Surface<'_>, op: &Op, charts: &[usvg::Tree]) -> Result<(), RenderError> {
        match op {
            Op::Text { x, y, size, bold, grey, text } => {
                self.text(surface, *x, *y, *size, *bold, if *grey { GREY } else { INK }, text);
            }
            Op::Rule { x, y, width, thickness } => self.rule(surface, *x, *y, *width, *thickness, INK),
            Op::Band { x, y, width, height } => {
                let mut path = PathBuilder::new();
                if let Some(rect) = krilla::geom::Rect::from_xywh(*x, *y, *width, *height) {
                    path.push_rect(rect);
                }
                if let Some(path) = path.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(BAND)));
                    surface.draw_path(&path);
                }
            }
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

fn paint((r, g, b): Rgb) -> krilla::paint::Paint {
    rgb::Color::new(r, g, b).into()
}

fn fill(colour: Rgb) -> Fill {
    Fill { paint: paint(colour), opacity: NormalizedF32::ONE, rule: Default::default() }
}
