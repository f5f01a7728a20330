//! The server's own secret key. It seals the TOTP secrets (XChaCha20-Poly1305, bound to the
//! account) and keys the HMACs that make e-mail verification codes and the stand-in ids of
//! unknown addresses unguessable. It lives outside the database: a file beside the SQLite
//! database by default, or the file `secret_key_file` names (the same file on every instance
//! sharing a PostgreSQL database), so a copy of the database alone opens nothing.

use anyhow::Context as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;
use uuid::Uuid;
use zeroize::Zeroizing;

/// Version byte of a sealed value.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// What a sealed value or a MAC is for: part of the associated data, so one cannot pass for
/// another.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    TotpSecret,
    EmailCode,
    UnknownAccount,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::TotpSecret => b"coffer-server/totp-secret/v1",
            Purpose::EmailCode => b"coffer-server/email-code/v1",
            Purpose::UnknownAccount => b"coffer-server/unknown-account/v1",
        }
    }
}

pub struct ServerKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ServerKey(Zeroizing::new(bytes))
    }

    pub fn random() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        ServerKey(key)
    }

    /// Reads the key file (64 hex characters), creating it with a new key (mode 0600) if it
    /// does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text)
                .with_context(|| format!("the server key file {} is not valid", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                write_new(path, &hex::encode(key.0.as_ref()))
                    .with_context(|| format!("cannot create the key file {}", path.display()))?;
                Ok(key)
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let bytes = Zeroizing::new(hex::decode(text.trim()).context("not hex")?);
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("a server key is 32 bytes (64 hex characters)"))?;
        Ok(Self::from_bytes(key))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn aad(purpose: Purpose, account: Uuid) -> Vec<u8> {
        [purpose.label(), account.as_bytes()].concat()
    }

    /// `[1][24-byte nonce][ciphertext]`, bound to `purpose` and `account`.
    pub fn seal(&self, purpose: Purpose, account: Uuid, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = Self::aad(purpose, account);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("encryption of a small value cannot fail");
        [&[SEALED_V1][..], &nonce, &sealed].concat()
    }

    /// The plaintext, or `None` if `sealed` was not sealed by this key for this purpose and
    /// account.
    pub fn open(
        &self,
        purpose: Purpose,
        account: Uuid,
        sealed: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let (&version, rest) = sealed.split_first()?;
        if version != SEALED_V1 || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let aad = Self::aad(purpose, account);
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }

    /// HMAC-SHA256 of `data` for `purpose`.
    pub fn mac(&self, purpose: Purpose, data: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes any key length");
        mac.update(purpose.label());
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(unix)]
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_purpose_and_key() {
        let key = ServerKey::random();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let sealed = key.seal(Purpose::TotpSecret, a, b"twenty bytes secret!");
        assert_eq!(
            key.open(Purpose::TotpSecret, a, &sealed)
                .unwrap()
                .as_slice(),
            b"twenty bytes secret!"
        );
        assert!(key.open(Purpose::TotpSecret, b, &sealed).is_none());
        assert!(key.open(Purpose::EmailCode, a, &sealed).is_none());
        assert!(
            ServerKey::random()
                .open(Purpose::TotpSecret, a, &sealed)
                .is_none()
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(Purpose::TotpSecret, a, &tampered).is_none());
        assert!(!sealed.windows(20).any(|w| w == b"twenty bytes secret!"));
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = ServerKey::load_or_create(&path).unwrap();
        let again = ServerKey::load_or_create(&path).unwrap();
        assert_eq!(first.as_bytes(), again.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(ServerKey::load_or_create(&path).is_err());
    }
}
