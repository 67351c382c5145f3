//! Delivery signatures, checked over the raw body before it is parsed (re-serialised JSON
//! would not hash the same).
//!
//! - Zendesk: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)),
//!   the timestamp in `X-Zendesk-Webhook-Signature-Timestamp` (RFC 3339); a timestamp further
//!   than the tolerance from now is stale (a replayed delivery).
//! - GitHub (`X-Hub-Signature-256`) and Jira (`X-Hub-Signature`): `sha256=` + hex
//!   HMAC-SHA256(secret, body).
//! - Others: the secret itself in a header (`X-Fixbook-Webhook-Secret` by default), or, for
//!   systems that can only be given a URL (django-helpdesk), in the `secret` query parameter.
//!
//! Every comparison is constant-time.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// How a source signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Zendesk's base64 HMAC over timestamp + body.
    Zendesk,
    /// `sha256=<hex>` HMAC of the body in the named header.
    Hub(&'static str),
    /// The secret in a header or the `secret` query parameter.
    SharedSecret,
}

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature where one is required.
    #[error(
        "the delivery is not signed: send the {0} header (a secret is configured for this source)"
    )]
    Missing(String),
    /// A signature that does not match the body.
    #[error("the {0} signature does not match the body and the configured secret")]
    Invalid(String),
    /// A signature whose timestamp is too old or in the future.
    #[error("the delivery's timestamp {0} is more than {1} s from now (stale or replayed)")]
    Stale(String, u64),
}

/// What a signature check needs besides the headers and body.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// The shared secret.
    pub secret: &'a [u8],
    /// The header carrying a shared secret.
    pub secret_header: &'a str,
    /// The `secret` query parameter, when the request has one.
    pub query_secret: Option<&'a str>,
    /// Largest distance between a signed timestamp and now, in seconds.
    pub tolerance_secs: u64,
    /// Now, in seconds since the epoch.
    pub now: u64,
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Checks a delivery under `scheme`.
pub fn verify(
    scheme: Scheme,
    check: &Check<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match scheme {
        Scheme::Zendesk => {
            const SIG: &str = "X-Zendesk-Webhook-Signature";
            const TS: &str = "X-Zendesk-Webhook-Signature-Timestamp";
            let sig = header(SIG).ok_or_else(|| SignatureError::Missing(SIG.into()))?;
            let ts = header(TS).ok_or_else(|| SignatureError::Missing(TS.into()))?;
            let expected = zendesk_signature(check.secret, ts, body);
            if !bool::from(expected.as_bytes().ct_eq(sig.trim().as_bytes())) {
                return Err(SignatureError::Invalid(SIG.into()));
            }
            let at = parse_rfc3339(ts).ok_or_else(|| SignatureError::Invalid(TS.into()))?;
            if at.abs_diff(check.now) > check.tolerance_secs {
                return Err(SignatureError::Stale(ts.to_owned(), check.tolerance_secs));
            }
            Ok(())
        }
        Scheme::Hub(name) => {
            let sig = header(name).ok_or_else(|| SignatureError::Missing(name.into()))?;
            let expected = hub_signature(check.secret, body);
            if bool::from(expected.as_bytes().ct_eq(sig.trim().as_bytes())) {
                Ok(())
            } else {
                Err(SignatureError::Invalid(name.into()))
            }
        }
        Scheme::SharedSecret => {
            let given = header(check.secret_header)
                .or(check.query_secret)
                .ok_or_else(|| SignatureError::Missing(check.secret_header.into()))?;
            if bool::from(check.secret.ct_eq(given.trim().as_bytes())) {
                Ok(())
            } else {
                Err(SignatureError::Invalid(check.secret_header.into()))
            }
        }
    }
}

fn hmac(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length
    let mut mac = HmacSha256::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Zendesk's signature of `body` sent at `timestamp`.
pub fn zendesk_signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac(secret, &[timestamp.as_bytes(), body]))
}

/// The `sha256=<hex>` signature GitHub and Jira send.
pub fn hub_signature(secret: &[u8], body: &[u8]) -> String {
    let mac = hmac(secret, &[body]);
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256=");
    for b in mac {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Seconds since the epoch of an RFC 3339 time (`2026-12-03T06:30:00Z`,
/// `2026-12-03T08:30:00.5+02:00`); `None` when it is not one.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let t = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    u64::try_from(t).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An RFC 3339 time (UTC) for seconds since the epoch (for tests and tools that sign).
pub fn format_rfc3339(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // inverse of days_from_civil
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_documents_this_signature() {
        // the example in GitHub's "Validating webhook deliveries"
        assert_eq!(
            hub_signature(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn rfc3339_times_round_trip() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            parse_rfc3339("2000-03-01T02:00:00.123+02:00"),
            Some(951_868_800)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        for t in [0, 951_868_800, 1_800_000_000, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
    }

    #[test]
    fn zendesk_signatures_go_stale() {
        let body = br#"{"type":"zen:event-type:ticket.created"}"#;
        let now = 1_800_000_000;
        let ts = format_rfc3339(now - 30);
        let mut h = HeaderMap::new();
        h.insert(
            "x-zendesk-webhook-signature",
            zendesk_signature(b"s3cret", &ts, body).parse().unwrap(),
        );
        h.insert("x-zendesk-webhook-signature-timestamp", ts.parse().unwrap());
        let mut check = Check {
            secret: b"s3cret",
            secret_header: "x-fixbook-webhook-secret",
            query_secret: None,
            tolerance_secs: 300,
            now,
        };
        assert_eq!(verify(Scheme::Zendesk, &check, &h, body), Ok(()));
        check.now = now + 600;
        assert!(matches!(
            verify(Scheme::Zendesk, &check, &h, body),
            Err(SignatureError::Stale(..))
        ));
        check.now = now;
        assert!(matches!(
            verify(Scheme::Zendesk, &check, &h, b"{}"),
            Err(SignatureError::Invalid(..))
        ));
    }
}
