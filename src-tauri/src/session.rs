//! The app's one piece of state: the vault while it is open, the recovery phrase while a new
//! vault is being set up, and when the person last did something (for the idle lock).
//! Dropping the `Vault` forgets every key, so "lock" is simply taking it out of here.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use coffer_core::{KdfParams, LockedVault, RecoveryPhrase, Vault};
use serde::Serialize;
use ts_rs::TS;

use crate::error::CommandError;
use crate::settings::Settings;

/// Where the app keeps things, how strongly a new vault's password is stretched, and which
/// payment pages it opens.
#[derive(Clone, Debug)]
pub struct AppPaths {
    pub vault_dir: PathBuf,
    pub settings_file: PathBuf,
    pub kdf: KdfParams,
    /// Hosts whose https checkout pages the app opens: the payment providers' own, plus a
    /// test stand-in's from `$COFFER_CHECKOUT_HOSTS` (comma-separated).
    pub checkout_hosts: Vec<String>,
}

/// The hosts of the payment providers' checkout pages (Stripe Checkout, Comgate).
pub const PROVIDER_CHECKOUT_HOSTS: [&str; 2] = ["checkout.stripe.com", "payments.comgate.cz"];

/// [`PROVIDER_CHECKOUT_HOSTS`] and the ones `extra` names (comma-separated).
pub fn checkout_hosts(extra: Option<&str>) -> Vec<String> {
    PROVIDER_CHECKOUT_HOSTS
        .iter()
        .map(|h| h.to_string())
        .chain(
            extra
                .unwrap_or("")
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty()),
        )
        .collect()
}

impl AppPaths {
    /// `$COFFER_VAULT` or the platform data directory (shared with the `coffer` command), and
    /// the settings file in the platform config directory.
    pub fn from_environment() -> Result<Self, String> {
        let dirs = directories::ProjectDirs::from("", "", "coffer")
            .ok_or("no home directory to keep the vault in; set $COFFER_VAULT")?;
        let vault_dir = std::env::var_os("COFFER_VAULT")
            .map(PathBuf::from)
            .unwrap_or_else(|| dirs.data_dir().join("vault"));
        Ok(Self {
            vault_dir,
            settings_file: dirs.config_dir().join("app.json"),
            kdf: KdfParams::default_argon2id(),
            checkout_hosts: checkout_hosts(std::env::var("COFFER_CHECKOUT_HOSTS").ok().as_deref()),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum VaultState {
    /// No vault yet: the first-run screen.
    Missing,
    Locked,
    Unlocked,
}

struct Inner {
    vault: Option<Vault>,
    pending_phrase: Option<RecoveryPhrase>,
    last_activity: Instant,
}

/// What the person agreed to send, and to whom, as the consent dialog showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteConsent {
    pub documents: Vec<coffer_core::DocumentId>,
    pub provider: coffer_ocr::Provider,
    pub endpoint: String,
    pub model: String,
}

/// How long a consent stays good, and how many wait at most (older ones are dropped).
const CONSENT_LIFETIME: Duration = Duration::from_secs(15 * 60);
const MAX_CONSENTS: usize = 16;

pub struct Session {
    paths: AppPaths,
    inner: Mutex<Inner>,
    settings: Mutex<Settings>,
    /// OCR runs in progress, at most one per core (each Tesseract single-threaded).
    ocr: (Mutex<usize>, Condvar),
    watched: Mutex<Vec<PathBuf>>,
    /// Remote OCR the person agreed to in the consent dialog, by one-time token. Its own lock:
    /// commands ask for it while they hold the vault's.
    consents: Mutex<Vec<(String, RemoteConsent, Instant)>>,
}

/// How many recognitions run at once: the cores, at most four.
fn ocr_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// A core held for one recognition; given back when dropped.
pub struct OcrTurn<'a> {
    session: &'a Session,
}

impl Drop for OcrTurn<'_> {
    fn drop(&mut self) {
        let (running, free) = &self.session.ocr;
        *guard(running) -= 1;
        free.notify_one();
    }
}

/// Files from the watched folder waiting to be imported, at most: a runaway copy into the
/// folder must not grow memory without bound.
const MAX_WATCHED_FILES: usize = 10_000;

/// A poisoned lock only means another command panicked; the state itself is still coherent.
fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Session {
    pub fn new(paths: AppPaths) -> Self {
        let settings = Settings::load(&paths.settings_file);
        Self {
            paths,
            inner: Mutex::new(Inner {
                vault: None,
                pending_phrase: None,
                last_activity: Instant::now(),
            }),
            consents: Mutex::new(Vec::new()),
            settings: Mutex::new(settings),
            ocr: (Mutex::new(0), Condvar::new()),
            watched: Mutex::new(Vec::new()),
        }
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    pub fn state(&self) -> Result<VaultState, CommandError> {
        if guard(&self.inner).vault.is_some() {
            return Ok(VaultState::Unlocked);
        }
        match LockedVault::open(&self.paths.vault_dir) {
            Ok(_) => Ok(VaultState::Locked),
            Err(coffer_core::Error::NotAVault(_)) => Ok(VaultState::Missing),
            Err(e) => Err(e.into()),
        }
    }

    /// Records that the person did something, which postpones the idle lock.
    pub fn touch(&self) {
        guard(&self.inner).last_activity = Instant::now();
    }

    /// How long ago the person last did something with the vault (a command, or `touch`).
    pub fn idle_for(&self) -> Duration {
        guard(&self.inner).last_activity.elapsed()
    }

    /// Runs `f` on the open vault, or answers "locked".
    pub fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> coffer_core::Result<T>,
    ) -> Result<T, CommandError> {
        self.with_open_vault(|vault| Ok(f(vault)?))
    }

    /// `with_vault` for work whose errors are not only the engine's (OCR, backups).
    pub fn with_open_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, CommandError>,
    ) -> Result<T, CommandError> {
        let mut inner = guard(&self.inner);
        inner.last_activity = Instant::now();
        let vault = inner.vault.as_mut().ok_or_else(CommandError::locked)?;
        f(vault)
    }

