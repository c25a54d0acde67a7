//! A browser-like client for the console's tests: pages read without following redirects, forms
//! posted with the session cookie, and with the CSRF token a page carries.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};

use crate::harness::TestApp;

/// A browser-like client that does not follow redirects, so a test sees where it is sent.
pub(crate) fn browser() -> reqwest::Client {
    ils_core::install_tls_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) cache_control: String,
    pub(crate) body: String,
}

pub(crate) async fn read(response: reqwest::Response) -> Page {
    let location = response.headers().get(LOCATION).map(|v| v.to_str().expect("location").to_owned());
    let cache_control =
        response.headers().get(CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let status = response.status().as_u16();
    Page { status, location, cache_control, body: response.text().await.expect("body") }
}

pub(crate) async fn get(app: &TestApp, path: &str, session: &str) -> Page {
    let request =
        browser().get(format!("{}{path}", app.base)).header(COOKIE, format!("ils_session={session}"));
    read(request.send().await.expect("request")).await
}

pub(crate) async fn post(app: &TestApp, path: &str, session: &str, form: &[(&str, &str)]) -> Page {
    let request = browser()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, format!("ils_session={session}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(form).expect("form"));
    read(request.send().await.expect("request")).await
}

/// The CSRF token of the session's forms, read from a page as a browser would.
pub(crate) async fn csrf(app: &TestApp, session: &str) -> String {
    let page = get(app, "/account", session).await;
    let marker = r#"name="_csrf" value=""#;
    let start = page.body.find(marker).expect("a form with a CSRF token") + marker.len();
    page.body[start..].split('"').next().expect("token").to_owned()
}

/// Posts `form` with the session's CSRF token added.
pub(crate) async fn submit(app: &TestApp, path: &str, session: &str, form: &[(&str, &str)]) -> Page {
    let token = csrf(app, session).await;
    let mut form = form.to_vec();
    form.push(("_csrf", &token));
    post(app, path, session, &form).await
}

/// The secret a page shows once, in `<pre id="new-secret">`.
pub(crate) fn shown_secret(page: &Page) -> String {
    let marker = r#"id="new-secret">"#;
    let start = page.body.find(marker).expect("a secret on the page") + marker.len();
    let text = page.body[start..].split("</pre>").next().expect("secret").trim();
    text.replace("&#43;", "+").replace("&#x2f;", "/").replace("&#61;", "=")
}

/// The text of the element with `id`, up to its first tag.
pub(crate) fn text_of<'a>(page: &'a Page, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\">");
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("#{id} on the page")) + marker.len();
    page.body[start..].split('<').next().expect("text").trim()
}
