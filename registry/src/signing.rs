//! Publisher signatures: ed25519 over a package digest.
//!
//! A publisher keeps a private key (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes
//! it, or `ils plugin keygen`) and registers its public key with the registry (32 bytes,
//! base64). `ils plugin publish` signs the package's digest ([`crate::Descriptor::digest`]);
//! the registry verifies the signature against the keys of the plugin id's owner.
//!
//! What is signed is not the bare 32 bytes but a short message that names what they are,
//! `ils-package-v1 sha256:<hex>`, so a signature made for a package can never be replayed as
//! the signature of anything else a key might sign.
//!
//! ```
//! use ils_registry::signing::{PrivateKey, verify};
//! use ils_registry::Digest;
//!
//! let key = PrivateKey::generate();
//! let digest = Digest::of(b"a package descriptor");
//! let signature = key.sign(&digest);
//! assert!(verify(&key.public(), &digest, &signature).is_ok());
//! assert!(verify(&key.public(), &Digest::of(b"other bytes"), &signature).is_err());
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use ed25519_dalek::{Signer as _, Verifier as _};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::package::Digest;

/// The signature algorithm, as packages and the API name it.
pub const ALGORITHM: &str = "ed25519";

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// Not a key of the expected form.
    #[error("{0}")]
    BadKey(String),
    /// Not a signature of the expected form.
    #[error("the signature is not 64 bytes of base64")]
    BadSignature,
    /// Well-formed, but not made by this key over this digest.
    #[error("the signature does not verify against key {key_id} for {digest}")]
    Mismatch {
        /// The key tried.
        key_id: String,
        /// The package digest.
        digest: String,
    },
}

/// The message a package signature covers.
fn message(digest: &Digest) -> Vec<u8> {
    format!("ils-package-v1 {digest}").into_bytes()
}

/// A publisher's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// Reads a key from the base64 of its 32 bytes (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, SigningError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|e| SigningError::BadKey(format!("the public key is not base64: {e}")))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            SigningError::BadKey(format!("an ed25519 public key is 32 bytes, this one is {}", b.len()))
        })?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| SigningError::BadKey("not a valid ed25519 public key".into()))
    }

    /// The base64 of its 32 bytes.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0.as_bytes())
    }

    /// Its id: the first 16 hex digits of the SHA-256 of its bytes. Signatures name the key by it.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

/// A publisher's private key. It never leaves the publisher's machine.
pub struct PrivateKey(ed25519_dalek::SigningKey);

impl PrivateKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(text: &str) -> Result<Self, SigningError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(text)
            .map(Self)
            .map_err(|e| SigningError::BadKey(format!("not an ed25519 private key in PKCS#8 PEM: {e}")))
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pem(&self) -> Result<String, SigningError> {
        self.0
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| SigningError::BadKey(e.to_string()))
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs a package digest; the base64 of the 64-byte signature.
    pub fn sign(&self, digest: &Digest) -> String {
        BASE64.encode(self.0.sign(&message(digest)).to_bytes())
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.public().key_id())
    }
}

/// Checks that `signature` (base64) was made by `key` over `digest`.
pub fn verify(key: &PublicKey, digest: &Digest, signature: &str) -> Result<(), SigningError> {
    let bytes = BASE64.decode(signature.trim()).map_err(|_| SigningError::BadSignature)?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| SigningError::BadSignature)?;
    let signature = ed25519_dalek::Signature::from_bytes(&bytes);
    key.0
        .verify(&message(digest), &signature)
        .map_err(|_| SigningError::Mismatch { key_id: key.key_id(), digest: digest.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_pem_and_base64() {
        let key = PrivateKey::generate();
        let pem = key.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let again = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(again.public(), key.public());
        let public = PublicKey::from_base64(&key.public().to_base64()).unwrap();
        assert_eq!(public.key_id(), key.public().key_id());
        assert_eq!(public.key_id().len(), 16);
    }

    #[test]
    fn a_signature_holds_only_for_its_key_and_digest() {
        let key = PrivateKey::generate();
        let other = PrivateKey::generate();
        let digest = Digest::of(b"descriptor");
        let signature = key.sign(&digest);
        assert_eq!(verify(&key.public(), &digest, &signature), Ok(()));
        assert!(matches!(verify(&other.public(), &digest, &signature), Err(SigningError::Mismatch { .. })));
        assert!(verify(&key.public(), &Digest::of(b"tampered"), &signature).is_err());
        assert_eq!(verify(&key.public(), &digest, "not base64!"), Err(SigningError::BadSignature));
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        let short = PublicKey::from_base64("AAAA").unwrap_err();
        assert!(short.to_string().contains("32 bytes"), "{short}");
        assert!(PublicKey::from_base64("%%%").is_err());
        assert!(
            PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err()
        );
    }
}
