//! API tokens and session ids: random, shown once, stored only as a SHA-256 hash. They carry 256
//! bits of entropy, so a fast hash is enough (a slow password hash guards guessable secrets).

use sha2::{Digest, Sha256};

/// A new random secret with a recognisable prefix (`apt_` for tokens, `ses_` for sessions).
pub fn new_secret(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

/// The hash stored in place of a secret.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn equal(a: &str, b: &str) -> bool {
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
    fn secrets_are_random_prefixed_and_hash_stably() {
        let a = new_secret("apt_").unwrap();
        let b = new_secret("apt_").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("apt_") && a.len() == 68);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert!(equal(&a, &a) && !equal(&a, &b));
    }
}
