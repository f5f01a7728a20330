//! `coffer-server serve [--listen ADDR:PORT] [--data DIR] [--config FILE]`
//! `coffer-server jobs run [--now RFC3339]`
//! `coffer-server admin account show EMAIL`
//! `coffer-server admin account verify EMAIL`
//! `coffer-server admin plan grant EMAIL PLAN --until DATE`
//! `coffer-server admin plan expire EMAIL`
//!
//! Every command takes `--data DIR` / `--config FILE` and reaches the same storage as a
//! running `serve` (safe while it runs).

#![forbid(unsafe_code)]

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use coffer_server::app::App;
use coffer_server::clock::{Clock, ManualClock, SystemClock};
use coffer_server::config::{Config, Overrides};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "coffer-server",
    version,
    about = "Coffer's zero-knowledge sync server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the storage is: the same flags as `serve`.
#[derive(Args, Clone)]
struct StorageArgs {
    /// Data directory for the SQLite database and blobs.
    #[arg(long = "data")]
    data_dir: Option<PathBuf>,
    /// TOML configuration file (also $COFFER_CONFIG).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (SQLite and a blob directory under the data directory unless configured
    /// otherwise; see the config file keys and COFFER_* variables in the documentation). Runs
    /// the plan jobs and maintenance on a schedule too.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8321]; port 0 picks a free one.
        #[arg(long)]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Plan jobs: renewals, downgrades, purge warnings, purges, e-mail reminders, e-mail
    /// delivery, maintenance.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Support work on accounts and plans.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run every job once and print what was done.
    Run {
        /// Run as if it were this instant (RFC 3339), e.g. 2026-07-01T00:00:00Z.
        #[arg(long)]
        now: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Plan, paid period, usage, locked items, purge date and payments of an account.
    Show {
        email: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Mark the account's e-mail address verified (support checked it another way).
    Verify {
        email: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Subcommand)]
enum PlanCommand {
    /// Give an account a plan without payment until DATE (YYYY-MM-DD, through the end of that
    /// day in the billing time zone, or an RFC 3339 instant). Unlocks locked items.
    Grant {
        email: String,
        plan: String,
        #[arg(long)]
        until: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// End the account's paid plan now: move it to the free plan and lock what is beyond its
    /// limits (the grace period starts).
    Expire {
        email: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("COFFER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // COFFER_LOG_FORMAT=json: one JSON object per line, for log collectors.
    if std::env::var("COFFER_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    coffer_server::install_crypto_provider();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match cli.command {
        Command::Serve { listen, storage } => {
            let config = load(&storage, listen)?;
            runtime.block_on(run(config))
        }
        Command::Jobs {
            command: JobsCommand::Run { now, storage },
        } => {
            let config = load(&storage, None)?;
            let clock: Arc<dyn Clock> = match now {
                Some(now) => Arc::new(ManualClock::new(
                    time::OffsetDateTime::parse(
                        &now,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .with_context(|| format!("--now {now} is not an RFC 3339 instant"))?,
                )),
                None => Arc::new(SystemClock),
            };
            runtime.block_on(async {
                let app = App::from_config(&config, clock).await?;
                let report = app.run_jobs().await?;
                println!(
                    "renewed: {}\ndowngraded: {}\nwarnings: {}\npurged_items: {}\nreminders: {}\nmails_sent: {}\nmails_failed: {}",
                    report.renewed,
                    report.downgraded,
                    report.warnings,
                    report.purged_items,
                    report.reminders,
                    report.mails_sent,
                    report.mails_failed
                );
                Ok(())
            })
        }
        Command::Admin { command } => runtime.block_on(admin(command)),
    }
}

fn load(storage: &StorageArgs, listen: Option<SocketAddr>) -> anyhow::Result<Config> {
    Config::load(&Overrides {
        config_file: storage.config.clone(),
        listen,
        data_dir: storage.data_dir.clone(),
    })
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    let app = |storage: &StorageArgs| {
        let config = load(storage, None);
        async move { App::from_config(&config?, Arc::new(SystemClock)).await }
    };
    match command {
        AdminCommand::Account {
            command: AccountCommand::Show { email, storage },
        } => print!("{}", app(&storage).await?.admin_account_show(&email).await?),
        AdminCommand::Account {
            command: AccountCommand::Verify { email, storage },
        } => {
            app(&storage).await?.admin_verify_email(&email).await?;
            println!("the address {email} is verified");
        }
        AdminCommand::Plan {
            command:
                PlanCommand::Grant {
                    email,
                    plan,
                    until,
                    storage,
                },
        } => {
            let end = app(&storage)
                .await?
                .admin_plan_grant(&email, &plan, &until)
                .await?;
            println!("granted {plan} to {email} until {end}");
        }
        AdminCommand::Plan {
            command: PlanCommand::Expire { email, storage },
        } => {
            if app(&storage).await?.admin_plan_expire(&email).await? {
                println!("expired the paid plan of {email}");
            } else {
                println!("{email} has no paid plan");
            }
        }
    }
    Ok(())
}

async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting");
    let app = App::from_config(&config, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!("coffer-server listening on http://{local}");
    tracing::info!(%local, "listening");
    coffer_server::maintenance::spawn(
        app.clone(),
        Duration::from_secs(config.maintenance_interval_secs.max(1)),
    );
    coffer_server::serve(app, listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
