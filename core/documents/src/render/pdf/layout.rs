//! Lays a document's sections out on A4 pages before anything is drawn, so the page count is
//! known when each page's footer ("Page N of M") is written.
//!
//! Tables break between rows; a table continued on a new page repeats its title (marked
//! "continued") and its header row. A chart, a barcode, one field or a table's title, header and
//! first row never start at the foot of a page.

use crate::barcode::Barcode;
use crate::document::{Align, Cell, Document, Field, Section, Table};
use crate::fonts::Widths;
use crate::render::chart;

/// A4 in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
/// See [`PAGE_WIDTH`].
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// Left and right margins.
pub(crate) const MARGIN: f32 = 42.0;
/// The width text and tables take.
pub(crate) const BODY_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Where the body starts, below the page header (lower on a first page with a letterhead).
pub(crate) const BODY_TOP: f32 = 92.0;
/// Where the body ends, above the footer.
pub(crate) const BODY_BOTTOM: f32 = 796.0;

const TEXT_SIZE: f32 = 9.0;
const TEXT_LEADING: f32 = 12.5;
const CELL_SIZE: f32 = 8.5;
const ROW_HEIGHT: f32 = 13.5;
const HEADER_LEADING: f32 = 10.5;
const TITLE_SIZE: f32 = 11.0;
const TITLE_HEIGHT: f32 = 20.0;
const PAD: f32 = 4.0;
const MIN_TEXT_COLUMN: f32 = 48.0;
/// A field's label takes at most this share of the width; longer labels are cut.
const LABEL_SHARE: f32 = 0.4;
const LABEL_GAP: f32 = 12.0;
/// The size of the value printed under a barcode.
const BARCODE_TEXT_SIZE: f32 = 10.0;

/// One thing to draw on a page; `y` grows downwards from the page's top.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Text starting at `x` on the baseline `y`.
    Text { x: f32, y: f32, size: f32, bold: bool, grey: bool, text: String },
    /// A horizontal rule.
    Rule { x: f32, y: f32, width: f32, thickness: f32, grey: bool },
    /// A light band behind a table row.
    Band { x: f32, y: f32, width: f32, height: f32 },
    /// The document's `index`-th chart, scaled into the box.
    Chart { index: usize, x: f32, y: f32, width: f32, height: f32 },
    /// A barcode's bars, each as its left edge and width, from `y` down `height`, filled black.
    Bars { y: f32, height: f32, bars: Vec<(f32, f32)> },
}

/// The fonts' widths.
pub(crate) struct Fonts {
    pub(crate) regular: Widths<'static>,
    pub(crate) bold: Widths<'static>,
}

/// Each page's body as drawing operations, the first page's starting at `first_top` (below its
/// header, which `frame` draws with the footers around the bodies).
pub(crate) fn layout(document: &Document, fonts: &Fonts, first_top: f32) -> Vec<Vec<Op>> {
    let mut flow = Flow { fonts, pages: Vec::new(), page: Vec::new(), y: first_top };
    let mut charts = 0;
    for section in &document.sections {
        match section {
            Section::Text(text) => flow.paragraph(text),
            Section::Fields(fields) => flow.fields(fields),
            Section::Barcode(barcode) => flow.barcode(barcode),
            Section::Chart(_) => {
                let height = BODY_WIDTH * chart::HEIGHT as f32 / chart::WIDTH as f32;
                flow.room_for(height);
                flow.page.push(Op::Chart { index: charts, x: MARGIN, y: flow.y, width: BODY_WIDTH, height });
                flow.y += height + 14.0;
                charts += 1;
            }
            Section::Table(table) => flow.table(table),
        }
    }
    flow.pages.push(flow.page);
    flow.pages
}

struct Flow<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    page: Vec<Op>,
    y: f32,
}

