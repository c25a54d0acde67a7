//! Phrasing explanations through the tenant's own OpenAI-compatible endpoint, when it
//! configured one: the words may come from a language model, the numbers never do.
//!
//! Configured means `phrasing_host` and `phrasing_model` set in the tenant's configuration and
//! the secret [`API_KEY`] set. Then, after a kind computed its recommendations, the highest
//! scored [`MAX_PHRASED`] go in one `POST https://{phrasing_host}{phrasing_path}/chat/completions`
//! (OpenAI's chat-completions shape, `Authorization: Bearer {key}`, temperature
//! [`TEMPERATURE`]) with each one's title, the plugin's explanation and its figures — nothing
//! else, no ids — asking for the explanation reworded for a practice's staff. Each answer is
//! checked on its own:
//!
//! - it may write only numbers the plugin wrote for that recommendation (`numbers`); one with a
//!   number of its own keeps the plugin's words;
//! - an empty one, or one longer than [`MAX_CHARS`], keeps the plugin's words;
//! - a kept phrasing ends with ` (phrased by {model})`, so staff know whose words they read.
//!
//! Any failure of the call — not sent, an HTTP error, no complete answer within
//! `phrasing_timeout_ms`, a body that is not the agreed JSON, a refusal, an answer cut short —
//! keeps every explanation as the plugin wrote it and is logged; the recommendations are
//! returned all the same. Titles, scores, figures, subjects and actions are never touched.

mod numbers;

use std::time::Duration;

use ils_plugin_sdk::host::{config, log, secrets};
use ils_plugin_sdk::{Figure, HostError, Recommendation, http};
use serde::{Deserialize, Serialize};
use serde_json::json;

use numbers::Source;

/// The secret holding the endpoint's API key, sent as `Authorization: Bearer {key}`.
pub const API_KEY: &str = "phrasing_api_key";
/// The base path when the configuration names none (OpenAI's).
pub const DEFAULT_PATH: &str = "/v1";
/// How long the whole answer may take when the configuration does not say, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;
/// How many recommendations one call sends (the highest scored); the rest keep the plugin's words.
pub const MAX_PHRASED: usize = 20;
/// The longest phrasing kept, in characters.
pub const MAX_CHARS: usize = 2_000;
/// The sampling temperature asked for: low, so the wording stays with the facts given.
pub const TEMPERATURE: f64 = 0.2;

/// What the model is told, once per call.
const INSTRUCTIONS: &str = "You reword the explanations of recommendations for the staff of an \
optical practice or laboratory (dispensing opticians, optometrists, lab technicians, managers). \
The user message is JSON: {\"recommendations\": [{\"id\", \"title\", \"explanation\", \"figures\"}]}. \
For each one, write its explanation again in one to three plain sentences a busy colleague \
understands at a glance, keeping what matters for the decision. Use only numbers that appear in \
that recommendation's title, explanation or figures, written in digits exactly as given there \
(same decimals, same sign, same unit); never calculate, round, estimate or add a number, date, \
percentage or count, and do not write numbers as words. Do not add advice the explanation does \
not give. Answer with JSON only, no code fence: {\"explanations\": [{\"id\": \"...\", \"text\": \"...\"}]}, \
one entry per recommendation, with its id.";

/// The tenant's phrasing endpoint, from its configuration and secret (no `Debug`: it holds the key).
pub struct Endpoint {
    /// `https://{phrasing_host}{phrasing_path}/chat/completions`.
    pub url: String,
    /// The model asked for, as the endpoint names it.
    pub model: String,
    /// The time the whole answer may take.
    pub timeout: Duration,
    key: String,
}

/// The configuration's phrasing keys (ILS checked them against the manifest's schema).
#[derive(Debug, Default, Deserialize)]
struct Settings {
    phrasing_host: Option<String>,
    phrasing_path: Option<String>,
    phrasing_model: Option<String>,
    phrasing_timeout_ms: Option<u64>,
}

fn given(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

impl Endpoint {
    /// The endpoint, when phrasing is configured and its key is set; none otherwise, and then
    /// nothing is sent.
    pub fn configured() -> Option<Self> {
        let settings: Settings = serde_json::from_str(&config::raw()).unwrap_or_default();
        let host = given(settings.phrasing_host)?;
        let model = given(settings.phrasing_model)?;
        let key = match secrets::get(API_KEY) {
            Ok(Some(key)) if !key.trim().is_empty() => key.trim().to_owned(),
            Ok(_) => {
                log::warn(&format!("phrasing is configured but the secret {API_KEY} is not set"));
                return None;
            }
            Err(e) => {
                log::warn(&format!("phrasing: the secret {API_KEY} could not be read: {e}"));
                return None;
            }
        };
        let path = given(settings.phrasing_path).unwrap_or_else(|| DEFAULT_PATH.to_owned());
        let path = path.trim_end_matches('/');
        let timeout = Duration::from_millis(settings.phrasing_timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
        Some(Self { url: format!("https://{host}{path}/chat/completions"), model, timeout, key })
    }
}

/// Why a call gave no phrasings (the plugin's words are kept; the text goes to the log).
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("the request failed: {0}")]
    Http(HostError),
    #[error("the endpoint answered {0}")]
    Status(u16),
    #[error("the answer is not a chat completion: {0}")]
    NotCompletion(serde_json::Error),
    #[error("the answer has no choice")]
    NoChoice,
    #[error("the model refused: {0}")]
    Refused(String),
    #[error("the answer was cut short ({0})")]
    CutShort(String),
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is not the agreed JSON: {0}")]
    NotAgreed(serde_json::Error),
}

