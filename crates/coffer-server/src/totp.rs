//! RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30-second steps), recovery codes (stored as salted
//! Argon2id hashes), and how long a wrong guess makes the next one wait.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const RECOVERY_CODES: usize = 10;

pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// RFC 4648 base32 without padding, as authenticator apps expect.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The code for one time step.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 10u32.pow(DIGITS))
}

pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

/// The time step whose code matches, allowing one step of clock drift either way.
pub fn verify(secret: &[u8], code: &str, unix: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix);
    (now - 1..=now + 1).find(|&step| {
        let expected = code_at(secret, step);
        // Constant-time enough for 6 ASCII digits: compare every byte.
        expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    })
}

pub fn looks_like_totp(code: &str) -> bool {
    let code = code.trim();
    code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// Ten recovery codes like `K7QX2-M4PZD`.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut raw = [0u8; 7];
            rand::rngs::OsRng.fill_bytes(&mut raw);
            let s = base32(&raw);
            format!("{}-{}", &s[..5], &s[5..10])
        })
        .collect()
}

/// A recovery code as people type it: letters and digits only, upper case.
fn normalised(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Argon2id with a modest cost (8 MiB, two passes): the codes carry 50 random bits, so the
/// salt and the slow hash are there to make a copy of the database useless, not to stretch a
/// weak secret, and a login with a recovery code checks up to ten of them.
fn recovery_hasher() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(8 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// What the server stores for a recovery code: a salted Argon2id hash (PHC string).
pub fn recovery_code_hash(code: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    recovery_hasher()
        .hash_password(normalised(code).as_bytes(), &salt)
        .expect("hashing with valid parameters cannot fail")
        .to_string()
}

/// Whether `code` is the recovery code `stored` was made from. Codes stored before they were
/// salted (a bare SHA-256) still verify, until used.
pub fn recovery_code_matches(code: &str, stored: &[u8]) -> bool {
    let normal = normalised(code);
    if stored.len() == 32 {
        let legacy = Sha256::digest(format!("coffer-recovery:{normal}").as_bytes());
        return legacy
            .iter()
            .zip(stored)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    }
    let Ok(text) = std::str::from_utf8(stored) else {
        return false;
    };
    let Ok(hash) = PasswordHash::new(text) else {
        return false;
    };
    recovery_hasher()
        .verify_password(normal.as_bytes(), &hash)
        .is_ok()
}

/// Wrong second-factor codes in a row that are free; after them each wrong code makes the
/// next guess wait twice as long as the one before, from 30 seconds up to an hour.
pub const FREE_GUESSES: u32 = 3;
const FIRST_WAIT_SECS: i64 = 30;
pub const MAX_WAIT_SECS: i64 = 3600;

/// How long the next guess waits after `failures` wrong codes in a row.
pub fn wait_after(failures: u32) -> i64 {
    match failures.checked_sub(FREE_GUESSES) {
        None => 0,
        Some(n) => FIRST_WAIT_SECS
            .saturating_mul(1_i64 << n.min(20))
            .min(MAX_WAIT_SECS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_the_rfc_6238_sha1_test_vectors() {
        // RFC 6238 appendix B, 8-digit values truncated to their last 6 digits.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, step_of(59)), "287082");
        assert_eq!(code_at(secret, step_of(1_111_111_109)), "081804");
        assert_eq!(code_at(secret, step_of(2_000_000_000)), "279037");
    }

    #[test]
    fn verify_accepts_one_step_of_drift_and_nothing_more() {
        let secret = b"12345678901234567890";
        let code = code_at(secret, step_of(1_000_000_000));
        assert!(verify(secret, &code, 1_000_000_000 + 30).is_some());
        assert!(verify(secret, &code, 1_000_000_000 + 95).is_none());
        assert!(verify(secret, "12345a", 1_000_000_000).is_none());
    }

    #[test]
    fn base32_encodes_the_rfc_4648_examples() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn recovery_codes_are_salted_and_match_ignoring_case_and_dashes() {
        let stored = recovery_code_hash("ABCDE-FGHIJ");
        assert_ne!(
            stored,
            recovery_code_hash("ABCDE-FGHIJ"),
            "a fresh salt each time"
        );
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(recovery_code_matches("abcde fghij", stored.as_bytes()));
        assert!(!recovery_code_matches("ABCDE-FGHIK", stored.as_bytes()));
        assert_eq!(new_recovery_codes().len(), RECOVERY_CODES);
    }

    #[test]
    fn a_recovery_code_stored_before_salting_still_matches() {
        let legacy = Sha256::digest(b"coffer-recovery:ABCDEFGHIJ");
        assert!(recovery_code_matches("abcde-fghij", &legacy));
        assert!(!recovery_code_matches("abcde-fghik", &legacy));
    }

    #[test]
    fn wrong_codes_wait_longer_each_time_up_to_an_hour() {
        assert_eq!((0..=3).map(wait_after).collect::<Vec<_>>(), [0, 0, 0, 30]);
        assert_eq!(wait_after(4), 60);
        assert_eq!(wait_after(5), 120);
        assert_eq!(wait_after(10), 3600);
        assert_eq!(wait_after(u32::MAX), 3600);
    }
}
