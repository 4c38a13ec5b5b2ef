//! The second factor's arithmetic: RFC 6238 TOTP codes (HMAC-SHA-1, 6 digits, 30-second steps, one step of drift
//! either way) from a base32 secret at a given time, the enrolment link and its QR code, and the one-time recovery
//! codes with the hash they are stored under. Time is always passed in (the app's Clock), never read here.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::error::AppError;

/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Random bytes in a secret: 160 bits, RFC 4226's recommendation for HMAC-SHA-1.
const SECRET_BYTES: usize = 20;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes are 16 characters of this alphabet (80 bits): base32 in lower case, with no 0 or 1 to confuse.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
/// The issuer shown in the authenticator app.
const ISSUER: &str = "明镜";

fn totp(secret_b32: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a stored TOTP secret is not base32")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret)
        .build()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("TOTP parameters: {e:?}")))
}

fn seconds(now_ms: i64) -> u64 {
    u64::try_from(now_ms / 1000).unwrap_or(0)
}

/// A new random secret, base32 (RFC 4648, no padding), as authenticator apps take it.
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a secret: {e}")))?;
    Ok(Secret::from(bytes.to_vec()).to_base32())
}

/// The step a 6-digit `code` is good for at `now_ms` (this step or one either side), if any.
pub fn check(secret_b32: &str, code: &str, now_ms: i64) -> Result<Option<i64>, AppError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret_b32)?.check(&code, seconds(now_ms)).and_then(|step| i64::try_from(step).ok()))
}

/// The code for `now_ms`: what the user's app shows. Tests use it to sign in.
pub fn code_at(secret_b32: &str, now_ms: i64) -> Result<String, AppError> {
    Ok(totp(secret_b32)?.generate(seconds(now_ms)).to_string())
}

/// Whether what was typed has the shape of a TOTP code (six digits) rather than of a recovery code.
pub fn is_code(typed: &str) -> bool {
    let digits: Vec<char> = typed.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.iter().all(char::is_ascii_digit)
}

/// The `otpauth://` link an authenticator app reads from the QR code (Key URI Format).
pub fn otpauth_uri(login: &str, secret_b32: &str) -> String {
    let issuer = percent(ISSUER);
    format!(
        "otpauth://totp/{issuer}:{}?secret={secret_b32}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECS}",
        percent(login)
    )
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The enrolment link as an SVG QR code, for the page itself (no script, no request to elsewhere).
pub fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code =
        QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).map_err(|e| AppError::Internal(e.into()))?;
    Ok(code.render::<svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// The secret in groups of four, easier to type into an app by hand.
pub fn grouped(secret_b32: &str) -> String {
    secret_b32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// Ten fresh recovery codes, `xxxx-xxxx-xxxx-xxxx`.
pub fn new_recovery_codes() -> Result<Vec<String>, AppError> {
    let mut bytes = [0u8; RECOVERY_CODES * 16];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for codes: {e}")))?;
    Ok(bytes
        .chunks(16)
        .map(|chunk| {
            let chars: Vec<char> = chunk.iter().map(|b| char::from(RECOVERY_ALPHABET[usize::from(*b) % 32])).collect();
            chars.chunks(4).map(|g| g.iter().collect::<String>()).collect::<Vec<_>>().join("-")
        })
        .collect())
}

/// What a recovery code is stored under: SHA-256 of it without dashes and spaces. The codes carry 80 random bits,
/// so a fast hash is enough; a slow one would cost ten argon2 runs per attempt.
pub fn recovery_hash(code: &str) -> String {
    let normal: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    Sha256::digest(normal.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_rfc_6238_and_allow_one_step_of_drift() {
        // Appendix B: T = 59 s gives 94287082 with 8 digits; with 6 digits the last six.
        assert_eq!(code_at(RFC_SECRET, 59_000).unwrap(), "287082");
        assert_eq!(code_at(RFC_SECRET, 1_111_111_109_000).unwrap(), "081804");
        assert_eq!(check(RFC_SECRET, "287082", 59_000).unwrap(), Some(1));
        assert_eq!(check(RFC_SECRET, "287 082", 89_000).unwrap(), Some(1), "one step late, spaces ignored");
        assert_eq!(check(RFC_SECRET, "287082", 29_000).unwrap(), Some(1), "one step early");
        assert_eq!(check(RFC_SECRET, "287082", 120_000).unwrap(), None, "two steps late");
        assert_eq!(check(RFC_SECRET, "28708", 59_000).unwrap(), None);
        assert_eq!(check(RFC_SECRET, "abcdef", 59_000).unwrap(), None);
    }

    #[test]
    fn secrets_and_recovery_codes_are_random_and_well_formed() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32, "160 bits in base32");
        assert!(check(&a, &code_at(&a, 5_000_000).unwrap(), 5_000_000).unwrap().is_some());
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 19 && c.matches('-').count() == 3));
        assert_eq!(recovery_hash(&codes[0]), recovery_hash(&codes[0].replace('-', " ")));
        assert_ne!(recovery_hash(&codes[0]), recovery_hash(&codes[1]));
        assert!(is_code("123 456") && !is_code(&codes[0]));
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }

    #[test]
    fn the_enrolment_link_names_the_issuer_and_account() {
        let uri = otpauth_uri("shuji_a", RFC_SECRET);
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/%E6%98%8E%E9%95%9C:shuji_a?secret={RFC_SECRET}&issuer=%E6%98%8E%E9%95%9C\
                 &algorithm=SHA1&digits=6&period=30"
            )
        );
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml") || qr_svg(&uri).unwrap().contains("<svg"));
    }
}
