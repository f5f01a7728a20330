//! Chunked AES-256-GCM for document content, streamed so a 1 GiB file needs only one chunk of
//! memory. The byte format, parsed and written only here:
//!
//! ```text
//! blob v2 = version (1 byte, = 2) || log2(chunk size) (1 byte, 16..=20)
//!           || description length (u32 BE) || description || chunk*
//! blob v1 = version (1 byte, = 1) || log2(chunk size) (1 byte, 16..=20) || chunk*   (read only)
//! chunk   = nonce (12 bytes, fresh random) || AES-256-GCM(plain chunk) || tag (16)
//! plain   = data length (u64 BE) || data || zero padding, cut into chunks of the chunk size
//! aad     = "coffer-stream" || version || log2 || document id (16) || content version (u32 BE)
//!           || chunk index (u64 BE) || last-chunk flag (1 byte)
//!           || SHA-256(description) (v2 only)
//! ```
//! The associated data detects truncation (the last chunk's flag), reordering (the index) and
//! blobs swapped between documents (the id). The description is opaque here: the vault seals
//! into it what the blob is (`blobs::BlobDescription`), so a blob can be recognised without the
//! database; its hash in every chunk's associated data ties it to these chunks. The padded
//! length follows Padmé (Nikitin et al., PURBs), so a ciphertext's size reveals only a coarse
//! bucket of the file's size; the true length sits inside the first chunk, encrypted.

use std::io::{self, BufRead, BufReader, Read, Write};

use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use super::keys::DataKey;
use super::{Aead, NONCE_LEN, TAG_LEN};
use crate::error::{Error, Result};

/// The version this Coffer writes.
pub const STREAM_VERSION: u8 = 2;
/// The first version, without a description; still read.
pub const STREAM_VERSION_1: u8 = 1;
/// 64 KiB chunks by default: the low end of the spec's range keeps memory small, and AES-GCM
/// runs at full speed at this size.
pub const DEFAULT_CHUNK_LOG2: u8 = 16;
const MIN_CHUNK_LOG2: u8 = 16;
const MAX_CHUNK_LOG2: u8 = 20;
const HEADER_LEN: usize = 2;
const DESCRIPTION_LEN_BYTES: usize = 4;
/// A description holds a few fields, never a document: anything larger is damage.
pub const MAX_DESCRIPTION: usize = 1 << 20;
const LENGTH_PREFIX: u64 = 8;
/// Nothing is smaller than 4 KiB on disk or on the wire.
const MIN_PADDED: u64 = 4096;
const DOMAIN: &[u8] = b"coffer-stream";

/// What binds a blob to its place: the document and the version of its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamContext {
    pub document_id: [u8; 16],
    pub content_version: u32,
}

/// The Padmé length for `len` bytes: at most 12 % overhead, leaking O(log log len) bits.
pub fn padded_len(len: u64) -> u64 {
    if len <= MIN_PADDED {
        return MIN_PADDED;
    }
    let exponent = u64::from(63 - len.leading_zeros());
    let exponent_bits = u64::from(64 - exponent.leading_zeros());
    let mask = (1u64 << (exponent - exponent_bits)) - 1;
    (len + mask) & !mask
}

/// The size of the chunks (with the two header bytes) that `encrypt` writes for `data_len`
/// bytes; a v2 blob adds its description and the description's length.
pub fn ciphertext_len(data_len: u64, chunk_log2: u8) -> u64 {
    let plain = padded_len(LENGTH_PREFIX + data_len);
    let chunks = plain.div_ceil(1u64 << chunk_log2);
    HEADER_LEN as u64 + chunks * (NONCE_LEN + TAG_LEN) as u64 + plain
}

/// The size of a whole v2 blob holding `data_len` bytes and a description of `description_len`.
pub fn blob_len(data_len: u64, chunk_log2: u8, description_len: usize) -> u64 {
    ciphertext_len(data_len, chunk_log2) + (DESCRIPTION_LEN_BYTES + description_len) as u64
}

