//! How strongly the password is stretched. Changing it re-wraps the vault key only (no
//! document is re-encrypted) and needs the current password, checked by a real unlock.

use std::sync::Arc;

use coffer_core::{KdfParams, LockedVault};
use secrecy::SecretString;
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use super::{Result, blocking};
use crate::session::Session;

/// The strengths offered in the settings; each is at or above the floor the engine enforces.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, TS)]
#[serde(rename_all = "lowercase")]
pub enum KdfStrength {
    /// Argon2id 128 MiB, t=3, p=4: about a second on a slow machine.
    Standard,
    /// Argon2id 256 MiB, t=4, p=4.
    Strong,
    /// Argon2id 1 GiB, t=4, p=4: several seconds per unlock.
    Maximum,
    /// PBKDF2-SHA256, 600,000 rounds, for machines short of memory.
    Compatible,
}

impl KdfStrength {
    fn params(self) -> KdfParams {
        let argon2 = |memory_mib: u32, passes: u32| KdfParams::Argon2id {
            memory_kib: memory_mib * 1024,
            passes,
            lanes: 4,
        };
        match self {
            Self::Standard => KdfParams::default_argon2id(),
            Self::Strong => argon2(256, 4),
            Self::Maximum => argon2(1024, 4),
            Self::Compatible => KdfParams::default_pbkdf2(),
        }
    }
}

/// Re-wraps the vault key under the same password with a new key-derivation strength.
#[tauri::command]
pub async fn change_kdf(
    session: State<'_, Arc<Session>>,
    password: String,
    strength: KdfStrength,
) -> Result<()> {
    let password = SecretString::from(password);
    blocking(&session, move |session| {
        let dir = session.with_vault(|vault| Ok(vault.dir().to_path_buf()))?;
        // A wrong password must not be able to set a new one: prove it with a real unlock.
        LockedVault::open(&dir)?.unlock(&password)?;
        session.with_vault(|vault| vault.change_password(&password, strength.params()))
    })
    .await
}
