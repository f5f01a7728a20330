//! A sync tool (or a home-folder backup) copying the vault directory file by file, in any
//! order, while Coffer imports: the copy either opens or is refused with a clear error, never
//! shows something half-written, and `repair` brings back every document whose encrypted file
//! made it into the copy. 4 trials in `make test`; 25 with `COFFER_LONG=1`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coffer_core::{Error, LockedVault};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::support::{Scratch, all_files, blob_files, content, copy_dir, ids, open, password};
use crate::worker;

fn trials() -> usize {
    if coffer_testkit::long_run() { 25 } else { 4 }
}

/// Copies the files of `from` that are there now into `to`, one by one in a random order with
/// pauses between them, as a file-sync tool would (a file that vanished meanwhile is skipped).
fn copy_files_slowly(from: &Path, to: &Path, rng: &mut StdRng) {
    let mut files = all_files(from);
    files.shuffle(rng);
    for file in files {
        let target = to.join(file.strip_prefix(from).unwrap());
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        if let Ok(bytes) = fs::read(&file) {
            fs::write(&target, bytes).unwrap();
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..15)));
    }
}

#[test]
fn a_copy_made_file_by_file_during_an_import_opens_or_is_refused_and_repair_recovers_its_blobs() {
    let seed = rand::thread_rng().r#gen::<u64>();
    eprintln!("copy test seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    for trial in 0..trials() {
        run_trial(&mut rng, trial);
    }
}

fn run_trial(rng: &mut StdRng, trial: usize) {
    let s = Scratch::new();
    let mut bodies = BTreeSet::new();
    {
        let mut vault = s.open().unwrap();
        for i in 0..4 {
            let body = format!("document {i} of trial {trial}").into_bytes();
            s.import(&mut vault, &format!("kept-{i}.txt"), &body);
            bodies.insert(body);
        }
    }
    let incoming = s.path("incoming");
    fs::create_dir(&incoming).unwrap();
    for i in 0..30 {
        let mut body = vec![0u8; if i % 6 == 0 { 1_500_000 } else { 3_000 }];
        rng.fill(&mut body[..]);
        fs::write(incoming.join(format!("new-{i:02}.bin")), &body).unwrap();
        bodies.insert(body);
    }
    // The destination already holds an older copy, as after an earlier run of the sync tool.
    let copy: PathBuf = s.path("copy");
    copy_dir(&s.vault, &copy);

    let mut child = worker::spawn("import-all", &s.vault, &incoming, None);
    std::thread::sleep(Duration::from_millis(rng.gen_range(0..400)));
    copy_files_slowly(&s.vault, &copy, rng);
    let _ = child.kill();
    child.wait().unwrap();
    let context = format!("trial {trial}");

    match open(&copy) {
        Ok(vault) => {
            // What it lists is whole, or named as missing by verify; never other bytes.
            let report = vault.verify(true, &mut |_| {}).unwrap();
            let unreadable: BTreeSet<_> = report
                .problems
                .iter()
                .filter_map(|p| match p {
                    coffer_core::Problem::Missing { id, .. } => Some(*id),
                    _ => None,
                })
                .collect();
            for id in ids(&vault) {
                if !unreadable.contains(&id) {
                    assert!(bodies.contains(&content(&vault, id)), "{context}: {id}");
                }
            }
        }
        Err(
            Error::DatabaseOlder { .. }
            | Error::DatabaseForeign
            | Error::DatabaseEmpty
            | Error::DatabaseMissing
            | Error::DatabaseUnreadable
            | Error::DatabaseDamaged(_),
        ) => {}
        Err(e) => panic!("{context}: the copy is refused with an unclear error: {e}"),
    }

    let copied_blobs = blob_files(&copy).len();
    let report = LockedVault::open(&copy)
        .unwrap()
        .repair(&password())
        .unwrap_or_else(|e| panic!("{context}: repair of the copy: {e}"));
    let vault = open(&copy).unwrap_or_else(|e| panic!("{context}: open after repair: {e}"));
    // Every encrypted file copied is a document again, whole; what the copied database or
    // journal knew without its file stays listed, reported as missing its content.
    let mut readable = 0;
    for id in ids(&vault) {
        let mut bytes = Vec::new();
        match vault.read_content(id, &mut bytes) {
            Ok(_) => {
                assert!(bodies.contains(&bytes), "{context}: {id}");
                readable += 1;
            }
            Err(_) => assert!(report.missing_content.contains(&id), "{context}: {id}"),
        }
    }
    // A committed file still in blobs/tmp/ (the import was between its commit and its move)
    // is moved into place too.
    assert!(
        readable >= copied_blobs,
        "{context}: {readable} of {copied_blobs} back"
    );
    assert_eq!(
        readable,
        blob_files(&copy).len(),
        "{context}: one document per file"
    );
    let problems = vault.verify(false, &mut |_| {}).unwrap().problems;
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, coffer_core::Problem::Missing { .. })),
        "{context}: {problems:?}"
    );
}
