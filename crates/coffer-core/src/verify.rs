//! `verify`: checks a whole vault without changing it. The database (SQLCipher's page HMACs and
//! SQLite's integrity check), every document's blob (all chunks decrypted and authenticated;
//! with `quick`, only its prelude, description and size), and the references both ways: a
//! document whose blob is gone, a blob no document refers to (kept: `repair` recovers it), a
//! blob that describes another document. Each problem says what to do.

use std::collections::HashSet;
use std::fmt;
use std::io;

use serde::Serialize;

use crate::blobs::BlobName;
use crate::crypto::stream::{self, ciphertext_len};
use crate::description::BlobDescription;
use crate::document::DocumentId;
use crate::error::{Error, Result};
use crate::journal;
use crate::store::ContentRef;
use crate::vault::Vault;

/// One thing `verify` found wrong.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The database's own check failed.
    Database { detail: String },
    /// A document's content does not verify.
    Damaged {
        id: DocumentId,
        title: String,
        reason: String,
    },
    /// A document's blob is not there.
    Missing { id: DocumentId, title: String },
    /// A blob no document refers to (what is left of a document a database lost).
    Unreferenced {
        blob: String,
        size: u64,
        /// What the blob says it is, when its description opens.
        document: Option<DocumentId>,
        title: Option<String>,
    },
    /// A blob of the first format whose description was never written (it cannot be
    /// recognised without the database).
    Undescribed { id: DocumentId, title: String },
    /// A journal record that does not open.
    Journal { detail: String },
}

impl Problem {
    /// What kind of problem it is, stable, for a program to word it in its own language:
    /// `database`, `damaged`, `missing`, `unreferenced`, `undescribed`, `journal`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Database { .. } => "database",
            Self::Damaged { .. } => "damaged",
            Self::Missing { .. } => "missing",
            Self::Unreferenced { .. } => "unreferenced",
            Self::Undescribed { .. } => "undescribed",
            Self::Journal { .. } => "journal",
        }
    }

    /// What the person can do about it, in words of no particular program (the CLI adds its
    /// command, the app its own sentence by [`Problem::kind`]).
    pub fn advice(&self) -> &'static str {
        match self {
            Self::Database { .. } => {
                "repair the vault: that rebuilds the database from the encrypted files (nothing \
                 is deleted)"
            }
            Self::Damaged { .. } | Self::Missing { .. } => {
                "restore this document from a backup or another synced device, or remove it for \
                 good"
            }
            Self::Unreferenced { .. } => {
                "repair the vault to bring it back as a document (nothing is deleted)"
            }
            Self::Undescribed { .. } => {
                "unlock the vault once more with this Coffer (it describes such blobs then), or \
                 keep a backup: a repair could not recognise this one"
            }
            Self::Journal { .. } => {
                "nothing is lost while the database is healthy; make a backup soon"
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database { detail } => write!(f, "the database fails its check: {detail}"),
            Self::Damaged { id, title, reason } => {
                write!(f, "document {id} ({title}) is damaged: {reason}")
            }
            Self::Missing { id, title } => {
                write!(f, "document {id} ({title}): its encrypted file is missing")
            }
            Self::Unreferenced {
                blob,
                size,
                document,
                title,
            } => {
                write!(f, "blob {blob} ({size} bytes) belongs to no document")?;
                match (document, title) {
                    (Some(id), Some(title)) => write!(f, "; it holds document {id} ({title})"),
                    _ => write!(f, "; its description does not open"),
                }
            }
            Self::Undescribed { id, title } => write!(
                f,
                "document {id} ({title}): its encrypted file has no description"
            ),
            Self::Journal { detail } => write!(f, "journal: {detail}"),
        }
    }
}

