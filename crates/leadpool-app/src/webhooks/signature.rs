//! Standard Webhooks signing (<https://www.standardwebhooks.com>): a `whsec_` secret of
//! random bytes in base64, and `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `{webhook-id}.{webhook-timestamp}.{body}` keyed with the secret's decoded bytes, which
//! receivers check with the verifiers the specification's libraries ship.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::AppError;

/// What every secret starts with.
const PREFIX: &str = "whsec_";

/// A new random secret: `whsec_` and 32 random bytes in base64 (the specification asks for
/// 24 to 64).
pub fn new_secret() -> Result<String, AppError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(key)))
}

/// The `webhook-signature` value for a message: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the secret's bytes.
pub fn sign(secret: &str, id: &str, timestamp_secs: i64, body: &str) -> Result<String, AppError> {
    let key = STANDARD
        .decode(secret.strip_prefix(PREFIX).unwrap_or(secret))
        .map_err(|e| AppError::Internal(format!("a webhook secret is not base64: {e}")))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|e| AppError::Internal(format!("webhook secret: {e}")))?;
    mac.update(format!("{id}.{timestamp_secs}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example_signs_alike() {
        // The example of the Standard Webhooks specification's reference libraries.
        let signed = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap_or_default();
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_prefixed_random_32_bytes() {
        let (a, b) = (
            new_secret().unwrap_or_default(),
            new_secret().unwrap_or_default(),
        );
        assert_ne!(a, b);
        let key = STANDARD
            .decode(a.strip_prefix(PREFIX).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(key.len(), 32);
    }
}
