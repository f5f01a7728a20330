//! `coffer backup` and `coffer restore`: the whole vault as an age-encrypted tar that the
//! standard `age` and `tar` tools open, and a new vault rebuilt from one.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use clap::Args;
use coffer_core::backup::{self, BackupEncryption, NewVault, Progress, RestoreKey};
use coffer_core::{KdfParams, RecoveryPhrase, SystemClock, Vault};
use secrecy::{ExposeSecret, SecretString};

use crate::secrets;
use crate::vault_commands::{self, KdfArgs, unlock};

const PASSPHRASE_ENV: &str = "COFFER_BACKUP_PASSPHRASE";
const MIN_PASSPHRASE_CHARS: usize = 8;

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("encryption").required(true).args(["passphrase", "recipients"]))]
pub struct BackupArgs {
    /// The backup file to write (it must not exist yet).
    #[arg(long, value_name = "FILE.age")]
    out: PathBuf,
    /// Protect the backup with a passphrase ($COFFER_BACKUP_PASSPHRASE, else asked twice).
    #[arg(long)]
    passphrase: bool,
    /// Encrypt to this age public key (age1…); repeat for several.
    #[arg(long = "recipient", value_name = "AGE1…")]
    recipients: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup to restore (written by `coffer backup`, or a tar with its layout encrypted
    /// by the `age` tool).
    #[arg(value_name = "FILE.age")]
    file: PathBuf,
    /// The age key file for a backup made with --recipient (else the passphrase is read from
    /// $COFFER_BACKUP_PASSPHRASE or asked for).
    #[arg(long, value_name = "KEYFILE")]
    identity: Option<PathBuf>,
    /// Write the restored vault's new recovery phrase to this new file (mode 0600) instead of
    /// showing it.
    #[arg(long, value_name = "PATH")]
    recovery_file: Option<PathBuf>,
    #[command(flatten)]
    kdf: KdfArgs,
    /// Recreate the backed-up vault itself (same vault key and recovery phrase, so it syncs
    /// with its account again) instead of a new one; the password is the one it had.
    #[arg(long, conflicts_with = "recovery_file")]
    same_vault: bool,
}

fn env_passphrase() -> Option<SecretString> {
    secrets::from_env(PASSPHRASE_ENV)
}

fn prompt(label: &str) -> anyhow::Result<SecretString> {
    secrets::prompt(label, PASSPHRASE_ENV)
}

fn new_passphrase() -> anyhow::Result<SecretString> {
    let passphrase = match env_passphrase() {
        Some(p) => p,
        None => {
            let first = prompt("Backup passphrase: ")?;
            let second = prompt("Repeat the passphrase: ")?;
            if first.expose_secret() != second.expose_secret() {
                bail!("the two passphrases differ; run the command again (nothing was written)");
            }
            first
        }
    };
    if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
        bail!(
            "the backup passphrase is too short; use at least {MIN_PASSPHRASE_CHARS} characters \
             (a few random words are best)"
        );
    }
    Ok(passphrase)
}

/// Shows progress on a terminal, as a percentage that rewrites itself.
fn progress_printer(verb: &'static str) -> impl FnMut(Progress) {
    let interactive = std::io::stderr().is_terminal();
    let mut last = u64::MAX;
    move |p: Progress| {
        if !interactive || p.total_bytes == 0 {
            return;
        }
        let percent = p.done_bytes.saturating_mul(100) / p.total_bytes;
        if percent != last {
            last = percent;
            eprint!("\r{verb}: {percent:3} %");
            if percent >= 100 {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn backup(dir: &Path, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    if args.out.exists() {
        return Err(backup::BackupError::OutputExists(args.out.clone()).into());
    }
    let encryption = if args.passphrase {
        BackupEncryption::Passphrase(new_passphrase()?)
    } else {
        BackupEncryption::recipients(&args.recipients)?
    };
    let mut vault = unlock(dir)?;
    let summary = backup::write_backup(
        &vault,
        &encryption,
        &args.out,
        &mut progress_printer("backing up"),
    )?;
    backup::record_backup(&mut vault)?;
    println!("{}", args.out.display());
    eprintln!(
        "Backed up {} documents ({}) to {}. Decrypt it with `age -d` and open it with `tar`, \
         or restore it with `coffer restore`.",
        summary.documents,
        mib(summary.content_bytes),
        args.out.display()
    );
    if summary.left_out.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "error: {} document(s) were left out of the backup:",
        summary.left_out.len()
    );
    for (id, title, reason) in &summary.left_out {
        eprintln!("  - {id} ({}): {reason}", crate::render::printable(title));
    }
    eprintln!(
        "Restore damaged ones from an older backup or another synced device (`coffer verify` \
         lists every problem)."
    );
    Ok(ExitCode::FAILURE)
}

pub fn restore(dir: &Path, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    Vault::check_new_location(dir)?;
    let params = args.kdf.params(KdfParams::default_argon2id());
    params.validate()?;
    let key = match &args.identity {
        Some(path) => RestoreKey::IdentityFile(path.clone()),
        None => {
            if !backup::is_passphrase_protected(&args.file)? {
                return Err(backup::BackupError::NeedsIdentity.into());
            }
            RestoreKey::Passphrase(match env_passphrase() {
                Some(p) => p,
                None => prompt("Backup passphrase: ")?,
            })
        }
    };
    // The key is checked before anything is asked or written.
    let opened = backup::open_backup(&args.file, &key)?;

    let phrase = if args.same_vault {
        eprintln!(
            "The backed-up vault is recreated: give the password it had; its recovery phrase \
             stays valid."
        );
        None
    } else {
        Some(RecoveryPhrase::generate(&mut rand::rngs::OsRng))
    };
    let password = match &phrase {
        None => secrets::password()?,
        Some(phrase) => {
            eprintln!("The restored vault gets a new password and a new recovery phrase.");
            let password = secrets::new_password_for_init()?;
            match &args.recovery_file {
                Some(path) => vault_commands::write_recovery_file(path, phrase)?,
                None => vault_commands::confirm_interactively(phrase)?,
            }
            password
        }
    };
    eprintln!("Restoring into {} ({params})...", dir.display());
    let restored = opened.restore_into(
        dir,
        NewVault {
            password: &password,
            params,
            phrase: phrase.as_ref(),
            clock: Arc::new(SystemClock),
        },
        &mut progress_printer("restoring"),
    );
    let summary = match restored {
        Ok(summary) => summary,
        Err(error) => {
            if let Some(path) = &args.recovery_file {
                // A phrase for a vault that does not exist would only confuse later.
                let _ = std::fs::remove_file(path);
            }
            return Err(error.into());
        }
    };
    for note in &summary.notes {
        eprintln!("note: {note}");
    }
    println!(
        "Restored {} documents ({}) into {}",
        summary.documents,
        mib(summary.content_bytes),
        dir.display()
    );
    if let Some(path) = &args.recovery_file {
        eprintln!(
            "The new recovery phrase is in {}. Move it somewhere safe, offline: it opens the \
             vault without the password.",
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
