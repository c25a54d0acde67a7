//! Standard Webhooks signing (<https://www.standardwebhooks.com>): secrets are `whsec_` +
//! base64 of random bytes; a signature is `v1,` + base64(HMAC-SHA256(secret, "id.timestamp.body")),
//! and several signatures (during secret rotation) are separated by spaces.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use ils_kernel::error::{Error, Result};

const SECRET_PREFIX: &str = "whsec_";

/// A signing secret's raw bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(***)")
    }
}

impl SigningSecret {
    /// A fresh 192-bit secret.
    pub fn generate() -> Self {
        Self(ils_kernel::secrets::random_bytes::<24>().to_vec())
    }

    /// From the raw bytes (as stored, after unsealing).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Parses `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Self> {
        let b64 = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| Error::invalid_field("secret", "must be whsec_ followed by base64"))?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(Error::invalid_field("secret", "must be 24 to 64 bytes"));
        }
        Ok(Self(bytes))
    }

    /// The raw bytes, to seal for storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The `whsec_…` form shown to the tenant once.
    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<signature>` of one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC accepts keys of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable_hmac());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

fn unreachable_hmac() -> Hmac<Sha256> {
    // `new_from_slice` only fails for fixed-size keys, which HMAC does not have.
    Hmac::<Sha256>::new_from_slice(b"k").unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// The `webhook-signature` header value: one signature per valid secret, space-separated.
pub fn signature_header(secrets: &[SigningSecret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign(id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks specification's reference implementations.
    #[test]
    fn matches_the_specification_example() {
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_round_trip_and_rotation_signs_with_both() {
        let a = SigningSecret::generate();
        let b = SigningSecret::generate();
        assert_eq!(SigningSecret::parse(&a.to_text()).unwrap(), a);
        let header = signature_header(&[a.clone(), b.clone()], "id", 1, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, vec![a.sign("id", 1, b"{}"), b.sign("id", 1, b"{}")]);
        assert!(SigningSecret::parse("whsec_short").is_err());
    }
}
