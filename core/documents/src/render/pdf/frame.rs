//! What surrounds each page's body: at the top, the organisation, the title, the period (if the
//! document has one) and the generation time; on the first page of a document with a
//! letterhead, the organisation's name large with its address and contact under it. At the foot,
//! the organisation and title and "Page N of M".

use super::layout::{BODY_WIDTH, Fonts, MARGIN, Op};
use crate::document::Document;

const NAME_SIZE: f32 = 9.0;
const LETTERHEAD_NAME_SIZE: f32 = 13.0;
const LETTERHEAD_SIZE: f32 = 8.5;
const LETTERHEAD_LEADING: f32 = 11.5;
const TITLE_SIZE: f32 = 14.0;
const META_SIZE: f32 = 8.5;
const FOOT_SIZE: f32 = 8.0;
/// Between the header's rule and the body.
const BODY_GAP: f32 = 14.0;
/// The footer's rule and its text's baseline.
const FOOT_RULE: f32 = 806.0;
const FOOT_TEXT: f32 = 818.0;

/// Page `number`'s header, and where its body starts below it.
pub(crate) fn header(document: &Document, fonts: &Fonts, number: usize) -> (Vec<Op>, f32) {
    let mut ops = Vec::new();
    let title_y = match &document.letterhead {
        Some(letterhead) if number == 1 => {
            let name = fonts.bold.fit(&document.organisation, LETTERHEAD_NAME_SIZE, BODY_WIDTH);
            ops.push(text(MARGIN, 42.0, LETTERHEAD_NAME_SIZE, true, false, name));
            let mut y = 42.0;
            for line in letterhead.address.iter().cloned().chain(letterhead.contact()) {
                y += LETTERHEAD_LEADING;
                let line = fonts.regular.fit(&line, LETTERHEAD_SIZE, BODY_WIDTH);
                ops.push(text(MARGIN, y, LETTERHEAD_SIZE, false, true, line));
            }
            y + 24.0
        }
        _ => {
            let name = fonts.bold.fit(&document.organisation, NAME_SIZE, BODY_WIDTH);
            ops.push(text(MARGIN, 38.0, NAME_SIZE, true, false, name));
            57.0
        }
    };
    let title = fonts.bold.fit(&document.title, TITLE_SIZE, BODY_WIDTH);
    ops.push(text(MARGIN, title_y, TITLE_SIZE, true, false, title));
    let meta_y = title_y + 14.0;
    let generated = format!("Generated {}", document.generated_at);
    let generated_width = fonts.regular.width(&generated, META_SIZE);
    if let Some(period) = &document.period {
        let period = fonts.regular.fit(period, META_SIZE, BODY_WIDTH - generated_width - 12.0);
        ops.push(text(MARGIN, meta_y, META_SIZE, false, true, period));
    }
    ops.push(text(MARGIN + BODY_WIDTH - generated_width, meta_y, META_SIZE, false, true, generated));
    let rule_y = meta_y + 7.0;
    ops.push(Op::Rule { x: MARGIN, y: rule_y, width: BODY_WIDTH, thickness: 0.8, grey: false });
    (ops, rule_y + BODY_GAP)
}

/// Page `number` of `total`'s footer.
pub(crate) fn footer(document: &Document, fonts: &Fonts, number: usize, total: usize) -> Vec<Op> {
    let half = BODY_WIDTH / 2.0 - 6.0;
    let left = fonts.regular.fit(&format!("{} · {}", document.organisation, document.title), FOOT_SIZE, half);
    let page = format!("Page {number} of {total}");
    let page_x = MARGIN + BODY_WIDTH - fonts.regular.width(&page, FOOT_SIZE);
    vec![
        Op::Rule { x: MARGIN, y: FOOT_RULE, width: BODY_WIDTH, thickness: 0.5, grey: true },
        text(MARGIN, FOOT_TEXT, FOOT_SIZE, false, true, left),
        text(page_x, FOOT_TEXT, FOOT_SIZE, false, false, page),
    ]
}

fn text(x: f32, y: f32, size: f32, bold: bool, grey: bool, text: String) -> Op {
    Op::Text { x, y, size, bold, grey, text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Letterhead;
    use crate::fonts::{BOLD, REGULAR, Widths};
    use crate::render::pdf::layout::BODY_TOP;

    fn fonts() -> Fonts {
        Fonts { regular: Widths::of(REGULAR).unwrap(), bold: Widths::of(BOLD).unwrap() }
    }

    fn document(letterhead: Option<Letterhead>, period: Option<&str>) -> Document {
        Document {
            title: "Purchase order PO-000012".into(),
            organisation: "Northgate Lab".into(),
            letterhead,
            period: period.map(Into::into),
            generated_at: "2026-04-01 09:30 UTC".into(),
            generated_at_ms: 0,
            sections: vec![],
        }
    }

    fn texts(ops: &[Op]) -> Vec<&str> {
        ops.iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_report_s_header_is_the_same_on_every_page_and_its_body_starts_at_body_top() {
        let report = document(None, Some("1 Jan 2026 – 31 Mar 2026"));
        let (first, top) = header(&report, &fonts(), 1);
        assert_eq!(top, BODY_TOP);
        assert_eq!(
            texts(&first),
            [
                "Northgate Lab",
                "Purchase order PO-000012",
                "1 Jan 2026 – 31 Mar 2026",
                "Generated 2026-04-01 09:30 UTC"
            ]
        );
        assert_eq!(header(&report, &fonts(), 2).0, first);
    }

    #[test]
    fn the_letterhead_is_on_the_first_page_only_and_no_period_means_no_period_line() {
        let letterhead = Letterhead {
            address: vec!["Unit 4, Riverside Estate".into(), "Leeds LS1 4AB".into()],
            phone: Some("0113 496 0000".into()),
            email: Some("orders@northgate.example".into()),
        };
        let order = document(Some(letterhead), None);
        let (first, top) = header(&order, &fonts(), 1);
        assert_eq!(
            texts(&first),
            [
                "Northgate Lab",
                "Unit 4, Riverside Estate",
                "Leeds LS1 4AB",
                "Tel 0113 496 0000 · orders@northgate.example",
                "Purchase order PO-000012",
                "Generated 2026-04-01 09:30 UTC",
            ]
        );
        assert!(top > BODY_TOP + 30.0, "{top}");
        let (second, top) = header(&order, &fonts(), 2);
        assert_eq!(top, BODY_TOP);
        assert_eq!(
            texts(&second),
            ["Northgate Lab", "Purchase order PO-000012", "Generated 2026-04-01 09:30 UTC"]
        );
        assert_eq!(texts(&footer(&order, &fonts(), 2, 3))[1], "Page 2 of 3");
    }
}
