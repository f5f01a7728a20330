//! `coffer reminders`: what expires soon, an iCalendar file of every upcoming deadline, and
//! the lead times (vault-wide and per document).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use coffer_core::ReminderPlan;
use coffer_core::reminders::write_ics;

use crate::vault_commands::unlock;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RemindersArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// List deadlines in the next DAYS days (default: each within its own largest lead time).
    #[arg(long, value_name = "DAYS")]
    within: Option<u32>,
    /// Print a JSON array.
    #[arg(long)]
    json: bool,
    /// Write every upcoming deadline, with alarms at its lead times, to this iCalendar file
    /// (it holds document titles in the clear, for your own calendar).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["within", "json"])]
    ics: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Show or set the vault's default lead times (30,7 unless changed).
    Defaults {
        /// Days before a deadline to remind, comma-separated, e.g. 30,7.
        #[arg(long, value_delimiter = ',', value_name = "DAYS")]
        lead_days: Option<Vec<u32>>,
    },
    /// Set one document's own lead times or notice period.
    Set {
        /// The document id (or an unambiguous prefix of it).
        id: String,
        /// Days before its deadlines to remind, comma-separated, e.g. 60,14,1.
        #[arg(long, value_delimiter = ',', value_name = "DAYS")]
        lead_days: Option<Vec<u32>>,
        /// Notice period in days: also remind of the last day to give notice before expiry.
        #[arg(long, value_name = "DAYS")]
        notice_days: Option<u32>,
        /// Return the document to the vault's defaults.
        #[arg(long, conflicts_with_all = ["lead_days", "notice_days"])]
        reset: bool,
    },
}

fn join(days: &[u32]) -> String {
    days.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn run(dir: &Path, args: &RemindersArgs) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    match &args.action {
        Some(Action::Defaults { lead_days }) => {
            let days = match lead_days {
                Some(days) => vault.set_default_lead_days(days)?,
                None => vault.default_lead_days()?,
            };
            println!("{}", join(&days));
            return Ok(ExitCode::SUCCESS);
        }
        Some(Action::Set {
            id,
            lead_days,
            notice_days,
            reset,
        }) => {
            let id = vault.resolve(id)?;
            if *reset {
                vault.set_reminder_plan(id, None)?;
            } else {
                if lead_days.is_none() && notice_days.is_none() {
                    anyhow::bail!("give --lead-days, --notice-days or --reset");
                }
                let current = vault.reminder_plan(id)?.unwrap_or_default();
                vault.set_reminder_plan(
                    id,
                    Some(ReminderPlan {
                        lead_days: lead_days.clone().or(current.lead_days),
                        notice_days: notice_days.or(current.notice_days),
                    }),
                )?;
            }
            let plan = vault.reminder_plan(id)?.unwrap_or_default();
            let leads = match plan.lead_days {
                Some(days) => join(&days),
                None => format!("{} (vault default)", join(&vault.default_lead_days()?)),
            };
            let notice = plan
                .notice_days
                .map_or("none".to_string(), |d| format!("{d} days"));
            println!("{id}  lead days {leads}; notice period {notice}");
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    if let Some(path) = &args.ics {
        let deadlines = vault.upcoming_deadlines()?;
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new()
            .prefix(".coffer-ics-")
            .tempfile_in(parent)
            .with_context(|| format!("writing to {}", parent.display()))?;
        write_ics(&deadlines, vault.clock().now(), tmp.as_file_mut())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
        eprintln!(
            "Wrote {} upcoming deadlines to {}; import it into your calendar app.",
            deadlines.len(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let due = vault.due_reminders(args.within)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&due)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    for r in &due {
        let when = match r.days_left {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            n => format!("in {n} days"),
        };
        writeln!(
            out,
            "{}  {:<12} {}: {}  {}",
            r.deadline.date,
            when,
            r.deadline.kind.label(),
            r.deadline.title,
            r.deadline.document
        )?;
    }
    if due.is_empty() {
        eprintln!("Nothing is due.");
    }
    Ok(ExitCode::SUCCESS)
}
