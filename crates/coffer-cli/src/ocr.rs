//! `coffer ocr`: recognise a stored document locally, or, on this explicit request only, with
//! a remote vision model whose API key is kept inside the vault (`coffer ocr-key`). On a vault
//! connected to an account, each remote call uses one of the plan's remote OCR credits.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use coffer_core::Vault;
use coffer_core::sync::{self, RemoteOcrCredit};
use coffer_ocr::settings::{RemoteChange, RemoteSettings, SettingsError};
use coffer_ocr::vault::{Recognizer, recognize_document, recognize_many};
use coffer_ocr::{DEFAULT_LANGUAGES, ExtractOptions, Provider};

use crate::vault_commands::unlock;
use crate::{render, secrets};

const API_KEY_ENV: &str = "COFFER_OCR_API_KEY";

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RemoteChoice {
    /// Google Gemini (generateContent).
    Gemini,
    /// Any OpenAI-compatible chat-completions endpoint (also a model on your own machine).
    Openai,
}

impl RemoteChoice {
    fn provider(self) -> Provider {
        match self {
            Self::Gemini => Provider::Gemini,
            Self::Openai => Provider::OpenAi,
        }
    }
}

#[derive(Args, Debug)]
pub struct OcrArgs {
    /// The document ids (or unambiguous prefixes); several are read at once, one per core.
    /// Remote OCR takes one document at a time.
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// Send the document to this remote provider instead of reading it locally.
    #[arg(long, value_enum)]
    remote: Option<RemoteChoice>,
    /// The provider's API base URL (default: its public API).
    #[arg(long, value_name = "URL", requires = "remote")]
    endpoint: Option<String>,
    /// The remote model name (default: the provider's default).
    #[arg(long, requires = "remote")]
    model: Option<String>,
    /// Tesseract languages for local OCR.
    #[arg(long = "lang", default_value = DEFAULT_LANGUAGES)]
    languages: String,
    #[arg(long)]
    json: bool,
}

pub fn run(dir: &Path, args: &OcrArgs) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    let ids = args
        .ids
        .iter()
        .map(|id| vault.resolve(id))
        .collect::<Result<Vec<_>, _>>()?;
    if args.remote.is_none() && ids.len() > 1 {
        return read_locally(vault, &ids, args);
    }
    if ids.len() > 1 {
        return Err(crate::UsageError(
            "remote OCR sends one document at a time, at your request: give one id".into(),
        )
        .into());
    }
    let id = ids[0];
    let doc = match args.remote {
        None => {
            eprintln!(
                "reading {id} locally with Tesseract ({})...",
                args.languages
            );
            let options = ExtractOptions {
                languages: args.languages.clone(),
                ..ExtractOptions::default()
            };
            recognize_document(&mut vault, id, Recognizer::Local(&options))?
        }
        Some(choice) => {
            // The endpoint and model stored in the vault (the app's settings), unless given.
            let mut settings = RemoteSettings::load(&vault, choice.provider())?;
            if let Some(endpoint) = &args.endpoint {
                settings.endpoint = endpoint.clone();
            }
            if let Some(model) = &args.model {
                settings.model = model.clone();
            }
            let remote = settings.client()?.with_context(|| {
                format!(
                    "no API key for {choice:?} in this vault; store one with `coffer ocr-key {}`",
                    choice.provider().name()
                )
            })?;
            // On a vault connected to an account, the plan's remote OCR credits govern this.
            if let RemoteOcrCredit::Used(credits) = sync::use_remote_ocr_credit(&mut vault)? {
                eprintln!(
                    "used a remote OCR credit of the {} plan: {} of {} this month",
                    credits.plan, credits.used, credits.limit
                );
            }
            let file = vault.document(id)?.file;
            eprintln!(
                "sending {} ({}, {} bytes) to {:?} at {} — only this document, at your request",
                file.name,
                file.media_type,
                file.size,
                choice.provider(),
                settings.endpoint
            );
            recognize_document(&mut vault, id, Recognizer::Remote(&remote))?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", render::document(&doc));
    }
    Ok(ExitCode::SUCCESS)
}

/// Several documents, one Tesseract engine per core; one line per document.
fn read_locally(
    vault: Vault,
    ids: &[coffer_core::DocumentId],
    args: &OcrArgs,
) -> anyhow::Result<ExitCode> {
    let options = ExtractOptions {
        languages: args.languages.clone(),
        ..ExtractOptions::default()
    };
    let vault = std::sync::Mutex::new(vault);
    let results = recognize_many(&vault, ids, &options, crate::documents::workers(), &|b| {
        eprintln!("read {}/{}", b.done, b.total)
    });
    let mut failed = 0;
    let mut read = Vec::new();
    for (id, result) in ids.iter().zip(results) {
        match result {
            Ok(doc) if args.json => read.push(doc),
            Ok(doc) => println!("{id}  {}", render::printable(&doc.fields.title)),
            Err(error) => {
                failed += 1;
                eprintln!("error: {id}: {error}");
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&read)?);
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(Args, Debug)]
pub struct OcrKeyArgs {
    /// The provider whose key to store.
    #[arg(value_enum)]
    provider: RemoteChoice,
    /// Remove the stored key instead.
    #[arg(long)]
    remove: bool,
}

/// Stores a provider's API key inside the vault (from $COFFER_OCR_API_KEY or a prompt).
pub fn set_key(dir: &Path, args: &OcrKeyArgs) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    let provider = args.provider.provider();
    if args.remove {
        let change = RemoteChange {
            remove_key: true,
            ..RemoteChange::default()
        };
        RemoteSettings::save(&mut vault, provider, &change)?;
        eprintln!("removed the {:?} API key from the vault", args.provider);
        return Ok(ExitCode::SUCCESS);
    }
    let key = match secrets::from_env(API_KEY_ENV) {
        Some(key) => key,
        None => secrets::prompt(&format!("{:?} API key: ", args.provider), API_KEY_ENV)?,
    };
    let change = RemoteChange {
        api_key: Some(key),
        ..RemoteChange::default()
    };
    match RemoteSettings::save(&mut vault, provider, &change) {
        Err(SettingsError::EmptyKey) => {
            return Err(crate::UsageError("the API key is empty".into()).into());
        }
        saved => saved?,
    };
    eprintln!(
        "stored the {:?} API key inside the encrypted vault",
        args.provider
    );
    Ok(ExitCode::SUCCESS)
}
