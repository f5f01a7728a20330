//! Where passwords and recovery phrases come from: environment variables for scripts, a
//! no-echo terminal prompt for people. Values are wrapped in `SecretString` at once.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, bail};
use coffer_core::RecoveryPhrase;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

const PASSWORD_ENV: &str = "COFFER_PASSWORD";
const NEW_PASSWORD_ENV: &str = "COFFER_NEW_PASSWORD";
/// Shorter passwords are refused when a vault is created or a password changed.
const MIN_PASSWORD_CHARS: usize = 8;

/// A secret from an environment variable, if it is set and not empty.
pub(crate) fn from_env(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
}

/// Asks without echo; without a terminal, says which variable a script should set instead.
pub(crate) fn prompt(label: &str, env_name: &str) -> anyhow::Result<SecretString> {
    rpassword::prompt_password(label)
        .map(SecretString::from)
        .map_err(|_| {
            anyhow::anyhow!("no terminal to ask for it; set ${env_name} when running from a script")
        })
}

/// The current vault password.
pub fn password() -> anyhow::Result<SecretString> {
    match from_env(PASSWORD_ENV) {
        Some(p) => Ok(p),
        None => prompt("Vault password: ", PASSWORD_ENV),
    }
}

fn check_strength(password: &SecretString) -> anyhow::Result<()> {
    if password.expose_secret().chars().count() < MIN_PASSWORD_CHARS {
        bail!(
            "the password is too short; use at least {MIN_PASSWORD_CHARS} characters (a few random words are best)"
        );
    }
    Ok(())
}

/// A password being set: from the first variable that is set, else asked twice.
pub fn new_password(env_names: &[&str]) -> anyhow::Result<SecretString> {
    if let Some(p) = env_names.iter().find_map(|n| from_env(n)) {
        check_strength(&p)?;
        return Ok(p);
    }
    let hint = env_names.first().copied().unwrap_or(PASSWORD_ENV);
    let first = prompt("New vault password: ", hint)?;
    check_strength(&first)?;
    let second = prompt("Repeat the password: ", hint)?;
    if first.expose_secret() != second.expose_secret() {
        bail!("the two passwords differ; run the command again");
    }
    Ok(first)
}

pub fn new_password_for_init() -> anyhow::Result<SecretString> {
    new_password(&[PASSWORD_ENV])
}

/// `coffer passwd`: the new password is never taken from $COFFER_PASSWORD, which holds the old.
pub fn new_password_for_change() -> anyhow::Result<SecretString> {
    new_password(&[NEW_PASSWORD_ENV])
}

/// `coffer recover`: the old password is forgotten, so either variable may carry the new one.
pub fn new_password_for_recovery() -> anyhow::Result<SecretString> {
    new_password(&[NEW_PASSWORD_ENV, PASSWORD_ENV])
}

/// Reads the 24 words from a file, or from the terminal.
pub fn recovery_phrase(file: Option<&Path>) -> anyhow::Result<RecoveryPhrase> {
    let text = match file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the recovery phrase from {}", path.display()))?,
        ),
        None => {
            if !std::io::stdin().is_terminal() {
                bail!("give the recovery phrase with --recovery-file PATH when not in a terminal");
            }
            eprintln!("Type the 24 words of your recovery phrase, separated by spaces:");
            let mut line = Zeroizing::new(String::new());
            std::io::stdin().lock().read_line(&mut line)?;
            line
        }
    };
    Ok(RecoveryPhrase::parse(&text)?)
}
