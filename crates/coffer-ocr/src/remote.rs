//! Opt-in remote OCR through a vision model: Google Gemini `generateContent` with a JSON
//! response schema, or any OpenAI-compatible chat-completions endpoint with image input
//! (including a model the user runs locally). Called only on an explicit user action; the
//! caller shows the provider and endpoint before the image leaves the device.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use time::Date;

use coffer_core::{CompanyIds, Currency, DocumentKind};

use crate::fields::{PaymentMethod, VatRow};
use crate::money::Amount;
use crate::text::DocumentText;
use crate::{Extraction, Source};

/// Which API shape the endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Google Gemini `models/{model}:generateContent`.
    Gemini,
    /// OpenAI-compatible `chat/completions` (OpenAI, Ollama, llama.cpp, vLLM, LM Studio…).
    OpenAi,
}

impl Provider {
    pub fn default_endpoint(self) -> &'static str {
        match self {
            Provider::Gemini => "https://generativelanguage.googleapis.com/v1beta",
            Provider::OpenAi => "https://api.openai.com/v1",
        }
    }

    /// Every provider, in the order settings screens list them.
    pub const ALL: [Provider; 2] = [Provider::Gemini, Provider::OpenAi];

    /// The provider's name in settings, command lines and the app (`gemini`, `openai`).
    pub fn name(self) -> &'static str {
        match self {
            Provider::Gemini => "gemini",
            Provider::OpenAi => "openai",
        }
    }

    pub fn default_model(self) -> &'static str {
        match self {
            Provider::Gemini => "gemini-2.5-flash",
            Provider::OpenAi => "gpt-4o-mini",
        }
    }
}

impl std::str::FromStr for Provider {
    type Err = RemoteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "gemini" | "google" => Ok(Provider::Gemini),
            "openai" | "openai-compatible" => Ok(Provider::OpenAi),
            other => Err(RemoteError::UnknownProvider(other.to_string())),
        }
    }
}

/// Why a remote OCR call failed; messages say what to do next and never echo document data.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("unknown remote OCR provider \"{0}\"; use gemini or openai")]
    UnknownProvider(String),
    #[error("the endpoint URL \"{0}\" is not valid; give a full https:// URL")]
    BadEndpoint(String),
    #[error(
        "the endpoint \"{0}\" is plain http on another machine, which would send the document \
         and the API key unencrypted; use https:// (plain http is only for a model on this computer)"
    )]
    InsecureEndpoint(String),
    #[error(
        "the provider rejected the API key (HTTP {status}); check or replace the key stored in the vault"
    )]
    Unauthorized { status: u16 },
    #[error(
        "the provider's rate limit was hit (HTTP 429) {attempts} times; wait a minute or check the plan's quota"
    )]
    RateLimited { attempts: u32 },
    #[error("the provider had a server error (HTTP {status}) {attempts} times; try again later")]
    Server { status: u16, attempts: u32 },
    #[error("the provider refused the request (HTTP {status}); check the model name and endpoint")]
    Rejected { status: u16 },
    #[error(
        "no answer from the provider within {seconds} s ({attempts} attempts); check the network or try later"
    )]
    Timeout { seconds: u64, attempts: u32 },
    #[error("cannot reach the provider ({reason}); check the endpoint and the network")]
    Network { reason: String },
    #[error("the provider's answer was not in the expected shape ({reason}); try another model")]
    BadResponse { reason: String },
    #[error("the image is not a supported type ({0}); send JPEG, PNG or WebP")]
    UnsupportedImage(String),
}

/// An endpoint is an https URL, or plain http to this computer only (a model run locally):
/// anything else would carry the document and the key in the clear.
fn check_endpoint(endpoint: &str) -> Result<(), RemoteError> {
    let bad = || RemoteError::BadEndpoint(endpoint.to_owned());
    let url = reqwest::Url::parse(endpoint).map_err(|_| bad())?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if url.host().is_none() => Err(bad()),
        "http" if coffer_core::net::is_this_computer(&url) => Ok(()),
        "http" => Err(RemoteError::InsecureEndpoint(endpoint.to_owned())),
        _ => Err(bad()),
    }
}

/// A configured remote OCR provider.
pub struct RemoteOcr {
    provider: Provider,
    endpoint: String,
    api_key: String,
    model: String,
    timeout: Duration,
    attempts: u32,
    backoff: Duration,
    client: reqwest::blocking::Client,
}