/// The framing before the chunks: the version and chunk size, and for v2 the description's hash.
struct Framing {
    header: [u8; HEADER_LEN],
    description_hash: Option<[u8; 32]>,
}

impl Framing {
    fn aad(&self, ctx: &StreamContext, index: u64, last: bool) -> Vec<u8> {
        let mut aad = Vec::with_capacity(DOMAIN.len() + HEADER_LEN + 16 + 4 + 8 + 1 + 32);
        aad.extend_from_slice(DOMAIN);
        aad.extend_from_slice(&self.header);
        aad.extend_from_slice(&ctx.document_id);
        aad.extend_from_slice(&ctx.content_version.to_be_bytes());
        aad.extend_from_slice(&index.to_be_bytes());
        aad.push(u8::from(last));
        if let Some(hash) = &self.description_hash {
            aad.extend_from_slice(hash);
        }
        aad
    }
}

/// Counts what a reader yields, so a file that changes length during import is caught.
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Encrypts exactly `data_len` bytes from `reader` into `writer` as a v2 blob carrying
/// `description`; returns the bytes written.
#[allow(clippy::too_many_arguments)]
pub fn encrypt(
    key: &DataKey,
    ctx: &StreamContext,
    data_len: u64,
    reader: impl Read,
    mut writer: impl Write,
    chunk_log2: u8,
    description: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<u64> {
    assert!(
        description.len() <= MAX_DESCRIPTION,
        "a blob description is small by construction"
    );
    let framing = Framing {
        header: [STREAM_VERSION, chunk_log2],
        description_hash: Some(Sha256::digest(description).into()),
    };
    writer.write_all(&framing.header).map_err(Error::write)?;
    writer
        .write_all(&(description.len() as u32).to_be_bytes())
        .map_err(Error::write)?;
    writer.write_all(description).map_err(Error::write)?;
    let prefix = (HEADER_LEN + DESCRIPTION_LEN_BYTES + description.len()) as u64;
    let chunks = encrypt_chunks(key, ctx, &framing, data_len, reader, writer, rng)?;
    Ok(prefix + chunks)
}

/// The chunks of a blob after its framing; returns their length.
fn encrypt_chunks(
    key: &DataKey,
    ctx: &StreamContext,
    framing: &Framing,
    data_len: u64,
    reader: impl Read,
    mut writer: impl Write,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<u64> {
    let chunk_log2 = framing.header[1];
    assert!(
        (MIN_CHUNK_LOG2..=MAX_CHUNK_LOG2).contains(&chunk_log2),
        "chunk size out of the format's range"
    );
    let chunk_size = 1usize << chunk_log2;
    let total = padded_len(LENGTH_PREFIX + data_len);
    let pad = total - LENGTH_PREFIX - data_len;

    let mut source = Counted {
        inner: reader,
        count: 0,
    };
    let aead = Aead::new(key.bytes());
    let mut written = 0u64;
    let mut buf = Vec::with_capacity(chunk_size + TAG_LEN);
    let mut position = 0u64;
    let mut index = 0u64;
    let mut plain = io::Cursor::new(data_len.to_be_bytes())
        .chain((&mut source).take(data_len))
        .chain(io::repeat(0).take(pad));
    while position < total {
        let len = (total - position).min(chunk_size as u64) as usize;
        buf.resize(len, 0);
        plain.read_exact(&mut buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => Error::SourceChanged,
            _ => Error::read(e),
        })?;
        position += len as u64;
        let last = position == total;
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        aead.seal(nonce, &framing.aad(ctx, index, last), &mut buf);
        writer.write_all(&nonce).map_err(Error::write)?;
        writer.write_all(&buf).map_err(Error::write)?;
        written += (NONCE_LEN + buf.len()) as u64;
        index += 1;
    }
    let mut probe = [0u8; 1];
    if source.count != data_len || source.inner.read(&mut probe).map_err(Error::read)? != 0 {
        return Err(Error::SourceChanged);
    }
    writer.flush().map_err(Error::write)?;
    Ok(written)
}

/// Reads until `buf` is full or the input ends; returns how much was read.
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn damaged(reason: &str) -> Error {
    Error::Integrity(reason.to_string())
}

/// The start of a blob: its version and chunk size, and for v2 its description.
pub struct Prelude {
    pub version: u8,
    pub chunk_log2: u8,
    /// `None` for a v1 blob.
    pub description: Option<Vec<u8>>,
}

impl Prelude {
    /// Bytes before the first chunk.
    pub fn size(&self) -> u64 {
        (HEADER_LEN
            + self
                .description
                .as_ref()
                .map_or(0, |d| DESCRIPTION_LEN_BYTES + d.len())) as u64
    }

    fn framing(&self) -> Framing {
        Framing {
            header: [self.version, self.chunk_log2],
            description_hash: self.description.as_ref().map(|d| Sha256::digest(d).into()),
        }
    }
}

/// Reads a blob's version, chunk size and description (a few hundred bytes at its start).
pub fn read_prelude(reader: &mut impl Read) -> Result<Prelude> {
    let mut header = [0u8; HEADER_LEN];
    if read_full(reader, &mut header).map_err(Error::read)? < HEADER_LEN {
        return Err(damaged("the encrypted content is truncated (no header)"));
    }
    if header[0] != STREAM_VERSION && header[0] != STREAM_VERSION_1 {
        return Err(Error::UnsupportedFormat {
            what: "encrypted content",
            found: u32::from(header[0]),
            supported: u32::from(STREAM_VERSION),
        });
    }
    if !(MIN_CHUNK_LOG2..=MAX_CHUNK_LOG2).contains(&header[1]) {
        return Err(damaged("the encrypted content has an invalid chunk size"));
    }
    let description = if header[0] == STREAM_VERSION {
        let mut len = [0u8; DESCRIPTION_LEN_BYTES];
        if read_full(reader, &mut len).map_err(Error::read)? < DESCRIPTION_LEN_BYTES {
            return Err(damaged(
                "the encrypted content is truncated (no description)",
            ));
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_DESCRIPTION {
            return Err(damaged(
                "the encrypted content has an impossible description",
            ));
        }
        let mut description = vec![0u8; len];
        if read_full(reader, &mut description).map_err(Error::read)? < len {
            return Err(damaged(
                "the encrypted content is truncated (in its description)",
            ));
        }
        Some(description)
    } else {
        None
    };
    Ok(Prelude {
        version: header[0],
        chunk_log2: header[1],
        description,
    })
}

/// Decrypts a blob into `writer`, verifying every chunk before its bytes are written; returns
/// the data length. Any error means the content is not to be trusted, even the bytes already
/// written: callers write to a temporary place and publish only on success.
pub fn decrypt(
    key: &DataKey,
    ctx: &StreamContext,
    reader: impl Read,
    mut writer: impl Write,
) -> Result<u64> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let prelude = read_prelude(&mut reader)?;
    let framing = prelude.framing();
    let chunk_size = 1usize << prelude.chunk_log2;
    let aead = Aead::new(key.bytes());
    let mut buf = vec![0u8; NONCE_LEN + chunk_size + TAG_LEN];
    let mut index = 0u64;
    let mut position = 0u64;
    // Known once the first chunk is open: (data length, padded total).
    let mut lengths: Option<(u64, u64)> = None;
    loop {
        let n = read_full(&mut reader, &mut buf).map_err(Error::read)?;
        if n < NONCE_LEN + TAG_LEN + 1 {
            return Err(damaged("the encrypted content is truncated"));
        }
        let last = n < buf.len() || reader.fill_buf().map_err(Error::read)?.is_empty();
        let nonce: [u8; NONCE_LEN] = buf[..NONCE_LEN].try_into().expect("sliced to length");
        let body = &mut buf[NONCE_LEN..n];
        let len = aead
            .open(nonce, &framing.aad(ctx, index, last), body)
            .map_err(|_| {
                damaged(if last {
                    "the encrypted content is damaged or truncated"
                } else {
                    "the encrypted content is damaged"
                })
            })?;
        let plain = &body[..len];
        let mut offset = 0usize;
        if index == 0 {
            if plain.len() < LENGTH_PREFIX as usize {
                return Err(damaged("the encrypted content has no length"));
            }
            let data_len = u64::from_be_bytes(plain[..8].try_into().expect("8 bytes"));
            let total = data_len
                .checked_add(LENGTH_PREFIX)
                .map(padded_len)
                .ok_or_else(|| damaged("the encrypted content has an impossible length"))?;
            lengths = Some((data_len, total));
            offset = LENGTH_PREFIX as usize;
        }
        let (data_len, total) = lengths.expect("set by the first chunk");
        let chunk_start = position;
        position += plain.len() as u64;
        if position > total || (last != (position == total)) {
            return Err(damaged(
                "the encrypted content does not end where it should",
            ));
        }
        let data_end = LENGTH_PREFIX + data_len;
        let emit_to = data_end.saturating_sub(chunk_start).min(plain.len() as u64) as usize;
        if emit_to > offset {
            writer
                .write_all(&plain[offset..emit_to])
                .map_err(Error::write)?;
        }
        if plain[emit_to.max(offset)..].iter().any(|&b| b != 0) {
            return Err(damaged("the encrypted content has non-zero padding"));
        }
        index += 1;
        if last {
            writer.flush().map_err(Error::write)?;
            return Ok(data_len);
        }
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

    const CTX: StreamContext = StreamContext {
        document_id: [7; 16],
        content_version: 1,
    };
    /// Committed known-answer vectors: 100 bytes 0..100 under key [0x11; 32], CTX, 64 KiB
    /// chunks, nonces from ChaCha20Rng(1); v2 with the description `DESCRIPTION`.
    const VECTOR: &str = include_str!("../../tests/vectors/stream-v1.hex");
    const VECTOR_V2: &str = include_str!("../../tests/vectors/stream-v2.hex");
    const DESCRIPTION: &[u8] = b"a sealed description";

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes([byte; 32])
    }

    /// The first format, as earlier versions of Coffer wrote it.
    fn encrypt_v1(
        data: &[u8],
        ctx: &StreamContext,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> Vec<u8> {
        let framing = Framing {
            header: [STREAM_VERSION_1, DEFAULT_CHUNK_LOG2],
            description_hash: None,
        };
        let mut out = framing.header.to_vec();
        encrypt_chunks(
            &key(0x11),
            ctx,
            &framing,
            data.len() as u64,
            data,
            &mut out,
            rng,
        )
        .unwrap();
        out
    }

    fn seal(data: &[u8], ctx: &StreamContext) -> Vec<u8> {
        let mut out = Vec::new();
        encrypt(
            &key(0x11),
            ctx,
            data.len() as u64,
            data,
            &mut out,
            DEFAULT_CHUNK_LOG2,
            DESCRIPTION,
            &mut OsRng,
        )
        .unwrap();
        out
    }

    /// Bytes before the first chunk of a blob made by `seal`.
    const PRELUDE: usize = HEADER_LEN + DESCRIPTION_LEN_BYTES + DESCRIPTION.len();

    fn open(blob: &[u8], ctx: &StreamContext) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        decrypt(&key(0x11), ctx, blob, &mut out).map(|_| out)
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn known_answer_vectors_are_reproduced_and_open() {
        let data: Vec<u8> = (0..100).collect();
        let v1 = encrypt_v1(&data, &CTX, &mut ChaCha20Rng::seed_from_u64(1));
        assert_eq!(hex::encode(&v1), VECTOR.trim());
        assert_eq!(open(&v1, &CTX).unwrap(), data);

        let mut v2 = Vec::new();
        encrypt(
            &key(0x11),
            &CTX,
            100,
            &data[..],
            &mut v2,
            16,
            DESCRIPTION,
            &mut ChaCha20Rng::seed_from_u64(1),
        )
        .unwrap();
        assert_eq!(hex::encode(&v2), VECTOR_V2.trim());
        assert_eq!(open(&v2, &CTX).unwrap(), data);
        let prelude = read_prelude(&mut &v2[..]).unwrap();
        assert_eq!(prelude.description.as_deref(), Some(DESCRIPTION));
        assert_eq!(prelude.size() as usize, PRELUDE);
        assert!(read_prelude(&mut &v1[..]).unwrap().description.is_none());
    }

    #[test]
    fn v2_vector_binds_the_description_hash_in_the_documented_aad() {
        let v = hex::decode(VECTOR_V2.trim()).unwrap();
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&[0x11; 32]).unwrap();
        let mut aad = b"coffer-stream\x02\x10".to_vec();
        aad.extend_from_slice(&[7; 16]);
        aad.extend_from_slice(&1u32.to_be_bytes());
        aad.extend_from_slice(&0u64.to_be_bytes());
        aad.push(1);
        aad.extend_from_slice(&Sha256::digest(DESCRIPTION));
        assert_eq!(&v[2..6], &(DESCRIPTION.len() as u32).to_be_bytes());
        assert_eq!(&v[6..PRELUDE], DESCRIPTION);
        let plain = cipher
            .decrypt(
                aes_gcm::Nonce::from_slice(&v[PRELUDE..PRELUDE + 12]),
                Payload {
                    msg: &v[PRELUDE + 12..],
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(&plain[8..108], &(0..100).collect::<Vec<u8>>()[..]);
    }

    #[test]
    fn a_description_changed_or_swapped_between_blobs_is_detected() {
        let blob = seal(b"receipt", &CTX);
        let mut changed = blob.clone();
        changed[8] ^= 1;
        assert!(matches!(open(&changed, &CTX), Err(Error::Integrity(_))));
        let mut longer = blob[..6].to_vec();
        longer[2..6].copy_from_slice(&((DESCRIPTION.len() + 1) as u32).to_be_bytes());
        longer.extend_from_slice(DESCRIPTION);
        longer.push(b'!');
        longer.extend_from_slice(&blob[PRELUDE..]);
        assert!(matches!(open(&longer, &CTX), Err(Error::Integrity(_))));
    }

    #[test]
    fn known_answer_vector_is_standard_aes_gcm_with_the_documented_aad() {
        let v = hex::decode(VECTOR.trim()).unwrap();
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&[0x11; 32]).unwrap();
        let mut aad = b"coffer-stream\x01\x10".to_vec();
        aad.extend_from_slice(&[7; 16]);
        aad.extend_from_slice(&1u32.to_be_bytes());
        aad.extend_from_slice(&0u64.to_be_bytes());
        aad.push(1);
        let plain = cipher
            .decrypt(
                aes_gcm::Nonce::from_slice(&v[2..14]),
                Payload {
                    msg: &v[14..],
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(plain.len(), 4096, "padded to the 4 KiB minimum bucket");
        assert_eq!(&plain[..8], &100u64.to_be_bytes());
        assert_eq!(&plain[8..108], &(0..100).collect::<Vec<u8>>()[..]);
        assert!(plain[108..].iter().all(|&b| b == 0));
    }

    #[test]
    fn flipping_any_byte_of_a_small_blob_is_detected() {
        for vector in [VECTOR, VECTOR_V2] {
            let v = hex::decode(vector.trim()).unwrap();
            for i in 0..v.len() {
                let mut t = v.clone();
                t[i] ^= 0x01;
                let err = open(&t, &CTX).unwrap_err();
                match i {
                    0 => assert!(matches!(err, Error::UnsupportedFormat { .. })),
                    _ => assert!(matches!(err, Error::Integrity(_)), "byte {i}: {err:?}"),
                }
            }
        }
    }

    #[test]
    fn truncation_anywhere_including_chunk_boundaries_is_detected() {
        let blob = seal(&sample(200_000), &CTX);
        let chunk = NONCE_LEN + (1 << 16) + TAG_LEN;
        let mut cuts = vec![0, 1, 2, 5, 10, PRELUDE, PRELUDE + 10, blob.len() - 1];
        cuts.extend((1..4).map(|k| PRELUDE + k * chunk));
        for cut in cuts.into_iter().filter(|&c| c < blob.len()) {
            assert!(
                matches!(open(&blob[..cut], &CTX), Err(Error::Integrity(_))),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn reordered_or_appended_chunks_are_detected() {
        let blob = seal(&sample(200_000), &CTX);
        let chunk = NONCE_LEN + (1 << 16) + TAG_LEN;
        let mut swapped = blob.clone();
        let (a, b) = (PRELUDE, PRELUDE + chunk);
        let first = blob[a..b].to_vec();
        swapped[a..b].copy_from_slice(&blob[b..b + chunk]);
        swapped[b..b + chunk].copy_from_slice(&first);
        assert!(open(&swapped, &CTX).is_err());
        let mut extended = blob.clone();
        extended.extend_from_slice(&blob[a..b]);
        assert!(open(&extended, &CTX).is_err());
    }

    #[test]
    fn blob_of_another_document_or_version_does_not_open() {
        let blob = seal(b"receipt", &CTX);
        let other_doc = StreamContext {
            document_id: [8; 16],
            ..CTX
        };
        let other_version = StreamContext {
            content_version: 2,
            ..CTX
        };
        assert!(open(&blob, &other_doc).is_err());
        assert!(open(&blob, &other_version).is_err());
        let mut out = Vec::new();
        assert!(decrypt(&key(0x12), &CTX, &blob[..], &mut out).is_err());
    }

    #[test]
    fn a_source_shorter_or_longer_than_announced_is_refused() {
        let data = sample(1000);
        for announced in [999u64, 1001] {
            let err = encrypt(
                &key(1),
                &CTX,
                announced,
                &data[..],
                Vec::new(),
                16,
                DESCRIPTION,
                &mut OsRng,
            )
            .unwrap_err();
            assert!(matches!(err, Error::SourceChanged), "{announced}: {err:?}");
        }
    }

    #[test]
    fn padded_sizes_fall_in_buckets_with_bounded_overhead() {
        assert_eq!(padded_len(1), 4096);
        let mut previous = 0;
        for len in (4097..50_000_000u64).step_by(9_973) {
            let p = padded_len(len);
            assert!(p >= len && p - len <= len / 8, "{len} -> {p}");
            assert!(p >= previous);
            previous = p;
        }
        // Lengths within one bucket are indistinguishable.
        assert_eq!(ciphertext_len(1_000_001, 16), ciphertext_len(1_000_100, 16));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn round_trips_across_chunk_boundaries(
            chunks in 0u64..4,
            delta in -40i64..40,
            log2 in 16u8..=17,
        ) {
            let len = ((chunks << log2) as i64 + delta).max(0) as usize;
            let data = sample(len);
            let mut blob = Vec::new();
            let written = encrypt(&key(3), &CTX, len as u64, &data[..], &mut blob, log2, DESCRIPTION, &mut OsRng).unwrap();
            prop_assert_eq!(written, blob.len() as u64);
            prop_assert_eq!(written, blob_len(len as u64, log2, DESCRIPTION.len()));
            let mut back = Vec::new();
            let n = decrypt(&key(3), &CTX, &blob[..], &mut back).unwrap();
            prop_assert_eq!(n, len as u64);
            prop_assert_eq!(back, data);
        }
    }
}
