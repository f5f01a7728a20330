//! Remote OCR against a local HTTP server on 127.0.0.1 that answers in the documented shapes
//! of Gemini `generateContent` and OpenAI chat completions, including 401, 429 and 5xx.

use std::time::Duration;

use coffer_core::DocumentKind;
use coffer_ocr::{Provider, RemoteError, RemoteOcr, Source};
use coffer_testkit::stand_in::{Answer, StandIn};
use serde_json::{Value, json};

fn model_answer() -> Value {
    json!({
        "text": "Kavárna U Lva s.r.o.\nIČO 25596641\nDatum: 12.03.2024\nCelkem 121,00 Kč",
        "kind": "receipt",
        "merchant": "Kavárna U Lva s.r.o.",
        "issue_date": "2024-03-12",
        "total": "121.00",
        "currency": "CZK",
        "vat": [{"rate": "21", "base": "100.00", "tax": "21.00"}],
        "company_id": "25596641",
        "vat_id": "CZ25596641",
        "payment": "card"
    })
}

const IMAGE: &[u8] = b"\xff\xd8\xff\xe0 not really a jpeg";
const QUICK: Duration = Duration::ZERO;

#[test]
fn gemini_request_has_the_documented_shape_and_its_answer_becomes_fields() {
    let reply = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": model_answer().to_string()}]}, "finishReason": "STOP"}]});
    let provider = StandIn::start(vec![Answer::ok(reply)]);
    let url = provider.url.clone();
    let ocr = RemoteOcr::new(Provider::Gemini, Some(&url), "gemini-key")
        .unwrap()
        .with_model("gemini-test");
    let extraction = ocr.recognize(IMAGE, "image/jpeg").unwrap();

    let seen = provider.seen();
    let body = seen[0].json();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/models/gemini-test:generateContent");
    assert_eq!(seen[0].header("x-goog-api-key"), Some("gemini-key"));
    let part = &body["contents"][0]["parts"][1]["inline_data"];
    assert_eq!(part["mime_type"], "image/jpeg");
    assert_eq!(part["data"], "/9j/4CBub3QgcmVhbGx5IGEganBlZw==");
    assert_eq!(
        body["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert!(body["generationConfig"]["responseSchema"]["properties"]["total"].is_object());

    assert_eq!(extraction.source, Source::Remote);
    let f = &extraction.fields;
    assert_eq!(f.kind, DocumentKind::Receipt);
    assert_eq!(f.merchant.as_deref(), Some("Kavárna U Lva s.r.o."));
    assert_eq!(f.date.map(|d| d.to_string()).as_deref(), Some("2024-03-12"));
    assert_eq!(
        f.total_money().map(|m| (m.minor, m.currency.to_string())),
        Some((12_100, "CZK".into()))
    );
    assert_eq!(f.ids.ico.as_deref(), Some("25596641"));
    assert!(f.vat[0].is_consistent());
    assert!(extraction.text.to_plain().contains("Celkem"));
}

#[test]
fn openai_compatible_request_sends_a_data_url_and_bearer_key() {
    let reply = json!({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": model_answer().to_string()}, "finish_reason": "stop"}]});
    let provider = StandIn::start(vec![Answer::ok(reply)]);
    let url = provider.url.clone();
    let ocr = RemoteOcr::new(Provider::OpenAi, Some(&url), "sk-test")
        .unwrap()
        .with_model("local-vision");
    let extraction = ocr.recognize(IMAGE, "image/png").unwrap();

    let seen = provider.seen();
    let body = seen[0].json();
    assert_eq!(seen[0].path, "/chat/completions");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(body["model"], "local-vision");
    let image_url = body["messages"][0]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap();
    assert!(image_url.starts_with("data:image/png;base64,"));
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        extraction.fields.total_money().map(|m| m.minor),
        Some(12_100)
    );
}

#[test]
fn a_rejected_api_key_fails_at_once_without_retrying() {
    let provider = StandIn::start(vec![
        Answer::status(401, json!({"error": {"code": 401}})),
        Answer::ok(json!({})),
    ]);
    let url = provider.url.clone();
    let ocr = RemoteOcr::new(Provider::Gemini, Some(&url), "bad")
        .unwrap()
        .with_retries(3, QUICK);
    let err = ocr.recognize(IMAGE, "image/jpeg").unwrap_err();
    assert!(
        matches!(err, RemoteError::Unauthorized { status: 401 }),
        "{err}"
    );
    assert!(err.to_string().contains("API key"));
    assert_eq!(provider.requests(), 1);
}

#[test]
fn rate_limit_is_retried_with_backoff_and_then_succeeds() {
    let reply = json!({"choices": [{"message": {"content": model_answer().to_string()}}]});
    let provider = StandIn::start(vec![
        Answer::status(429, json!({"error": "slow down"})),
        Answer::ok(reply),
    ]);
    let url = provider.url.clone();
    let ocr = RemoteOcr::new(Provider::OpenAi, Some(&url), "k")
        .unwrap()
        .with_retries(3, Duration::from_millis(20));
    let extraction = ocr.recognize(IMAGE, "image/jpeg").unwrap();
    assert_eq!(
        extraction.fields.merchant.as_deref(),
        Some("Kavárna U Lva s.r.o.")
    );
    assert_eq!(provider.requests(), 2);
}

#[test]
fn persistent_server_errors_give_up_after_the_last_attempt() {
    let provider = StandIn::start(vec![Answer::status(503, json!({"error": "unavailable"}))]);
    let url = provider.url.clone();
    let ocr = RemoteOcr::new(Provider::Gemini, Some(&url), "k")
        .unwrap()
        .with_retries(3, Duration::from_millis(5));
    let err = ocr.recognize(IMAGE, "image/jpeg").unwrap_err();
    assert!(
        matches!(
            err,
            RemoteError::Server {
                status: 503,
                attempts: 3
            }
        ),
        "{err}"
    );
    assert_eq!(provider.requests(), 3);
}

#[test]
fn a_slow_provider_times_out_with_a_clear_error() {
    let provider = StandIn::start(vec![
        Answer::ok(json!({})).after(Duration::from_millis(1500)),
    ]);
    let url = provider.url.clone();
    let ocr = RemoteOcr::new(Provider::OpenAi, Some(&url), "k")
        .unwrap()
        .with_timeout(Duration::from_millis(300))
        .unwrap()
        .with_retries(1, QUICK);
    let err = ocr.recognize(IMAGE, "image/jpeg").unwrap_err();
    assert!(matches!(err, RemoteError::Timeout { .. }), "{err}");
}

#[test]
fn an_answer_without_json_content_is_a_bad_response() {
    let reply = json!({"candidates": [{"content": {"parts": [{"text": "I cannot read this."}]}}]});
    let provider = StandIn::start(vec![Answer::ok(reply)]);
    let url = provider.url.clone();
    let ocr = RemoteOcr::new(Provider::Gemini, Some(&url), "k").unwrap();
    assert!(matches!(
        ocr.recognize(IMAGE, "image/jpeg"),
        Err(RemoteError::BadResponse { .. })
    ));
}
