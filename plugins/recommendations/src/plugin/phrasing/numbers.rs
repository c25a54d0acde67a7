//! The rule that keeps the numbers the plugin's own: every number a phrasing writes must be one
//! the plugin wrote (in the title, the explanation or the figures).
//!
//! A number is a run of ASCII digits, with a decimal part (`8.54`) or thousands separators
//! (`1,250`), compared by value (`8.50` is `8.5`). A sign counts when it is written against the
//! number and not after a letter or digit (`−6.00`, `+2.25`, not the dash in `2026-W40` or
//! `RB-2140`): a signed number in a phrasing must be one the plugin wrote with that sign (an
//! unsigned one counts as positive), an unsigned one any with that magnitude. Number words
//! (`two`, `twelve`, `twice`, `half`, `dozen`…) count as their values; `one` does not (it is as
//! often a pronoun). Any other numeric character (`½`, `²`) must appear in the plugin's words.

/// A number as written.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Written {
    /// Its magnitude.
    value: f64,
    /// `Some(true)` for a written minus, `Some(false)` for a written plus, none unsigned.
    negative: Option<bool>,
}

const WORDS: [(&str, f64); 36] = [
    ("zero", 0.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("thirteen", 13.0),
    ("fourteen", 14.0),
    ("fifteen", 15.0),
    ("sixteen", 16.0),
    ("seventeen", 17.0),
    ("eighteen", 18.0),
    ("nineteen", 19.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("fifty", 50.0),
    ("sixty", 60.0),
    ("seventy", 70.0),
    ("eighty", 80.0),
    ("ninety", 90.0),
    ("hundred", 100.0),
    ("thousand", 1_000.0),
    ("million", 1_000_000.0),
    ("dozen", 12.0),
    ("twice", 2.0),
    ("double", 2.0),
    ("thrice", 3.0),
    ("triple", 3.0),
    ("half", 0.5),
];

fn is_sign(c: char) -> Option<bool> {
    match c {
        '-' | '−' | '–' => Some(true),
        '+' => Some(false),
        _ => None,
    }
}

/// The numbers written in `text`, digits and words.
fn written(text: &str) -> Vec<Written> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            let mut digits = String::new();
            while i < chars.len() && chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                i += 1;
            }
            // Thousands: groups of exactly three digits after a comma, from a lead of one to three.
            if digits.len() <= 3 {
                while chars.get(i) == Some(&',')
                    && chars.get(i + 1..i + 4).is_some_and(|g| g.iter().all(char::is_ascii_digit))
                    && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
                {
                    digits.extend(&chars[i + 1..i + 4]);
                    i += 4;
                }
            }
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                digits.push('.');
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    digits.push(chars[i]);
                    i += 1;
                }
            }
            let negative = start
                .checked_sub(1)
                .and_then(|s| is_sign(chars[s]).map(|n| (s, n)))
                .filter(|(s, _)| s.checked_sub(1).is_none_or(|b| !chars[b].is_alphanumeric()))
                .map(|(_, n)| n);
            if let Ok(value) = digits.parse::<f64>() {
                out.push(Written { value, negative });
            }
        } else if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            if let Some((_, value)) = WORDS.iter().find(|(w, _)| *w == word) {
                out.push(Written { value: *value, negative: None });
            }
        } else {
            i += 1;
        }
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// What the plugin wrote: its words and its figures' values.
#[derive(Debug, Default)]
pub(crate) struct Source {
    text: String,
    numbers: Vec<Written>,
}

impl Source {
    /// Adds text the plugin wrote.
    pub(crate) fn text(&mut self, text: &str) {
        self.numbers.extend(written(text));
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// Adds a figure's value (its sign as a written sign).
    pub(crate) fn value(&mut self, value: f64) {
        let negative = (value < 0.0).then_some(true);
        self.numbers.push(Written { value: value.abs(), negative });
    }

    /// The first number in `phrasing` the plugin did not write, as written, if any.
    pub(crate) fn foreign_number(&self, phrasing: &str) -> Option<String> {
        if let Some(c) =
            phrasing.chars().find(|c| c.is_numeric() && !c.is_ascii_digit() && !self.text.contains(*c))
        {
            return Some(c.to_string());
        }
        written(phrasing).into_iter().find(|n| !self.wrote(n)).map(|n| match n.negative {
            Some(true) => format!("-{}", n.value),
            Some(false) => format!("+{}", n.value),
            None => n.value.to_string(),
        })
    }

    fn wrote(&self, n: &Written) -> bool {
        self.numbers.iter().any(|m| {
            same(m.value, n.value)
                && match n.negative {
                    None => true,
                    Some(true) => m.negative == Some(true) || m.value == 0.0,
                    Some(false) => m.negative != Some(true),
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str, values: &[f64]) -> Source {
        let mut s = Source::default();
        s.text(text);
        values.iter().for_each(|v| s.value(*v));
        s
    }

    #[test]
    fn numbers_the_plugin_wrote_pass_however_they_are_spelled() {
        let s = source("Thickest edge 8.50 mm for sphere −6.00 D; 2 similar orders; 1250 units.", &[1.67]);
        for ok in [
            "The edge is 8.5 mm thick.",
            "A -6.00 prescription: two similar orders bought it; 1,250 units.",
            "Index 1.67 keeps it thin; 6 dioptres.",
            "One lens, one frame.",
        ] {
            assert_eq!(s.foreign_number(ok), None, "{ok}");
        }
    }

    #[test]
    fn a_number_the_plugin_did_not_write_is_found() {
        let s = source("Thickest edge 8.50 mm for sphere −6.00 D; 2 similar orders.", &[1.67, -3.0]);
        for (bad, found) in [
            ("About 9 mm at the edge.", "9"),
            ("Roughly 8.5 to 8.6 mm.", "8.6"),
            ("The edge is 8.54 mm.", "8.54"),
            ("A +6.00 prescription.", "+6"),
            ("Four similar orders.", "4"),
            ("Half as thick.", "0.5"),
            ("About ½ a millimetre thinner.", "½"),
            ("Done in 2,500 cases.", "2500"),
        ] {
            assert_eq!(s.foreign_number(bad).as_deref(), Some(found), "{bad}");
        }
        // Words count by value: "twice" is the 2 the plugin wrote.
        assert_eq!(s.foreign_number("Twice the orders."), None);
        // A figure's sign is a written sign: −3 may be written signed or not, +3 may not.
        assert_eq!(s.foreign_number("Down -3 units"), None);
        assert_eq!(s.foreign_number("Up +3 units").as_deref(), Some("+3"));
    }

    #[test]
    fn dashes_between_letters_and_digits_are_not_signs() {
        let s = source("Quality failures rising at station inspection since 2026-W40; RB-2140 at 12 %.", &[]);
        assert_eq!(s.foreign_number("Since week 40 of 2026, RB-2140 fails 12% of the time."), None);
        assert_eq!(s.foreign_number("Since -40"), Some("-40".to_string()));
        assert_eq!(s.foreign_number("Since 2026-W41").as_deref(), Some("41"));
    }
}
