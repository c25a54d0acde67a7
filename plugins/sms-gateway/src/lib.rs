//! ILS SMS provider for a generic HTTP SMS gateway (see README.md for the wire contract): one
//! JSON POST per message, authorised with the practice's key, with the message's reference as
//! the idempotency key so a retry never sends twice.

use ils_plugin_sdk::host::{config, secrets};
use ils_plugin_sdk::{HostError, Plugin, SmsError, SmsMessage, export_plugin, http};
use serde::{Deserialize, Serialize};

/// The plugin.
pub struct SmsGateway;

export_plugin!(SmsGateway);

/// The practice's settings.
#[derive(Debug, Deserialize)]
pub struct Settings {
    /// The gateway's host name.
    pub gateway_host: String,
    /// The path messages are POSTed to.
    #[serde(default = "default_path")]
    pub path: String,
    /// Who messages are from.
    pub sender: String,
}

fn default_path() -> String {
    "/messages".into()
}

/// What the gateway is sent.
#[derive(Debug, Serialize)]
struct Outgoing<'a> {
    to: &'a str,
    from: &'a str,
    body: &'a str,
    reference: &'a str,
}

#[derive(Debug, Deserialize)]
struct Accepted {
    id: String,
}

impl Plugin for SmsGateway {
    fn send_sms(message: SmsMessage) -> Result<String, SmsError> {
        let settings: Settings = config::get()
            .map_err(|e| SmsError::Unavailable(format!("the plugin's settings are incomplete: {e}")))?;
        let key = secrets::get("api_key")
            .map_err(host_unavailable)?
            .ok_or_else(|| SmsError::Unavailable("no api_key secret is set for the gateway".into()))?;
        send(&settings, &key, &message)
    }
}

fn host_unavailable(e: HostError) -> SmsError {
    SmsError::Unavailable(e.to_string())
}

/// Posts one message and reads the gateway's answer.
pub fn send(settings: &Settings, key: &str, message: &SmsMessage) -> Result<String, SmsError> {
    let url = format!("https://{}{}", settings.gateway_host, settings.path);
    let body = Outgoing {
        to: &message.to,
        from: &settings.sender,
        body: &message.body,
        reference: &message.reference,
    };
    let body = serde_json::to_vec(&body).map_err(|e| SmsError::Rejected(e.to_string()))?;
    let bearer = format!("Bearer {key}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
        ("idempotency-key", message.reference.as_str()),
    ];
    let answer = http::send_with_timeout("POST", &url, &headers, &body, std::time::Duration::from_secs(20))
        .map_err(|e| SmsError::Unavailable(format!("the gateway did not answer: {e}")))?;
    read(answer.status, &answer.body)
}

/// The gateway's answer as the host needs it: its id, a refusal, or "try again later".
pub fn read(status: u16, body: &[u8]) -> Result<String, SmsError> {
    let said = || {
        let text = String::from_utf8_lossy(body);
        let text: String = text.chars().take(200).collect();
        format!("the gateway answered {status}: {text}")
    };
    match status {
        200..=299 => serde_json::from_slice::<Accepted>(body)
            .map(|a| a.id)
            .map_err(|_| SmsError::Unavailable(format!("{} (no message id)", said()))),
        401 | 403 => Err(SmsError::Unavailable(format!("{}; check the api_key secret", said()))),
        408 | 409 | 425 | 429 | 500..=599 => Err(SmsError::Unavailable(said())),
        _ => Err(SmsError::Rejected(said())),
    }
}

#[cfg(test)]
mod tests {
    use ils_plugin_sdk::testing::MockHost;
    use serde_json::json;

    use super::*;

    fn message() -> SmsMessage {
        SmsMessage { to: "+447700900123".into(), body: "Hello".into(), reference: "r-1".into() }
    }

    #[test]
    fn answers_are_sorted_into_sent_refused_and_try_again() {
        assert_eq!(read(201, br#"{"id":"gw-9"}"#), Ok("gw-9".into()));
        assert!(matches!(read(422, b"bad number"), Err(SmsError::Rejected(m)) if m.contains("bad number")));
        assert!(matches!(read(429, b""), Err(SmsError::Unavailable(_))));
        assert!(matches!(read(503, b""), Err(SmsError::Unavailable(_))));
        assert!(matches!(read(401, b""), Err(SmsError::Unavailable(m)) if m.contains("api_key")));
        assert!(matches!(read(200, b"ok"), Err(SmsError::Unavailable(m)) if m.contains("no message id")));
    }

    #[test]
    fn without_a_key_nothing_is_sent_and_it_is_tried_again() {
        let mock = MockHost::install();
        mock.set_config(json!({ "gateway_host": "sms.example.com", "sender": "Northgate" }));
        let err = SmsGateway::send_sms(message()).expect_err("no key");
        assert!(matches!(err, SmsError::Unavailable(m) if m.contains("api_key")));
    }
}
