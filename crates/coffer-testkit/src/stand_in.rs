//! A scripted HTTP server on 127.0.0.1 standing in for a third party (a remote OCR provider):
//! each request gets the next answer of its script, the last one again once the script is
//! used up, and every request is recorded as it came, so a test can tell what left the
//! device and how often.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::oneshot;

/// One scripted answer: a status and a JSON body, sent after a delay.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub delay: Duration,
}

impl Answer {
    /// `200 OK` with `body`, at once.
    pub fn ok(body: Value) -> Self {
        Self::status(200, body)
    }

    /// `status` with `body`, at once.
    pub fn status(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            delay: Duration::ZERO,
        }
    }

    /// The same answer, sent only after `delay` (to outwait a client's timeout).
    pub fn after(self, delay: Duration) -> Self {
        Self { delay, ..self }
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is none).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

struct Shared {
    script: Vec<Answer>,
    seen: Mutex<Vec<Seen>>,
}

/// The running stand-in; it stops when dropped.
pub struct StandIn {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl StandIn {
    /// Serves `script` (at least one answer) on a free port, on a thread of its own.
    pub fn start(script: Vec<Answer>) -> Self {
        assert!(!script.is_empty(), "a stand-in needs at least one answer");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            script,
            seen: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let state = Arc::clone(&shared);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the stand-in");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let app = axum::Router::new().fallback(answer).with_state(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Self {
            url,
            shared,
            stop: Some(stop),
        }
    }

    /// Every request so far, in the order they came.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("stand-in log").clone()
    }

    /// How many requests came so far.
    pub fn requests(&self) -> usize {
        self.shared.seen.lock().expect("stand-in log").len()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let n = {
        let mut seen = shared.seen.lock().expect("stand-in log");
        seen.push(Seen {
            method: parts.method.to_string(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        });
        seen.len() - 1
    };
    let scripted = &shared.script[n.min(shared.script.len() - 1)];
    tokio::time::sleep(scripted.delay).await;
    Response::builder()
        .status(scripted.status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(scripted.body.to_string()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
