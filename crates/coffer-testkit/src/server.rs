//! A real `coffer-server` for tests and benchmarks: started on a free loopback port
//! (`--listen 127.0.0.1:0`), found by the one line it prints on stdout once it accepts
//! connections, `coffer-server listening on http://HOST:PORT` (ARCHITECTURE.md), and killed
//! when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The server's ready line up to its address.
pub const READY_LINE: &str = "coffer-server listening on ";

/// Variables of the caller's environment that would change what a test server does; a test
/// that wants one sets it again on the command.
pub const HOST_ENV: &[&str] = &[
    "COFFER_PLANS_FILE",
    "COFFER_DATABASE_URL",
    "COFFER_BLOB_STORE",
    "COFFER_REDIS_URL",
    "COFFER_CONFIG",
    "COFFER_STRIPE_SECRET_KEY",
    "COFFER_COMGATE_MERCHANT",
];

/// `BINARY ARGS --data DATA` with warnings-only logging and none of `HOST_ENV`.
pub fn command(binary: &Path, args: &[&str], data: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .arg("--data")
        .arg(data)
        .env("COFFER_LOG", "warn");
    for var in HOST_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// Starts `serve` from `cmd` and waits for its ready line: the child and the server's URL.
/// Panics with the line it got instead, so a server that cannot start says why.
pub fn spawn(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .expect("start coffer-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read coffer-server's ready line");
    match line.trim().strip_prefix(READY_LINE) {
        Some(url) => (child, url.to_owned()),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("coffer-server did not start: its first line was {line:?}")
        }
    }
}

/// A server process that is killed when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub url: String,
}

impl ServerProcess {
    /// `coffer-server serve --listen 127.0.0.1:0 --data DATA` from `binary`, with `env`.
    pub fn start(binary: &Path, data: &Path, env: &[(&str, &str)]) -> Self {
        let mut cmd = command(binary, &["serve", "--listen", "127.0.0.1:0"], data);
        cmd.envs(env.iter().copied()).stderr(Stdio::null());
        let (child, url) = spawn(&mut cmd);
        Self { child, url }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
