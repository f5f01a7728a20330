//! Small sealed values (wrapped keys, metadata): one format, parsed and written only here.
//!
//! ```text
//! envelope = version (1 byte, = 1) || nonce (12 bytes, random) || AES-256-GCM ciphertext || tag (16)
//! aad      = "coffer-envelope" || version || purpose (1 byte) || context (caller's binding, e.g. an id)
//! ```
//! The purpose and context in the associated data stop an envelope made for one slot from
//! opening in another (a document's key on another document, a recovery wrap as a password wrap).

use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::{Aead, NONCE_LEN, TAG_LEN};
use crate::error::{Error, Result};

pub const ENVELOPE_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + NONCE_LEN;
const DOMAIN: &[u8] = b"coffer-envelope";

/// The slot an envelope is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Purpose {
    VaultKeyByPassword = 1,
    VaultKeyByRecovery = 2,
    DataKey = 3,
    /// The vault key as the sync server keeps it, under a key from OPAQUE's export key.
    VaultKeyByExportKey = 4,
    /// A synced document's metadata, as the sync server keeps it.
    SyncItem = 5,
    /// What a content blob holds (document id, key, fields as of import), sealed inside it.
    BlobDescription = 6,
    /// A record of the edit journal.
    Journal = 7,
}

impl Purpose {
    fn describe(self) -> &'static str {
        match self {
            Self::VaultKeyByPassword => "the vault key (password wrap)",
            Self::VaultKeyByRecovery => "the vault key (recovery wrap)",
            Self::DataKey => "a document key",
            Self::VaultKeyByExportKey => "the vault key (account wrap)",
            Self::SyncItem => "a synced document",
            Self::BlobDescription => "a content blob's description",
            Self::Journal => "a journal record",
        }
    }
}

fn aad(purpose: Purpose, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(DOMAIN.len() + 2 + context.len());
    aad.extend_from_slice(DOMAIN);
    aad.push(ENVELOPE_VERSION);
    aad.push(purpose as u8);
    aad.extend_from_slice(context);
    aad
}

pub fn seal(
    key: &[u8; 32],
    purpose: Purpose,
    context: &[u8],
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut body = Vec::with_capacity(plaintext.len() + TAG_LEN);
    body.extend_from_slice(plaintext);
    Aead::new(key).seal(nonce, &aad(purpose, context), &mut body);
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out
}

pub fn open(
    key: &[u8; 32],
    purpose: Purpose,
    context: &[u8],
    envelope: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let Some(&version) = envelope.first() else {
        return Err(Error::Integrity(format!(
            "{} is empty (the file was truncated)",
            purpose.describe()
        )));
    };
    if version != ENVELOPE_VERSION {
        return Err(Error::UnsupportedFormat {
            what: "envelope",
            found: u32::from(version),
            supported: u32::from(ENVELOPE_VERSION),
        });
    }
    if envelope.len() < HEADER_LEN + TAG_LEN {
        return Err(Error::Integrity(format!(
            "{} is truncated",
            purpose.describe()
        )));
    }
    let nonce: [u8; NONCE_LEN] = envelope[1..HEADER_LEN]
        .try_into()
        .expect("sliced to length");
    let mut body = Zeroizing::new(envelope[HEADER_LEN..].to_vec());
    let len = Aead::new(key)
        .open(nonce, &aad(purpose, context), &mut body)
        .map_err(|_| Error::Integrity(format!("{} failed authentication", purpose.describe())))?;
    body.truncate(len);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::{Aead as _, KeyInit, Payload};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const KEY: [u8; 32] = [0x42; 32];
    /// Committed known-answer vector: seal(KEY, DataKey, "doc-1", "coffer", ChaCha20Rng(7)).
    const VECTOR: &str = include_str!("../../tests/vectors/envelope-v1.hex");

    fn vector() -> Vec<u8> {
        hex::decode(VECTOR.trim()).unwrap()
    }

    #[test]
    fn known_answer_vector_is_reproduced_and_opens() {
        let sealed = seal(
            &KEY,
            Purpose::DataKey,
            b"doc-1",
            b"coffer",
            &mut ChaCha20Rng::seed_from_u64(7),
        );
        assert_eq!(hex::encode(&sealed), VECTOR.trim());
        let plain = open(&KEY, Purpose::DataKey, b"doc-1", &vector()).unwrap();
        assert_eq!(plain.as_slice(), b"coffer");
    }

    #[test]
    fn known_answer_vector_is_standard_aes_gcm_by_an_independent_implementation() {
        let v = vector();
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&KEY).unwrap();
        let plain = cipher
            .decrypt(
                aes_gcm::Nonce::from_slice(&v[1..13]),
                Payload {
                    msg: &v[13..],
                    aad: b"coffer-envelope\x01\x03doc-1",
                },
            )
            .unwrap();
        assert_eq!(plain, b"coffer");
    }

    #[test]
    fn flipping_any_byte_is_detected_with_the_right_error() {
        let v = vector();
        for i in 0..v.len() {
            for bit in [0x01u8, 0x80] {
                let mut t = v.clone();
                t[i] ^= bit;
                let err = open(&KEY, Purpose::DataKey, b"doc-1", &t).unwrap_err();
                match i {
                    0 => assert!(
                        matches!(err, Error::UnsupportedFormat { found, .. } if found == u32::from(v[0] ^ bit))
                    ),
                    _ => assert!(matches!(err, Error::Integrity(_)), "byte {i}: {err:?}"),
                }
            }
        }
    }

    #[test]
    fn truncation_at_every_length_is_detected() {
        let v = vector();
        for len in 0..v.len() {
            assert!(open(&KEY, Purpose::DataKey, b"doc-1", &v[..len]).is_err());
        }
    }

    #[test]
    fn envelope_does_not_open_in_another_slot_or_context() {
        let v = vector();
        assert!(open(&KEY, Purpose::VaultKeyByPassword, b"doc-1", &v).is_err());
        assert!(open(&KEY, Purpose::DataKey, b"doc-2", &v).is_err());
        assert!(open(&[0x43; 32], Purpose::DataKey, b"doc-1", &v).is_err());
    }
}
