//! Random credentials, their stored hashes, and sealing of secrets kept at rest. Sessions, API
//! keys, webhook signing secrets and plugin secrets all use these, so they sit below every domain.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "ils_s_";
/// Prefix of API keys.
pub const API_KEY_PREFIX: &str = "ils_k_";

/// A fresh bearer credential: `prefix` + 256 random bits, base64url.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored for a token: its SHA-256. Tokens carry 256 bits of entropy, so a fast hash
/// is enough; only the hash ever reaches the database.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// Encrypts small secrets (TOTP seeds, later plugin secrets) before they are stored.
///
/// XChaCha20-Poly1305 with a random 192-bit nonce per value; the stored form is
/// `nonce || ciphertext`. The key comes from `ILS_SECRET_KEY` or a key file in the data
/// directory (the host's configuration loads it).
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

/// A sealed value could not be opened: wrong key or corrupted data.
#[derive(Debug, thiserror::Error)]
#[error("sealed secret could not be opened (wrong ILS_SECRET_KEY or corrupted data)")]
pub struct UnsealError;

impl Sealer {
    /// A sealer with a 256-bit key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { cipher: XChaCha20Poly1305::new(Key::from_slice(&key)) }
    }

    /// Encrypts `plaintext`.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = random_bytes::<24>();
        let mut out = nonce.to_vec();
        // Encryption with a fresh nonce and an in-memory buffer cannot fail.
        let ciphertext = self.cipher.encrypt(XNonce::from_slice(&nonce), plaintext).unwrap_or_default();
        out.extend(ciphertext);
        out
    }

    /// Decrypts a value made by [`Sealer::seal`].
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, UnsealError> {
        if sealed.len() < 24 {
            return Err(UnsealError);
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        self.cipher.decrypt(XNonce::from_slice(nonce), ciphertext).map_err(|_| UnsealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = new_token(SESSION_PREFIX);
        let b = new_token(SESSION_PREFIX);
        assert!(a.starts_with(SESSION_PREFIX));
        assert_ne!(a, b);
        assert_eq!(a.len(), SESSION_PREFIX.len() + 43);
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn sealed_values_open_only_with_the_right_key() {
        let sealer = Sealer::new([7; 32]);
        let sealed = sealer.seal(b"JBSWY3DPEHPK3PXP");
        assert!(!sealed.windows(16).any(|w| w == b"JBSWY3DPEHPK3PXP"));
        assert_eq!(sealer.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(Sealer::new([8; 32]).open(&sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(sealer.open(&tampered).is_err());
    }
}
