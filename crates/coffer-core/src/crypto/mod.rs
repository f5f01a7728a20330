//! Client-side cryptography, split by concern as in age: `kdf` (password → key material),
//! `keys` (vault key, data keys, recovery phrase, sub-keys), `envelope` (small sealed values
//! with a version byte), `stream` (chunked AES-256-GCM for file content) and `share` (the
//! file behind a private share link, which a browser opens with WebCrypto).

pub mod envelope;
pub mod kdf;
pub mod keys;
pub mod share;
pub mod stream;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

pub use ring::aead::{MAX_TAG_LEN as TAG_LEN, NONCE_LEN};

/// AES-256-GCM with an explicit nonce; callers draw a fresh random nonce for every message.
pub(crate) struct Aead(LessSafeKey);

impl Aead {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256 takes a 32-byte key");
        Self(LessSafeKey::new(unbound))
    }

    /// Encrypts `in_out` in place and appends the tag.
    pub(crate) fn seal(&self, nonce: [u8; NONCE_LEN], aad: &[u8], in_out: &mut Vec<u8>) {
        self.0
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .expect("AES-GCM sealing cannot fail below its 64 GiB message limit");
    }

    /// Decrypts `in_out` (ciphertext followed by tag) in place; returns the plaintext length.
    pub(crate) fn open(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<usize, ring::error::Unspecified> {
        self.0
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map(|plain| plain.len())
    }
}
