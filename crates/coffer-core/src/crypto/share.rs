//! The encrypted file behind a private share link (`coffer share create`, #17): one file (the
//! export ZIP) and its name under a fresh random key that travels only in the link's fragment.
//! A browser opens it with WebCrypto alone (the server's share page), so the format is plain
//! AES-256-GCM with a counter nonce; it is written and parsed only here and in that page's
//! script (not built yet; the vector `tests/vectors/share-v1.hex` pins the format):
//!
//! ```text
//! share   = header || chunk+
//! header  = "CFSH" || version (1 byte, = 1) || log2(chunk size) (1 byte, 16..=20)
//!           || nonce prefix (8 random bytes)                                   = 14 bytes
//! chunk i = AES-256-GCM(key, nonce = prefix || i (u32 BE),
//!                       aad = header || last (1 byte: 1 on the last chunk, else 0)) || tag (16)
//! plain   = name length (1 byte, 1..=255) || name (UTF-8) || file bytes, cut into chunks of
//!           exactly the chunk size but the last (1..=chunk size bytes; never empty)
//! ```
//! The counter in the nonce detects reordered chunks, the last flag truncation (a cut at a
//! chunk boundary makes a non-last chunk the last) and appended chunks, and the header in the
//! associated data ties every chunk to its framing. No padding: the server sees the size anyway.

use std::io::{self, BufRead, BufReader, Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::stream::read_full;
use super::{Aead, NONCE_LEN, TAG_LEN};
use crate::error::{Error, Result};

/// The first bytes of every share file.
pub const MAGIC: [u8; 4] = *b"CFSH";
/// The version this Coffer writes and reads.
pub const SHARE_VERSION: u8 = 1;
/// 64 KiB chunks: small enough for a browser to hold one at a time, big enough for speed.
pub const DEFAULT_CHUNK_LOG2: u8 = 16;
const MIN_CHUNK_LOG2: u8 = 16;
const MAX_CHUNK_LOG2: u8 = 20;
const PREFIX_LEN: usize = 8;
/// Magic, version, chunk size, nonce prefix.
pub const HEADER_LEN: usize = MAGIC.len() + 2 + PREFIX_LEN;
/// The longest file name the format carries.
pub const MAX_NAME_LEN: usize = 255;

/// The random key of one share. It zeroizes on drop and never prints; in a link it is the
/// fragment, base64url without padding (43 characters).
#[derive(Clone)]
pub struct ShareKey(Zeroizing<[u8; 32]>);

impl ShareKey {
    pub fn random(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        Self(key)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The link fragment.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(&self.0[..]))
    }

    /// Reads a link fragment back.
    pub fn from_base64url(text: &str) -> Result<Self> {
        let bad = || {
            Error::InvalidInput(
                "the link's key (the part after #) is damaged or incomplete; copy the whole link \
                 again"
                    .into(),
            )
        };
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
        Ok(Self::from_bytes(key))
    }
}

impl std::fmt::Debug for ShareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShareKey(<redacted>)")
    }
}

/// The size of the share file holding `file_len` bytes named `name_len` bytes.
pub fn ciphertext_len(name_len: usize, file_len: u64, chunk_log2: u8) -> u64 {
    let plain = 1 + name_len as u64 + file_len;
    let chunks = plain.div_ceil(1u64 << chunk_log2);
    HEADER_LEN as u64 + plain + chunks * TAG_LEN as u64
}

/// Refuses a name a download could not use as it is: empty, too long, a path, control
/// characters.
pub fn check_name(name: &str) -> Result<()> {
    let fine = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if fine {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "`{name}` cannot name a shared file: use 1 to {MAX_NAME_LEN} bytes without slashes \
             or control characters"
        )))
    }
}

fn header(chunk_log2: u8, prefix: [u8; PREFIX_LEN]) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(&MAGIC);
    header[4] = SHARE_VERSION;
    header[5] = chunk_log2;
    header[6..].copy_from_slice(&prefix);
    header
}

fn nonce(header: &[u8; HEADER_LEN], index: u32) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..PREFIX_LEN].copy_from_slice(&header[6..]);
    nonce[PREFIX_LEN..].copy_from_slice(&index.to_be_bytes());
    nonce
}

