//! `coffer-server serve [--listen ADDR:PORT] [--data DIR] [--config FILE]`

#![forbid(unsafe_code)]

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use coffer_server::app::App;
use coffer_server::clock::SystemClock;
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

#[derive(Subcommand)]
enum Command {
    /// Run the server (SQLite and a blob directory under the data directory unless configured
    /// otherwise; see the config file keys and COFFER_* variables in the documentation).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8321]; port 0 picks a free one.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Data directory for the SQLite database and blobs.
        #[arg(long = "data")]
        data_dir: Option<PathBuf>,
        /// TOML configuration file (also $COFFER_CONFIG).
        #[arg(long)]
        config: Option<PathBuf>,
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
    let Command::Serve {
        listen,
        data_dir,
        config,
    } = cli.command;
    let config = Config::load(&Overrides {
        config_file: config,
        listen,
        data_dir,
    })?;
    tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")?
        .block_on(run(config))
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