    /// `with_vault` for what the app does on its own (the hourly reminder check): it must not
    /// count as the person's activity, or the vault would never lock by itself.
    pub fn with_vault_in_background<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> coffer_core::Result<T>,
    ) -> Result<T, CommandError> {
        let mut inner = guard(&self.inner);
        let vault = inner.vault.as_mut().ok_or_else(CommandError::locked)?;
        Ok(f(vault)?)
    }

    /// Waits for a free core: one Tesseract per core at a time, each single-threaded (the app
    /// runs with `OMP_THREAD_LIMIT=1`), so a folder of receipts is read on every core without
    /// the engines slowing each other down.
    pub fn ocr_turn(&self) -> OcrTurn<'_> {
        let (running, free) = &self.ocr;
        let mut count = guard(running);
        while *count >= ocr_slots() {
            count = free
                .wait(count)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *count += 1;
        OcrTurn { session: self }
    }

    /// Files the watched folder reported, handed over once to the web view that imports them.
    pub fn take_watched_files(&self) -> Vec<PathBuf> {
        std::mem::take(&mut *guard(&self.watched))
    }

    /// Remembers new files in the watched folder (each once); returns whether any was new.
    pub fn add_watched_files(&self, paths: impl IntoIterator<Item = PathBuf>) -> bool {
        let mut watched = guard(&self.watched);
        let before = watched.len();
        for path in paths {
            if watched.len() < MAX_WATCHED_FILES && !watched.contains(&path) {
                watched.push(path);
            }
        }
        watched.len() > before
    }

    pub fn open(&self, vault: Vault) {
        let mut inner = guard(&self.inner);
        inner.vault = Some(vault);
        inner.pending_phrase = None;
        inner.last_activity = Instant::now();
    }

    /// Forgets the keys and anything half-created; returns whether a vault was open.
    pub fn lock(&self) -> bool {
        let mut inner = guard(&self.inner);
        inner.pending_phrase = None;
        guard(&self.consents).clear();
        inner.vault.take().is_some()
    }

    /// Records a consent to remote OCR; the one-time token that redeems it.
    pub fn grant_consent(&self, consent: RemoteConsent) -> String {
        let mut bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        let token = hex::encode(bytes);
        let mut consents = guard(&self.consents);
        let now = Instant::now();
        consents.retain(|(_, _, until)| *until > now);
        if consents.len() >= MAX_CONSENTS {
            consents.remove(0);
        }
        consents.push((token.clone(), consent, now + CONSENT_LIFETIME));
        token
    }

    /// Takes the consent `token` stands for (once), if it is still good.
    pub fn take_consent(&self, token: &str) -> Option<RemoteConsent> {
        let mut consents = guard(&self.consents);
        let at = consents.iter().position(|(t, _, _)| t == token)?;
        let (_, consent, until) = consents.remove(at);
        (until > Instant::now()).then_some(consent)
    }

    /// Locks when the vault has been idle for the configured time.
    pub fn lock_if_idle(&self, now: Instant) -> bool {
        let limit = Duration::from_secs(u64::from(self.settings().auto_lock_minutes) * 60);
        let mut inner = guard(&self.inner);
        if inner.vault.is_none() || now.saturating_duration_since(inner.last_activity) < limit {
            return false;
        }
        inner.vault = None;
        inner.pending_phrase = None;
        guard(&self.consents).clear();
        true
    }

    /// Keeps the phrase a new vault will be created with and hands back its words to show.
    pub fn start_new_phrase(&self, phrase: RecoveryPhrase) -> Vec<String> {
        let words = phrase
            .words()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        guard(&self.inner).pending_phrase = Some(phrase);
        words
    }

    pub fn take_pending_phrase(&self) -> Option<RecoveryPhrase> {
        guard(&self.inner).pending_phrase.take()
    }

    /// Puts back a phrase that `take_pending_phrase` handed out but that was not used, unless
    /// a newer one is waiting already.
    pub fn keep_pending_phrase(&self, phrase: RecoveryPhrase) {
        guard(&self.inner).pending_phrase.get_or_insert(phrase);
    }

    /// Whether each (1-based position, word) the person typed back matches the phrase being
    /// set up; `None` when no phrase is waiting.
    pub fn pending_words_match(&self, checks: &[(usize, &str)]) -> Option<bool> {
        let inner = guard(&self.inner);
        let words = inner.pending_phrase.as_ref()?.words();
        let words: Vec<&str> = words.split_whitespace().collect();
        Some(checks.iter().all(|(position, typed)| {
            position
                .checked_sub(1)
                .and_then(|i| words.get(i))
                .is_some_and(|word| word.eq_ignore_ascii_case(typed.trim()))
        }))
    }

    pub fn settings(&self) -> Settings {
        guard(&self.settings).clone()
    }

    pub fn save_settings(&self, settings: Settings) -> Result<Settings, CommandError> {
        let settings = settings.clamped();
        settings.save(&self.paths.settings_file).map_err(|e| {
            CommandError::new(
                "io",
                format!("the settings could not be saved: {e}; check the disk and try again"),
            )
        })?;
        *guard(&self.settings) = settings.clone();
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocr_runs_one_per_core_and_the_next_waits_for_a_free_one() {
        let dir = tempfile::tempdir().unwrap();
        let session = std::sync::Arc::new(Session::new(AppPaths {
            vault_dir: dir.path().join("vault"),
            settings_file: dir.path().join("app.json"),
            kdf: KdfParams::default_pbkdf2(),
            checkout_hosts: checkout_hosts(None),
        }));
        let held: Vec<_> = (0..ocr_slots()).map(|_| session.ocr_turn()).collect();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiting = std::sync::Arc::clone(&session);
        let thread = std::thread::spawn(move || {
            let _turn = waiting.ocr_turn();
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "every core is busy"
        );
        drop(held);
        rx.recv_timeout(Duration::from_secs(5))
            .expect("a core came free");
        thread.join().unwrap();
    }
}
