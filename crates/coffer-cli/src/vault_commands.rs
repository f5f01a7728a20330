//! Commands about the vault itself: create, unlock, change or recover the password, describe.

use std::fs::OpenOptions;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use coffer_core::{KdfParams, LockedVault, RecoveryPhrase, SystemClock, Vault};

use crate::{render, secrets};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KdfChoice {
    /// Argon2id (default: 128 MiB, 3 passes, 4 lanes).
    Argon2id,
    /// PBKDF2-HMAC-SHA256 (600,000 iterations), for compatibility.
    Pbkdf2,
}

/// Key-derivation settings; unset values keep the default (init) or the vault's current ones.
#[derive(Args, Debug, Default)]
pub struct KdfArgs {
    /// Key-derivation function for the password.
    #[arg(long, value_enum)]
    kdf: Option<KdfChoice>,
    /// Argon2id memory in MiB (at least 64).
    #[arg(long, value_name = "MIB")]
    kdf_memory: Option<u32>,
    /// Argon2id passes (at least 3).
    #[arg(long, value_name = "N")]
    kdf_passes: Option<u32>,
    /// Argon2id lanes.
    #[arg(long, value_name = "N")]
    kdf_lanes: Option<u32>,
    /// PBKDF2 iterations (at least 600000).
    #[arg(long, value_name = "N")]
    pbkdf2_iterations: Option<u32>,
}

impl KdfArgs {
    /// The parameters to use, starting from `base` (the default or the vault's current ones).
    pub(crate) fn params(&self, base: KdfParams) -> KdfParams {
        let base = match (self.kdf, base) {
            (Some(KdfChoice::Argon2id), KdfParams::Pbkdf2Sha256 { .. }) => {
                KdfParams::default_argon2id()
            }
            (Some(KdfChoice::Pbkdf2), KdfParams::Argon2id { .. }) => KdfParams::default_pbkdf2(),
            _ => base,
        };
        match base {
            KdfParams::Argon2id {
                memory_kib,
                passes,
                lanes,
            } => KdfParams::Argon2id {
                memory_kib: self
                    .kdf_memory
                    .map_or(memory_kib, |m| m.saturating_mul(1024)),
                passes: self.kdf_passes.unwrap_or(passes),
                lanes: self.kdf_lanes.unwrap_or(lanes),
            },
            KdfParams::Pbkdf2Sha256 { iterations } => KdfParams::Pbkdf2Sha256 {
                iterations: self.pbkdf2_iterations.unwrap_or(iterations),
            },
        }
    }
}

/// `--vault`, else `$COFFER_VAULT` (both handled by clap), else the platform data directory.
pub fn vault_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    directories::ProjectDirs::from("", "", "coffer")
        .map(|d| d.data_dir().join("vault"))
        .context("no home directory to keep the vault in; give --vault DIR or set $COFFER_VAULT")
}

/// Unlocks the vault with the password from the environment or a prompt.
pub fn unlock(dir: &Path) -> anyhow::Result<Vault> {
    Ok(unlock_keeping_password(dir)?.0)
}

/// Unlocks the vault and hands back the password too (it is also the account's).
pub fn unlock_keeping_password(dir: &Path) -> anyhow::Result<(Vault, secrecy::SecretString)> {
    let locked = LockedVault::open(dir)?;
    let password = secrets::password()?;
    let outcome = locked.unlock(&password)?;
    if let Some(params) = outcome.kdf_upgraded_to {
        eprintln!("note: the vault's password protection was strengthened to {params}");
    }
    Ok((outcome.vault, password))
}

/// Which words (1-based, ascending) a person is asked to type back.
fn pick_positions(count: usize) -> Vec<usize> {
    let mut picked: Vec<usize> = rand::seq::index::sample(&mut rand::thread_rng(), 24, count)
        .into_iter()
        .map(|i| i + 1)
        .collect();
    picked.sort_unstable();
    picked
}

/// Shows the phrase and has the person type back three of its words.
pub(crate) fn confirm_interactively(phrase: &RecoveryPhrase) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "the recovery phrase must be shown and confirmed in a terminal; when scripting, \
             give --recovery-file PATH to save it to a file instead"
        );
    }
    let words = phrase.words();
    let list: Vec<&str> = words.split(' ').collect();
    eprintln!(
        "\nYour recovery phrase (write it down and keep it somewhere safe):\n\n{}\n\n\
         It is the only way back into this vault if you forget the password. Without it,\n\
         a forgotten password means the documents are gone: nobody, not even Coffer, can\n\
         recover them.\n",
        render::numbered_words(&list)
    );
    for position in pick_positions(3) {
        eprint!("Type word #{position}: ");
        std::io::stderr().flush()?;
        let mut answer = zeroize::Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim().to_lowercase() != list[position - 1] {
            bail!("word #{position} does not match; run `coffer init` again (nothing was created)");
        }
    }
    Ok(())
}