fn aad(header: &[u8; HEADER_LEN], last: bool) -> [u8; HEADER_LEN + 1] {
    let mut aad = [0u8; HEADER_LEN + 1];
    aad[..HEADER_LEN].copy_from_slice(header);
    aad[HEADER_LEN] = u8::from(last);
    aad
}

fn too_long() -> Error {
    Error::InvalidInput("the file is too large to share in one link".into())
}

/// Encrypts as it is written: `write` the file's bytes, then [`Encryptor::finish`], which
/// seals the last chunk. A full chunk is sealed only once a byte after it arrives, so the
/// last one is known without knowing the length up front.
pub struct Encryptor<W: Write> {
    aead: Aead,
    header: [u8; HEADER_LEN],
    chunk_size: usize,
    index: u32,
    buf: Zeroizing<Vec<u8>>,
    out: W,
    written: u64,
}

impl<W: Write> Encryptor<W> {
    /// Writes the header into `out`; the file will be called `name`.
    pub fn new(
        key: &ShareKey,
        name: &str,
        mut out: W,
        chunk_log2: u8,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self> {
        assert!(
            (MIN_CHUNK_LOG2..=MAX_CHUNK_LOG2).contains(&chunk_log2),
            "chunk size out of the format's range"
        );
        check_name(name)?;
        let mut prefix = [0u8; PREFIX_LEN];
        rng.fill_bytes(&mut prefix);
        let header = header(chunk_log2, prefix);
        out.write_all(&header).map_err(Error::write)?;
        let chunk_size = 1usize << chunk_log2;
        let mut buf = Zeroizing::new(Vec::with_capacity(chunk_size + TAG_LEN));
        buf.push(name.len() as u8);
        buf.extend_from_slice(name.as_bytes());
        Ok(Self {
            aead: Aead::new(&key.0),
            header,
            chunk_size,
            index: 0,
            buf,
            out,
            written: HEADER_LEN as u64,
        })
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        self.aead.seal(
            nonce(&self.header, self.index),
            &aad(&self.header, last),
            &mut self.buf,
        );
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        if !last {
            self.index = self.index.checked_add(1).ok_or_else(|| {
                io::Error::new(io::ErrorKind::FileTooLarge, "too many chunks for one share")
            })?;
        }
        Ok(())
    }

    /// Seals the last chunk and flushes; returns the writer and the bytes written in all.
    pub fn finish(mut self) -> Result<(W, u64)> {
        self.seal(true).map_err(|e| match e.kind() {
            io::ErrorKind::FileTooLarge => too_long(),
            _ => Error::write(e),
        })?;
        self.out.flush().map_err(Error::write)?;
        Ok((self.out, self.written))
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if self.buf.len() == self.chunk_size {
            // More is coming, so the full chunk is not the last.
            self.seal(false)?;
        }
        let n = data.len().min(self.chunk_size - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Encrypts everything `reader` yields, named `name`, into `writer`; returns the bytes
/// written.
pub fn encrypt(
    key: &ShareKey,
    name: &str,
    mut reader: impl Read,
    writer: impl Write,
    chunk_log2: u8,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<u64> {
    let mut encryptor = Encryptor::new(key, name, writer, chunk_log2, rng)?;
    let mut buf = Zeroizing::new(vec![0u8; 1 << 16]);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::read(e)),
        };
        encryptor.write_all(&buf[..n]).map_err(|e| match e.kind() {
            io::ErrorKind::FileTooLarge => too_long(),
            _ => Error::write(e),
        })?;
    }
    Ok(encryptor.finish()?.1)
}

fn damaged(reason: &str) -> Error {
    Error::Integrity(format!("the shared file {reason}"))
}

/// What [`decrypt`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub name: String,
    pub len: u64,
}

/// Decrypts a share file into `writer`, verifying every chunk before its bytes are written.
/// Any error means none of the output is to be trusted: write to a temporary place and keep it
/// only on success.
pub fn decrypt(key: &ShareKey, reader: impl Read, mut writer: impl Write) -> Result<Opened> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut header = [0u8; HEADER_LEN];
    if read_full(&mut reader, &mut header).map_err(Error::read)? < HEADER_LEN {
        return Err(damaged("is truncated (no header)"));
    }
    if header[..4] != MAGIC {
        return Err(damaged("is not a Coffer share"));
    }
    if header[4] != SHARE_VERSION {
        return Err(Error::UnsupportedFormat {
            what: "shared file",
            found: u32::from(header[4]),
            supported: u32::from(SHARE_VERSION),
        });
    }
    if !(MIN_CHUNK_LOG2..=MAX_CHUNK_LOG2).contains(&header[5]) {
        return Err(damaged("has an invalid chunk size"));
    }
    let aead = Aead::new(&key.0);
    let chunk_size = 1usize << header[5];
    let mut buf = Zeroizing::new(vec![0u8; chunk_size + TAG_LEN]);
    let mut index = 0u32;
    let mut name: Option<String> = None;
    let mut len = 0u64;
    loop {
        let n = read_full(&mut reader, &mut buf).map_err(Error::read)?;
        if n <= TAG_LEN {
            return Err(damaged("is truncated"));
        }
        let last = n < buf.len() || reader.fill_buf().map_err(Error::read)?.is_empty();
        let plain_len = aead
            .open(nonce(&header, index), &aad(&header, last), &mut buf[..n])
            .map_err(|_| {
                damaged(if last {
                    "is damaged or truncated, or the key is wrong"
                } else {
                    "is damaged, or the key is wrong"
                })
            })?;
        let mut plain = &buf[..plain_len];
        if name.is_none() {
            let name_len = usize::from(plain[0]);
            if name_len == 0 || plain.len() < 1 + name_len {
                return Err(damaged("has no name"));
            }
            let text = std::str::from_utf8(&plain[1..=name_len])
                .map_err(|_| damaged("has a name that is not UTF-8"))?;
            check_name(text).map_err(|_| damaged("has a name a file cannot have"))?;
            name = Some(text.to_owned());
            plain = &plain[1 + name_len..];
        }
        writer.write_all(plain).map_err(Error::write)?;
        len += plain.len() as u64;
        if last {
            writer.flush().map_err(Error::write)?;
            return Ok(Opened {
                name: name.expect("set by the first chunk"),
                len,
            });
        }
        index = index
            .checked_add(1)
            .ok_or_else(|| damaged("has too many chunks"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::{Aead as _, KeyInit, Payload};
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::OsRng;
    use rand_chacha::ChaCha20Rng;

    /// The committed vector: [`VECTOR_LEN`] bytes `i % 251` named `VECTOR_NAME` under the key
    /// [0x22; 32], 64 KiB chunks, the nonce prefix from ChaCha20Rng(7) (two chunks, the last
    /// short). The browser test decrypts the same file with the page's JavaScript.
    const VECTOR: &str = include_str!("../../tests/vectors/share-v1.hex");
    const VECTOR_NAME: &str = "coffer-export-2026-11.zip";
    const VECTOR_LEN: usize = 70_000;
    const CHUNK: usize = (1 << 16) + TAG_LEN;

    fn key() -> ShareKey {
        ShareKey::from_bytes([0x22; 32])
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    fn seal(data: &[u8], log2: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let written = encrypt(&key(), "f.zip", data, &mut out, log2, &mut OsRng).unwrap();
        assert_eq!(written, out.len() as u64);
        out
    }

    fn open(file: &[u8]) -> Result<(String, Vec<u8>)> {
        let mut out = Vec::new();
        decrypt(&key(), file, &mut out).map(|o| {
            assert_eq!(o.len, out.len() as u64);
            (o.name, out)
        })
    }

    #[test]
    fn the_committed_vector_is_reproduced_and_opens() {
        let data = sample(VECTOR_LEN);
        let mut file = Vec::new();
        encrypt(
            &key(),
            VECTOR_NAME,
            &data[..],
            &mut file,
            16,
            &mut ChaCha20Rng::seed_from_u64(7),
        )
        .unwrap();
        assert_eq!(hex::encode(&file), VECTOR.trim());
        assert_eq!(open(&file).unwrap(), (VECTOR_NAME.to_owned(), data));
    }

    #[test]
    fn the_vector_is_standard_aes_gcm_with_the_documented_nonce_and_aad() {
        let file = hex::decode(VECTOR.trim()).unwrap();
        assert_eq!(&file[..6], b"CFSH\x01\x10");
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&[0x22; 32]).unwrap();
        let mut plain = Vec::new();
        let chunks: Vec<&[u8]> = file[HEADER_LEN..].chunks(CHUNK).collect();
        assert_eq!(chunks.len(), 2);
        for (i, chunk) in chunks.iter().enumerate() {
            let mut nonce = file[6..HEADER_LEN].to_vec();
            nonce.extend_from_slice(&(i as u32).to_be_bytes());
            let mut aad = file[..HEADER_LEN].to_vec();
            aad.push(u8::from(i == chunks.len() - 1));
            plain.extend(
                cipher
                    .decrypt(
                        aes_gcm::Nonce::from_slice(&nonce),
                        Payload {
                            msg: chunk,
                            aad: &aad,
                        },
                    )
                    .unwrap(),
            );
        }
        assert_eq!(usize::from(plain[0]), VECTOR_NAME.len());
        assert_eq!(&plain[1..=VECTOR_NAME.len()], VECTOR_NAME.as_bytes());
        assert_eq!(plain[1 + VECTOR_NAME.len()..], sample(VECTOR_LEN)[..]);
    }

    #[test]
    fn flipping_a_byte_anywhere_is_detected() {
        let file = seal(b"a small export", 16);
        for i in 0..file.len() {
            let mut t = file.clone();
            t[i] ^= 0x01;
            let err = open(&t).unwrap_err();
            match i {
                4 => assert!(matches!(err, Error::UnsupportedFormat { .. }), "{err:?}"),
                _ => assert!(matches!(err, Error::Integrity(_)), "byte {i}: {err:?}"),
            }
        }
    }

    #[test]
    fn truncation_anywhere_including_chunk_boundaries_is_detected() {
        let file = seal(&sample(200_000), 16);
        let mut cuts = vec![0, 3, HEADER_LEN, HEADER_LEN + 10, file.len() - 1];
        cuts.extend((1..4).map(|k| HEADER_LEN + k * CHUNK));
        for cut in cuts.into_iter().filter(|&c| c < file.len()) {
            assert!(
                matches!(open(&file[..cut]), Err(Error::Integrity(_))),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn reordered_duplicated_or_appended_chunks_are_detected() {
        let file = seal(&sample(200_000), 16);
        let (a, b) = (HEADER_LEN, HEADER_LEN + CHUNK);
        let mut swapped = file.clone();
        swapped[a..b].copy_from_slice(&file[b..b + CHUNK]);
        swapped[b..b + CHUNK].copy_from_slice(&file[a..b]);
        assert!(open(&swapped).is_err());
        let mut duplicated = file[..b].to_vec();
        duplicated.extend_from_slice(&file[a..]);
        assert!(open(&duplicated).is_err());
        let mut appended = file.clone();
        appended.extend_from_slice(&file[a..b]);
        assert!(open(&appended).is_err());
        let mut other_header = file.clone();
        other_header[8] ^= 1;
        assert!(open(&other_header).is_err());
    }

    #[test]
    fn a_wrong_key_opens_nothing() {
        let file = seal(b"export", 16);
        let mut out = Vec::new();
        let err = decrypt(&ShareKey::from_bytes([0x23; 32]), &file[..], &mut out).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)));
        assert!(out.is_empty());
    }

    #[test]
    fn keys_travel_as_43_characters_of_base64url_and_never_print() {
        let key = ShareKey::random(&mut OsRng);
        let text = key.to_base64url();
        assert_eq!(text.len(), 43);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let back = ShareKey::from_base64url(&text).unwrap();
        assert_eq!(back.0[..], key.0[..]);
        assert_eq!(format!("{key:?}"), "ShareKey(<redacted>)");
        assert!(ShareKey::from_base64url(&text[..42]).is_err());
        assert!(ShareKey::from_base64url("not+base64/").is_err());
    }

    #[test]
    fn names_that_are_paths_or_empty_are_refused() {
        for bad in ["", "a/b.zip", "..", "a\\b", "a\nb", &"x".repeat(256)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        check_name("coffer-export-2026-11.zip").unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn round_trips_across_chunk_boundaries(
            chunks in 0usize..4,
            delta in -40i64..40,
            log2 in 16u8..=17,
        ) {
            // The name ("f.zip", 6 bytes with its length) shares the first chunk.
            let len = (((chunks << log2) as i64) + delta - 6).max(0) as usize;
            let data = sample(len);
            let file = seal(&data, log2);
            prop_assert_eq!(file.len() as u64, ciphertext_len(5, len as u64, log2));
            let (name, back) = open(&file).unwrap();
            prop_assert_eq!(name, "f.zip");
            prop_assert_eq!(back, data);
        }
    }
}
