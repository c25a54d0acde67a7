//! Phrasing explanations, through the plugin with `MockHost` as ILS: a fake OpenAI-compatible
//! endpoint answers the plugin's outbound call in process (`MockHost::on_http`, as shopify-sync's
//! tests route theirs to the fake shop). Each rule of the README's "Phrasing explanations" has
//! its test here; `core/tests/it/recommendation_phrasing.rs` runs them through the real host.

use std::collections::BTreeSet;
use std::time::Duration;

use ils_plugin_sdk::testing::{MockHost, OutboundRequest};
use ils_plugin_sdk::{HostError, Plugin, Recommendation, Response};
use ils_recommendations::plugin::Recommender;
use ils_recommendations::plugin::phrasing::{API_KEY, DEFAULT_TIMEOUT_MS, MAX_CHARS, TEMPERATURE};
use ils_registry::Manifest;
use serde_json::{Value, json};

const MANIFEST: &str = include_str!("../../ils-plugin.toml");
const HOST: &str = "llm.example.com";
const MODEL: &str = "gpt-4o-mini";
const KEY: &str = "sk-test-0123456789";
const MARK: &str = " (phrased by gpt-4o-mini)";

/// A progressive −6.00 with an add of +2.00 at 58: a main suggestion with figures, and an
/// occupational second pair without.
fn lens_input() -> String {
    json!({ "sphere": "-6.00", "add": "+2.00", "age_years": 58, "pd_mm": 64,
            "frame": { "eye_size_mm": 52, "bridge_mm": 18 } })
    .to_string()
}

fn configured(mock: &MockHost) {
    mock.set_config(json!({ "phrasing_host": HOST, "phrasing_model": MODEL, "phrasing_timeout_ms": 1500 }));
    mock.set_secret(API_KEY, KEY);
}

/// The plugin's own answer, with nothing configured.
fn own_words() -> Vec<Recommendation> {
    let mock = MockHost::install();
    let found = Recommender::recommend("lens", &lens_input()).expect("a lens suggestion");
    assert!(mock.sent().is_empty());
    assert_eq!(found.len(), 2, "a main pair and a second pair");
    found
}

/// The recommendations the plugin sent, from the request's user message.
fn sent_items(request: &OutboundRequest) -> Vec<Value> {
    let body: Value = serde_json::from_slice(&request.body).expect("a JSON request");
    let user = body["messages"][1]["content"].as_str().expect("a user message");
    let user: Value = serde_json::from_str(user).expect("JSON in the user message");
    user["recommendations"].as_array().expect("recommendations").clone()
}

/// A chat completion whose message is `content`.
fn completion(content: &str) -> Response {
    Response::json(&json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": MODEL,
        "choices": [{ "index": 0, "finish_reason": "stop",
                      "message": { "role": "assistant", "content": content, "refusal": null } }],
    }))
}

/// What the fake writes for one recommendation: only the plugin's own numbers (its first
/// figure's value, or its title).
fn rewording(item: &Value) -> String {
    let text = |v: &Value| v.as_str().expect("a string").to_owned();
    let title = text(&item["title"]);
    match item["figures"].as_array().and_then(|f| f.first()) {
        Some(f) => {
            let unit = text(&f["unit"]);
            let unit = if unit.is_empty() { String::new() } else { format!(" {unit}") };
            format!("{title}: the {} is {}{unit}.", text(&f["name"]), f["value"])
        }
        None => format!("Offer it as well: {title}."),
    }
}

/// The fake endpoint: rewords every recommendation it is sent, each text through `edit`.
fn endpoint(
    edit: impl Fn(&str, String) -> String + 'static,
) -> impl Fn(&OutboundRequest) -> Result<Response, HostError> {
    move |request| {
        let explanations: Vec<Value> = sent_items(request)
            .iter()
            .map(|item| {
                let id = item["id"].as_str().expect("an id");
                json!({ "id": id, "text": edit(id, rewording(item)) })
            })
            .collect();
        Ok(completion(&json!({ "explanations": explanations }).to_string()))
    }
}

