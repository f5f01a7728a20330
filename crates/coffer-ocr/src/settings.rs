//! A remote provider's configuration, kept inside the vault's encrypted settings as
//! `ocr.remote.<provider>.api_key`, `.endpoint` and `.model`: the one place the CLI
//! (`coffer ocr-key`, `coffer ocr --remote`) and the app's settings screen read and write.
//! An endpoint or model that is not stored means the provider's default.

use coffer_core::Vault;
use secrecy::{ExposeSecret, SecretString};

use crate::{Provider, RemoteError, RemoteOcr};

/// Why a change to a provider's settings was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Vault(#[from] coffer_core::Error),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("the API key is empty")]
    EmptyKey,
}

/// A provider's configuration as the vault holds it; the key never leaves this value except
/// into the client it configures.
pub struct RemoteSettings {
    pub provider: Provider,
    /// Where requests go (the stored endpoint, else the provider's default).
    pub endpoint: String,
    /// The model asked (the stored one, else the provider's default).
    pub model: String,
    api_key: Option<SecretString>,
}

/// Changes to one provider. `None` leaves a value as it is; an empty endpoint or model goes
/// back to the provider's default.
#[derive(Debug, Default)]
pub struct RemoteChange {
    pub api_key: Option<SecretString>,
    pub remove_key: bool,
    pub endpoint: Option<String>,
    pub model: Option<String>,
}

fn setting(provider: Provider, what: &str) -> String {
    format!("ocr.remote.{}.{what}", provider.name())
}

impl RemoteSettings {
    pub fn load(vault: &Vault, provider: Provider) -> coffer_core::Result<Self> {
        Ok(Self {
            provider,
            endpoint: vault
                .setting(&setting(provider, "endpoint"))?
                .unwrap_or_else(|| provider.default_endpoint().to_owned()),
            model: vault
                .setting(&setting(provider, "model"))?
                .unwrap_or_else(|| provider.default_model().to_owned()),
            api_key: vault
                .setting(&setting(provider, "api_key"))?
                .map(SecretString::from),
        })
    }

    pub fn has_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// A client for this configuration; `None` when no key is stored yet.
    pub fn client(&self) -> Result<Option<RemoteOcr>, RemoteError> {
        let Some(key) = &self.api_key else {
            return Ok(None);
        };
        let client = RemoteOcr::new(self.provider, Some(&self.endpoint), key.expose_secret())?;
        Ok(Some(client.with_model(self.model.clone())))
    }

    /// Applies `change` (an endpoint is checked before it is stored) and returns the result.
    pub fn save(
        vault: &mut Vault,
        provider: Provider,
        change: &RemoteChange,
    ) -> Result<Self, SettingsError> {
        if let Some(endpoint) = change.endpoint.as_deref().map(str::trim) {
            if !endpoint.is_empty() {
                // The check the client makes before sending, now, where it can be fixed.
                RemoteOcr::new(provider, Some(endpoint), "")?;
            }
            vault.set_setting(
                &setting(provider, "endpoint"),
                (!endpoint.is_empty()).then_some(endpoint),
            )?;
        }
        if let Some(model) = change.model.as_deref().map(str::trim) {
            vault.set_setting(
                &setting(provider, "model"),
                (!model.is_empty()).then_some(model),
            )?;
        }
        let key_setting = setting(provider, "api_key");
        if change.remove_key {
            vault.set_setting(&key_setting, None)?;
        } else if let Some(key) = &change.api_key {
            let key = key.expose_secret().trim();
            if key.is_empty() {
                return Err(SettingsError::EmptyKey);
            }
            vault.set_setting(&key_setting, Some(key))?;
        }
        Ok(Self::load(vault, provider)?)
    }
}
