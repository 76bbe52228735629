//! Webhook signatures as the Standard Webhooks 1.0 specification defines them, so that receivers
//! verify deliveries with that project's published libraries instead of code of their own.
//!
//! A delivery carries `webhook-id` (the delivery's id, the same on every retry, so receivers can
//! drop duplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature`: space-separated
//! `v1,<base64 of HMAC-SHA256 over "id.timestamp.body">`, one per secret in force (two while a
//! rotated secret's overlap lasts). Secrets are `whsec_` followed by the base64 of the key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of key in a new secret (the specification asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;

/// A new random signing secret, `whsec_...`.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut key = [0u8; SECRET_BYTES];
    getrandom::fill(&mut key)?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The key inside a `whsec_` secret; `None` if it is not one.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX)?)
        .ok()
        .filter(|key| !key.is_empty())
}

/// One `v1,<signature>` for the message under one secret; `None` for a malformed secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = key_of(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header value: a signature for each secret, space-separated.
pub fn header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| sign(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `header` holds a valid signature of the message under `secret` (what a receiver
/// does; used by tests and by anyone checking a delivery log). Compares in constant time.
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(key) = key_of(secret) else {
        return false;
    };
    header.split(' ').any(|candidate| {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            return false;
        };
        let Ok(given) = STANDARD.decode(encoded) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries' test suites.
    #[test]
    fn matches_the_specification_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let timestamp = 1614265330;
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, timestamp, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert!(verify(
            secret,
            id,
            timestamp,
            body,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        ));
        assert!(!verify(
            secret,
            id,
            timestamp + 1,
            body,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        ));
    }

    #[test]
    fn a_rotated_secret_signs_alongside_the_new_one() {
        let (old, new) = (new_secret().unwrap(), new_secret().unwrap());
        assert!(new.starts_with(SECRET_PREFIX));
        let value = header(&[&new, &old], "msg_1", 1, b"{}");
        assert_eq!(value.split(' ').count(), 2);
        assert!(verify(&old, "msg_1", 1, b"{}", &value));
        assert!(verify(&new, "msg_1", 1, b"{}", &value));
        assert!(!verify(&new_secret().unwrap(), "msg_1", 1, b"{}", &value));
        assert_eq!(sign("not-a-secret", "msg_1", 1, b"{}"), None);
    }
}