#[test]
fn a_configured_endpoint_rewords_each_explanation_and_changes_nothing_else() {
    let own = own_words();
    let mock = MockHost::install();
    configured(&mock);
    mock.on_http(endpoint(|_, text| text));
    let phrased = Recommender::recommend("lens", &lens_input()).unwrap();

    let sent = mock.sent();
    assert_eq!(sent.len(), 1, "one call for the kind's recommendations");
    let request = &sent[0];
    assert_eq!(
        (request.method.as_str(), request.url.as_str()),
        ("POST", "https://llm.example.com/v1/chat/completions")
    );
    let header = |name: &str| request.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(header("authorization"), Some("Bearer sk-test-0123456789"));
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(request.timeout, Some(Duration::from_millis(1500)));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["temperature"], TEMPERATURE);
    assert_eq!(body["messages"][0]["role"], "system");
    // What leaves ILS: each one's title, the plugin's words and its figures, nothing more.
    let items = sent_items(request);
    assert_eq!(items.len(), 2);
    for (item, own) in items.iter().zip(&own) {
        assert_eq!(item["title"], own.title.as_str());
        assert_eq!(item["explanation"], own.explanation.as_str());
        assert_eq!(item["figures"], serde_json::to_value(&own.figures).unwrap());
        let keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["explanation", "figures", "id", "title"]);
    }

    for (p, own) in phrased.iter().zip(&own) {
        assert_ne!(p.explanation, own.explanation);
        assert!(p.explanation.ends_with(MARK), "{}", p.explanation);
        assert_eq!(
            (&p.subject, &p.title, p.score, &p.figures, &p.action),
            (&own.subject, &own.title, own.score, &own.figures, &own.action)
        );
    }
    assert_eq!(phrased[0].explanation, format!("{}: the refractive index is 1.67.{MARK}", own[0].title));
    assert_eq!(phrased[1].explanation, format!("Offer it as well: {}.{MARK}", own[1].title));
}

#[test]
fn the_base_path_and_the_timeout_follow_the_configuration_or_their_defaults() {
    let mock = MockHost::install();
    mock.set_config(json!({ "phrasing_host": "llm.example.com:8443", "phrasing_path": "/openai/v1/", "phrasing_model": MODEL }));
    mock.set_secret(API_KEY, KEY);
    mock.on_http(endpoint(|_, text| text));
    Recommender::recommend("lens", &lens_input()).unwrap();
    let sent = mock.sent();
    assert_eq!(sent[0].url, "https://llm.example.com:8443/openai/v1/chat/completions");
    assert_eq!(sent[0].timeout, Some(Duration::from_millis(DEFAULT_TIMEOUT_MS)));
}

#[test]
fn a_phrasing_that_writes_a_number_of_its_own_keeps_the_plugins_words() {
    let own = own_words();
    // The main pair's phrasing rounds a thickness and adds a count; the second pair's is clean.
    for invented in [
        "The edge is about 9 mm thick.",
        "It suits 7 in 9 wearers.",
        "Twelve dioptres at most.",
        "Its index is 1.6.",
    ] {
        let mock = MockHost::install();
        configured(&mock);
        mock.on_http(endpoint(move |id, text| if id == "r0" { invented.to_owned() } else { text }));
        let phrased = Recommender::recommend("lens", &lens_input()).unwrap();
        assert_eq!(phrased[0].explanation, own[0].explanation, "{invented}");
        assert!(phrased[1].explanation.ends_with(MARK), "the other phrasing stands on its own");
        assert!(
            mock.logs().iter().any(|l| l.contains("r0: kept the plugin's own words")),
            "{:?}",
            mock.logs()
        );
    }
}

#[test]
fn an_empty_or_overlong_phrasing_keeps_the_plugins_words() {
    let own = own_words();
    for text in [String::from("   "), "Thin. ".repeat(MAX_CHARS / 5)] {
        let mock = MockHost::install();
        configured(&mock);
        mock.on_http(endpoint(move |_, _| text.clone()));
        let phrased = Recommender::recommend("lens", &lens_input()).unwrap();
        assert_eq!(phrased, own);
    }
}

