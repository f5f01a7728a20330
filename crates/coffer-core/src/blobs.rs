//! Encrypted content blobs as files beside the database, named by the SHA-256 of their
//! ciphertext (content-addressed, as sync stores them). A write goes to `tmp/` and stays there,
//! fsynced under its final name, until the database commit that makes it visible; only then is
//! it moved into place (`publish`). So a crash leaves in `tmp/` only leftovers that no commit
//! refers to, which are provably garbage, and never a half-written blob in place.
//!
//! Nothing else is ever deleted: a blob in place goes only when the database lists it as
//! purged. A blob that the database does not reference is kept (and reported by `verify`):
//! it may be all that is left of a document whose database was lost (`repair`).
//!
//! Blobs of the first stream format carry no description of their own; theirs is written
//! beside them as `<name>.desc` (a sealed `description::BlobDescription`).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Blobs written to `tmp/` since the last `publish_written`.
    written: Mutex<Vec<BlobName>>,
    /// A batch is being written: `tmp/` is synced once, by `sync_staged`, before its commit.
    batch: AtomicBool,
    /// A name was added to `tmp/` since it was last synced.
    tmp_unsynced: AtomicBool,
}

/// Passes bytes on to `inner` and hashes them (SHA-256) on the way.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Flushes and returns the writer and the lowercase hex SHA-256 of what went through.
    pub(crate) fn finish(mut self) -> io::Result<(W, String)> {
        self.inner.flush()?;
        Ok((self.inner, hex::encode(self.hasher.finalize())))
    }
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

/// What the sweep after an exclusive unlock did.
#[derive(Debug, Default)]
pub struct Sweep {
    /// Leftovers of interrupted writes removed from `tmp/`.
    pub leftovers_removed: usize,
    /// Committed blobs a crash left in `tmp/`, now moved into place.
    pub published: usize,
    /// Files of purged documents removed.
    pub purged_removed: Vec<BlobName>,
}

const TMP_DIR: &str = "tmp";
const SIDECAR_SUFFIX: &str = ".desc";

impl BlobStore {
    pub fn open(dir: PathBuf) -> Result<Self> {
        fs::create_dir_all(dir.join(TMP_DIR))
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(Self {
            dir,
            written: Mutex::new(Vec::new()),
            batch: AtomicBool::new(false),
            tmp_unsynced: AtomicBool::new(false),
        })
    }

    fn path(&self, name: &BlobName) -> PathBuf {
        self.dir.join(&name.0[..2]).join(&name.0)
    }

    fn staged_path(&self, name: &BlobName) -> PathBuf {
        self.dir.join(TMP_DIR).join(&name.0)
    }

    fn sidecar_path(&self, name: &BlobName) -> PathBuf {
        self.dir
            .join(&name.0[..2])
            .join(format!("{}{SIDECAR_SUFFIX}", name.0))
    }

