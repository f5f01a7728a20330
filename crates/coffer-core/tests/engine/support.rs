//! A scratch vault on disk and the file-level surgery the fault tests need.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coffer_core::{
    DocumentId, ImportOptions, ImportOutcome, KdfParams, LockedVault, RecoveryPhrase, SystemClock,
    Vault,
};
use rand::rngs::OsRng;
use secrecy::SecretString;
use tempfile::TempDir;

pub const PASSWORD: &str = "engine tests password";

pub fn password() -> SecretString {
    SecretString::from(PASSWORD)
}

pub struct Scratch {
    pub root: TempDir,
    pub vault: PathBuf,
}

impl Scratch {
    /// A new vault (PBKDF2 at its floor keeps the many unlocks quick).
    pub fn new() -> Self {
        let root = TempDir::new().unwrap();
        let vault = root.path().join("vault");
        Vault::create(
            &vault,
            &password(),
            KdfParams::default_pbkdf2(),
            &RecoveryPhrase::generate(&mut OsRng),
            Arc::new(SystemClock),
        )
        .unwrap();
        Self { root, vault }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn open(&self) -> coffer_core::Result<Vault> {
        open(&self.vault)
    }

    /// A vault holding one document (`name` with `content`), closed again; returns its id.
    pub fn with_document(&self, name: &str, content: &[u8]) -> DocumentId {
        let mut vault = self.open().unwrap();
        self.import(&mut vault, name, content)
    }

    /// Imports a file holding `content` under `name`; returns its id.
    pub fn import(&self, vault: &mut Vault, name: &str, content: &[u8]) -> DocumentId {
        let file = self.path(name);
        fs::write(&file, content).unwrap();
        match vault.import(&file, &ImportOptions::default()).unwrap() {
            ImportOutcome::Imported(doc) => doc.id,
            other => panic!("{name}: {other:?}"),
        }
    }

    /// Like [`Scratch::import`], also returning the blob file the import added.
    pub fn import_with_blob(
        &self,
        vault: &mut Vault,
        name: &str,
        content: &[u8],
    ) -> (DocumentId, PathBuf) {
        let before = self.blob_files();
        let id = self.import(vault, name, content);
        let mut added: Vec<_> = self
            .blob_files()
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        assert_eq!(added.len(), 1, "{name}: {added:?}");
        (id, added.remove(0))
    }

    /// Every blob file in place.
    pub fn blob_files(&self) -> Vec<PathBuf> {
        blob_files(&self.vault)
    }

    pub fn tmp_files(&self) -> Vec<PathBuf> {
        fs::read_dir(self.vault.join("blobs/tmp"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }

    /// A copy of the whole vault directory (as a backup tool or another sync would make).
    pub fn snapshot(&self, name: &str) -> PathBuf {
        let to = self.path(name);
        copy_dir(&self.vault, &to);
        to
    }

    /// Puts back `vault.db` (and its WAL) from a snapshot, as a home-folder restore would.
    pub fn put_back_database(&self, snapshot: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let name = format!("vault.db{suffix}");
            let _ = fs::remove_file(self.vault.join(&name));
            if snapshot.join(&name).exists() {
                fs::copy(snapshot.join(&name), self.vault.join(&name)).unwrap();
            }
        }
    }
}

pub fn open(dir: &Path) -> coffer_core::Result<Vault> {
    Ok(LockedVault::open(dir)?.unlock(&password())?.vault)
}

pub fn blob_files(vault: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for shard in fs::read_dir(vault.join("blobs")).unwrap() {
        let shard = shard.unwrap().path();
        if shard.file_name().unwrap() != "tmp" && shard.is_dir() {
            files.extend(
                fs::read_dir(&shard)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_none()),
            );
        }
    }
    files.sort();
    files
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir`, for the plaintext scan.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The ids of all documents, trash included, sorted.
pub fn ids(vault: &Vault) -> Vec<DocumentId> {
    ids_in(vault, coffer_core::TrashFilter::Include)
}

/// The ids of the documents `trash` selects, sorted.
pub fn ids_in(vault: &Vault, trash: coffer_core::TrashFilter) -> Vec<DocumentId> {
    let mut ids: Vec<DocumentId> = vault
        .search(&coffer_core::SearchQuery {
            trash,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    ids.sort();
    ids
}

pub fn content(vault: &Vault, id: DocumentId) -> Vec<u8> {
    let mut out = Vec::new();
    vault.read_content(id, &mut out).unwrap();
    out
}