/// One recommendation as the endpoint sees it.
#[derive(Serialize)]
struct Item<'a> {
    id: String,
    title: &'a str,
    explanation: &'a str,
    figures: &'a [Figure],
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct Phrasings {
    explanations: Vec<Phrased>,
}

#[derive(Deserialize)]
struct Phrased {
    id: String,
    text: String,
}

/// The indexes of the recommendations to send: the highest scored, at most [`MAX_PHRASED`].
fn chosen(found: &[Recommendation]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by(|a, b| found[*b].score.total_cmp(&found[*a].score));
    order.truncate(MAX_PHRASED);
    order
}

fn id(index: usize) -> String {
    format!("r{index}")
}

/// Everything the plugin wrote for one recommendation: where a phrasing's numbers may come from.
fn source(r: &Recommendation) -> Source {
    let mut source = Source::default();
    source.text(&r.title);
    source.text(&r.explanation);
    for f in &r.figures {
        source.text(&f.name);
        source.text(&f.unit);
        source.value(f.value);
    }
    source
}

/// The model's text without a code fence around it, which some endpoints add regardless.
fn unfenced(content: &str) -> &str {
    let content = content.trim();
    let Some(inner) = content.strip_prefix("```") else { return content };
    let inner = inner.strip_prefix("json").unwrap_or(inner);
    inner.strip_suffix("```").unwrap_or(inner).trim()
}

impl Endpoint {
    /// One call: the phrasings the endpoint gave, by index, not yet checked.
    fn ask(&self, found: &[Recommendation], chosen: &[usize]) -> Result<Vec<(usize, String)>, Failure> {
        let items: Vec<Item<'_>> = chosen
            .iter()
            .map(|i| Item {
                id: id(*i),
                title: &found[*i].title,
                explanation: &found[*i].explanation,
                figures: &found[*i].figures,
            })
            .collect();
        let body = json!({
            "model": self.model,
            "temperature": TEMPERATURE,
            "messages": [
                { "role": "system", "content": INSTRUCTIONS },
                { "role": "user", "content": json!({ "recommendations": items }).to_string() },
            ],
        });
        let bearer = format!("Bearer {}", self.key);
        let headers = [("content-type", "application/json"), ("authorization", bearer.as_str())];
        let answer =
            http::send_with_timeout("POST", &self.url, &headers, body.to_string().as_bytes(), self.timeout)
                .map_err(Failure::Http)?;
        if !(200..300).contains(&answer.status) {
            return Err(Failure::Status(answer.status));
        }
        let completion: Completion = serde_json::from_slice(&answer.body).map_err(Failure::NotCompletion)?;
        let choice = completion.choices.into_iter().next().ok_or(Failure::NoChoice)?;
        if let Some(refusal) = choice.message.refusal.filter(|r| !r.trim().is_empty()) {
            return Err(Failure::Refused(refusal));
        }
        if let Some(reason @ ("length" | "content_filter")) = choice.finish_reason.as_deref() {
            return Err(Failure::CutShort(reason.to_owned()));
        }
        let content = choice.message.content.unwrap_or_default();
        let content = unfenced(&content);
        if content.is_empty() {
            return Err(Failure::Empty);
        }
        let phrasings: Phrasings = serde_json::from_str(content).map_err(Failure::NotAgreed)?;
        let mut out: Vec<(usize, String)> = Vec::new();
        for p in phrasings.explanations {
            let Some(index) = chosen.iter().copied().find(|i| id(*i) == p.id) else { continue };
            // The first answer for an id is the one; a repeat is ignored.
            if !out.iter().any(|(i, _)| *i == index) {
                out.push((index, p.text));
            }
        }
        Ok(out)
    }
}

/// Why one phrasing is not kept, if it is not.
fn refusal(r: &Recommendation, text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("it is empty".into());
    }
    if text.chars().count() > MAX_CHARS {
        return Some(format!("it is longer than {MAX_CHARS} characters"));
    }
    source(r).foreign_number(text).map(|n| format!("it writes {n}, which the plugin did not"))
}

/// Rewords `found`'s explanations through the tenant's endpoint when one is configured (see
/// the module's rules); without one, sends nothing. Only explanations change.
pub fn phrase(found: &mut [Recommendation]) {
    if found.is_empty() {
        return;
    }
    let Some(endpoint) = Endpoint::configured() else { return };
    let chosen = chosen(found);
    let phrasings = match endpoint.ask(found, &chosen) {
        Ok(phrasings) => phrasings,
        Err(why) => {
            log::warn(&format!("phrasing: kept the plugin's own words: {why}"));
            return;
        }
    };
    let mut kept = 0;
    for (index, text) in phrasings {
        let text = text.trim();
        match refusal(&found[index], text) {
            Some(why) => log::info(&format!("phrasing of {}: kept the plugin's own words: {why}", id(index))),
            None => {
                found[index].explanation = format!("{text} (phrased by {})", endpoint.model);
                kept += 1;
            }
        }
    }
    log::info(&format!("phrasing: {kept} of {} explanations phrased by {}", found.len(), endpoint.model));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_fence_around_the_answer_is_taken_off() {
        assert_eq!(unfenced("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(unfenced("```\n{}\n```"), "{}");
        assert_eq!(unfenced(" {} "), "{}");
    }

    #[test]
    fn the_highest_scored_are_sent_first_and_at_most_the_cap() {
        let r = |score: f32| Recommendation {
            subject: String::new(),
            title: String::new(),
            score,
            explanation: String::new(),
            figures: Vec::new(),
            action: None,
        };
        let found: Vec<Recommendation> = (0..25).map(|n| r(n as f32 / 100.0)).collect();
        let sent = chosen(&found);
        assert_eq!(sent.len(), MAX_PHRASED);
        assert_eq!(&sent[..3], &[24, 23, 22]);
    }
}
