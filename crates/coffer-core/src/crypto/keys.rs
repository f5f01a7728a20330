//! The key hierarchy: a random vault key wrapped by the password and by the recovery phrase,
//! per-document data keys wrapped by the vault key, and purpose-bound sub-keys via HKDF.
//! Every key zeroizes on drop and never prints itself.

use hkdf::Hkdf;
use rand::{CryptoRng, RngCore};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::envelope::{self, Purpose};
use super::kdf::KdfRecord;
use crate::error::{Error, Result};

macro_rules! secret_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<[u8; 32]>);

        impl $name {
            pub(crate) fn bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_key!(
    /// The random 256-bit key that everything in a vault hangs from. Never derived from the
    /// password, so changing the password re-wraps it and re-encrypts nothing.
    VaultKey
);
secret_key!(
    /// A key that only wraps other keys: from the password (via the KDF and HKDF) or from the
    /// recovery phrase.
    KeyEncryptionKey
);
secret_key!(
    /// One document's content key, stored wrapped by the vault key.
    DataKey
);
secret_key!(
    /// A single-purpose key derived from the vault key (database, content hash, ...).
    SubKey
);

fn random_key(rng: &mut (impl RngCore + CryptoRng)) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(key.as_mut());
    key
}

fn hkdf_expand(ikm: &[u8], label: &str) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, ikm)
        .expand(format!("coffer/v1/{label}").as_bytes(), out.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

/// What a sub-key is for; each purpose gets an independent key.
#[derive(Clone, Copy, Debug)]
pub enum SubKeyPurpose {
    /// The SQLCipher page key of the local store.
    LocalDatabase,
    /// Keyed hash of document content, for duplicate detection.
    ContentHash,
    /// Wraps per-document data keys.
    DataKeyWrap,
    /// Seals a document's metadata for the sync server.
    SyncItem,
    /// Keyed hash that makes the opaque ids of e-mail reminders.
    ReminderId,
    /// Seals the description inside each content blob.
    BlobDescription,
    /// Seals the records of the edit journal.
    Journal,
}

impl SubKeyPurpose {
    fn label(self) -> &'static str {
        match self {
            Self::LocalDatabase => "local-database",
            Self::ContentHash => "content-hash",
            Self::DataKeyWrap => "data-key-wrap",
            Self::SyncItem => "sync-item",
            Self::ReminderId => "reminder-id",
            Self::BlobDescription => "blob-description",
            Self::Journal => "journal",
        }
    }
}

impl VaultKey {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(random_key(rng))
    }

    pub fn derive(&self, purpose: SubKeyPurpose) -> SubKey {
        SubKey(hkdf_expand(self.bytes(), purpose.label()))
    }

    /// Seals this key under a key-encryption key, bound to the vault id and the wrapping route.
    pub fn wrap(
        &self,
        kek: &KeyEncryptionKey,
        purpose: Purpose,
        vault_id: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Vec<u8> {
        envelope::seal(kek.bytes(), purpose, vault_id, self.bytes(), rng)
    }

    pub fn unwrap(
        kek: &KeyEncryptionKey,
        purpose: Purpose,
        vault_id: &[u8],
        wrapped: &[u8],
    ) -> Result<Self> {
        let plain = envelope::open(kek.bytes(), purpose, vault_id, wrapped)?;
        Ok(Self(key_from_slice(&plain)?))
    }
}

impl KeyEncryptionKey {
    /// Runs the password through the KDF record, then HKDF, as the spec requires.
    pub fn from_password(record: &KdfRecord, password: &[u8]) -> Result<Self> {
        let ikm = record.derive(password)?;
        Ok(Self(hkdf_expand(ikm.as_ref(), "password-kek")))
    }

    /// The key that wraps the vault key for the sync server, from OPAQUE's export key (which
    /// only a client that knows the password obtains, and which never leaves it).
    pub fn from_export_key(export_key: &[u8]) -> Self {
        Self(hkdf_expand(export_key, "export-key-kek"))
    }
}

impl DataKey {
    /// A fixed key, for known-answer tests.
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(random_key(rng))
    }

    /// Seals the data key under the vault key's wrapping sub-key, bound to the document id, so
    /// a wrapped key copied onto another document does not open.
    pub fn wrap(
        &self,
        wrap_key: &SubKey,
        document_id: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Vec<u8> {
        envelope::seal(
            wrap_key.bytes(),
            Purpose::DataKey,
            document_id,
            self.bytes(),
            rng,
        )
    }

    pub fn unwrap(wrap_key: &SubKey, document_id: &[u8], wrapped: &[u8]) -> Result<Self> {
        let plain = envelope::open(wrap_key.bytes(), Purpose::DataKey, document_id, wrapped)?;
        Ok(Self(key_from_slice(&plain)?))
    }
}

