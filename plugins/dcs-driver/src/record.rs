//! Records: `LABEL=value;value` lines, parsed and written.
//!
//! Rules chosen where the standard leaves room (README, "Records"):
//! - Lines end CRLF; a bare LF is accepted on input, CRLF is always written. Empty lines are skipped.
//! - A label is letters, digits and `_`, case-sensitive, with nothing around it (`SPH =` is refused).
//! - An unquoted value is trimmed of spaces and tabs; a quoted value is kept exactly, `""` inside
//!   it is one `"`, and it must close on its own line.
//! - A line without `=` continues the previous record: the line break separates values, and a
//!   `;` ending the previous line is that same separator (not an extra empty value).
//! - Vendor records (`_` labels) keep their text after `=` byte for byte, continuation lines
//!   included, and are written back from it.

use crate::error::{Error, ErrorKind, Result};

/// One record: a label and its values.
///
/// Equality ignores the line number, so a document equals itself parsed again after [`emit`].
#[derive(Debug, Clone)]
pub struct Record {
    label: String,
    values: Vec<String>,
    line: usize,
    raw: Option<String>,
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label && self.values == other.values && self.raw == other.raw
    }
}

impl Eq for Record {}

impl Record {
    /// A record to write. Refuses a bad label and values with line breaks or control bytes.
    pub fn new(label: &str, values: Vec<String>) -> Result<Self> {
        check_label(label, 0)?;
        if let Some(i) = values.iter().position(|v| v.chars().any(|c| c.is_control() && c != '\t')) {
            return Err(Error::in_label(label, ErrorKind::UnwritableValue(i + 1)));
        }
        // Vendor text is written as given, values joined by `;`.
        let raw = label.starts_with('_').then(|| values.join(";"));
        Ok(Self { label: label.to_string(), values, line: 0, raw })
    }

    /// A record from a constant label and values made of digits and letters (nothing to check).
    pub(crate) fn trusted(label: &'static str, values: Vec<String>) -> Self {
        debug_assert!(Self::new(label, values.clone()).is_ok());
        Self { label: label.to_string(), values, line: 0, raw: None }
    }

    /// A record with one value.
    pub fn single(label: &str, value: impl Into<String>) -> Result<Self> {
        Self::new(label, vec![value.into()])
    }

    /// The label, such as `SPH`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The values, unquoted (at least one; `LABEL=` has one empty value).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The first value.
    pub fn value(&self) -> &str {
        self.values.first().map(String::as_str).unwrap_or("")
    }

    /// The 1-based line the record starts on (0 for a record made with [`Record::new`]).
    pub fn line(&self) -> usize {
        self.line
    }

    /// For a vendor (`_`) record, its text after `=` exactly as read (lines joined by CRLF).
    pub fn raw(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// Whether the label is vendor-specific (starts with `_`).
    pub fn is_vendor(&self) -> bool {
        self.label.starts_with('_')
    }

    /// An error at this record.
    pub fn error(&self, kind: ErrorKind) -> Error {
        Error::at(self.line, &self.label, kind)
    }

    /// An error about value `index` (0-based) of this record.
    pub fn bad_value(&self, index: usize, expected: &str) -> Error {
        let value = self.values.get(index).map(String::as_str).unwrap_or("");
        Error::bad_value(self.line, &self.label, index, value, expected)
    }
}

/// A list of records, in order, as one message or file holds them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// The records.
    pub records: Vec<Record>,
}

impl Document {
    /// Parses records from text (see [`parse`]).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        parse(bytes).map(|records| Self { records })
    }

    /// Writes the records (see [`emit`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        emit(&self.records)
    }

    /// The first record labelled `label`.
    pub fn get(&self, label: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.label == label)
    }

    /// The record labelled `label`, if any; a second one is an error (which one is meant?).
    pub fn single(&self, label: &str) -> Result<Option<&Record>> {
        let mut all = self.records.iter().filter(|r| r.label == label);
        let first = all.next();
        match all.next() {
            Some(again) => Err(again.error(ErrorKind::Protocol(format!(
                "repeats the record at line {}",
                first.map_or(0, Record::line)
            )))),
            None => Ok(first),
        }
    }

    /// The record labelled `label`, or an error saying it is missing or repeated.
    pub fn require(&self, label: &str) -> Result<&Record> {
        self.single(label)?.ok_or_else(|| Error::in_label(label, ErrorKind::Missing))
    }

    /// Every record labelled `label`.
    pub fn all<'a>(&'a self, label: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
        self.records.iter().filter(move |r| r.label == label)
    }

    /// Adds a record.
    pub fn push(&mut self, record: Record) {
        self.records.push(record);
    }
}

