//! OCR from the app: local Tesseract on request or right after an import, and a remote vision
//! model only after the person has seen exactly what would be sent, and to whom. The vault is
//! held only to read the document and to save the result, never while OCR runs, and one
//! single-threaded recognition runs per core (`Session::ocr_turn`).

use std::sync::Arc;

use coffer_core::{Document, Vault};
use coffer_ocr::settings::{RemoteChange, RemoteSettings, SettingsError};
use coffer_ocr::vault::{Recognizer, ocr_input, recognize_content, save_extraction};
use coffer_ocr::{ExtractOptions, Provider, RemoteOcr};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use super::{Result, blocking, document_id};
use crate::error::CommandError;
use crate::session::{RemoteConsent, Session};

/// The remote providers the app offers, as the web view names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RemoteProvider {
    Gemini,
    Openai,
}

impl RemoteProvider {
    const ALL: [RemoteProvider; 2] = [RemoteProvider::Gemini, RemoteProvider::Openai];

    fn engine(self) -> Provider {
        match self {
            Self::Gemini => Provider::Gemini,
            Self::Openai => Provider::OpenAi,
        }
    }

    fn settings(self, vault: &Vault) -> coffer_core::Result<RemoteSettings> {
        RemoteSettings::load(vault, self.engine())
    }

    /// The configured client, or "no key" when the person has not stored one yet.
    fn client(self, vault: &Vault) -> Result<RemoteOcr> {
        self.settings(vault)?.client()?.ok_or_else(|| {
            CommandError::new(
                "remote_ocr_no_key",
                "no API key for this provider is stored in the vault; add one in Settings",
            )
        })
    }
}

/// Who reads the document in `recognize`.
enum Reader {
    Local(ExtractOptions),
    /// A remote provider, with the token of the consent the person gave in the dialog.
    Remote(RemoteProvider, String),
}

/// A reader ready to go: a remote one has its key and endpoint from the vault.
enum Ready {
    Local(ExtractOptions),
    Remote(RemoteOcr),
}

/// Reads the document under the vault lock, recognises it without the lock (one per core),
/// then saves the result under the lock again.
fn recognize(session: &Session, id: &str, reader: Reader) -> Result<Document> {
    let (id, doc, content, ready) = session.with_open_vault(|vault| {
        let id = document_id(vault, id)?;
        let (doc, content) = ocr_input(vault, id)?;
        let ready = match reader {
            Reader::Local(options) => Ready::Local(options),
            Reader::Remote(provider, token) => {
                check_consent(session, &token, id, provider, &provider.settings(vault)?)?;
                let client = provider.client(vault)?;
                // On a vault connected to an account, the plan's remote OCR credits govern this.
                coffer_core::sync::use_remote_ocr_credit(vault)?;
                Ready::Remote(client)
            }
        };
        Ok((id, doc, content, ready))
    })?;
    let extraction = {
        let _core = session.ocr_turn();
        let recognizer = match &ready {
            Ready::Local(options) => Recognizer::Local(options),
            Ready::Remote(remote) => Recognizer::Remote(remote),
        };
        recognize_content(&doc, &content, recognizer)?
    };
    drop(content);
    session.with_open_vault(|vault| Ok(save_extraction(vault, id, &extraction)?))
}

/// The backend's own check that the person agreed to exactly this: the document, the provider,
/// and the endpoint and model the dialog showed (settings changed since need a new consent).
/// The token is used up either way.
fn check_consent(
    session: &Session,
    token: &str,
    id: coffer_core::DocumentId,
    provider: RemoteProvider,
    settings: &RemoteSettings,
) -> Result<()> {
    let refused = || {
        CommandError::new(
            "consent_required",
            "nothing was sent: remote OCR needs the person's consent for this document, \
             provider, endpoint and model, given in the dialog just before",
        )
    };
    let consent = session.take_consent(token).ok_or_else(refused)?;
    let agreed = consent.documents.contains(&id)
        && consent.provider == provider.engine()
        && consent.endpoint == settings.endpoint
        && consent.model == settings.model;
    if agreed { Ok(()) } else { Err(refused()) }
}

/// "Run OCR locally": Tesseract with the languages chosen in the settings.
#[tauri::command]
pub async fn ocr_document(session: State<'_, Arc<Session>>, id: String) -> Result<Document> {
    blocking(&session, move |session| {
        let options = ExtractOptions {
            languages: session.settings().ocr_languages,
            ..ExtractOptions::default()
        };
        recognize(session, &id, Reader::Local(options))
    })
    .await
}

