//! Byte buffers in a session's stored state, written as text a person can read.
//!
//! Frames are mostly ASCII, so a buffer is stored as a JSON string with one character per byte
//! (byte `b` is `U+00bb`, Latin-1): a frame reads as its records, with `\u001c` for FS, and
//! costs about one character a byte, where a JSON array of numbers costs three or four.

use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes, stored as a Latin-1 string.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl Deref for Bytes {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for Bytes {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text: String = self.0.iter().map(|&b| char::from(b)).collect();
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| {
                    serde::de::Error::custom(format!(
                        "a byte string holds U+{:04X}, above U+00FF",
                        u32::from(c)
                    ))
                })
            })
            .collect::<Result<Vec<u8>, _>>()
            .map(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_reads_back_and_frames_stay_readable() {
        let all = Bytes((0..=255).collect());
        let json = serde_json::to_string(&all).unwrap();
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), all);
        let frame = Bytes(b"\x1cJOB=1\r\n\x1eCRC=1\r\n\x1d".to_vec());
        assert_eq!(serde_json::to_string(&frame).unwrap(), r#""\u001cJOB=1\r\n\u001eCRC=1\r\n\u001d""#);
        let err = serde_json::from_str::<Bytes>(r#""A€""#).unwrap_err().to_string();
        assert!(err.contains("U+20AC, above U+00FF"), "{err}");
    }
}