impl fmt::Debug for RemoteOcr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteOcr")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// What the model is asked for, as a JSON schema both APIs accept.
fn response_schema() -> Value {
    let string = json!({"type": "string"});
    json!({
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "all text of the document, line by line"},
            "kind": {"type": "string", "enum": ["receipt", "invoice", "contract", "warranty", "other"]},
            "merchant": string,
            "issue_date": {"type": "string", "description": "YYYY-MM-DD"},
            "total": {"type": "string", "description": "amount to pay, digits with a decimal point"},
            "currency": {"type": "string", "description": "ISO 4217 code"},
            "vat": {"type": "array", "items": {"type": "object", "properties": {
                "rate": string, "base": string, "tax": string}, "required": ["rate", "base", "tax"]}},
            "company_id": {"type": "string", "description": "Czech/Slovak IČO of the seller"},
            "vat_id": {"type": "string", "description": "VAT id of the seller"},
            "payment": {"type": "string", "enum": ["cash", "card", "bank_transfer", "unknown"]},
            "expiry": {"type": "string", "description": "warranty or contract end, YYYY-MM-DD"}
        },
        "required": ["text", "kind", "merchant", "issue_date", "total", "currency"]
    })
}

/// The instruction sent with the image, word for word (the app shows it before sending).
pub const PROMPT: &str = "Read this receipt, invoice, contract or warranty card. Return all its text and \
the fields in the JSON schema. The issue date is the date of sale or issue, not the due, delivery or \
print date. The total is the final amount to pay including VAT. Use empty strings for fields that \
are not on the document.";

impl RemoteOcr {
    /// A provider at `endpoint` (its public API when `None`) with the user's API key.
    pub fn new(
        provider: Provider,
        endpoint: Option<&str>,
        api_key: impl Into<String>,
    ) -> Result<RemoteOcr, RemoteError> {
        let endpoint = endpoint
            .unwrap_or(provider.default_endpoint())
            .trim_end_matches('/')
            .to_string();
        check_endpoint(&endpoint)?;
        // reqwest is built without a bundled crypto provider; ring is ours. A second install
        // (another crate got there first) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let timeout = Duration::from_secs(60);
        let client = build_client(timeout)?;
        Ok(RemoteOcr {
            provider,
            endpoint,
            api_key: api_key.into(),
            model: provider.default_model().to_string(),
            timeout,
            attempts: 3,
            backoff: Duration::from_millis(800),
            client,
        })
    }

    pub fn with_model(mut self, model: impl Into<String>) -> RemoteOcr {
        self.model = model.into();
        self
    }