#[test]
fn any_failure_of_the_endpoint_keeps_the_plugins_words_and_still_answers() {
    let own = own_words();
    let cut_short = Response::json(&json!({ "choices": [{ "finish_reason": "length",
        "message": { "role": "assistant", "content": "{\"explanations\": [{\"id\": \"r0\", \"te" } }] }));
    let refused = Response::json(&json!({ "choices": [{ "finish_reason": "stop",
        "message": { "role": "assistant", "content": null, "refusal": "I can't help with that." } }] }));
    let failures: Vec<(&str, Result<Response, HostError>)> = vec![
        ("a server error", Ok(Response::text(500, "upstream failed"))),
        (
            "a key refused",
            Ok(Response {
                status: 401,
                ..Response::json(
                    &json!({ "error": { "message": "Incorrect API key provided", "code": "invalid_api_key" } }),
                )
            }),
        ),
        ("rate limited", Ok(Response::text(429, "slow down"))),
        ("no answer in time", Err(HostError::Http("no complete answer within 1500 ms".into()))),
        ("not JSON", Ok(Response::html(200, "<html>maintenance</html>"))),
        ("no choices", Ok(Response::json(&json!({ "choices": [] })))),
        ("a refusal", Ok(refused)),
        ("cut short", Ok(cut_short)),
        ("empty content", Ok(completion(""))),
        ("prose instead of JSON", Ok(completion("Sure! Here are the explanations you asked for."))),
        (
            "ids it was not sent",
            Ok(completion(r#"{"explanations": [{"id": "r7", "text": "A thin lens."}]}"#)),
        ),
    ];
    for (what, answer) in failures {
        let mock = MockHost::install();
        configured(&mock);
        mock.on_http(move |_| answer.clone());
        let found = Recommender::recommend("lens", &lens_input()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(found, own, "{what}");
        assert_eq!(mock.sent().len(), 1, "{what}");
    }
}

#[test]
fn a_code_fenced_answer_is_read_and_a_repeated_id_counts_once() {
    let own = own_words();
    let mock = MockHost::install();
    configured(&mock);
    mock.on_http(|request| {
        let first = rewording(&sent_items(request)[0]);
        let answer =
            json!({ "explanations": [{ "id": "r0", "text": first }, { "id": "r0", "text": "Ignore me." }] });
        Ok(completion(&format!("```json\n{answer}\n```")))
    });
    let phrased = Recommender::recommend("lens", &lens_input()).unwrap();
    assert!(phrased[0].explanation.starts_with(&own[0].title) && phrased[0].explanation.ends_with(MARK));
    assert_eq!(phrased[1].explanation, own[1].explanation, "no phrasing came for r1");
}

#[test]
fn without_phrasing_configured_or_its_key_nothing_is_sent() {
    let own = own_words();
    let half = [
        json!({}),
        json!({ "phrasing_host": "", "phrasing_model": "" }),
        json!({ "phrasing_host": HOST, "phrasing_model": MODEL }),
    ];
    for (n, config) in half.into_iter().enumerate() {
        let mock = MockHost::install();
        mock.set_config(config.clone());
        // The key alone, without a host, does not turn phrasing on; the last has no key.
        if n < 2 {
            mock.set_secret(API_KEY, KEY);
        }
        mock.on_http(|_| panic!("nothing may be sent"));
        assert_eq!(Recommender::recommend("lens", &lens_input()).unwrap(), own, "{config}");
        assert!(mock.sent().is_empty(), "{config}");
    }
    // A secret ILS will not give (no consent) is the same as none.
    let mock = MockHost::install();
    mock.set_config(json!({ "phrasing_host": HOST, "phrasing_model": MODEL })).deny("secrets");
    assert_eq!(Recommender::recommend("lens", &lens_input()).unwrap(), own);
    assert!(mock.sent().is_empty());
}

#[test]
fn a_refused_input_is_refused_before_anything_is_sent() {
    let mock = MockHost::install();
    configured(&mock);
    let refused = Recommender::recommend("lens", r#"{"sphere": "-6.00"}"#).unwrap_err();
    assert!(refused.message.contains("age_years"), "{refused}");
    assert!(Recommender::recommend("frames-of-the-moon", "{}").is_err());
    assert!(mock.sent().is_empty());
}

#[test]
fn the_manifest_allows_an_outbound_origin_only_once_phrasing_is_configured() {
    let manifest = Manifest::from_toml(MANIFEST).unwrap();
    let asked: BTreeSet<&str> = manifest.capabilities.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        asked,
        BTreeSet::from(["clinical-read", "http-outbound", "inventory-read", "reports-read", "secrets"])
    );
    let origin = &manifest.outbound_hosts[0];
    assert!(origin.resolve(&json!({})).is_none(), "unconfigured: no origin at all");
    let allowed = origin.resolve(&json!({ "phrasing_host": HOST, "phrasing_model": MODEL })).unwrap();
    assert!(allowed.permits(true, HOST, 443));
    assert!(!allowed.permits(false, HOST, 80), "HTTPS only");
    assert!(!allowed.permits(true, "api.openai.com", 443));
}

#[test]
fn the_configuration_takes_phrasing_whole_or_not_at_all() {
    let manifest = Manifest::from_toml(MANIFEST).unwrap();
    for good in [
        json!({}),
        json!({ "phrasing_host": "api.openai.com", "phrasing_model": "gpt-4o-mini" }),
        json!({ "phrasing_host": "llm.example.com:8443", "phrasing_path": "/openai/v1", "phrasing_model": "meta-llama/Llama-3.1-8B-Instruct", "phrasing_timeout_ms": 3000 }),
    ] {
        manifest.validate_config(&good).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        json!({ "phrasing_host": "api.openai.com" }),
        json!({ "phrasing_model": "gpt-4o-mini" }),
        json!({ "phrasing_path": "/v1" }),
        json!({ "phrasing_host": "https://api.openai.com/v1", "phrasing_model": "m" }),
        json!({ "phrasing_host": "evil.com/x", "phrasing_model": "m" }),
        json!({ "phrasing_host": "api.openai.com", "phrasing_model": "m", "phrasing_timeout_ms": 10000 }),
        json!({ "phrasing_host": "api.openai.com", "phrasing_model": "m", "phrasing_path": "v1?x=1" }),
        json!({ "phrasing": { "host": "api.openai.com" } }),
    ] {
        assert!(manifest.validate_config(&bad).is_err(), "{bad}");
    }
}
