//! The crash test: an import, an edit, a purge, a sync or a repair is killed (SIGKILL) at a
//! random moment, again and again; after each kill the vault opens, `verify` finds nothing
//! wrong, every change the killed process reported as committed is there, and nothing else was
//! lost. A killed sync is finished by the next one, and a second device then gets every
//! document whole.
//! 12 trials in `make test`; 100 with `COFFER_LONG=1` (`make test-long`). The seed of each
//! run is printed, and `COFFER_CRASH_SEED` replays one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::Duration;

use coffer_core::{DocumentId, LockedVault};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use coffer_core::sync;

use crate::support::{Scratch, content, ids, password};
use crate::sync::{LocalServer, new_email};
use crate::worker;

const TASKS: [&str; 6] = [
    "import-all",
    "import-batches",
    "edit-all",
    "purge-all",
    "sync",
    "repair",
];

/// What the vault must hold after a trial: every document with its content, and for those
/// being edited, the titles the edit may have left (the last one reported committed, or a
/// later one committed just before the kill).
struct Expected {
    content: BTreeMap<DocumentId, Vec<u8>>,
    titles: BTreeMap<DocumentId, String>,
}

fn trials() -> usize {
    if coffer_testkit::long_run() { 100 } else { 12 }
}

#[test]
fn a_kill_at_any_moment_of_import_batch_import_edit_purge_sync_or_repair_loses_nothing_committed() {
    let seed = std::env::var("COFFER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen::<u64>());
    eprintln!("crash test seed {seed} (COFFER_CRASH_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = LocalServer::start();
    for trial in 0..trials() {
        let task = TASKS[trial % TASKS.len()];
        run_trial(task, &mut rng, trial, &server);
    }
}

fn run_trial(task: &str, rng: &mut StdRng, trial: usize, server: &LocalServer) {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let mut expected = Expected {
        content: BTreeMap::new(),
        titles: BTreeMap::new(),
    };
    for i in 0..6 {
        let body = format!("document {i} of trial {trial}").into_bytes();
        let id = s.import(&mut vault, &format!("kept-{i}.txt"), &body);
        expected.content.insert(id, body);
    }
    drop(vault);
    let incoming = s.path("incoming");
    fs::create_dir(&incoming).unwrap();
    let mut incoming_bodies = BTreeSet::new();
    for i in 0..40 {
        // Some files large enough to be killed while their blob is written.
        let size = if i % 7 == 0 { 3_000_000 } else { 2_000 };
        let mut body = vec![0u8; size];
        rng.fill(&mut body[..]);
        fs::write(incoming.join(format!("new-{i:02}.bin")), &body).unwrap();
        incoming_bodies.insert(body);
    }
    // A sync has all of them to push, to an account of its own.
    let email = new_email();
    if task == "sync" {
        let mut vault = s.open().unwrap();
        sync::register(&mut vault, &server.credentials(&email)).unwrap();
        for body in &incoming_bodies {
            let id = s.import(&mut vault, "to-push.bin", body);
            expected.content.insert(id, body.clone());
        }
    }

    let mut child = worker::spawn(task, &s.vault, &incoming, None);
    // Unlocking takes a moment; kill anywhere from before it is done to well into the work.
    std::thread::sleep(Duration::from_millis(rng.gen_range(50..1_500)));
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stdout);
    let context = format!("trial {trial} ({task})");

    let mut edited: BTreeMap<DocumentId, String> = BTreeMap::new();
    let mut purged = BTreeSet::new();
    let mut imported = BTreeSet::new();
    for line in log.lines() {
        // The first report shares its line with libtest's "test worker::worker ... ".
        let line = ["IMPORTED ", "EDITED ", "PURGED "]
            .iter()
            .find_map(|marker| line.find(marker).map(|at| &line[at..]))
            .unwrap_or(line);
        let mut words = line.splitn(3, ' ');
        let (Some(what), Some(id)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(id) = id.parse::<DocumentId>() else {
            continue;
        };
        match what {
            "IMPORTED" => {
                imported.insert(id);
            }
            "EDITED" => {
                edited.insert(id, words.next().unwrap_or_default().to_owned());
            }
            "PURGED" => {
                purged.insert(id);
            }
            _ => {}
        }
    }
    for id in &purged {
        expected.content.remove(id);
    }
    expected.titles = edited;

    let vault = match s.open() {
        Ok(vault) => vault,
        // A repair killed before it put the new database in place leaves it to be run again;
        // it must then finish and bring everything back.
        Err(e) if task == "repair" => {
            eprintln!("{context}: after the kill: {e}; repairing again");
            LockedVault::open(&s.vault)
                .unwrap()
                .repair(&password())
                .unwrap_or_else(|e| panic!("{context}: repair again: {e}"));
            s.open()
                .unwrap_or_else(|e| panic!("{context}: open after repair: {e}"))
        }
        Err(e) => panic!("{context}: the vault does not open after the kill: {e}"),
    };
    let report = vault.verify(false, &mut |_| {}).unwrap();
    assert!(report.is_clean(), "{context}: {:?}", report.problems);

    let present: BTreeSet<DocumentId> = ids(&vault).into_iter().collect();
    // A purge killed after its commit but before it said so has taken one more.
    let unreported_purge = usize::from(task == "purge-all");
    let missing: Vec<_> = expected
        .content
        .keys()
        .filter(|id| !present.contains(id))
        .collect();
    assert!(
        missing.len() <= unreported_purge,
        "{context}: lost {missing:?}; the killed process said:\n{log}"
    );
    for (id, body) in expected
        .content
        .iter()
        .filter(|(id, _)| present.contains(id))
    {
        assert_eq!(&content(&vault, *id), body, "{context}: {id}'s content");
    }
    for id in &purged {
        assert!(!present.contains(id), "{context}: purged {id} came back");
    }
    for id in &imported {
        assert!(present.contains(id), "{context}: imported {id} was lost");
        assert!(
            incoming_bodies.contains(&content(&vault, *id)),
            "{context}: {id}'s content"
        );
    }
    for id in &present {
        let doc = vault.document(*id).unwrap();
        if let Some(title) = expected.titles.get(id) {
            let round = |t: &str| t.strip_prefix("title ").and_then(|n| n.parse::<u32>().ok());
            let (now, reported) = (round(&doc.fields.title), round(title));
            assert!(
                now.is_some() && now >= reported,
                "{context}: {id} has title {:?}, was committed as {title:?}",
                doc.fields.title
            );
        }
    }
    // Only documents the vault had or the import reported (or committed just before the kill)
    // are there; nothing half-imported shows.
    for id in present.difference(&expected.content.keys().copied().collect()) {
        assert!(task.starts_with("import-"), "{context}: {id} appeared");
        assert!(incoming_bodies.contains(&content(&vault, *id)));
    }
    assert!(
        s.tmp_files().is_empty(),
        "{context}: the unlock swept the leftovers"
    );
    if task == "sync" {
        finish_sync(vault, &s, server, &email, &expected, &context);
    }
}

/// After a killed sync: the next one completes, and a new device gets every document whole.
fn finish_sync(
    mut vault: coffer_core::Vault,
    s: &Scratch,
    server: &LocalServer,
    email: &str,
    expected: &Expected,
    context: &str,
) {
    sync::sync(&mut vault, None, &mut |_| {})
        .unwrap_or_else(|e| panic!("{context}: the sync after the kill: {e}"));
    let mut other = sync::init_from_server(
        s.path("other device"),
        &server.credentials(email),
        std::sync::Arc::new(coffer_core::SystemClock),
    )
    .unwrap();
    sync::sync(&mut other, None, &mut |_| {}).unwrap();
    assert_eq!(
        ids(&other),
        expected.content.keys().copied().collect::<Vec<_>>(),
        "{context}: the other device has every document"
    );
    for (id, body) in &expected.content {
        assert_eq!(
            &content(&other, *id),
            body,
            "{context}: {id} on the other device"
        );
    }
}
