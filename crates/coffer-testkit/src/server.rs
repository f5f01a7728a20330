//! A real `coffer-server` for tests and benchmarks: started on a free loopback port
//! (`--listen 127.0.0.1:0`), found by the one line it prints on stdout once it accepts
//! connections, `coffer-server listening on http://HOST:PORT` (ARCHITECTURE.md), and killed
//! when dropped; the same server restarts on its port, and an operator's `coffer-server admin`
//! runs beside it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
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
    "COFFER_SMTP_URL",
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

/// The `coffer-server` binary of this build: `$COFFER_SERVER_BIN`, else the one in the target
/// directory of the running test or tool (`target/debug/deps/NAME-HASH` and `target/debug/NAME`
/// both look in `target/debug/`). Panics with how to build it when it is missing.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("COFFER_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the running executable's path");
    let mut dir = exe
        .parent()
        .expect("the executable's directory")
        .to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let server = dir.join("coffer-server");
    assert!(
        server.is_file(),
        "{} is missing; build it first: cargo build -p coffer-server",
        server.display()
    );
    server
}

/// A `coffer-server serve` process on 127.0.0.1, killed when dropped. It restarts on the same
/// port (where clients expect it) with the same data and environment.
pub struct ServerProcess {
    binary: PathBuf,
    pub data: PathBuf,
    env: Vec<(String, String)>,
    listen: String,
    child: Option<Child>,
    pub url: String,
    _scratch: Option<tempfile::TempDir>,
}

impl ServerProcess {
    /// `binary serve --listen 127.0.0.1:0 --data DATA` with `env` (and none of [`HOST_ENV`]).
    pub fn start(binary: &Path, data: &Path, env: &[(&str, &str)]) -> Self {
        let mut server = Self {
            binary: binary.to_owned(),
            data: data.to_owned(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            listen: "127.0.0.1:0".into(),
            child: None,
            url: String::new(),
            _scratch: None,
        };
        server.spawn();
        server
    }

    /// [`ServerProcess::start`] of [`binary`] with its data in a directory of its own, removed
    /// with it.
    pub fn in_scratch_dir(env: &[(&str, &str)]) -> Self {
        let scratch = tempfile::TempDir::new().expect("a scratch directory");
        let mut server = Self::start(&binary(), &scratch.path().join("server"), env);
        server._scratch = Some(scratch);
        server
    }

    /// `coffer-server ARGS --data DATA` with this server's environment (an operator's command
    /// beside it).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command(&self.binary, args, &self.data);
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd
    }

    /// Runs `coffer-server ARGS` on this server's data, insists on success, returns stdout.
    pub fn operate(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("run coffer-server");
        assert!(
            out.status.success(),
            "coffer-server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// `coffer-server admin ARGS`, as support would run it (plans granted or expired).
    pub fn admin(&self, args: &[&str]) {
        self.operate(&[&["admin"][..], args].concat());
    }

    fn spawn(&mut self) {
        let mut cmd = self.command(&["serve", "--listen", &self.listen]);
        cmd.stderr(Stdio::inherit());
        let (child, url) = spawn(&mut cmd);
        self.listen = url.trim_start_matches("http://").to_owned();
        self.url = url;
        self.child = Some(child);
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills it and starts it again on the same port, data and environment.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The running server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Leaves `name` out of the environment from the next (re)start on.
    pub fn without_env(&mut self, name: &str) {
        self.env.retain(|(k, _)| k != name);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