fn check_label(label: &str, line: usize) -> Result<()> {
    if label.is_empty() || !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error {
            line: (line > 0).then_some(line),
            label: None,
            kind: ErrorKind::BadLabel(label.into()),
        });
    }
    Ok(())
}

/// Parses DCS records. Never panics; the error names the line, the label and the problem.
///
/// ```
/// let records = dcs_driver::record::parse(b"JOB=\"123\"\r\nSPH=-1.75;-1.50\r\n").unwrap();
/// assert_eq!(records[0].value(), "123");
/// assert_eq!(records[1].values(), ["-1.75", "-1.50"]);
/// ```
pub fn parse(bytes: &[u8]) -> Result<Vec<Record>> {
    let mut records: Vec<Record> = Vec::new();
    // The previous line ended with an unquoted `;`: a continuation drops that empty value.
    let mut trailing_separator = false;
    for (index, raw_line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        if let Some(&b) = raw_line.iter().find(|&&b| b < 0x20 && b != b'\t' || b == 0x7F) {
            return Err(Error { line: Some(line_no), label: None, kind: ErrorKind::ControlByte(b) });
        }
        let text = std::str::from_utf8(raw_line).map_err(|_| Error {
            line: Some(line_no),
            label: None,
            kind: ErrorKind::NotText,
        })?;
        if text.trim().is_empty() {
            continue;
        }
        match text.split_once('=') {
            Some((label, rest)) => {
                check_label(label, line_no)?;
                let (values, trailing) = if label.starts_with('_') {
                    (split_loose(rest), false)
                } else {
                    split_values(rest, line_no, label)?
                };
                trailing_separator = trailing;
                let raw = label.starts_with('_').then(|| rest.to_string());
                records.push(Record { label: label.to_string(), values, line: line_no, raw });
            }
            None => {
                let Some(last) = records.last_mut() else {
                    return Err(Error {
                        line: Some(line_no),
                        label: None,
                        kind: ErrorKind::OrphanContinuation,
                    });
                };
                if let Some(raw) = &mut last.raw {
                    raw.push_str("\r\n");
                    raw.push_str(text);
                    last.values.extend(split_loose(text));
                    continue;
                }
                if trailing_separator {
                    last.values.pop();
                }
                let (values, trailing) = split_values(text, line_no, &last.label)?;
                trailing_separator = trailing;
                last.values.extend(values);
            }
        }
    }
    Ok(records)
}

/// Splits one line's value text; also says whether it ended with an unquoted `;`.
fn split_values(text: &str, line: usize, label: &str) -> Result<(Vec<String>, bool)> {
    let mut values = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let mut value = String::new();
        let mut separated = false;
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(Error::at(line, label, ErrorKind::UnterminatedQuote(values.len() + 1)));
                    }
                    Some('"') if chars.next_if_eq(&'"').is_some() => value.push('"'),
                    Some('"') => break,
                    Some(c) => value.push(c),
                }
            }
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            match chars.next() {
                None => {}
                Some(';') => separated = true,
                Some(_) => return Err(Error::at(line, label, ErrorKind::TextAfterQuote(values.len() + 1))),
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    separated = true;
                    break;
                }
                value.push(c);
            }
            // Spaces and tabs only, as `quote` writes them: other Unicode spaces are data.
            value.truncate(value.trim_end_matches([' ', '\t']).len());
        }
        values.push(value);
        if !separated {
            return Ok((values, false));
        }
        if chars.clone().all(|c| c == ' ' || c == '\t') {
            // `a;` → ["a", ""]: the empty value after the last separator.
            values.push(String::new());
            return Ok((values, true));
        }
    }
}

/// Vendor values: split on `;` with no quote handling, as the vendor's text may be anything.
fn split_loose(text: &str) -> Vec<String> {
    text.split(';').map(str::to_string).collect()
}

/// Quotes a value when it must be: it has `;`, `"`, or spaces at either end.
fn quote(value: &str) -> String {
    let needs = value.contains([';', '"']) || value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']);
    if needs { format!("\"{}\"", value.replace('"', "\"\"")) } else { value.to_string() }
}

