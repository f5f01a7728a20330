//! Remote OCR against a local HTTP server on 127.0.0.1 that answers in the documented shapes
//! of Gemini `generateContent` and OpenAI chat completions, including 401, 429 and 5xx.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use coffer_core::DocumentKind;
use coffer_ocr::{Provider, RemoteError, RemoteOcr, Source};
use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serves the scripted (status, body, delay) answers in order, one per connection, and records
/// the requests. Stops after the script is used up.
fn serve(script: Vec<(u16, Value, Duration)>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    thread::spawn(move || {
        for (status, body, delay) in script {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            let mut request_line = String::new();
            reader.read_line(&mut request_line).expect("request line");
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let mut headers = Vec::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("header");
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            let mut raw = vec![0u8; length];
            reader.read_exact(&mut raw).expect("body");
            let body_json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
            log.lock().unwrap().push(Seen {
                path,
                headers,
                body: body_json,
            });
            thread::sleep(delay);
            let payload = body.to_string();
            let reason = match status {
                200 => "OK",
                401 => "Unauthorized",
                429 => "Too Many Requests",
                _ => "Error",
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
                payload.len()
            );
        }
    });
    (url, seen)
}

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
const QUICK: Duration = Duration::from_millis(0);

#[test]
fn gemini_request_has_the_documented_shape_and_its_answer_becomes_fields() {
    let reply = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": model_answer().to_string()}]}, "finishReason": "STOP"}]});
    let (url, seen) = serve(vec![(200, reply, QUICK)]);
    let ocr = RemoteOcr::new(Provider::Gemini, Some(&url), "gemini-key")
        .unwrap()
        .with_model("gemini-test");
    let extraction = ocr.recognize(IMAGE, "image/jpeg").unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/models/gemini-test:generateContent");
    assert_eq!(seen[0].header("x-goog-api-key"), Some("gemini-key"));
    let part = &seen[0].body["contents"][0]["parts"][1]["inline_data"];
    assert_eq!(part["mime_type"], "image/jpeg");
    assert_eq!(part["data"], "/9j/4CBub3QgcmVhbGx5IGEganBlZw==");
    assert_eq!(
        seen[0].body["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert!(seen[0].body["generationConfig"]["responseSchema"]["properties"]["total"].is_object());

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
    let (url, seen) = serve(vec![(200, reply, QUICK)]);
    let ocr = RemoteOcr::new(Provider::OpenAi, Some(&url), "sk-test")
        .unwrap()
        .with_model("local-vision");
    let extraction = ocr.recognize(IMAGE, "image/png").unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].path, "/chat/completions");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(seen[0].body["model"], "local-vision");
    let image_url = seen[0].body["messages"][0]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap();
    assert!(image_url.starts_with("data:image/png;base64,"));
    assert_eq!(seen[0].body["response_format"]["type"], "json_schema");
    assert_eq!(
        extraction.fields.total_money().map(|m| m.minor),
        Some(12_100)
    );
}

#[test]
fn a_rejected_api_key_fails_at_once_without_retrying() {
    let (url, seen) = serve(vec![
        (401, json!({"error": {"code": 401}}), QUICK),
        (200, json!({}), QUICK),
    ]);
    let ocr = RemoteOcr::new(Provider::Gemini, Some(&url), "bad")
        .unwrap()
        .with_retries(3, QUICK);
    let err = ocr.recognize(IMAGE, "image/jpeg").unwrap_err();
    assert!(
        matches!(err, RemoteError::Unauthorized { status: 401 }),
        "{err}"
    );
    assert!(err.to_string().contains("API key"));
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn rate_limit_is_retried_with_backoff_and_then_succeeds() {
    let reply = json!({"choices": [{"message": {"content": model_answer().to_string()}}]});
    let (url, seen) = serve(vec![
        (429, json!({"error": "slow down"}), QUICK),
        (200, reply, QUICK),
    ]);
    let ocr = RemoteOcr::new(Provider::OpenAi, Some(&url), "k")
        .unwrap()
        .with_retries(3, Duration::from_millis(20));
    let extraction = ocr.recognize(IMAGE, "image/jpeg").unwrap();
    assert_eq!(
        extraction.fields.merchant.as_deref(),
        Some("Kavárna U Lva s.r.o.")
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn persistent_server_errors_give_up_after_the_last_attempt() {
    let script = (0..3)
        .map(|_| (503, json!({"error": "unavailable"}), QUICK))
        .collect();
    let (url, seen) = serve(script);
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
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[test]
fn a_slow_provider_times_out_with_a_clear_error() {
    let (url, _seen) = serve(vec![(200, json!({}), Duration::from_millis(1500))]);
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
    let (url, _seen) = serve(vec![(200, reply, QUICK)]);
    let ocr = RemoteOcr::new(Provider::Gemini, Some(&url), "k").unwrap();
    assert!(matches!(
        ocr.recognize(IMAGE, "image/jpeg"),
        Err(RemoteError::BadResponse { .. })
    ));
}
