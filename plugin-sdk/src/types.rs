//! The SDK's own types: typed event payloads and the HTTP request and response a plugin's routes
//! see. The records of the extension points (events, measurements, reports…) are
//! `ils-records`', re-exported at the crate root.

use serde::Deserialize;

/// The payload of `order.*` events ([`crate::Event::payload_as`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderEvent {
    /// The order's id.
    pub order_id: String,
    /// Its reference (ILS: the job number, `number`), when the event carries it.
    #[serde(default, alias = "number")]
    pub reference: Option<String>,
    /// Its status after the change (ILS: `to` of `order.status_changed`), when the event
    /// carries it.
    #[serde(default, alias = "to")]
    pub status: Option<String>,
}

/// An HTTP request to one of the plugin's routes (path relative to the plugin's mount point).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// `GET`, `POST`…
    pub method: String,
    /// Path and query, such as `/summary?days=7`.
    pub path: String,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body as raw bytes; empty when the request has none.
    pub body: Vec<u8>,
}

impl Request {
    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("/")
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// Header names and values (`content-type` set by [`Response::json`] and [`Response::text`]).
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response with status 200.
    pub fn json(value: &impl serde::Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                Self { status: 200, headers: vec![("content-type".into(), "application/json".into())], body }
            }
            Err(e) => Self::text(500, &format!("serialization failed: {e}")),
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, text: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
        }
    }

    /// An HTML page (a console page's frame, or any route a browser reads). Escape every value
    /// with [`escape_html`].
    pub fn html(status: u16, html: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: html.as_bytes().to_vec(),
        }
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::text(404, "not found")
    }
}

/// `text` made safe to put in HTML text or a quoted attribute value: `& < > " '` escaped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod html_tests {
    use super::escape_html;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
