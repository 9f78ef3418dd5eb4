//! Secrets: random tokens, their SHA-256 digests (what the database keeps), and Argon2id
//! password hashes.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use crate::AppError;

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// A new random secret: `prefix` then 32 random bytes in hex.
pub fn new_token(prefix: &str) -> Result<String, AppError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(format!("{prefix}{}", hex(&buf)))
}

/// The digest stored in place of a secret.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The last four characters of a secret, shown so people can tell keys apart.
pub fn hint(secret: &str) -> String {
    let n = secret.chars().count();
    format!(
        "…{}",
        secret.chars().skip(n.saturating_sub(4)).collect::<String>()
    )
}

/// Checks a new password's length and hashes it with Argon2id.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    if password.chars().count() < 10 {
        return Err(AppError::invalid(
            "password",
            "must be at least 10 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid("password", "must be at most 1024 bytes"));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches a stored Argon2id hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_prefixed() {
        let (a, b) = (
            new_token("lp_").unwrap_or_default(),
            new_token("lp_").unwrap_or_default(),
        );
        assert!(a.starts_with("lp_") && a.len() == 67);
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let h = hash_password("correct horse battery").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn hint_shows_the_last_four_characters() {
        assert_eq!(hint("src_abcdef123"), "…f123");
    }
}