    /// Per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<RemoteOcr, RemoteError> {
        self.client = build_client(timeout)?;
        self.timeout = timeout;
        Ok(self)
    }

    /// How often to try (at least once) and the first back-off delay, doubled per retry.
    pub fn with_retries(mut self, attempts: u32, backoff: Duration) -> RemoteOcr {
        self.attempts = attempts.max(1);
        self.backoff = backoff;
        self
    }

    /// Sends the image and turns the model's answer into an extraction (source `remote`).
    pub fn recognize(&self, image: &[u8], mime: &str) -> Result<Extraction, RemoteError> {
        if !matches!(
            mime,
            "image/jpeg"
                | "image/png"
                | "image/webp"
                | "image/heic"
                | "image/heif"
                | "application/pdf"
        ) {
            return Err(RemoteError::UnsupportedImage(mime.to_string()));
        }
        let data = base64::engine::general_purpose::STANDARD.encode(image);
        let (url, body) = match self.provider {
            Provider::Gemini => (
                format!("{}/models/{}:generateContent", self.endpoint, self.model),
                json!({
                    "contents": [{"role": "user", "parts": [
                        {"text": PROMPT},
                        {"inline_data": {"mime_type": mime, "data": data}}
                    ]}],
                    "generationConfig": {
                        "responseMimeType": "application/json",
                        "responseSchema": response_schema(),
                        "temperature": 0
                    }
                }),
            ),
            Provider::OpenAi => (
                format!("{}/chat/completions", self.endpoint),
                json!({
                    "model": self.model,
                    "temperature": 0,
                    "messages": [{"role": "user", "content": [
                        {"type": "text", "text": PROMPT},
                        {"type": "image_url", "image_url": {"url": format!("data:{mime};base64,{data}")}}
                    ]}],
                    "response_format": {"type": "json_schema", "json_schema": {
                        "name": "document_fields", "schema": response_schema()
                    }}
                }),
            ),
        };
        let answer = self.post_with_retries(&url, &body)?;
        let content = match self.provider {
            Provider::Gemini => answer
                .pointer("/candidates/0/content/parts/0/text")
                .and_then(Value::as_str),
            Provider::OpenAi => answer
                .pointer("/choices/0/message/content")
                .and_then(Value::as_str),
        }
        .ok_or_else(|| RemoteError::BadResponse {
            reason: "no text in the first candidate".into(),
        })?;
        let fields: Value = serde_json::from_str(strip_code_fence(content)).map_err(|e| {
            RemoteError::BadResponse {
                reason: format!("content is not JSON: {e}"),
            }
        })?;
        Ok(extraction_from_model(&fields))
    }

    fn post_with_retries(&self, url: &str, body: &Value) -> Result<Value, RemoteError> {
        let mut delay = self.backoff;
        let mut last_error = None;
        for attempt in 1..=self.attempts {
            if attempt > 1 {
                std::thread::sleep(delay);
                delay = delay.saturating_mul(2);
            }
            let request = self.client.post(url).json(body);
            let request = match self.provider {
                Provider::Gemini => request.header("x-goog-api-key", &self.api_key),
                Provider::OpenAi => request.bearer_auth(&self.api_key),
            };
            let response = match request.send() {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    last_error = Some(RemoteError::Timeout {
                        seconds: self.timeout.as_secs(),
                        attempts: attempt,
                    });
                    continue;
                }
                Err(e) if e.is_connect() => {
                    last_error = Some(RemoteError::Network {
                        reason: "connection refused or unreachable".into(),
                    });
                    continue;
                }
                Err(e) => {
                    return Err(RemoteError::Network {
                        reason: without_url(&e),
                    });
                }
            };
            let status = response.status().as_u16();
            match status {
                200..=299 => {
                    return response
                        .json::<Value>()
                        .map_err(|e| RemoteError::BadResponse {
                            reason: without_url(&e),
                        });
                }
                401 | 403 => return Err(RemoteError::Unauthorized { status }),
                429 => {
                    if let Some(wait) = retry_after(&response) {
                        delay = delay.max(wait.min(Duration::from_secs(30)));
                    }
                    last_error = Some(RemoteError::RateLimited { attempts: attempt });
                }
                500..=599 => {
                    last_error = Some(RemoteError::Server {
                        status,
                        attempts: attempt,
                    })
                }
                _ => return Err(RemoteError::Rejected { status }),
            }
        }
        Err(last_error.unwrap_or(RemoteError::Network {
            reason: "no attempt was made".into(),
        }))
    }
}

fn build_client(timeout: Duration) -> Result<reqwest::blocking::Client, RemoteError> {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| RemoteError::Network {
            reason: without_url(&e),
        })
}

/// reqwest errors print the URL, which for Gemini may carry a key in other set-ups: drop it.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<endpoint>");
    }
    text
}

