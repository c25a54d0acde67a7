//! Passwords: policy, and argon2id hashing with the parameters OWASP recommends
//! (19 MiB, 2 iterations, parallelism 1).
//!
//! The policy follows NIST SP 800-63B: a minimum length, no composition rules, and a check
//! against passwords known to be common or breached. That check is zxcvbn's: its list of the
//! 30,000 most common passwords from breach corpora, with dictionary words, names, keyboard
//! walks, repeats, sequences and dates, and the words of the account itself (its e-mail address
//! and name). A password zxcvbn reckons guessable in fewer than 10^8 tries (its score under 3,
//! which its authors call too weak) is refused.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use ils_kernel::{Error, Result};

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;
/// Longest password accepted (bounds hashing work per request).
pub const MAX_LEN: usize = 1024;

/// A password that meets the policy. The constructor is the check.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks the policy; `field` names the input in the error.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::parse_for(field, value, &[])
    }

    /// Checks the policy for an account described by `account` (its e-mail address, its name):
    /// a password made of those words is as weak as a common one.
    pub fn parse_for(field: &str, value: &str, account: &[&str]) -> Result<Self> {
        let chars = value.chars().count();
        if chars < MIN_LEN {
            return Err(Error::invalid_field(field, format!("must be at least {MIN_LEN} characters long")));
        }
        if value.len() > MAX_LEN {
            return Err(Error::invalid_field(field, format!("must be at most {MAX_LEN} bytes long")));
        }
        if value.trim().is_empty() {
            return Err(Error::invalid_field(field, "must not be blank"));
        }
        // The e-mail's parts count as words of their own (`ann.smith@example.com`).
        let mut words: Vec<&str> = account.to_vec();
        for text in account {
            words.extend(text.split(['@', '.', ' ', '-', '_', '+']).filter(|w| w.chars().count() >= 3));
        }
        let estimate = zxcvbn::zxcvbn(value, &words);
        if estimate.score() < zxcvbn::Score::Three {
            let why = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| format!(" ({})", w.to_string().trim_end_matches('.').to_lowercase()))
                .unwrap_or_default();
            return Err(Error::invalid_field(
                field,
                format!(
                    "is too common or too easy to guess{why}: it is on lists of breached passwords \
                     or made of common words, names, patterns or your own details; choose another"
                ),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The password text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn argon2() -> Argon2<'static> {
    // Constant, valid parameters: construction cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string. CPU-heavy: runs on the blocking pool.
pub async fn hash(password: &Password) -> Result<String> {
    let password = password.0.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&ils_kernel::secrets::random_bytes::<16>())
            .map_err(|e| Error::Internal(format!("salt: {e}")))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hash: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
}

/// Whether `candidate` matches the stored PHC hash. With no stored hash (unknown user) it
/// still does the same work, so timing does not reveal whether an account exists.
pub async fn verify(candidate: &str, stored: Option<&str>) -> Result<bool> {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$O5f0qPdi7J5ZDbcYJ6H9cQ2jfvr5u9VnS8mQ1D0kRfs";
    let candidate = candidate.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY.to_owned());
        let parsed = PasswordHash::new(&phc).map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
        let ok = argon2().verify_password(candidate.as_bytes(), &parsed).is_ok();
        Ok(ok && known)
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_and_blank_passwords() {
        assert!(Password::parse("password", "short").is_err());
        assert!(Password::parse("password", "            ").is_err());
        assert!(Password::parse("password", &"x".repeat(MAX_LEN + 1)).is_err());
        assert!(Password::parse("password", "correct horse battery").is_ok());
    }

    #[test]
    fn policy_refuses_common_and_guessable_passwords() {
        for common in [
            "password1234",
            "qwertyuiop123",
            "123456789012",
            "aaaaaaaaaaaa",
            "iloveyou1234",
            "Passw0rd1234!",
            "trustno1trustno1",
        ] {
            let err = Password::parse("password", common).unwrap_err().to_string();
            assert!(err.starts_with("password: is too common or too easy to guess"), "{common}: {err}");
        }
        let own =
            Password::parse_for("password", "ann.smith@example.com", &["ann.smith@example.com", "Ann Smith"]);
        assert!(own.is_err(), "the account's own e-mail address");
        // The passwords the documentation and the tests use pass.
        for fine in [
            "correct horse battery staple",
            "a new password 42",
            "admin password 123",
            "dispenser pass 1",
            "lab admin pass 1",
            "a long root password",
            "bench password 1",
        ] {
            assert!(Password::parse("password", fine).is_ok(), "{fine}");
        }
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_chosen_parameters_and_verify() {
        let password = Password::parse("p", "correct horse battery").unwrap();
        let phc = hash(&password).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", Some(&phc)).await.unwrap());
        assert!(!verify("wrong horse battery", Some(&phc)).await.unwrap());
        assert!(!verify("correct horse battery", None).await.unwrap());
    }
}
