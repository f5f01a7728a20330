//! `coffer share`: a private link for the accountant to the export of a period. The export
//! is sealed on this device under a new key that only the printed link holds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use coffer_core::sync::{self, DEFAULT_SHARE_DAYS, MAX_SHARE_DAYS, Share, ShareState};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::export::{Selection, describe};
use crate::vault_commands::unlock;

#[derive(Subcommand, Debug)]
pub enum ShareCommand {
    /// Export a period, seal it on this device under a new key, upload it and print the link
    /// (`<server>/s/<id>#<key>`) that opens it in a browser until it expires.
    Create(CreateArgs),
    /// List the account's share links: their state, expiry and downloads.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a share link: its file is deleted from the server at once.
    Revoke { id: Uuid },
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    selection: Selection,
    /// Days the link works.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = DEFAULT_SHARE_DAYS,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_SHARE_DAYS)),
    )]
    expires_in: u32,
    /// Also save the ZIP the link opens to (the same bytes) here.
    #[arg(long, value_name = "FILE.zip")]
    keep_copy: Option<PathBuf>,
}

pub fn run(dir: &Path, command: &ShareCommand) -> anyhow::Result<ExitCode> {
    match command {
        ShareCommand::Create(args) => create(dir, args),
        ShareCommand::List { json } => list(dir, *json),
        ShareCommand::Revoke { id } => {
            if !sync::revoke_share(&unlock(dir)?, *id)? {
                anyhow::bail!(
                    "the account has no share {id}; `coffer share list` shows its shares"
                );
            }
            eprintln!("Revoked share {id}: the link no longer opens and its file is deleted.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn create(dir: &Path, args: &CreateArgs) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    let request = args.selection.request();
    let created = sync::create_share(
        &mut vault,
        &request,
        args.expires_in,
        args.keep_copy.as_deref(),
        &mut |_| {},
    )?;
    println!("{}", created.link.as_str());
    eprintln!(
        "Shared {} documents as {} ({} bytes sealed) until {}: anyone with the link can \
         download them. `coffer share revoke {}` ends it sooner.",
        created.summary.documents,
        created.name,
        created.share.size,
        instant(created.share.expires_at),
        created.share.id
    );
    if let Some(copy) = &args.keep_copy {
        eprintln!("A copy of the shared ZIP is in {}.", copy.display());
    }
    describe(&request, &created.summary);
    Ok(ExitCode::SUCCESS)
}

fn list(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let shares = sync::list_shares(&unlock(dir)?)?.shares;
    if json {
        println!("{}", serde_json::to_string_pretty(&shares)?);
        return Ok(ExitCode::SUCCESS);
    }
    if shares.is_empty() {
        eprintln!("No share links; `coffer share create --from DATE --to DATE` makes one.");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<36}  {:<8}  {:<20}  {:<20}  {:>9}  {:>12}",
        "ID", "STATE", "CREATED", "EXPIRES", "DOWNLOADS", "BYTES"
    );
    for share in &shares {
        println!(
            "{:<36}  {:<8}  {:<20}  {:<20}  {:>9}  {:>12}",
            share.id,
            state(share),
            instant(share.created_at),
            instant(share.expires_at),
            share.downloads,
            share.size
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn state(share: &Share) -> &'static str {
    match share.state {
        ShareState::Active => "active",
        ShareState::Expired => "expired",
        ShareState::Revoked => "revoked",
    }
}

/// Unix seconds as an RFC 3339 instant in UTC.
fn instant(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}