impl Flow<'_> {
    /// Starts a new page unless `height` fits below the cursor (or the page is empty).
    fn room_for(&mut self, height: f32) {
        if self.y + height > BODY_BOTTOM && !self.page.is_empty() {
            self.pages.push(std::mem::take(&mut self.page));
            self.y = BODY_TOP;
        }
    }

    fn paragraph(&mut self, text: &str) {
        for line in self.fonts.regular.wrap(text, TEXT_SIZE, BODY_WIDTH) {
            self.room_for(TEXT_LEADING);
            self.page.push(Op::Text {
                x: MARGIN,
                y: self.y + TEXT_SIZE,
                size: TEXT_SIZE,
                bold: false,
                grey: false,
                text: line,
            });
            self.y += TEXT_LEADING;
        }
        self.y += 6.0;
    }

    /// Labels in a column as wide as the widest (up to [`LABEL_SHARE`]), values beside them.
    fn fields(&mut self, fields: &[Field]) {
        if fields.is_empty() {
            return;
        }
        let widest = fields.iter().map(|f| self.fonts.bold.width(&f.label, TEXT_SIZE)).fold(0.0, f32::max);
        let label_width = widest.min(BODY_WIDTH * LABEL_SHARE);
        let value_x = MARGIN + label_width + LABEL_GAP;
        let value_width = BODY_WIDTH - label_width - LABEL_GAP;
        for field in fields {
            let lines = self.fonts.regular.break_lines(&field.value, TEXT_SIZE, value_width);
            // A field's lines stay together when they fit on a page.
            self.room_for((lines.len() as f32 * TEXT_LEADING).min(BODY_BOTTOM - BODY_TOP));
            let label = self.fonts.bold.fit(&field.label, TEXT_SIZE, label_width);
            self.page.push(Op::Text {
                x: MARGIN,
                y: self.y + TEXT_SIZE,
                size: TEXT_SIZE,
                bold: true,
                grey: false,
                text: label,
            });
            for (i, line) in lines.into_iter().enumerate() {
                if i > 0 {
                    self.room_for(TEXT_LEADING);
                }
                self.page.push(Op::Text {
                    x: value_x,
                    y: self.y + TEXT_SIZE,
                    size: TEXT_SIZE,
                    bold: false,
                    grey: false,
                    text: line,
                });
                self.y += TEXT_LEADING;
            }
            self.y += 2.0;
        }
        self.y += 8.0;
    }

    /// The bars at the left of the body after its quiet zone, the value centred under them.
    fn barcode(&mut self, barcode: &Barcode) {
        let module = Barcode::MODULE_PT;
        let text_top = Barcode::HEIGHT_PT + 4.0;
        self.room_for(text_top + BARCODE_TEXT_SIZE + 4.0);
        let bars = barcode
            .bars()
            .into_iter()
            .map(|(start, width)| (MARGIN + start as f32 * module, width as f32 * module))
            .collect();
        self.page.push(Op::Bars { y: self.y, height: Barcode::HEIGHT_PT, bars });
        let symbol_left = MARGIN + Barcode::QUIET_MODULES as f32 * module;
        let symbol_width = barcode.modules().len() as f32 * module;
        let text_width = self.fonts.regular.width(barcode.value(), BARCODE_TEXT_SIZE);
        self.page.push(Op::Text {
            x: symbol_left + (symbol_width - text_width) / 2.0,
            y: self.y + text_top + BARCODE_TEXT_SIZE,
            size: BARCODE_TEXT_SIZE,
            bold: false,
            grey: false,
            text: barcode.value().to_string(),
        });
        self.y += text_top + BARCODE_TEXT_SIZE + 4.0 + 14.0;
    }

    fn table(&mut self, table: &Table) {
        let widths = self.column_widths(table);
        let headings: Vec<Vec<String>> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| self.fonts.bold.wrap(&c.heading(), CELL_SIZE, w - 2.0 * PAD))
            .collect();
        let header_height = headings.iter().map(Vec::len).max().unwrap_or(1) as f32 * HEADER_LEADING + 6.0;

        self.room_for(TITLE_HEIGHT + header_height + ROW_HEIGHT);
        self.table_head(&table.title, table, &widths, &headings, header_height);
        if table.rows.is_empty() {
            let text = "No data in this period.".to_string();
            self.page.push(Op::Text {
                x: MARGIN + PAD,
                y: self.y + 9.5,
                size: CELL_SIZE,
                bold: false,
                grey: true,
                text,
            });
            self.y += ROW_HEIGHT;
        }
        for (r, row) in table.rows.iter().enumerate() {
            if self.y + ROW_HEIGHT > BODY_BOTTOM {
                self.pages.push(std::mem::take(&mut self.page));
                self.y = BODY_TOP;
                let title = format!("{} (continued)", table.title);
                self.table_head(&title, table, &widths, &headings, header_height);
            }
            if r % 2 == 1 {
                self.page.push(Op::Band { x: MARGIN, y: self.y, width: BODY_WIDTH, height: ROW_HEIGHT });
            }
            let mut x = MARGIN;
            for ((cell, column), width) in row.iter().zip(&table.columns).zip(&widths) {
                let text = self.fonts.regular.fit(&cell.display(), CELL_SIZE, width - 2.0 * PAD);
                let text_width = self.fonts.regular.width(&text, CELL_SIZE);
                let left = match column.align {
                    Align::Left => x + PAD,
                    Align::Right => x + width - PAD - text_width,
                };
                let grey = matches!(cell, Cell::Missing(_));
                self.page.push(Op::Text {
                    x: left,
                    y: self.y + 9.5,
                    size: CELL_SIZE,
                    bold: false,
                    grey,
                    text,
                });
                x += width;
            }
            self.y += ROW_HEIGHT;
        }
        self.page.push(Op::Rule { x: MARGIN, y: self.y, width: BODY_WIDTH, thickness: 0.5, grey: false });
        self.y += 16.0;
    }

    fn table_head(
        &mut self,
        title: &str,
        table: &Table,
        widths: &[f32],
        headings: &[Vec<String>],
        height: f32,
    ) {
        let text = self.fonts.bold.fit(title, TITLE_SIZE, BODY_WIDTH);
        self.page.push(Op::Text {
            x: MARGIN,
            y: self.y + 13.0,
            size: TITLE_SIZE,
            bold: true,
            grey: false,
            text,
        });
        self.y += TITLE_HEIGHT;
        let mut x = MARGIN;
        for ((column, lines), width) in table.columns.iter().zip(headings).zip(widths) {
            for (i, line) in lines.iter().enumerate() {
                let line_width = self.fonts.bold.width(line, CELL_SIZE);
                let left = match column.align {
                    Align::Left => x + PAD,
                    Align::Right => x + width - PAD - line_width,
                };
                let y = self.y + 2.0 + (i + 1) as f32 * HEADER_LEADING - 2.0;
                self.page.push(Op::Text {
                    x: left,
                    y,
                    size: CELL_SIZE,
                    bold: true,
                    grey: false,
                    text: line.clone(),
                });
            }
            x += width;
        }
        self.y += height;
        self.page.push(Op::Rule {
            x: MARGIN,
            y: self.y - 2.0,
            width: BODY_WIDTH,
            thickness: 0.8,
            grey: false,
        });
    }

    /// Each column as wide as its widest cell or heading word; the body width shared out, text
    /// columns shrunk (their text cut with `…`) when numbers need the room.
    fn column_widths(&self, table: &Table) -> Vec<f32> {
        let natural: Vec<f32> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let cells = table
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| self.fonts.regular.width(&c.display(), CELL_SIZE));
                let words = column.heading();
                let words = words.split_whitespace().map(|w| self.fonts.bold.width(w, CELL_SIZE));
                cells.chain(words).fold(24.0_f32, f32::max) + 2.0 * PAD
            })
            .collect();
        let total: f32 = natural.iter().sum();
        if total <= BODY_WIDTH {
            let extra = (BODY_WIDTH - total) / natural.len().max(1) as f32;
            return natural.iter().map(|w| w + extra).collect();
        }
        let is_text = |i: usize| table.columns[i].align == Align::Left;
        let numbers: f32 = natural.iter().enumerate().filter(|(i, _)| !is_text(*i)).map(|(_, w)| w).sum();
        let texts: f32 = total - numbers;
        let text_room = BODY_WIDTH - numbers;
        let text_count = (0..natural.len()).filter(|i| is_text(*i)).count() as f32;
        if texts > 0.0 && text_room >= MIN_TEXT_COLUMN * text_count {
            natural
                .iter()
                .enumerate()
                .map(|(i, w)| if is_text(i) { w * text_room / texts } else { *w })
                .collect()
        } else {
            natural.iter().map(|w| w * BODY_WIDTH / total).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Column;
    use crate::fonts::{BOLD, REGULAR};

    fn fonts() -> Fonts {
        Fonts { regular: Widths::of(REGULAR).unwrap(), bold: Widths::of(BOLD).unwrap() }
    }

    fn doc(rows: usize) -> Document {
        let table = Table {
            title: "Stock".into(),
            columns: vec![Column::text("SKU"), Column::number("On hand")],
            rows: (0..rows).map(|i| vec![Cell::Text(format!("SKU-{i}")), Cell::Int(i as i64)]).collect(),
        };
        Document {
            title: "T".into(),
            organisation: "P".into(),
            letterhead: None,
            period: Some("p".into()),
            generated_at: "g".into(),
            generated_at_ms: 0,
            sections: vec![Section::Table(table)],
        }
    }

    fn texts(page: &[Op]) -> Vec<&str> {
        page.iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_long_table_breaks_between_rows_and_repeats_its_header() {
        let pages = layout(&doc(100), &fonts(), BODY_TOP);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let second = texts(&pages[1]);
        assert_eq!(second[..3], ["Stock (continued)", "SKU", "On hand"]);
        // Every row is on exactly one page, in order.
        let rows: Vec<&str> = pages.iter().flat_map(|p| texts(p)).filter(|t| t.starts_with("SKU-")).collect();
        assert_eq!(rows.len(), 100);
        assert_eq!(rows[99], "SKU-99");
        for page in &pages {
            for op in page {
                if let Op::Text { y, .. } = op {
                    assert!(*y <= BODY_BOTTOM && *y >= BODY_TOP, "text at {y}");
                }
            }
        }
    }

    fn with_sections(sections: Vec<Section>) -> Document {
        Document { sections, ..doc(0) }
    }

    #[test]
    fn fields_put_labels_in_one_column_and_wrap_long_values_beside_them() {
        let address = "Bright Eyes Opticians, 1 The Parade, a street name long enough to need a second line, Harrogate\nHG1 1AA";
        let fields = vec![Field::new("Order number", "PO-000012"), Field::new("Deliver to", address)];
        let pages = layout(&with_sections(vec![Section::Fields(fields)]), &fonts(), BODY_TOP);
        let ops: Vec<(f32, f32, bool, &str)> = pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Text { x, y, bold, text, .. } => Some((*x, *y, *bold, text.as_str())),
                _ => None,
            })
            .collect();
        let labels: Vec<&str> = ops.iter().filter(|o| o.2).map(|o| o.3).collect();
        assert_eq!(labels, ["Order number", "Deliver to"]);
        let values: Vec<_> = ops.iter().filter(|o| !o.2).collect();
        assert_eq!(values[0].3, "PO-000012");
        assert!(values.len() >= 4, "the address wraps and its line break is kept: {values:?}");
        assert_eq!(values.last().unwrap().3, "HG1 1AA");
        // Values share one left edge, right of the widest label, and stay in the body.
        assert!(values.iter().all(|v| v.0 == values[0].0));
        assert!(values[0].0 > MARGIN + fonts().bold.width("Order number", TEXT_SIZE));
        let f = fonts();
        assert!(values.iter().all(|v| v.0 + f.regular.width(v.3, TEXT_SIZE) <= MARGIN + BODY_WIDTH));
        // The second label sits on its value's first line.
        let deliver = ops.iter().find(|o| o.3 == "Deliver to").unwrap();
        assert_eq!(deliver.1, values[1].1);
    }

    #[test]
    fn a_barcode_leaves_its_quiet_zones_blank_and_prints_its_value_centred_under_it() {
        let barcode = Barcode::code128("J000123").unwrap();
        let pages = layout(&with_sections(vec![Section::Barcode(barcode.clone())]), &fonts(), BODY_TOP);
        let Some(Op::Bars { y, height, bars }) = pages[0].first() else { panic!("{:?}", pages[0]) };
        assert_eq!((*y, *height), (BODY_TOP, Barcode::HEIGHT_PT));
        let quiet = Barcode::QUIET_MODULES as f32 * Barcode::MODULE_PT;
        let symbol = barcode.modules().len() as f32 * Barcode::MODULE_PT;
        assert_eq!(bars[0].0, MARGIN + quiet);
        let (last_x, last_width) = bars[bars.len() - 1];
        assert_eq!(last_x + last_width, MARGIN + quiet + symbol);
        assert!(last_x + last_width + quiet <= MARGIN + BODY_WIDTH);
        let Some(Op::Text { x, y: text_y, size, text, .. }) = pages[0].get(1) else { panic!() };
        assert_eq!(text, "J000123");
        assert!(*text_y > BODY_TOP + Barcode::HEIGHT_PT);
        let middle = x + fonts().regular.width(text, *size) / 2.0;
        assert!((middle - (MARGIN + quiet + symbol / 2.0)).abs() < 0.01);
    }

    #[test]
    fn numbers_are_right_aligned_to_the_column_edge() {
        let pages = layout(&doc(3), &fonts(), BODY_TOP);
        let f = fonts();
        let ends: Vec<f32> = pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Text { x, text, size, .. } if text.chars().all(|c| c.is_ascii_digit()) => {
                    Some(x + f.regular.width(text, *size))
                }
                _ => None,
            })
            .collect();
        assert_eq!(ends.len(), 3);
        assert!(ends.iter().all(|e| (e - ends[0]).abs() < 0.01), "{ends:?}");
        assert!((ends[0] - (MARGIN + BODY_WIDTH - PAD)).abs() < 0.01);
    }
}