/// Writes the phrase to a new file readable only by its owner.
pub(crate) fn write_recovery_file(path: &Path, phrase: &RecoveryPhrase) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| {
        format!(
            "creating {} for the recovery phrase (it must not exist yet)",
            path.display()
        )
    })?;
    file.write_all(format!("{}\n", phrase.words().as_str()).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

pub fn init(dir: &Path, recovery_file: Option<PathBuf>, kdf: &KdfArgs) -> anyhow::Result<ExitCode> {
    Vault::check_new_location(dir)?;
    let params = kdf.params(KdfParams::default_argon2id());
    params.validate()?;
    let password = secrets::new_password_for_init()?;
    let phrase = RecoveryPhrase::generate(&mut rand::rngs::OsRng);
    match &recovery_file {
        Some(path) => write_recovery_file(path, &phrase)?,
        None => confirm_interactively(&phrase)?,
    }
    eprintln!("Creating the vault ({params})...");
    let created = Vault::create(dir, &password, params, &phrase, Arc::new(SystemClock));
    if let Err(error) = created {
        if let Some(path) = &recovery_file {
            // A phrase for a vault that does not exist would only confuse later.
            let _ = std::fs::remove_file(path);
        }
        return Err(error.into());
    }
    println!("Created a vault in {}", dir.display());
    if let Some(path) = recovery_file {
        eprintln!(
            "The recovery phrase is in {}. Move it somewhere safe, offline: it opens the vault \
             without the password.",
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn passwd(dir: &Path, kdf: &KdfArgs) -> anyhow::Result<ExitCode> {
    let (mut vault, password) = unlock_keeping_password(dir)?;
    let current = vault.info()?.kdf.params;
    let params = kdf.params(current);
    params.validate()?;
    let new_password = secrets::new_password_for_change()?;
    // The account's password changes only after a fresh proof of the current one.
    let account = account_step_up(&vault, &password)?;
    vault.change_password(&new_password, params)?;
    eprintln!("Password changed ({params}); no document needed re-encrypting.");
    update_account_password(&vault, account, &new_password)?;
    Ok(ExitCode::SUCCESS)
}

/// For a vault connected to an account: the step-up an account password change needs, or
/// why there is none (tried again by [`update_account_password`]'s advice).
fn account_step_up(
    vault: &Vault,
    password: &secrecy::SecretString,
) -> anyhow::Result<Option<Result<coffer_core::sync::SteppedUp, coffer_core::sync::SyncError>>> {
    if !coffer_core::sync::connection(vault)?.is_some_and(|c| c.signed_in) {
        return Ok(None);
    }
    let totp = std::env::var("COFFER_TOTP").ok();
    Ok(Some(crate::account::step_up(
        vault,
        password,
        totp.as_deref(),
    )))
}

/// The account's password is the vault's: a vault connected to an account changes both.
fn update_account_password(
    vault: &Vault,
    account: Option<Result<coffer_core::sync::SteppedUp, coffer_core::sync::SyncError>>,
    new_password: &secrecy::SecretString,
) -> anyhow::Result<()> {
    let Some(account) = account else {
        return Ok(());
    };
    account
        .and_then(|account| coffer_core::sync::change_password(&account, vault, new_password))
        .context(
            "the vault has the new password, but the account on the server still has the old \
             one; run `coffer passwd` (giving the new password as both, and the account's old \
             one in $COFFER_ACCOUNT_PASSWORD) when the server is reachable",
        )?;
    eprintln!("The account has the new password too; your other devices are signed out.");
    Ok(())
}

pub fn recover(
    dir: &Path,
    recovery_file: Option<PathBuf>,
    kdf: &KdfArgs,
) -> anyhow::Result<ExitCode> {
    let locked = LockedVault::open(dir)?;
    // A damaged or weakened KDF record is what recovery mends: start from the defaults then.
    let params = kdf.params(
        locked
            .kdf()
            .map(|record| record.params)
            .unwrap_or_else(|_| KdfParams::default_argon2id()),
    );
    params.validate()?;
    let phrase = secrets::recovery_phrase(recovery_file.as_deref())?;
    let new_password = secrets::new_password_for_recovery()?;
    let vault = locked.recover(&phrase, &new_password, params)?;
    eprintln!("The vault has a new password; the recovery phrase stays valid.");
    // The recovery phrase does not prove the account's password: that takes the old one
    // ($COFFER_ACCOUNT_PASSWORD).
    let account = account_step_up(&vault, &new_password)?;
    update_account_password(&vault, account, &new_password)?;
    Ok(ExitCode::SUCCESS)
}

/// `coffer verify`: checks everything, prints each problem with what to do, exit 1 if any.
pub fn verify(dir: &Path, quick: bool, json: bool) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let interactive = std::io::stderr().is_terminal();
    let report = vault.verify(quick, &mut |p| {
        if interactive {
            eprint!("\rchecking {}/{} documents", p.done, p.total);
            if p.done == p.total {
                eprintln!();
            }
        }
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render::verify(&report, quick));
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `coffer repair`: rebuilds the database from the blobs and the journal.
pub fn repair(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let locked = LockedVault::open(dir)?;
    let password = secrets::password()?;
    let report = locked.repair(&password)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render::repair(&report));
    }
    Ok(
        if report.unrecoverable.is_empty() && report.missing_content.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

pub fn info(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let info = vault.info()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print!("{}", render::info(&info));
    }
    Ok(ExitCode::SUCCESS)
}
