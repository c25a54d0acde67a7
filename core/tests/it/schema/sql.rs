//! Just enough SQL lexing to read what the catalogues only give as text: SQLite's CHECK
//! constraints and trigger events (from `sqlite_master.sql`), index keys and predicates, and
//! column defaults, on both dialects.

use std::collections::BTreeSet;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A bare identifier or keyword, as written.
    Word(String),
    /// A quoted identifier (`"x"`, `` `x` ``, `[x]`), unquoted.
    Quoted(String),
    /// A string literal, unescaped.
    Str(String),
    Num(String),
    Punct(char),
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    /// Where it was in the text, to quote an expression as written.
    pub span: Range<usize>,
}

impl Token {
    fn is_word(&self, keyword: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn is(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }

    /// The identifier this token names, if it is one.
    fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Word(w) | Tok::Quoted(w) => Some(w),
            _ => None,
        }
    }
}

/// Splits SQL into tokens, dropping whitespace and comments.
pub fn tokens(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = sql[i..].chars().next() {
        let start = i;
        let rest = &sql[i..];
        let tok = if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        } else if rest.starts_with("--") {
            i = rest.find('\n').map_or(sql.len(), |n| i + n);
            continue;
        } else if rest.starts_with("/*") {
            i = rest.find("*/").map_or(sql.len(), |n| i + n + 2);
            continue;
        } else if c == '\'' {
            let (text, end) = quoted(sql, i, '\'');
            i = end;
            Tok::Str(text)
        } else if c == '"' || c == '`' {
            let (text, end) = quoted(sql, i, c);
            i = end;
            Tok::Quoted(text)
        } else if c == '[' {
            let n = rest.find(']').unwrap_or(rest.len());
            i += (n + 1).min(rest.len());
            Tok::Quoted(rest[1..n].to_owned())
        } else if c.is_ascii_alphabetic() || c == '_' {
            i += rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(rest.len());
            Tok::Word(sql[start..i].to_owned())
        } else if c.is_ascii_digit() {
            i += rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
            Tok::Num(sql[start..i].to_owned())
        } else {
            i += c.len_utf8();
            Tok::Punct(c)
        };
        out.push(Token { tok, span: start..i });
    }
    out
}

/// A quoted run starting at `start` (doubled quotes escape one): its text and where it ends.
fn quoted(sql: &str, start: usize, quote: char) -> (String, usize) {
    let mut text = String::new();
    let mut i = start + 1;
    while let Some(n) = sql[i..].find(quote) {
        text.push_str(&sql[i..i + n]);
        i += n + 1;
        if sql[i..].starts_with(quote) {
            text.push(quote);
            i += 1;
        } else {
            return (text, i);
        }
    }
    text.push_str(&sql[i..]);
    (text, sql.len())
}

/// The index of the parenthesis closing the one at `open`.
fn closing(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0_usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is('(') {
            depth += 1;
        } else if t.is(')') {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    tokens.len()
}

/// The text an expression was written as.
pub fn text<'a>(sql: &'a str, expr: &[Token]) -> &'a str {
    match (expr.first(), expr.last()) {
        (Some(first), Some(last)) => &sql[first.span.start..last.span.end],
        _ => "",
    }
}

/// `text` without the parentheses wrapping all of it (PostgreSQL prints `((a > 0))`).
pub fn unwrap_parens(text: &str) -> &str {
    let mut tokens = tokens(text);
    let mut text = text;
    while tokens.len() >= 2 && tokens[0].is('(') && closing(&tokens, 0) == tokens.len() - 1 {
        text = &text[tokens[0].span.end..tokens[tokens.len() - 1].span.start];
        tokens = self::tokens(text);
    }
    text.trim()
}

/// The expressions of every `CHECK (…)` in a `CREATE TABLE` statement, column or table level.
pub fn checks(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < tokens.len() {
        if tokens[i].is_word("CHECK") && tokens[i + 1].is('(') {
            let close = closing(tokens, i + 1);
            out.push(&tokens[(i + 2).min(close)..close]);
            i = close;
        }
        i += 1;
    }
    out
}

/// The columns (of `columns`) an expression mentions: identifiers that are neither called as a
/// function nor the type of a `::` cast.
pub fn mentioned(expr: &[Token], columns: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, t) in expr.iter().enumerate() {
        let Some(name) = t.ident() else { continue };
        let called = expr.get(i + 1).is_some_and(|next| next.is('('));
        let cast = i >= 2 && expr[i - 1].is(':') && expr[i - 2].is(':');
        if called || cast {
            continue;
        }
        if let Some(column) = columns.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            out.insert(column.clone());
        }
    }
    out
}

