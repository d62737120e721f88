//! Partner secrets at rest. HMAC needs the secret itself both ways, so it cannot be kept as a
//! hash as a token is. When `PAICHA_SECRETS_KEY` holds a key (64 hex digits, kept outside the
//! database: the service's environment or secret store), secrets are sealed with
//! ChaCha20-Poly1305 under it, bound to the partner's code, and a copy of the database or of a
//! backup does not give them away. Without the key they are stored as given (the README says
//! so); a sealed secret read without the key is an error, never a silent failure to verify.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::error::AppError;

/// The environment variable holding the sealing key (64 hex digits).
pub const KEY_ENV: &str = "PAICHA_SECRETS_KEY";
/// How a sealed secret begins in the database: `sealed:v1:` and hex of nonce, ciphertext, tag.
pub const SEALED_PREFIX: &str = "sealed:v1:";

/// The key secrets are sealed with.
pub struct SealingKey(LessSafeKey);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(…)")
    }
}

fn key_error(message: impl Into<String>) -> AppError {
    AppError::Internal(anyhow::anyhow!(message.into()))
}

impl SealingKey {
    /// A key from its 64 hex digits.
    pub fn parse(hex_key: &str) -> Result<Self, AppError> {
        let bytes = hex::decode(hex_key.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| key_error(format!("{KEY_ENV} must be 64 hex digits (32 bytes)")))?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| key_error(format!("{KEY_ENV} is not a usable key")))?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// The key of [`KEY_ENV`], when it is set.
    pub fn from_env() -> Result<Option<Self>, AppError> {
        match std::env::var(KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => Self::parse(&text).map(Some),
            _ => Ok(None),
        }
    }
}

/// What to store for partner `code`'s `secret`: sealed under `key`, or as it is without one.
pub fn seal(key: Option<&SealingKey>, code: &str, secret: &str) -> Result<String, AppError> {
    let Some(key) = key else {
        return Ok(secret.to_owned());
    };
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| key_error("no random nonce for sealing a secret"))?;
    let mut sealed = secret.as_bytes().to_vec();
    key.0
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(code.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| key_error("sealing a partner secret failed"))?;
    let mut stored = nonce.to_vec();
    stored.extend_from_slice(&sealed);
    Ok(format!("{SEALED_PREFIX}{}", hex::encode(stored)))
}

/// The secret of partner `code` from what is stored: unsealed under `key` when sealed.
pub fn open(key: Option<&SealingKey>, code: &str, stored: &str) -> Result<String, AppError> {
    let Some(sealed) = stored.strip_prefix(SEALED_PREFIX) else {
        return Ok(stored.to_owned());
    };
    let key = key.ok_or_else(|| {
        key_error(format!(
            "partner {code}'s secret is sealed, and {KEY_ENV} is not set"
        ))
    })?;
    let bytes = hex::decode(sealed)
        .ok()
        .filter(|b| b.len() > NONCE_LEN)
        .ok_or_else(|| key_error(format!("partner {code}'s sealed secret is damaged")))?;
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| key_error(format!("partner {code}'s sealed secret is damaged")))?;
    let mut in_out = ciphertext.to_vec();
    let plain = key
        .0
        .open_in_place(nonce, Aad::from(code.as_bytes()), &mut in_out)
        .map_err(|_| {
            key_error(format!(
                "partner {code}'s secret cannot be opened with {KEY_ENV} (another key?)"
            ))
        })?;
    String::from_utf8(plain.to_vec())
        .map_err(|_| key_error(format!("partner {code}'s sealed secret is damaged")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SealingKey {
        SealingKey::parse(&hex::encode([byte; 32])).expect("key")
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_code_only() {
        let k = key(7);
        let stored = seal(Some(&k), "420102", "the shared secret").expect("sealed");
        assert!(stored.starts_with(SEALED_PREFIX));
        assert!(!stored.contains("shared"));
        assert_ne!(
            stored,
            seal(Some(&k), "420102", "the shared secret").expect("sealed")
        );
        assert_eq!(
            open(Some(&k), "420102", &stored).expect("opened"),
            "the shared secret"
        );
        assert!(
            open(Some(&key(8)), "420102", &stored).is_err(),
            "another key"
        );
        assert!(
            open(Some(&k), "420103", &stored).is_err(),
            "another partner"
        );
        assert!(open(None, "420102", &stored).is_err(), "no key");
    }

    #[test]
    fn without_a_key_secrets_are_stored_as_given() {
        assert_eq!(seal(None, "420102", "s").expect("stored"), "s");
        assert_eq!(open(Some(&key(1)), "420102", "s").expect("read"), "s");
        assert!(SealingKey::parse("abcd").is_err());
    }
}
