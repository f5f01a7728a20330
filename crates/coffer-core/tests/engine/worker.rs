//! Work a test needs done in another process (to kill it, or to run it with a file-size
//! limit): this binary runs again with `COFFER_ENGINE_WORKER=<what>` and only the `worker`
//! test, which does the work and exits.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use std::io::Write;

use coffer_core::{DocumentEdit, ImportOptions, ImportOutcome};

const WORKER: &str = "COFFER_ENGINE_WORKER";

/// Runs `what` on the vault in `dir` in a new process; `limit_kib` sets RLIMIT_FSIZE (writes
/// past it fail with EFBIG, as on a full disk).
pub fn spawn(what: &str, dir: &Path, arg: &Path, limit_kib: Option<u64>) -> std::process::Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match limit_kib {
        Some(kib) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""))
                .arg(exe);
            sh
        }
        None => Command::new(exe),
    };
    cmd.args([
        "--exact",
        "worker::worker",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(WORKER, what)
    .env("COFFER_ENGINE_VAULT", dir)
    .env("COFFER_ENGINE_ARG", arg)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

pub fn run(what: &str, dir: &Path, arg: &Path, limit_kib: Option<u64>) -> Output {
    spawn(what, dir, arg, limit_kib).wait_with_output().unwrap()
}

/// Says, on a line of its own and at once, that a change was committed.
fn committed(what: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{what}").unwrap();
    out.flush().unwrap();
}

/// The files of `dir`, by name.
fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Not a test of its own: the body of the worker process (it does nothing otherwise).
#[test]
fn worker() {
    let Ok(what) = std::env::var(WORKER) else {
        return;
    };
    let dir = std::env::var_os("COFFER_ENGINE_VAULT").unwrap();
    let arg = std::env::var_os("COFFER_ENGINE_ARG").unwrap();
    let result = (|| -> coffer_core::Result<()> {
        let mut vault = crate::support::open(Path::new(&dir))?;
        match what.as_str() {
            "open" => Ok(()),
            "import" => vault
                .import(Path::new(&arg), &ImportOptions::default())
                .map(drop),
            // The crash test's tasks (crash.rs): each prints a line once a change is
            // committed, and is killed at a random moment.
            "import-all" => {
                let files = files_in(Path::new(&arg));
                for file in files {
                    if let ImportOutcome::Imported(doc) =
                        vault.import(&file, &ImportOptions::default())?
                    {
                        committed(format_args!("IMPORTED {}", doc.id));
                    }
                }
                Ok(())
            }
            "import-batches" => {
                let files = files_in(Path::new(&arg));
                vault.import_many(&files, &ImportOptions::default(), |answers| {
                    for (_, answer) in answers {
                        if let Ok(ImportOutcome::Imported(doc)) = answer {
                            committed(format_args!("IMPORTED {}", doc.id));
                        }
                    }
                })
            }
            "edit-all" => {
                for round in 0.. {
                    for id in crate::support::ids(&vault) {
                        let title = format!("title {round}");
                        let edit = DocumentEdit {
                            title: Some(title.clone()),
                            ..Default::default()
                        };
                        vault.edit(id, &edit)?;
                        committed(format_args!("EDITED {id} {title}"));
                    }
                }
                Ok(())
            }
            "purge-all" => {
                for id in crate::support::ids(&vault) {
                    vault.trash(id)?;
                    vault.purge(id)?;
                    committed(format_args!("PURGED {id}"));
                }
                Ok(())
            }
            "sync" => {
                coffer_core::sync::sync(&mut vault, None, &mut |_| {})
                    .map_err(|e| coffer_core::Error::InvalidInput(e.to_string()))?;
                committed(format_args!("SYNCED"));
                Ok(())
            }
            "repair" => {
                drop(vault);
                coffer_core::LockedVault::open(Path::new(&dir))?
                    .repair(&crate::support::password())
                    .map(drop)
            }
            other => panic!("unknown worker task {other}"),
        }
    })();
    match result {
        Ok(()) => println!("WORKER-OK"),
        Err(e) => println!("WORKER-ERROR {e}"),
    }
}
