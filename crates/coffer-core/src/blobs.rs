//! Encrypted content blobs as files beside the database, named by the SHA-256 of their
//! ciphertext (content-addressed, as sync stores them). Written atomically: a temporary file
//! in `tmp/`, fsync, rename into place, fsync the directory. A crash leaves at worst a stray
//! temporary or unreferenced file, which `sweep` removes; never a half-written blob in place.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The hex SHA-256 of a blob's ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlobName(String);

impl BlobName {
    pub fn parse(name: &str) -> Result<Self> {
        if name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(name.to_string()))
        } else {
            Err(Error::Integrity(format!(
                "invalid content reference `{name}`"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub struct BlobStore {
    dir: PathBuf,
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("syncing {}", dir.display()), e))
}

impl BlobStore {
    pub fn open(dir: PathBuf) -> Result<Self> {
        fs::create_dir_all(dir.join("tmp"))
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(Self { dir })
    }

    fn path(&self, name: &BlobName) -> PathBuf {
        self.dir.join(&name.0[..2]).join(&name.0)
    }

    /// Streams a new blob through `fill` and publishes it under its hash once it is durable.
    pub fn write(&self, fill: impl FnOnce(&mut dyn Write) -> Result<u64>) -> Result<BlobName> {
        let tmp = tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(self.dir.join("tmp"))
            .map_err(|e| Error::io("creating a temporary file in the vault", e))?;
        let name = {
            let mut writer = HashingWriter {
                inner: BufWriter::with_capacity(1 << 16, tmp.as_file()),
                hasher: Sha256::new(),
            };
            fill(&mut writer)?;
            writer
                .flush()
                .map_err(|e| Error::io("writing encrypted content", e))?;
            BlobName(hex::encode(writer.hasher.finalize()))
        };
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("writing encrypted content", e))?;
        let target = self.path(&name);
        let parent = target.parent().expect("blob paths have a parent");
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        tmp.persist(&target)
            .map_err(|e| Error::io("storing encrypted content", e.error))?;
        fsync_dir(parent)?;
        Ok(name)
    }

    /// Opens a blob for reading; a missing file is reported as such, not as an I/O failure.
    pub fn open_blob(&self, name: &BlobName) -> Result<File> {
        File::open(self.path(name)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                Error::Integrity("its encrypted content file is missing".into())
            }
            _ => Error::io("reading encrypted content", e),
        })
    }

    pub fn remove(&self, name: &BlobName) -> Result<()> {
        match fs::remove_file(self.path(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("removing encrypted content", e)),
        }
    }

    /// Removes leftovers of interrupted writes and blobs no document references; returns how
    /// many files went. Call only while no other process can be between a blob write and its
    /// database commit (the vault holds the exclusive lock).
    pub fn sweep(&self, referenced: &HashSet<BlobName>) -> Result<usize> {
        let mut removed = 0;
        for entry in read_dir(&self.dir.join("tmp"))? {
            fs::remove_file(entry.path()).map_err(|e| Error::io("cleaning up", e))?;
            removed += 1;
        }
        for shard in read_dir(&self.dir)? {
            let shard_path = shard.path();
            if shard.file_name() == "tmp" || !shard_path.is_dir() {
                continue;
            }
            for entry in read_dir(&shard_path)? {
                let keep = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| BlobName::parse(n).ok())
                    .is_some_and(|n| referenced.contains(&n));
                if !keep {
                    fs::remove_file(entry.path()).map_err(|e| Error::io("cleaning up", e))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Bytes on disk in blobs.
    pub fn total_size(&self) -> Result<u64> {
        let mut total = 0;
        for shard in read_dir(&self.dir)? {
            if shard.path().is_dir() {
                for entry in read_dir(&shard.path())? {
                    total += entry.metadata().map(|m| m.len()).unwrap_or(0);
                }
            }
        }
        Ok(total)
    }
}

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    fs::read_dir(dir)
        .and_then(|entries| entries.collect::<io::Result<Vec<_>>>())
        .map_err(|e| Error::io(format!("listing {}", dir.display()), e))
}