fn retry_after(response: &reqwest::blocking::Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Models sometimes wrap JSON in a Markdown code fence even when asked not to.
fn strip_code_fence(content: &str) -> &str {
    let t = content.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .unwrap_or(t);
    t.strip_suffix("```").unwrap_or(t).trim()
}

/// Maps the model's JSON onto fields. The local extractor runs on the returned text first;
/// the model's own values replace its guesses only where they parse and pass our checks.
fn extraction_from_model(v: &Value) -> Extraction {
    let get = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let text = DocumentText::from_plain(get("text").unwrap_or_default());
    let mut extraction = Extraction::from_text(Source::Remote, text);
    let f = &mut extraction.fields;
    let parse_date =
        |s: &str| Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok();
    const MODEL: f32 = 0.8;

    if let Some(kind) = get("kind") {
        f.kind = match kind {
            "receipt" => DocumentKind::Receipt,
            "invoice" => DocumentKind::Invoice,
            "contract" => DocumentKind::Contract,
            "warranty" => DocumentKind::Warranty,
            _ => f.kind,
        };
        f.confidence.kind = MODEL;
    }
    if let Some(merchant) = get("merchant") {
        f.merchant = Some(merchant.to_string());
        f.confidence.merchant = MODEL;
    }
    if let Some(date) = get("issue_date").and_then(parse_date) {
        f.date = Some(date);
        f.confidence.date = MODEL;
    }
    if let Some(amount) = get("total").and_then(Amount::parse_plain) {
        let currency = get("currency")
            .and_then(|c| c.parse::<Currency>().ok())
            .or(f.currency);
        f.total = Some(amount);
        f.currency = currency;
        f.confidence.total = MODEL;
        f.confidence.currency = if currency.is_some() { MODEL } else { 0.0 };
    }
    if let Some(items) = v.get("vat").and_then(Value::as_array) {
        let lines: Vec<VatRow> = items
            .iter()
            .filter_map(|item| {
                let s = |k: &str| {
                    item.get(k)
                        .and_then(Value::as_str)
                        .and_then(Amount::parse_plain)
                };
                let rate = s("rate")?;
                Some(VatRow::new(
                    u32::try_from(rate.thousandths() / 10).ok()?,
                    s("base")?,
                    s("tax")?,
                ))
            })
            .collect();
        if !lines.is_empty() {
            f.confidence.vat = if lines.iter().all(VatRow::is_consistent) {
                MODEL
            } else {
                0.4
            };
            f.vat = lines;
        }
    }
    let ico = get("company_id")
        .map(|i| i.replace(' ', ""))
        .filter(|i| CompanyIds::is_valid_ico(i));
    let vat_id = get("vat_id").map(|i| i.replace(' ', ""));
    if ico.is_some() || vat_id.is_some() {
        if let Some(id) = vat_id.as_ref().filter(|id| !f.vat_ids.contains(id)) {
            f.vat_ids.insert(0, id.clone());
        }
        f.ids = CompanyIds {
            ico: ico.or(f.ids.ico.take()),
            vat_id: vat_id.or(f.ids.vat_id.take()),
        };
        f.confidence.ids = MODEL;
    }
    f.payment = match get("payment") {
        Some("cash") => Some(PaymentMethod::Cash),
        Some("card") => Some(PaymentMethod::Card),
        Some("bank_transfer") => Some(PaymentMethod::BankTransfer),
        _ => f.payment,
    };
    if let Some(expiry) = get("expiry").and_then(parse_date) {
        f.expiry = Some(expiry);
        f.confidence.expiry = MODEL;
    }
    extraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_around_json_are_removed() {
        assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_code_fence("{\"a\":1}"), "{\"a\":1}");
    }

    #[test]
    fn debug_output_never_shows_the_api_key() {
        let ocr =
            RemoteOcr::new(Provider::OpenAi, Some("http://127.0.0.1:9"), "sk-secret").unwrap();
        assert!(!format!("{ocr:?}").contains("sk-secret"));
    }

    #[test]
    fn plain_http_goes_only_to_this_computer() {
        for ok in [
            "https://api.openai.com/v1",
            "https://10.0.0.5:8443/v1",
            "http://127.0.0.1:11434/v1",
            "http://localhost:8080",
            "http://[::1]:8080/v1",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for insecure in [
            "http://api.openai.com/v1",
            "http://192.168.1.20:11434/v1",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
        ] {
            assert!(
                matches!(
                    check_endpoint(insecure),
                    Err(RemoteError::InsecureEndpoint(_))
                ),
                "{insecure}"
            );
        }
        for bad in [
            "ftp://example.com",
            "api.openai.com",
            "https://",
            "file:///etc",
        ] {
            assert!(
                matches!(check_endpoint(bad), Err(RemoteError::BadEndpoint(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn model_fields_that_fail_our_checks_are_not_taken() {
        let v = json!({"text": "", "kind": "invoice", "merchant": "X s.r.o.", "issue_date": "31.03.2024",
            "total": "1210.00", "currency": "CZK", "company_id": "12345678"});
        let e = extraction_from_model(&v);
        assert_eq!(e.fields.date, None, "not ISO format");
        assert_eq!(e.fields.ids.ico, None, "bad checksum");
        assert_eq!(e.fields.total, Some(Amount::from_cents(121_000)));
        assert_eq!(e.source, Source::Remote);
    }
}
