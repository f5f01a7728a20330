//! `coffer-local-server SERVER_BIN DATA_DIR`: starts `SERVER_BIN serve` on a free loopback
//! port with its data in DATA_DIR (logs appended to DATA_DIR/serve.log), waits for its ready
//! line, prints `URL PID` and leaves it running, for `make run` and the app's end-to-end suite
//! (`scripts/app-server.sh`). The caller stops it with `kill PID`.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [binary, data] = args.as_slice() else {
        eprintln!("usage: coffer-local-server SERVER_BIN DATA_DIR");
        return ExitCode::from(2);
    };
    let log = std::fs::create_dir_all(data).and_then(|()| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("serve.log"))
    });
    let log = match log {
        Ok(log) => log,
        Err(e) => {
            eprintln!(
                "coffer-local-server: cannot write in {}: {e}",
                data.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let mut cmd =
        coffer_testkit::server::command(binary, &["serve", "--listen", "127.0.0.1:0"], data);
    cmd.stderr(log);
    if let Some(level) = std::env::var_os("COFFER_LOG") {
        cmd.env("COFFER_LOG", level);
    }
    let (child, url) = coffer_testkit::server::spawn(&mut cmd);
    println!("{url} {}", child.id());
    ExitCode::SUCCESS
}
