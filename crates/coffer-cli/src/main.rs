//! `coffer`: every capability of the vault, scriptable. This layer parses arguments, asks for
//! secrets and prints results; the work itself happens in `coffer-core`.
//!
//! Exit status: 0 on success, 2 on usage errors, 1 on any other error.
#![forbid(unsafe_code)]

mod account;
mod backup;
mod documents;
mod export;
mod extract;
mod import_from;
mod ocr;
mod reminders;
mod render;
mod secrets;
mod share;
mod sync;
mod vault_commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use documents::{EditArgs, ImportArgs, SearchArgs};
use vault_commands::KdfArgs;

#[derive(Parser, Debug)]
#[command(
    name = "coffer",
    version,
    about = "Coffer: an end-to-end-encrypted vault for receipts, invoices, contracts and warranties",
    after_help = "The vault password is read from $COFFER_PASSWORD when set, else asked for without echo."
)]
struct Cli {
    /// The vault directory (default: $COFFER_VAULT, else the platform data directory).
    #[arg(long, global = true, env = "COFFER_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new vault and its 24-word recovery phrase (or, with --from-server, this
    /// device's copy of an account's vault).
    Init {
        /// Write the recovery phrase to this new file (mode 0600) instead of showing it.
        #[arg(long, value_name = "PATH", conflicts_with = "from_server")]
        recovery_file: Option<PathBuf>,
        #[command(flatten)]
        kdf: KdfArgs,
        /// Log in to an account (--server, --email) and restore its vault on this device.
        #[arg(long, requires = "email")]
        from_server: bool,
        #[command(flatten)]
        login: account::Login,
    },
    /// Connect the vault to an account on a Coffer server, and manage that account.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Push this vault's changes to its account, then pull the other devices' changes.
    Sync(sync::SyncArgs),
    /// Encrypt files into the vault; prints one line per file starting with the new id.
    Import(ImportArgs),
    /// List documents, newest first.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
        /// List the trash instead.
        #[arg(long)]
        trash: bool,
    },
    /// Search the full text and fields, with filters.
    Search(SearchArgs),
    /// Show one document's fields.
    Show {
        /// The document id (or an unambiguous prefix of it).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Correct or confirm fields; every field you set is marked confirmed.
    Edit(EditArgs),
    /// Move documents to the trash, or delete them for good with --purge.
    Rm {
        #[arg(required = true)]
        ids: Vec<String>,
        /// Delete permanently, content included (cannot be undone).
        #[arg(long)]
        purge: bool,
    },
    /// Restore documents from the trash.
    Untrash {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Write a document's original file, verified, to PATH.
    Get {
        id: String,
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Change the vault password (the new one from $COFFER_NEW_PASSWORD or a prompt).
    Passwd {
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Set a new password using the recovery phrase.
    Recover {
        /// A file holding the 24 words (else they are asked for).
        #[arg(long, value_name = "PATH")]
        recovery_file: Option<PathBuf>,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Write the whole vault to an age-encrypted backup that `age -d` and `tar` open alone.
    Backup(backup::BackupArgs),
    /// Rebuild a vault from a backup into --vault DIR (which must be new or empty).
    Restore(backup::RestoreArgs),
    /// List expiry reminders that are due, export them as iCalendar, or configure them.
    Reminders(reminders::RemindersArgs),
    /// Write an accounting export for a period: original files, a CSV and a PDF summary in a ZIP.
    Export(export::ExportArgs),
    /// A private link for the accountant: the export of a period, sealed on this device and
    /// opened in a browser with the key only the link holds.
    #[command(subcommand)]
    Share(share::ShareCommand),
    /// Import documents from another tool: a Paperless-ngx export or a CSV plus files folder.
    ImportFrom(import_from::ImportFromArgs),
    /// Check the whole vault: the database, every document's encrypted file, and what refers
    /// to what; exit status 1 when something is wrong.
    Verify {
        /// Check file headers and sizes only, not every byte.
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        json: bool,
    },
    /// Rebuild a lost, emptied or rolled-back database from the encrypted files and the
    /// journal; the old database is kept beside it.
    Repair {
        #[arg(long)]
        json: bool,
    },
    /// Show the vault's format, key-derivation settings and size (no secrets).
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Read fields from files with local OCR, without a vault; one JSON object per file.
    Extract(extract::ExtractArgs),
    /// Recognise a stored document's text and fields (locally, or with --remote on request).
    Ocr(ocr::OcrArgs),
    /// Store (or --remove) a remote OCR provider's API key inside the vault.
    OcrKey(ocr::OcrKeyArgs),
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let vault = cli.vault;
    // Resolved only by commands that use a vault (`extract` works without one).
    let dir = || vault_commands::vault_dir(vault.clone());
    match cli.command {
        Command::Extract(args) => extract::run(&args),
        Command::Ocr(args) => ocr::run(&dir()?, &args),
        Command::OcrKey(args) => ocr::set_key(&dir()?, &args),
        Command::Init {
            from_server: true,
            login,
            ..
        } => account::init_from_server(&dir()?, &login),
        Command::Init {
            recovery_file, kdf, ..
        } => vault_commands::init(&dir()?, recovery_file, &kdf),
        Command::Account(command) => account::run(&dir()?, &command),
        Command::Sync(args) => sync::run(&dir()?, &args),
        Command::Passwd { kdf } => vault_commands::passwd(&dir()?, &kdf),
        Command::Recover { recovery_file, kdf } => {
            vault_commands::recover(&dir()?, recovery_file, &kdf)
        }
        Command::Info { json } => vault_commands::info(&dir()?, json),
        Command::Verify { quick, json } => vault_commands::verify(&dir()?, quick, json),
        Command::Repair { json } => vault_commands::repair(&dir()?, json),
        Command::Import(args) => documents::import(&dir()?, &args),
        Command::List { json, trash } => documents::list(&dir()?, json, trash),
        Command::Search(args) => documents::search(&dir()?, &args),
        Command::Show { id, json } => documents::show(&dir()?, &id, json),
        Command::Edit(args) => documents::edit(&dir()?, &args),
        Command::Rm { ids, purge } => documents::remove(&dir()?, &ids, purge),
        Command::Untrash { ids } => documents::untrash(&dir()?, &ids),
        Command::Get { id, out } => documents::get(&dir()?, &id, &out),
        Command::ImportFrom(args) => import_from::run(&dir()?, &args),
        Command::Export(args) => export::run(&dir()?, &args),
        Command::Share(command) => share::run(&dir()?, &command),
        Command::Reminders(args) => reminders::run(&dir()?, &args),
        Command::Backup(args) => backup::backup(&dir()?, &args),
        Command::Restore(args) => backup::restore(&dir()?, &args),
    }
}

/// A usage error found after parsing (a combination of arguments that cannot work): exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The command that helps, for an engine error whose message says what to do in words of no
/// particular program.
fn command_hint(error: &anyhow::Error) -> Option<String> {
    use coffer_core::{Error as E, ErrorCode as C};
    if let Some(hint) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<coffer_core::sync::SyncError>())
        .and_then(sync_hint)
    {
        return Some(hint.into());
    }
    let engine = error.chain().find_map(|cause| {
        cause.downcast_ref::<coffer_core::Error>().or_else(|| {
            match cause.downcast_ref::<coffer_core::sync::SyncError>() {
                Some(coffer_core::sync::SyncError::Vault(inner)) => Some(inner),
                _ => None,
            }
        })
    })?;
    Some(match (engine.code(), engine) {
        (C::WrongPassword, _) => {
            "forgot it? `coffer recover` opens the vault with the recovery phrase".into()
        }
        (C::NotAVault, _) => {
            "create a vault with `coffer init`, or point --vault at an existing one".into()
        }
        (C::DatabaseNeedsRepair, _) | (C::Damaged, E::DatabaseDamaged(_)) => {
            "`coffer repair` rebuilds the database from the encrypted files".into()
        }
        (C::Damaged, E::Database(_)) => "`coffer verify` checks the whole vault".into(),
        (C::NotFound, E::DocumentNotFound(_)) => "`coffer list` shows the ids".into(),
        (C::Trashed, E::DocumentTrashed(id)) => format!("`coffer untrash {id}` restores it"),
        _ => return None,
    })
}

/// The command that helps, for a sync error.
fn sync_hint(error: &coffer_core::sync::SyncError) -> Option<&'static str> {
    use coffer_core::sync::SyncError as S;
    Some(match error {
        S::Unreachable { .. } => "`coffer sync` tries again",
        S::TotpRequired => "give --totp CODE (or set $COFFER_TOTP)",
        S::SignedOut(_) | S::AccountExists(_) => "`coffer account login` signs this device in",
        S::NotConnected | S::NeedsAccount => {
            "`coffer account register` makes a new account, `coffer account login` signs in to one"
        }
        S::RemoteOcrNotOnPlan { .. } => "`coffer ocr ID` without --remote reads it on this device",
        S::OtherVault => "`coffer init --from-server --vault NEW_DIR` gets that vault",
        S::MassDeletion { .. } => "`coffer sync --allow-mass-delete` confirms the removal",
        _ => return None,
    })
}

/// Exit status 2 for what the person typed wrong (usage), 1 for everything else.
fn exit_code(error: &anyhow::Error) -> ExitCode {
    let usage = error.chain().any(|cause| {
        cause.is::<UsageError>()
            || matches!(
                cause.downcast_ref::<coffer_core::Error>(),
                Some(coffer_core::Error::InvalidInput(_) | coffer_core::Error::KdfInvalid(_))
            )
            || matches!(
                cause.downcast_ref::<coffer_core::sync::SyncError>(),
                Some(coffer_core::sync::SyncError::Vault(
                    coffer_core::Error::InvalidInput(_)
                ))
            )
    });
    if usage {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    #[cfg(unix)]
    coffer_ocr::limit_openmp_threads();
    // A bug must still end in a readable message and exit status 1, never a raw panic dump.
    std::panic::set_hook(Box::new(|info| {
        // `coffer list --json | head -1`: whoever reads our output has what it wanted and
        // closed the pipe; stop quietly, as ripgrep does.
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: Coffer hit an internal error{location}; nothing more was written. \
             Please report it with the command you ran."
        );
    }));
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(error)) => {
            eprintln!("error: {error:#}");
            if let Some(hint) = command_hint(&error) {
                eprintln!("hint: {hint}");
            }
            exit_code(&error)
        }
        Err(_) => ExitCode::FAILURE,
    }
}
