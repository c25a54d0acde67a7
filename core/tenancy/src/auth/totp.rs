//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30-second steps, ±1 step of clock skew)
//! and single-use recovery codes.

use totp_rs::{Algorithm, TOTP};

use ils_kernel::{Error, Result};

const STEP: u64 = 30;
const DIGITS: usize = 6;
/// Issuer shown in authenticator apps.
pub const ISSUER: &str = "ILS";
/// Recovery codes issued when TOTP is enabled.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: &[u8], account: &str) -> Result<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP, secret.to_vec(), Some(ISSUER.to_owned()), account.to_owned())
        .map_err(|e| Error::Internal(format!("totp: {e}")))
}

/// A new 160-bit TOTP seed.
pub fn new_secret() -> [u8; 20] {
    ils_kernel::secrets::random_bytes::<20>()
}

/// The base32 seed and `otpauth://` URL an authenticator app enrols from.
pub fn enrolment(secret: &[u8], account: &str) -> Result<(String, String)> {
    let totp = totp(secret, account)?;
    Ok((totp.get_secret_base32(), totp.get_url()))
}

/// Checks `code` at `unix_time`. Returns the time step it matched, which must be later than
/// `last_step` (the last step used), so a code cannot be replayed.
pub fn verify(secret: &[u8], code: &str, unix_time: u64, last_step: Option<i64>) -> Result<Option<i64>> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret, "")?;
    let current = unix_time / STEP;
    for step in [current.saturating_sub(1), current, current + 1] {
        let expected = totp.generate(step * STEP);
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            if last_step.is_some_and(|last| step <= last) {
                return Ok(None);
            }
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// The code an authenticator shows at `unix_time` (for tests and tooling).
pub fn code_at(secret: &[u8], unix_time: u64) -> Result<String> {
    Ok(totp(secret, "")?.generate(unix_time))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh recovery code, `xxxxx-xxxxx` from an alphabet without look-alike characters.
pub fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = ils_kernel::secrets::random_bytes::<10>();
    let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Recovery codes are compared case-insensitively and without separators.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn matches_rfc6238_vectors() {
        assert_eq!(code_at(RFC_SEED, 59).unwrap(), "287082");
        assert_eq!(code_at(RFC_SEED, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(RFC_SEED, 2_000_000_000).unwrap(), "279037");
    }

    #[test]
    fn accepts_one_step_of_skew_and_refuses_replay() {
        let t = 1_111_111_109;
        let code = code_at(RFC_SEED, t).unwrap();
        let step = verify(RFC_SEED, &code, t + 30, None).unwrap().expect("skew of one step");
        assert_eq!(verify(RFC_SEED, &code, t, Some(step)).unwrap(), None, "replayed code");
        assert_eq!(verify(RFC_SEED, &code, t + 90, None).unwrap(), None, "too old");
        assert_eq!(verify(RFC_SEED, "12345", t, None).unwrap(), None);
    }

    #[test]
    fn recovery_codes_normalise() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(normalise_recovery_code(&code.to_uppercase()), normalise_recovery_code(&code));
    }
}