/// What a remote provider would receive for a document, shown in the consent dialog before
/// anything is sent: the file itself, the instruction word for word, and where it goes.
#[derive(Debug, Serialize, TS)]
pub struct RemoteOcrConsent {
    pub provider: RemoteProvider,
    pub endpoint: String,
    pub model: String,
    pub has_key: bool,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    pub instruction: &'static str,
    /// Redeems this consent once, for this document, provider, endpoint and model.
    pub token: String,
}

#[tauri::command]
pub async fn remote_ocr_consent(
    session: State<'_, Arc<Session>>,
    id: String,
    provider: RemoteProvider,
) -> Result<RemoteOcrConsent> {
    session.with_vault(|vault| {
        let id = document_id(vault, &id)?;
        let file = vault.document(id)?.file;
        let settings = provider.settings(vault)?;
        let token = session.grant_consent(RemoteConsent {
            documents: vec![id],
            provider: provider.engine(),
            endpoint: settings.endpoint.clone(),
            model: settings.model.clone(),
        });
        Ok(RemoteOcrConsent {
            provider,
            has_key: settings.has_key(),
            endpoint: settings.endpoint,
            model: settings.model,
            file_name: file.name,
            media_type: file.media_type,
            size: file.size,
            instruction: coffer_ocr::remote::PROMPT,
            token,
        })
    })
}

/// "Send to remote OCR…", after the person agreed in the consent dialog (its token).
#[tauri::command]
pub async fn remote_ocr_document(
    session: State<'_, Arc<Session>>,
    id: String,
    provider: RemoteProvider,
    consent: String,
) -> Result<Document> {
    blocking(&session, move |session| {
        recognize(session, &id, Reader::Remote(provider, consent))
    })
    .await
}

/// A provider's configuration as the settings screen shows it; the key itself never leaves
/// the vault again once stored.
#[derive(Debug, Serialize, TS)]
pub struct RemoteProviderInfo {
    pub provider: RemoteProvider,
    pub has_key: bool,
    pub endpoint: String,
    pub model: String,
    pub default_endpoint: &'static str,
    pub default_model: &'static str,
}

fn provider_info(provider: RemoteProvider, settings: RemoteSettings) -> RemoteProviderInfo {
    RemoteProviderInfo {
        provider,
        has_key: settings.has_key(),
        endpoint: settings.endpoint,
        model: settings.model,
        default_endpoint: provider.engine().default_endpoint(),
        default_model: provider.engine().default_model(),
    }
}

#[tauri::command]
pub async fn remote_ocr_providers(
    session: State<'_, Arc<Session>>,
) -> Result<Vec<RemoteProviderInfo>> {
    session.with_open_vault(|vault| {
        RemoteProvider::ALL
            .into_iter()
            .map(|provider| Ok(provider_info(provider, provider.settings(vault)?)))
            .collect()
    })
}

/// Changes to one provider: a new key (stored inside the vault), removing the key, another
/// endpoint or model (empty means the provider's default).
#[derive(Debug, Default, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct ProviderChange {
    pub api_key: Option<String>,
    #[ts(as = "Option<_>", optional)]
    pub remove_key: bool,
    pub endpoint: Option<String>,
    pub model: Option<String>,
}

#[tauri::command]
pub async fn save_remote_ocr_provider(
    session: State<'_, Arc<Session>>,
    provider: RemoteProvider,
    change: ProviderChange,
) -> Result<RemoteProviderInfo> {
    let change = RemoteChange {
        api_key: change.api_key.map(SecretString::from),
        remove_key: change.remove_key,
        endpoint: change.endpoint,
        model: change.model,
    };
    // Checking the endpoint builds a blocking HTTP client, which must not live on the async
    // runtime's threads.
    blocking(&session, move |session| {
        session.with_open_vault(|vault| {
            match RemoteSettings::save(vault, provider.engine(), &change) {
                Ok(settings) => Ok(provider_info(provider, settings)),
                Err(SettingsError::Vault(e)) => Err(e.into()),
                Err(SettingsError::Remote(e)) => Err(e.into()),
                Err(SettingsError::EmptyKey) => {
                    Err(CommandError::new("invalid_input", "the API key is empty"))
                }
            }
        })
    })
    .await
}
