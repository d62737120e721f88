//! Request signatures between hubs: HMAC-SHA256, keyed by the secret the two hubs share,
//! over the method, the path, the timestamp and the body:
//!
//! ```text
//! signature = hex(HMAC-SHA256(secret, METHOD "\n" PATH "\n" TIMESTAMP "\n" BODY))
//! ```
//!
//! sent as `X-Paicha-Partner` (the sender's GB/T 2260 code), `X-Paicha-Timestamp` (unix
//! seconds) and `X-Paicha-Signature` (lowercase hex). A timestamp more than
//! [`MAX_SIGNATURE_SKEW`] from the receiver's clock is refused, and the signature is compared in
//! constant time. Pure: no I/O, the clock is the caller's.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use crate::config::limits::MAX_SIGNATURE_SKEW;

/// The sender's partner code (GB/T 2260).
pub const PARTNER_HEADER: &str = "x-paicha-partner";
/// When the request was signed, in unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-paicha-timestamp";
/// The signature, lowercase hex.
pub const SIGNATURE_HEADER: &str = "x-paicha-signature";
/// The sender's key for the request: a replay with the same key gets the first answer.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The timestamp is not a whole number of seconds.
    #[error("X-Paicha-Timestamp must be unix seconds")]
    BadTimestamp,
    /// The timestamp is further from our clock than [`MAX_SIGNATURE_SKEW`].
    #[error("X-Paicha-Timestamp is {0} s away from our clock (at most 300 s allowed)")]
    Stale(i64),
    /// The signature is not hex, or not the one the secret makes.
    #[error("X-Paicha-Signature does not match the request")]
    Mismatch,
}

/// The headers that sign one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `X-Paicha-Partner`: who signs.
    pub partner: String,
    /// `X-Paicha-Timestamp`.
    pub timestamp: i64,
    /// `X-Paicha-Signature`.
    pub signature: String,
}

impl Signed {
    /// The three headers as (name, value) pairs, to add to a request.
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            (PARTNER_HEADER, self.partner.clone()),
            (TIMESTAMP_HEADER, self.timestamp.to_string()),
            (SIGNATURE_HEADER, self.signature.clone()),
        ]
    }
}

fn mac(secret: &[u8], method: &str, path: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable_key(),
    };
    mac.update(method.to_ascii_uppercase().as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac
}

#[cold]
fn unreachable_key() -> ! {
    unreachable!("HMAC accepts keys of every length")
}

/// The signature (lowercase hex) of a request.
pub fn signature(secret: &[u8], method: &str, path: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(
        mac(secret, method, path, timestamp, body)
            .finalize()
            .into_bytes(),
    )
}

/// Signs a request as partner `partner` with `secret` at `now` (unix seconds): the sending
/// side (the delivery worker, tests).
pub fn sign(
    partner: &str,
    secret: &[u8],
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
) -> Signed {
    Signed {
        partner: partner.to_owned(),
        timestamp: now,
        signature: signature(secret, method, path, now, body),
    }
}

/// Checks a received request's timestamp (against `now`, unix seconds) and signature; the
/// comparison takes the same time wherever the signatures differ.
pub fn verify(
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let skew = now.saturating_sub(at);
    let allowed = i64::try_from(MAX_SIGNATURE_SKEW.as_secs()).unwrap_or(i64::MAX);
    if skew.saturating_abs() > allowed {
        return Err(SignatureError::Stale(skew));
    }
    let given = hex::decode(signature.trim()).map_err(|_| SignatureError::Mismatch)?;
    mac(secret, method, path, at, body)
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_request_verifies() {
        let signed = sign(
            "420102",
            SECRET,
            "POST",
            "/api/v1/notices",
            b"{}",
            1_700_000_000,
        );
        assert_eq!(signed.signature.len(), 64);
        let at = signed.timestamp.to_string();
        let ok = verify(
            SECRET,
            "POST",
            "/api/v1/notices",
            &at,
            &signed.signature,
            b"{}",
            1_700_000_100,
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn the_signature_is_the_documented_recipe() {
        // The README's example: the same bytes give the same hex in any language.
        let sig = signature(b"secret", "POST", "/api/v1/notices", 1_580_000_000, b"{}");
        let mut mac = HmacSha256::new_from_slice(b"secret").expect("key");
        mac.update(b"POST\n/api/v1/notices\n1580000000\n{}");
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn anything_changed_breaks_the_signature() {
        let s = sign("420102", SECRET, "POST", "/api/v1/notices", b"{}", 100);
        let at = "100";
        for (method, path, body, secret) in [
            ("GET", "/api/v1/notices", &b"{}"[..], SECRET),
            ("POST", "/api/v1/noticez", b"{}", SECRET),
            ("POST", "/api/v1/notices", b"{ }", SECRET),
            ("POST", "/api/v1/notices", b"{}", b"another secret"),
        ] {
            assert_eq!(
                verify(secret, method, path, at, &s.signature, body, 100),
                Err(SignatureError::Mismatch)
            );
        }
        assert_eq!(
            verify(
                SECRET,
                "POST",
                "/api/v1/notices",
                "101",
                &s.signature,
                b"{}",
                100
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, "POST", "/api/v1/notices", at, "zz", b"{}", 100),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_timestamp_more_than_five_minutes_off_is_refused() {
        let s = sign("420102", SECRET, "POST", "/p", b"", 1_000);
        assert_eq!(
            verify(SECRET, "POST", "/p", "1000", &s.signature, b"", 1_300),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, "POST", "/p", "1000", &s.signature, b"", 1_301),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            verify(SECRET, "POST", "/p", "1000", &s.signature, b"", 699),
            Err(SignatureError::Stale(-301))
        );
        assert_eq!(
            verify(SECRET, "POST", "/p", "soon", &s.signature, b"", 1_000),
            Err(SignatureError::BadTimestamp)
        );
    }
}
