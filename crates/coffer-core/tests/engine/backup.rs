//! Backups survive a damaged document (the rest is backed up, the damaged one is named), and
//! carry the vault's header so a restore can recreate the vault itself.

use std::fs;
use std::sync::Arc;

use coffer_core::backup::{BackupEncryption, NewVault, RestoreKey, restore_backup, write_backup};
use coffer_core::{KdfParams, LockedVault, RecoveryPhrase, SystemClock};
use rand::rngs::OsRng;
use secrecy::SecretString;

use crate::support::{Scratch, content, ids, password};

fn passphrase() -> SecretString {
    SecretString::from("backup passphrase for tests")
}

#[test]
fn a_damaged_document_is_left_out_named_and_the_rest_is_backed_up() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let good = s.import(&mut vault, "good.txt", b"a good receipt");
    let bad = s.import(&mut vault, "bad.txt", &vec![4u8; 100_000]);
    drop(vault);
    // Damage the second document's blob (the one verify names as missing when moved away).
    let mut damaged = false;
    for file in s.blob_files() {
        let bytes = fs::read(&file).unwrap();
        if bytes.len() > 100_000 {
            let mut bytes = bytes;
            let at = bytes.len() - 50;
            bytes[at] ^= 1;
            fs::write(&file, bytes).unwrap();
            damaged = true;
        }
    }
    assert!(damaged);
    let vault = s.open().unwrap();
    let out = s.path("backup.age");
    let summary = write_backup(
        &vault,
        &BackupEncryption::Passphrase(passphrase()),
        &out,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(summary.documents, 1);
    assert_eq!(summary.left_out.len(), 1);
    assert_eq!(summary.left_out[0].0, bad);
    assert_eq!(summary.left_out[0].1, "bad");

    let target = s.path("restored");
    let phrase = RecoveryPhrase::generate(&mut OsRng);
    restore_backup(
        &out,
        &RestoreKey::Passphrase(passphrase()),
        &target,
        NewVault {
            password: &password(),
            params: KdfParams::default_pbkdf2(),
            phrase: Some(&phrase),
            clock: Arc::new(SystemClock),
        },
        &mut |_| {},
    )
    .unwrap();
    let restored = crate::support::open(&target).unwrap();
    assert_eq!(ids(&restored), [good]);
    assert_eq!(content(&restored, good), b"a good receipt");
}

#[test]
fn a_restore_recreates_the_backed_up_vault_itself_from_its_header() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let id = s.import(&mut vault, "kettle.txt", b"kettle");
    let info = vault.info().unwrap();
    let out = s.path("backup.age");
    write_backup(
        &vault,
        &BackupEncryption::Passphrase(passphrase()),
        &out,
        &mut |_| {},
    )
    .unwrap();
    drop(vault);
    let target = s.path("again");
    let wrong = restore_backup(
        &out,
        &RestoreKey::Passphrase(passphrase()),
        &target,
        NewVault {
            password: &SecretString::from("not the vault's password"),
            params: KdfParams::default_pbkdf2(),
            phrase: None,
            clock: Arc::new(SystemClock),
        },
        &mut |_| {},
    );
    assert!(wrong.is_err());
    assert!(!target.exists(), "nothing is left of a refused restore");
    restore_backup(
        &out,
        &RestoreKey::Passphrase(passphrase()),
        &target,
        NewVault {
            password: &password(),
            params: KdfParams::default_pbkdf2(),
            phrase: None,
            clock: Arc::new(SystemClock),
        },
        &mut |_| {},
    )
    .unwrap();
    let again = LockedVault::open(&target)
        .unwrap()
        .unlock(&password())
        .unwrap()
        .vault;
    assert_eq!(again.info().unwrap().vault_id, info.vault_id);
    assert_eq!(content(&again, id), b"kettle");
}