/// Writes records, one per line, CRLF-ended; vendor records from their raw text.
pub fn emit(records: &[Record]) -> Vec<u8> {
    let mut out = String::new();
    for r in records {
        out.push_str(&r.label);
        out.push('=');
        match &r.raw {
            Some(raw) => out.push_str(raw),
            None => out.push_str(&r.values.iter().map(|v| quote(v)).collect::<Vec<_>>().join(";")),
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<Vec<String>> {
        parse(text.as_bytes()).unwrap().into_iter().map(|r| r.values).collect()
    }

    #[test]
    fn binocular_quoted_and_empty_values() {
        assert_eq!(values("SPH=-1.75;-1.50\r\n"), [["-1.75", "-1.50"]]);
        assert_eq!(values("JOB=\"123\"\r\n"), [["123"]]);
        assert_eq!(values("LNAM=\"Brand; 1.6 \"\"HD\"\"\";x\r\n"), [["Brand; 1.6 \"HD\"", "x"]]);
        assert_eq!(values("SPH=;-1.50\r\n"), [["", "-1.50"]]);
        assert_eq!(values("SPH=-1.75;\r\n"), [["-1.75", ""]]);
        assert_eq!(values("TINT=\r\n"), [[""]]);
        assert_eq!(values("SPH= -1.75 ; -1.50 \n"), [["-1.75", "-1.50"]], "LF alone and spaces");
    }

    #[test]
    fn continuation_lines_append_values() {
        assert_eq!(
            values("R=1;2;3\r\n4;5\r\n6\r\nJOB=1\r\n"),
            [vec!["1", "2", "3", "4", "5", "6"], vec!["1"]]
        );
        // A `;` ending the line is the same separator as the line break, not an empty value.
        assert_eq!(values("R=1;2;\r\n3\r\n"), [["1", "2", "3"]]);
        let err = parse(b"\r\n4;5\r\n").unwrap_err();
        assert_eq!((err.line, err.kind), (Some(2), ErrorKind::OrphanContinuation));
    }

    #[test]
    fn vendor_records_survive_untouched() {
        let text = "_NKX=  a \"b;c\r\nmore;\"\r\nSPH=1.00;1.00\r\n";
        let records = parse(text.as_bytes()).unwrap();
        assert_eq!(records[0].raw(), Some("  a \"b;c\r\nmore;\""));
        assert_eq!(String::from_utf8(emit(&records)).unwrap(), text);
    }

    #[test]
    fn malformed_records_name_line_and_label() {
        let err = parse(b"JOB=1\r\nLNAM=\"open\r\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2, LNAM: value 1 has no closing quote");
        let err = parse(b"JOB=1\r\nSPH=\"1\"x;2\r\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2, SPH: value 1 has text after its closing quote");
        let err = parse(b"JOB=1\r\n\r\nS PH=1\r\n").unwrap_err();
        assert_eq!(err.to_string(), "line 3: label \"S PH\" is not letters, digits and `_`");
        let err = parse(b"=1\r\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadLabel(String::new()));
        let err = parse(b"JOB=1\x1d\r\n").unwrap_err();
        assert_eq!((err.line, err.kind), (Some(1), ErrorKind::ControlByte(0x1d)));
        let err = parse(b"LNAM=caf\xe9\r\n").unwrap_err();
        assert_eq!((err.line, err.kind), (Some(1), ErrorKind::NotText));
    }

    #[test]
    fn values_that_need_quotes_are_quoted_and_read_back() {
        let r =
            Record::new("LNAM", vec!["a;b".into(), " pad".into(), "say \"hi\"".into(), "".into()]).unwrap();
        let bytes = emit(std::slice::from_ref(&r));
        assert_eq!(bytes, b"LNAM=\"a;b\";\" pad\";\"say \"\"hi\"\"\";\r\n");
        assert_eq!(parse(&bytes).unwrap(), [r]);
        assert!(Record::new("LNAM", vec!["two\r\nlines".into()]).is_err());
        assert!(Record::new("L-NAM", vec![]).is_err());
    }

    #[test]
    fn only_spaces_and_tabs_are_trimmed_so_other_unicode_spaces_read_back() {
        // Found by the `records` fuzz target: a quoted U+3000 was written unquoted (only spaces and
        // tabs need quotes) and then trimmed away as whitespace when read back.
        let input = "M=\"Var;xumfax\"\"\";\"\u{3000}\"\n";
        let records = parse(input.as_bytes()).unwrap();
        assert_eq!(records[0].values(), ["Var;xumfax\"", "\u{3000}"]);
        assert_eq!(parse(&emit(&records)).unwrap(), records);
        assert_eq!(values("A=x\u{a0} ;\u{85}\r\n"), [["x\u{a0}", "\u{85}"]], "NBSP and NEL are kept");
        assert_eq!(values("A= x \t;\ty\t\r\n"), [["x", "y"]], "spaces and tabs are trimmed");
    }
}