/// A comparable form of an expression: keywords and names lower-cased, `::type` casts and
/// wrapping parentheses dropped, `true`/`false` as `1`/`0`, spaces only between words.
pub fn normalise(expr: &[Token]) -> String {
    let mut expr = expr;
    while expr.len() >= 2 && expr[0].is('(') && closing(expr, 0) == expr.len() - 1 {
        expr = &expr[1..expr.len() - 1];
    }
    let mut out = String::new();
    let mut previous_wordy = false;
    let mut i = 0;
    while i < expr.len() {
        if expr[i].is(':') && expr.get(i + 1).is_some_and(|t| t.is(':')) {
            i += 2;
            while expr.get(i).is_some_and(|t| matches!(t.tok, Tok::Word(_))) {
                i += 1;
            }
            continue;
        }
        let (piece, wordy) = match &expr[i].tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => ("0".to_owned(), true),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => ("1".to_owned(), true),
            Tok::Word(w) => (w.to_ascii_lowercase(), true),
            Tok::Quoted(q) => (q.clone(), true),
            Tok::Str(s) => (format!("'{}'", s.replace('\'', "''")), true),
            Tok::Num(n) => (n.clone(), true),
            Tok::Punct(c) => (c.to_string(), false),
        };
        if wordy && previous_wordy {
            out.push(' ');
        }
        out.push_str(&piece);
        previous_wordy = wordy;
        i += 1;
    }
    out
}

/// Normalises an expression given as text (see [`normalise`]).
pub fn normalise_text(sql: &str) -> String {
    normalise(&tokens(sql))
}

/// The key expressions (normalised) and the `WHERE` predicate of a `CREATE INDEX` statement.
pub fn index_parts(tokens: &[Token]) -> (Vec<String>, &[Token]) {
    let Some(on) = tokens.iter().position(|t| t.is_word("ON")) else { return (Vec::new(), &[]) };
    let Some(open) = tokens.iter().skip(on).position(|t| t.is('(')).map(|n| on + n) else {
        return (Vec::new(), &[]);
    };
    let close = closing(tokens, open);
    let mut keys = Vec::new();
    let (mut depth, mut start) = (0_usize, open + 1);
    for i in open + 1..close {
        if tokens[i].is('(') {
            depth += 1;
        } else if tokens[i].is(')') {
            depth -= 1;
        } else if tokens[i].is(',') && depth == 0 {
            keys.push(normalise(&tokens[start..i]));
            start = i + 1;
        }
    }
    keys.push(normalise(&tokens[start..close.min(tokens.len())]));
    let predicate = match tokens.get(close + 1) {
        Some(t) if t.is_word("WHERE") => &tokens[close + 2..],
        _ => &[],
    };
    (keys, predicate)
}

/// When a `CREATE TRIGGER` statement fires: `("BEFORE", "UPDATE")`.
pub fn trigger_event(tokens: &[Token]) -> Option<(String, String)> {
    let mut i = tokens.iter().position(|t| t.is_word("TRIGGER"))? + 1;
    if tokens.get(i).is_some_and(|t| t.is_word("IF")) {
        i += 3;
    }
    i += 1; // the name
    if tokens.get(i).is_some_and(|t| t.is('.')) {
        i += 2;
    }
    let mut timing = "BEFORE".to_owned();
    for t in &tokens[i.min(tokens.len())..] {
        if let Some(word) = ["BEFORE", "AFTER", "INSTEAD"].into_iter().find(|w| t.is_word(w)) {
            timing = if word == "INSTEAD" { "INSTEAD OF".to_owned() } else { word.to_owned() };
        } else if let Some(event) = ["DELETE", "INSERT", "UPDATE"].into_iter().find(|w| t.is_word(w)) {
            return Some((timing, event.to_owned()));
        }
    }
    None
}

#[test]
fn checks_and_the_columns_they_mention_are_read_from_table_sql() {
    let sql = "CREATE TABLE t (
        a INTEGER NOT NULL CHECK (a IN (0, 1)), -- a comment with CHECK (b)
        \"b c\" TEXT CHECK (length(\"b c\") <= 'it''s'),
        d TEXT,
        CHECK ((a = 1) = (d IS NULL))
    ) STRICT";
    let table = tokens(sql);
    let columns: BTreeSet<String> = ["a", "b c", "d", "length"].map(str::to_owned).into();
    let found: Vec<(String, Vec<String>)> = checks(&table)
        .into_iter()
        .map(|e| (text(sql, e).to_owned(), mentioned(e, &columns).into_iter().collect()))
        .collect();
    assert_eq!(
        found,
        [
            ("a IN (0, 1)".to_owned(), vec!["a".to_owned()]),
            ("length(\"b c\") <= 'it''s'".to_owned(), vec!["b c".to_owned()]),
            ("(a = 1) = (d IS NULL)".to_owned(), vec!["a".to_owned(), "d".to_owned()]),
        ]
    );
    assert_eq!(normalise_text("(status = 'open'::text)"), normalise_text("status = 'open'"));
    assert_eq!(normalise_text("false"), normalise_text("0"));
    assert_eq!(unwrap_parens("((a > 0) AND (b > 0))"), "(a > 0) AND (b > 0)");
    let index = tokens("CREATE UNIQUE INDEX i ON t (a, lower(b)) WHERE b IS NOT NULL");
    let (keys, predicate) = index_parts(&index);
    assert_eq!(keys, ["a", "lower(b)"]);
    assert_eq!(normalise(predicate), "b is not null");
    let trigger = tokens("CREATE TRIGGER t_no_update BEFORE UPDATE ON t BEGIN SELECT 1; END");
    assert_eq!(trigger_event(&trigger), Some(("BEFORE".to_owned(), "UPDATE".to_owned())));
}
