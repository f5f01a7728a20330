//! A scratch directory with a vault in it, driven through the real `coffer` binary; shared by
//! the CLI test files (each adds the helpers only it needs in its own `impl Sandbox`).
#![allow(dead_code)] // each test binary uses a different part

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";
pub const PASSPHRASE: &str = "a long backup passphrase";

pub struct Sandbox {
    pub root: TempDir,
    pub vault: PathBuf,
}

impl Sandbox {
    /// A fresh vault (PBKDF2 keeps the many unlocks of a test quick; Argon2id has its own tests).
    pub fn new() -> Self {
        let sandbox = Self::empty();
        sandbox.ok(&[
            "init",
            "--kdf",
            "pbkdf2",
            "--recovery-file",
            sandbox.path("phrase").to_str().unwrap(),
        ]);
        sandbox
    }

    /// The directory only; no vault yet.
    pub fn empty() -> Self {
        let root = TempDir::new().unwrap();
        let vault = root.path().join("vault");
        Self { root, vault }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Writes a file (creating its folders) and returns its path.
    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.path(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        path
    }

    /// `coffer --vault VAULT ARGS` with the test password and backup passphrase, no terminal.
    pub fn command_for(&self, vault: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
        cmd.arg("--vault")
            .arg(vault)
            .args(args)
            .env("COFFER_PASSWORD", PASSWORD)
            .env("COFFER_BACKUP_PASSPHRASE", PASSPHRASE)
            .env_remove("COFFER_NEW_PASSWORD")
            .env_remove("COFFER_VAULT")
            .stdin(Stdio::null());
        cmd
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_for(&self.vault, args)
    }

    pub fn run_in(&self, vault: &Path, args: &[&str]) -> Output {
        self.command_for(vault, args).output().unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(&self.vault, args)
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok_in(&self, vault: &Path, args: &[&str]) -> String {
        let out = self.run_in(vault, args);
        assert!(
            out.status.success(),
            "coffer {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_in(&self.vault, args)
    }

    /// Runs and insists on exit status `code`; returns stderr.
    pub fn fails_in(&self, vault: &Path, args: &[&str], code: i32) -> String {
        let out = self.run_in(vault, args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "coffer {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    pub fn fails(&self, args: &[&str], code: i32) -> String {
        self.fails_in(&self.vault, args, code)
    }
}