    /// Streams a new blob through `fill` and keeps it, durable and named by its hash, in
    /// `tmp/` until `publish` (after the commit that refers to it).
    pub fn write(&self, fill: impl FnOnce(&mut dyn Write) -> Result<u64>) -> Result<BlobName> {
        let tmp_dir = self.dir.join(TMP_DIR);
        let tmp = tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(&tmp_dir)
            .map_err(|e| Error::io("creating a temporary file in the vault", e))?;
        let name = {
            let mut writer = HashingWriter::new(BufWriter::with_capacity(1 << 16, tmp.as_file()));
            fill(&mut writer)?;
            let (_, sha256) = writer
                .finish()
                .map_err(|e| Error::io("writing encrypted content", e))?;
            BlobName(sha256)
        };
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("writing encrypted content", e))?;
        tmp.persist(self.staged_path(&name))
            .map_err(|e| Error::io("storing encrypted content", e.error))?;
        // The name must survive a crash: a commit will refer to it. In a batch, once for all
        // of them, before the batch's commit (`sync_staged`).
        if self.batch.load(Ordering::Acquire) {
            self.tmp_unsynced.store(true, Ordering::Release);
        } else {
            fsync_dir(&tmp_dir)?;
        }
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(name.clone());
        Ok(name)
    }

    /// Starts (or ends) a batch of writes: until it ends, `tmp/` is synced by `sync_staged`
    /// rather than after each blob.
    pub(crate) fn set_batch(&self, on: bool) {
        self.batch.store(on, Ordering::Release);
    }

    /// Makes the names of the blobs written to `tmp/` durable; call before the commit that
    /// refers to them.
    pub(crate) fn sync_staged(&self) -> Result<()> {
        if self.tmp_unsynced.swap(false, Ordering::AcqRel) {
            fsync_dir(&self.dir.join(TMP_DIR))?;
        }
        Ok(())
    }

    /// Moves into place every blob written since the last call, once the commit that refers
    /// to them is done (one not referred to stays in `tmp/` for the sweep).
    pub fn publish_written(&self, referenced: impl Fn(&BlobName) -> bool) -> Result<()> {
        let written = std::mem::take(&mut *self.written.lock().unwrap_or_else(|p| p.into_inner()));
        for name in written.iter().filter(|n| referenced(n)) {
            self.publish(name)?;
        }
        Ok(())
    }

    /// Moves a committed blob from `tmp/` into place (nothing to do if it is there already).
    pub fn publish(&self, name: &BlobName) -> Result<()> {
        let staged = self.staged_path(name);
        if !staged.exists() {
            return Ok(());
        }
        let target = self.path(name);
        let parent = target.parent().expect("blob paths have a parent");
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        // No sync of the folder: a committed blob is durable in `tmp/` already, reads find it
        // in either place, and if a crash loses the rename the next sweep moves it again.
        fs::rename(&staged, &target).map_err(|e| Error::io("storing encrypted content", e))
    }

    /// Opens a blob for reading (in place, or still in `tmp/` between its commit and its
    /// move); a missing file is reported as such, not as an I/O failure.
    pub fn open_blob(&self, name: &BlobName) -> Result<File> {
        match File::open(self.path(name)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => return other.map_err(|e| Error::io("reading encrypted content", e)),
        }
        File::open(self.staged_path(name)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                Error::Integrity("its encrypted content file is missing".into())
            }
            _ => Error::io("reading encrypted content", e),
        })
    }

    /// Removes a blob of a purged document (in place or in `tmp/`) and its description.
    pub fn remove(&self, name: &BlobName) -> Result<()> {
        for path in [
            self.path(name),
            self.staged_path(name),
            self.sidecar_path(name),
        ] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("removing encrypted content", e)),
            }
        }
        Ok(())
    }

    /// The sealed description kept beside a blob of the first format, if it has one.
    pub fn sidecar(&self, name: &BlobName) -> Result<Option<Vec<u8>>> {
        match fs::read(self.sidecar_path(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading a blob description", e)),
        }
    }

    /// Writes the sealed description of a blob of the first format beside it.
    pub fn write_sidecar(&self, name: &BlobName, sealed: &[u8]) -> Result<()> {
        let target = self.sidecar_path(name);
        let parent = target.parent().expect("blob paths have a parent");
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix("desc-")
            .tempfile_in(self.dir.join(TMP_DIR))
            .map_err(|e| Error::io("writing a blob description", e))?;
        tmp.write_all(sealed)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| Error::io("writing a blob description", e))?;
        tmp.persist(&target)
            .map_err(|e| Error::io("writing a blob description", e.error))?;
        fsync_dir(parent)
    }

    /// Tidies up after interrupted work; call only while no other process can be between a
    /// blob write and its commit (the vault holds the exclusive lock). In `tmp/`: a blob that
    /// a commit refers to is moved into place, anything else is a leftover of a write that
    /// never committed and goes. In place: only the blobs of purged documents go.
    pub fn sweep(
        &self,
        referenced: &dyn Fn(&BlobName) -> Result<bool>,
        purged: &[BlobName],
    ) -> Result<Sweep> {
        let mut sweep = Sweep::default();
        for entry in read_dir(&self.dir.join(TMP_DIR))? {
            let name = entry
                .file_name()
                .to_str()
                .and_then(|n| BlobName::parse(n).ok());
            let committed = match name {
                Some(name) if referenced(&name)? => Some(name),
                _ => None,
            };
            match committed {
                Some(name) => {
                    self.publish(&name)?;
                    sweep.published += 1;
                }
                None => {
                    fs::remove_file(entry.path()).map_err(|e| Error::io("cleaning up", e))?;
                    sweep.leftovers_removed += 1;
                }
            }
        }
        for name in purged {
            if !referenced(name)? {
                self.remove(name)?;
                sweep.purged_removed.push(name.clone());
            }
        }
        Ok(sweep)
    }

    /// Every blob in place, with its size.
    pub fn list(&self) -> Result<Vec<(BlobName, u64)>> {
        let mut found = Vec::new();
        for shard in read_dir(&self.dir)? {
            let shard_path = shard.path();
            if shard.file_name() == TMP_DIR || !shard_path.is_dir() {
                continue;
            }
            for entry in read_dir(&shard_path)? {
                let Some(name) = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| BlobName::parse(n).ok())
                else {
                    continue;
                };
                let len = entry
                    .metadata()
                    .map_err(|e| Error::io("reading the blob directory", e))?
                    .len();
                found.push((name, len));
            }
        }
        found.sort_by(|a, b| a.0.0.cmp(&b.0.0));
        Ok(found)
    }

    /// Files in `tmp/` (leftovers, or committed blobs not moved yet).
    pub fn staged(&self) -> Result<Vec<String>> {
        Ok(read_dir(&self.dir.join(TMP_DIR))?
            .into_iter()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect())
    }

    /// The path of a blob (for messages and repair reports).
    pub fn describe_path(&self, name: &BlobName) -> PathBuf {
        self.path(name)
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