fn key_from_slice(plain: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let mut key = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return Err(Error::Integrity(
            "a wrapped key has the wrong length".into(),
        ));
    }
    key.copy_from_slice(plain);
    Ok(key)
}

/// 256 random bits shown once as 24 BIP39 words; a second, independent way to unwrap the
/// vault key when the password is lost.
pub struct RecoveryPhrase(Zeroizing<[u8; 32]>);

impl RecoveryPhrase {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(random_key(rng))
    }

    /// Reads 24 words; tolerant of case and spacing, strict on the BIP39 checksum.
    pub fn parse(text: &str) -> Result<Self> {
        let mut normalised = Zeroizing::new(
            text.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
        );
        let parsed = bip39::Mnemonic::parse_normalized(&normalised);
        normalised.zeroize();
        let mnemonic = parsed.map_err(|e| Error::InvalidRecoveryPhrase(e.to_string()))?;
        let entropy = Zeroizing::new(mnemonic.to_entropy());
        if entropy.len() != 32 {
            return Err(Error::InvalidRecoveryPhrase(format!(
                "it has {} words; a Coffer recovery phrase has 24",
                mnemonic.word_count()
            )));
        }
        Ok(Self(key_from_slice(&entropy)?))
    }

    /// The 24 words, space separated.
    pub fn words(&self) -> Zeroizing<String> {
        let mnemonic = bip39::Mnemonic::from_entropy(self.0.as_ref())
            .expect("32 bytes of entropy is a valid BIP39 length");
        Zeroizing::new(mnemonic.to_string())
    }

    pub fn key_encryption_key(&self) -> KeyEncryptionKey {
        KeyEncryptionKey(hkdf_expand(self.0.as_ref(), "recovery-kek"))
    }
}

impl std::fmt::Debug for RecoveryPhrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryPhrase(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn recovery_phrase_round_trips_through_24_words() {
        let phrase = RecoveryPhrase::generate(&mut OsRng);
        let words = phrase.words();
        assert_eq!(words.split(' ').count(), 24);
        let shouting = format!("  {}\n", words.to_uppercase());
        let back = RecoveryPhrase::parse(&shouting).unwrap();
        assert_eq!(
            back.key_encryption_key().bytes(),
            phrase.key_encryption_key().bytes()
        );
    }

    #[test]
    fn swapped_recovery_words_fail_the_checksum() {
        let phrase = RecoveryPhrase::generate(&mut OsRng);
        let mut words: Vec<String> = phrase.words().split(' ').map(String::from).collect();
        let (a, b) = (0..24)
            .flat_map(|i| (i + 1..24).map(move |j| (i, j)))
            .find(|&(i, j)| words[i] != words[j])
            .unwrap();
        words.swap(a, b);
        assert!(matches!(
            RecoveryPhrase::parse(&words.join(" ")),
            Err(Error::InvalidRecoveryPhrase(_))
        ));
    }

    #[test]
    fn debug_never_prints_key_bytes() {
        let vk = VaultKey::generate(&mut OsRng);
        let printed = format!("{vk:?} {:?}", RecoveryPhrase::generate(&mut OsRng));
        assert!(!printed.contains(&hex::encode(vk.bytes())));
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn sub_keys_are_distinct_per_purpose() {
        let vk = VaultKey::generate(&mut OsRng);
        let a = vk.derive(SubKeyPurpose::LocalDatabase);
        let b = vk.derive(SubKeyPurpose::ContentHash);
        assert_ne!(a.bytes(), b.bytes());
        assert_ne!(a.bytes(), vk.bytes());
    }

    #[test]
    fn data_key_wrapped_for_one_document_does_not_open_for_another() {
        let vk = VaultKey::generate(&mut OsRng);
        let wrap = vk.derive(SubKeyPurpose::DataKeyWrap);
        let dk = DataKey::generate(&mut OsRng);
        let sealed = dk.wrap(&wrap, b"doc-a", &mut OsRng);
        assert!(DataKey::unwrap(&wrap, b"doc-a", &sealed).is_ok());
        assert!(DataKey::unwrap(&wrap, b"doc-b", &sealed).is_err());
    }
}