/// What `verify` checked and found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    pub documents: usize,
    pub blobs: usize,
    pub bytes_checked: u64,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The documents whose content cannot be read (damaged or missing).
    pub fn unreadable(&self) -> HashSet<DocumentId> {
        self.problems
            .iter()
            .filter_map(|p| match p {
                Problem::Damaged { id, .. } | Problem::Missing { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }
}

/// How far `verify` has come, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct VerifyProgress {
    pub done: usize,
    pub total: usize,
}

/// A verification done a slice of documents at a time, so that a caller that keeps the vault
/// behind a lock (the app) lets other work in between: [`Vault::begin_verify`], then
/// [`Vault::verify_next`] until it answers false, then [`Vault::finish_verify`]. A document
/// added meanwhile is not checked and one removed meanwhile is skipped; the references are
/// read at the end, so neither shows as a problem.
pub struct Verification {
    quick: bool,
    report: VerifyReport,
    documents: Vec<DocumentId>,
    next: usize,
}

impl Verification {
    pub fn progress(&self) -> VerifyProgress {
        VerifyProgress {
            done: self.next,
            total: self.documents.len(),
        }
    }
}

impl Vault {
    /// Checks the whole vault (see the module's documentation); changes nothing.
    pub fn verify(
        &self,
        quick: bool,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport> {
        let mut run = self.begin_verify(quick)?;
        while run.next < run.documents.len() {
            self.verify_next(&mut run, 1)?;
            progress(run.progress());
        }
        self.finish_verify(run)
    }

    /// The database's own check, and the list of documents to check.
    pub fn begin_verify(&self, quick: bool) -> Result<Verification> {
        let mut report = VerifyReport::default();
        for detail in self.store.integrity_check(quick)? {
            report.problems.push(Problem::Database { detail });
        }
        let documents = self.store.document_ids()?;
        report.documents = documents.len();
        Ok(Verification {
            quick,
            report,
            documents,
            next: 0,
        })
    }

    /// Checks up to `at_most` more documents; whether any are left.
    pub fn verify_next(&self, run: &mut Verification, at_most: usize) -> Result<bool> {
        let end = run.documents.len().min(run.next + at_most.max(1));
        while run.next < end {
            let id = run.documents[run.next];
            run.next += 1;
            let content = match self.store.content_ref(id) {
                Ok(content) => content,
                // Removed since the verification began.
                Err(Error::DocumentNotFound(_)) => {
                    run.report.documents -= 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(problem) = self.check_document(id, &content, run.quick, &mut run.report)? {
                run.report.problems.push(problem);
            }
        }
        Ok(run.next < run.documents.len())
    }

    /// The references both ways (blobs no document refers to) and the journal: the report.
    pub fn finish_verify(&self, run: Verification) -> Result<VerifyReport> {
        let mut report = run.report;
        let referenced = self.store.blob_names()?;
        let purged: HashSet<BlobName> = self.store.purged_blobs()?.into_iter().collect();
        let blobs = self.blobs.list()?;
        report.blobs = blobs.len();
        for (name, size) in blobs {
            if referenced.contains(&name) || purged.contains(&name) {
                continue;
            }
            let description = self.description_of(&name).ok().flatten();
            report.problems.push(Problem::Unreferenced {
                blob: name.as_str().to_string(),
                size,
                document: description.as_ref().map(|d| d.document),
                title: description.map(|d| d.fields.title),
            });
        }
        let header = self.header.get();
        let scan = journal::read(
            &self.dir,
            &self
                .vault_key
                .derive(crate::crypto::keys::SubKeyPurpose::Journal),
            header.vault_id,
        )?;
        for detail in scan.problems {
            report.problems.push(Problem::Journal { detail });
        }
        Ok(report)
    }

    fn check_document(
        &self,
        id: DocumentId,
        content: &ContentRef,
        quick: bool,
        report: &mut VerifyReport,
    ) -> Result<Option<Problem>> {
        let title = || -> Result<String> { Ok(self.store.document(id)?.fields.title) };
        let damaged = |reason: String| -> Result<Option<Problem>> {
            Ok(Some(Problem::Damaged {
                id,
                title: title()?,
                reason,
            }))
        };
        let mut file = match self.blobs.open_blob(&content.blob) {
            Ok(file) => file,
            Err(Error::Integrity(_)) => {
                return Ok(Some(Problem::Missing {
                    id,
                    title: title()?,
                }));
            }
            Err(e) => return Err(e),
        };
        let prelude = match stream::read_prelude(&mut file) {
            Ok(prelude) => prelude,
            Err(e) => return damaged(e.to_string()),
        };
        let described = match &prelude.description {
            Some(sealed) => Some(sealed.clone()),
            None => self.blobs.sidecar(&content.blob)?,
        };
        match described.map(|sealed| BlobDescription::open(&self.description_key, &sealed)) {
            Some(Ok(d)) if d.document != id || d.content_version != content.content_version => {
                return damaged(format!(
                    "its encrypted file describes another document ({})",
                    d.document
                ));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return damaged(format!("its description does not open ({e})")),
            None => {
                return Ok(Some(Problem::Undescribed {
                    id,
                    title: title()?,
                }));
            }
        }
        let size = self.store.document(id)?.file.size;
        let expected = ciphertext_len(size, prelude.chunk_log2) + prelude.size() - 2;
        let actual = file
            .metadata()
            .map_err(|e| Error::io("reading encrypted content", e))?
            .len();
        if actual != expected {
            return damaged(format!(
                "its encrypted file has {actual} bytes where {expected} were written"
            ));
        }
        if quick {
            return Ok(None);
        }
        match self.decrypt_content(id, content, io::sink()) {
            Ok(len) => {
                report.bytes_checked += len;
                Ok(None)
            }
            Err(e @ (Error::Io { .. } | Error::DiskFull { .. })) => Err(e),
            Err(e) => damaged(match e {
                Error::Integrity(reason) => reason,
                other => other.to_string(),
            }),
        }
    }

    /// What a blob in place says it is (`None` for a first-format blob without a description).
    pub(crate) fn description_of(&self, name: &BlobName) -> Result<Option<BlobDescription>> {
        let mut file = self.blobs.open_blob(name)?;
        let sealed = match stream::read_prelude(&mut file)?.description {
            Some(sealed) => Some(sealed),
            None => self.blobs.sidecar(name)?,
        };
        sealed
            .map(|s| BlobDescription::open(&self.description_key, &s))
            .transpose()
    }
}
