//! `coffer reminders`: what expires soon, an iCalendar file of every upcoming deadline, the
//! lead times (vault-wide and per document), and the opt-in to e-mail reminders.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use coffer_core::ReminderPlan;
use coffer_core::sync::{self, EmailReminders, Language};
use coffer_core::vault::Vault;

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
    /// E-mail reminders (paid plans; needs an account): `on` registers only dates and opaque
    /// ids with the server, never what the document is; `off` deletes them there; `status`
    /// shows what the server holds (with --json as JSON).
    #[arg(long, value_enum, value_name = "SWITCH", conflicts_with_all = ["within", "ics"])]
    email: Option<EmailSwitch>,
    /// The language of the reminder e-mails (default en).
    #[arg(long, value_enum, value_name = "LANG", requires = "email")]
    email_language: Option<EmailLanguage>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EmailSwitch {
    On,
    Off,
    Status,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EmailLanguage {
    Cs,
    En,
}

/// Printed on stderr when the plan leaves e-mail reminders out; not an error.
pub const NOT_ON_PLAN: &str = "note: e-mail reminders need a paid plan; they stay off on the \
    server (they are registered by `coffer sync` once the plan includes them)";

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

fn email(vault: &mut Vault, switch: EmailSwitch, args: &RemindersArgs) -> anyhow::Result<()> {
    let connected = sync::connection(vault)?.is_some();
    match switch {
        EmailSwitch::On => {
            let language = args.email_language.map(|l| match l {
                EmailLanguage::Cs => Language::Cs,
                EmailLanguage::En => Language::En,
            });
            match sync::enable_email_reminders(vault, language)? {
                EmailReminders::Registered {
                    registered,
                    left_out,
                } => {
                    println!(
                        "E-mail reminders are on: {registered} registered with the server \
                         (dates and opaque ids only)."
                    );
                    if left_out > 0 {
                        eprintln!(
                            "note: {left_out} later reminders are beyond the server's limit; \
                             they are registered as earlier ones pass"
                        );
                    }
                }
                EmailReminders::NotOnPlan => {
                    println!("E-mail reminders are on for this vault.");
                    eprintln!("{NOT_ON_PLAN}");
                }
                EmailReminders::Off => unreachable!("just switched on"),
            }
        }
        EmailSwitch::Off => {
            sync::disable_email_reminders(vault)?;
            if connected {
                println!("E-mail reminders are off; the server holds none for this account.");
            } else {
                println!("E-mail reminders are off.");
            }
        }
        EmailSwitch::Status => {
            let on = sync::email_reminders_enabled(vault)?;
            let server = if connected {
                Some(sync::registered_email_reminders(vault)?)
            } else {
                None
            };
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "email": on,
                        "language": sync::email_language(vault)?,
                        "server": server,
                    }))?
                );
                return Ok(());
            }
            println!("E-mail reminders: {}", if on { "on" } else { "off" });
            match server {
                Some(list) => println!(
                    "Registered on the server: {}{}",
                    list.reminders.len(),
                    if list.active || list.reminders.is_empty() {
                        ""
                    } else {
                        " (paused: the plan has no e-mail reminders)"
                    }
                ),
                None => println!(
                    "This vault has no account; e-mail reminders need one (`coffer account \
                     register` or `coffer account login`)."
                ),
            }
        }
    }
    Ok(())
}

pub fn run(dir: &Path, args: &RemindersArgs) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    if let Some(switch) = args.email {
        email(&mut vault, switch, args)?;
        return Ok(ExitCode::SUCCESS);
    }
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
        let written = vault.save_ics(path)?;
        println!("{}", path.display());
        eprintln!(
            "Wrote {} upcoming deadlines to {}; import it into your calendar app.",
            written,
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
