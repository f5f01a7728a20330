//! `coffer sync`: push this vault's changes to its account, then pull the other devices'.
//! Progress goes to stderr, the summary to stdout.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use coffer_core::sync::{self, EmailReminders, Progress};

use crate::reminders::NOT_ON_PLAN;
use crate::vault_commands::unlock;

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Use this server address from now on (the vault remembers the one it was connected to).
    #[arg(long, env = "COFFER_SERVER", value_name = "URL")]
    server: Option<String>,
    /// Apply the server's removals even when they are more than a quarter of the vault (they
    /// go to the trash for 30 days).
    #[arg(long)]
    allow_mass_delete: bool,
}

const MIB: f64 = 1024.0 * 1024.0;

fn show(progress: Progress) {
    match progress {
        Progress::Uploading {
            sent,
            total,
            resumed_from,
        } => {
            if let Some(offset) = resumed_from {
                eprintln!("  resuming an upload at {:.1} MiB", offset as f64 / MIB);
            }
            eprintln!(
                "  uploading {:.1} / {:.1} MiB",
                sent as f64 / MIB,
                total as f64 / MIB
            );
        }
        Progress::Pushed { done, total } => eprintln!("pushed {done}/{total}"),
        Progress::ConflictKept { original, copy } => eprintln!(
            "conflict on {original}: the server's version kept its id, your edit is now {copy}"
        ),
        Progress::Pulled { items } => eprintln!("pulled {items} changes"),
        Progress::NotSynced { document, reason } => {
            eprintln!("{document}: not synced ({reason}); it stays on this device")
        }
        Progress::MovedToTrash { document } => eprintln!(
            "{document}: deleted on another device; moved to the trash here (restore it with \
             `coffer untrash {document}` within 30 days)"
        ),
    }
}

pub fn run(dir: &Path, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    let options = sync::SyncOptions {
        allow_mass_delete: args.allow_mass_delete,
    };
    let report = sync::sync_with(&mut vault, args.server.as_deref(), options, &mut show)?;
    println!(
        "Synced: {} change(s) pushed, {} pulled, {} conflict(s) kept as copies, {} not synced \
         (plan limit){}.",
        report.pushed,
        report.pulled,
        report.conflicts.len(),
        report.not_synced.len(),
        if report.full_resync {
            " (full resync)"
        } else {
            ""
        }
    );
    // Opted-in vaults keep the server's e-mail reminders in step with the deadlines.
    match sync::push_email_reminders(&vault)
        .context("the documents synced, but the e-mail reminders were not updated")?
    {
        EmailReminders::Off => {}
        EmailReminders::Registered { registered, .. } => {
            println!("E-mail reminders: {registered} registered.");
        }
        EmailReminders::NotOnPlan => eprintln!("{NOT_ON_PLAN}"),
    }
    Ok(ExitCode::SUCCESS)
}
