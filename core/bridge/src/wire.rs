//! The messages on the WebSocket between the bridge and ILS (docs/adr/049, "The wire between the
//! bridge and ILS"): JSON text, an object with a `type`, bytes in base64.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// What the bridge sends.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ToIls {
    Hello { bridge: String, version: String, devices: Vec<String> },
    Link { device: String, seq: u64, up: bool },
    Bytes { device: String, seq: u64, data: String },
    Written { device: String, out_seq: u64 },
}

/// What ILS sends. A `type` this bridge does not know is logged and skipped.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum FromIls {
    Welcome {
        #[serde(default)]
        acked: BTreeMap<String, u64>,
        #[serde(default)]
        unknown: Vec<String>,
    },
    Ack {
        device: String,
        seq: u64,
    },
    Send {
        device: String,
        out_seq: u64,
        #[serde(deserialize_with = "base64_bytes")]
        data: Vec<u8>,
    },
    Error {
        #[serde(default)]
        device: Option<String>,
        message: String,
    },
    #[serde(other)]
    Other,
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(text)
}

fn base64_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    decode(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_and_write_as_the_adr_table_says() {
        let link = ToIls::Link { device: "t".into(), seq: 1, up: true };
        assert_eq!(
            serde_json::to_string(&link).unwrap(),
            r#"{"type":"link","device":"t","seq":1,"up":true}"#
        );
        let written = ToIls::Written { device: "t".into(), out_seq: 3 };
        assert_eq!(
            serde_json::to_string(&written).unwrap(),
            r#"{"type":"written","device":"t","out_seq":3}"#
        );

        let send: FromIls =
            serde_json::from_str(r#"{"type":"send","device":"t","out_seq":2,"data":"QUJD"}"#).unwrap();
        assert_eq!(send, FromIls::Send { device: "t".into(), out_seq: 2, data: b"ABC".to_vec() });
        let welcome: FromIls =
            serde_json::from_str(r#"{"type":"welcome","acked":{"t":4},"unknown":["x"]}"#).unwrap();
        assert_eq!(
            welcome,
            FromIls::Welcome { acked: [("t".to_string(), 4)].into(), unknown: vec!["x".into()] }
        );
        let error: FromIls = serde_json::from_str(r#"{"type":"error","message":"no"}"#).unwrap();
        assert_eq!(error, FromIls::Error { device: None, message: "no".into() });
        let later: FromIls = serde_json::from_str(r#"{"type":"something_new","x":1}"#).unwrap();
        assert_eq!(later, FromIls::Other);
    }
}
