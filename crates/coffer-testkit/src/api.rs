//! A client that speaks Coffer's HTTP API directly, for requests the `coffer` command would
//! never make: OPAQUE registration and login (opaque-ke), step-up, uploads, items and the
//! changes feed, with answers checked for their documented shape; and the fixtures the
//! server's and the CLI's tests send (items sealed under a test vault key).

use std::time::Duration;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use coffer_api::opaque::{CONTEXT, CofferCipherSuite, ksf};
use coffer_api::*;
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialResponse, Identifiers, RegistrationResponse,
};
use rand::RngCore;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The password of the accounts the client makes.
pub const PASSWORD: &str = "correct horse battery staple";

/// Installs the ring TLS provider reqwest is built with; idempotent.
pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The newest verification code the SMTP sink received for `email` (waits up to 20 s for
/// the server's delivery without holding up the runtime, which may serve the server too).
pub async fn verification_code(email: &str) -> String {
    let email = email.to_owned();
    tokio::task::spawn_blocking(move || crate::maildir::verification_code(&email))
        .await
        .expect("the SMTP sink is readable")
}

// ---------------------------------------------------------------------------------------
// Client-side encryption (any AEAD will do for tests)
// ---------------------------------------------------------------------------------------

/// A test vault key: everything the server gets is sealed with it first.
pub struct VaultKey([u8; 32]);

impl VaultKey {
    pub fn random() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        VaultKey(k)
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(XNonce::from_slice(&nonce), plaintext)
                .unwrap(),
        );
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let (nonce, ct) = sealed.split_at(24);
        cipher.decrypt(XNonce::from_slice(nonce), ct).unwrap()
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn wrapped_keys(tag: u8) -> WrappedKeys {
    WrappedKeys {
        by_export_key: Bytes(vec![tag; 60]),
        by_recovery_key: Bytes(vec![tag.wrapping_add(1); 60]),
        kdf_record: Bytes(b"{\"alg\":\"argon2id\"}".to_vec()),
    }
}

// ---------------------------------------------------------------------------------------
// Protocol client
// ---------------------------------------------------------------------------------------

/// An HTTP answer: status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} is not the expected JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The structured error, asserting the status is a 4xx and the body has the shape.
    pub fn error(&self) -> ErrorDetail {
        assert!(
            self.status.is_client_error(),
            "expected a 4xx, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        self.json::<ErrorBody>().error
    }

    /// The JSON of a success, else the answer itself as the refusal (`Err(Some)`, as the
    /// login and step-up attempts return it).
    fn json_or_refusal<T: DeserializeOwned>(self) -> Result<T, Option<Answer>> {
        if self.status.is_success() {
            Ok(self.json())
        } else {
            Err(Some(self))
        }
    }

    pub fn ok<T: DeserializeOwned>(&self) -> T {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    /// Sent as `coffer-step-up` with every request.
    pub step_up: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        init();
        Client {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            token: None,
            step_up: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        Client {
            token: Some(token.to_owned()),
            step_up: None,
            ..self.clone()
        }
    }

    /// The client's side of an OPAQUE login to `path` (a login or a step-up): sends the
    /// credential request in the body `request` makes, and finishes with the server's answer.
    /// The server's answer and the finalization message to send; `Err` carries the server's
    /// refusal, or `None` when the client rejected its KE2 (a wrong password).
    async fn opaque_login<B: Serialize>(
        &self,
        path: &str,
        password: &str,
        request: impl FnOnce(Bytes) -> B,
    ) -> Result<(LoginStartResponse, Bytes), Option<Answer>> {
        let mut rng = rand::rngs::OsRng;
        let start = ClientLogin::<CofferCipherSuite>::start(&mut rng, password.as_bytes()).unwrap();
        let answer = self
            .post(path, &request(Bytes(start.message.serialize().to_vec())))
            .await;
        let started: LoginStartResponse = answer.json_or_refusal()?;
        let ksf = ksf();
        let finish = start
            .state
            .finish(
                &mut rng,
                password.as_bytes(),
                CredentialResponse::deserialize(started.credential_response.as_slice()).unwrap(),
                ClientLoginFinishParameters::new(Some(CONTEXT), Identifiers::default(), Some(&ksf)),
            )
            .map_err(|_| None)?;
        let finalization = Bytes(finish.message.serialize().to_vec());
        Ok((started, finalization))
    }

    /// The OPAQUE step-up of this session: the answer of the finish, or `Err` (`None` when
    /// the client rejected the server's KE2, as for a wrong password).
    pub async fn step_up_attempt(
        &self,
        password: &str,
        second_factor: Option<&str>,
    ) -> Result<StepUpToken, Option<Answer>> {
        let (started, finalization) = self
            .opaque_login(routes::STEP_UP_START, password, |credential_request| {
                StepUpStartRequest { credential_request }
            })
            .await?;
        let answer = self
            .post(
                routes::STEP_UP_FINISH,
                &StepUpFinishRequest {
                    login_id: started.login_id,
                    credential_finalization: finalization,
                    second_factor: second_factor.map(str::to_owned),
                },
            )
            .await;
        answer.json_or_refusal()
    }

    /// This client with a fresh step-up (the password, and `second_factor` if TOTP is on).
    pub async fn stepped_up(&self, password: &str, second_factor: Option<&str>) -> Client {
        match self.step_up_attempt(password, second_factor).await {
            Ok(token) => Client {
                step_up: Some(token.step_up_token),
                ..self.clone()
            },
            Err(Some(a)) => panic!(
                "step-up failed: {} {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            ),
            Err(None) => panic!("step-up failed on the client side"),
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(step_up) = &self.step_up {
            req = req.header(STEP_UP_HEADER, step_up);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.header("content-type", content_type).body(body);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        Answer { status, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.request(Method::GET, path, &[], None, "").await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.request(Method::DELETE, path, &[], None, "").await
    }

    /// `DELETE` [`routes::ACCOUNT`], confirmed with `email`.
    pub async fn delete_account(&self, email: &str) -> Answer {
        let confirm = DeleteAccountRequest {
            confirm_email: email.into(),
        };
        self.send_json(Method::DELETE, routes::ACCOUNT, &[], &confirm)
            .await
    }

    pub async fn send_json<T: Serialize>(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &T,
    ) -> Answer {
        self.request(
            method,
            path,
            headers,
            Some(serde_json::to_vec(body).unwrap()),
            "application/json",
        )
        .await
    }

    pub async fn post<T: Serialize>(&self, path: &str, body: &T) -> Answer {
        self.send_json(Method::POST, path, &[], body).await
    }

    pub async fn register(&self, email: &str, password: &str) -> Answer {
        let mut rng = rand::rngs::OsRng;
        let start =
            ClientRegistration::<CofferCipherSuite>::start(&mut rng, password.as_bytes()).unwrap();
        let answer = self
            .post(
                routes::REGISTER_START,
                &RegisterStartRequest {
                    email: email.into(),
                    registration_request: Bytes(start.message.serialize().to_vec()),
                },
            )
            .await;
        let response: RegisterStartResponse = answer.ok();
        let ksf = ksf();
        let finish = start
            .state
            .finish(
                &mut rng,
                password.as_bytes(),
                RegistrationResponse::deserialize(response.registration_response.as_slice())
                    .unwrap(),
                ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&ksf)),
            )
            .unwrap();
        self.post(
            routes::REGISTER_FINISH,
            &RegisterFinishRequest {
                email: email.into(),
                registration_upload: Bytes(finish.message.serialize().to_vec()),
                wrapped_keys: wrapped_keys(7),
            },
        )
        .await
    }

    /// OPAQUE login. `Err` carries the answer (or `None` if the client itself rejected the
    /// server's KE2, as it does for a wrong password or an unknown account).
    pub async fn login_attempt(
        &self,
        email: &str,
        password: &str,
        device: &str,
    ) -> Result<LoginFinishResponse, Option<Answer>> {
        self.login_attempt_via(self, email, password, device).await
    }

    /// Like [`Client::login_attempt`], with the finishing step sent through `finisher`
    /// (another server instance, say).
    pub async fn login_attempt_via(
        &self,
        finisher: &Client,
        email: &str,
        password: &str,
        device: &str,
    ) -> Result<LoginFinishResponse, Option<Answer>> {
        let (started, finalization) = self
            .opaque_login(routes::LOGIN_START, password, |credential_request| {
                LoginStartRequest {
                    email: email.into(),
                    credential_request,
                }
            })
            .await?;
        let answer = finisher
            .post(
                routes::LOGIN_FINISH,
                &LoginFinishRequest {
                    login_id: started.login_id,
                    credential_finalization: finalization,
                    device_name: device.into(),
                },
            )
            .await;
        answer.json_or_refusal()
    }

    /// Log in and return a client holding the session's access token.
    pub async fn login(&self, email: &str, password: &str, device: &str) -> (Client, Session) {
        match self.login_attempt(email, password, device).await {
            Ok(LoginFinishResponse::Ok(session)) => {
                (self.with_token(&session.access_token), *session)
            }
            Ok(other) => panic!("login needs more: {other:?}"),
            Err(Some(a)) => panic!(
                "login failed: {} {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            ),
            Err(None) => panic!("login failed on the client side"),
        }
    }

    /// Register and log in a new account with a random address (verifying it with the code
    /// from the SMTP sink when the server sends e-mail to one).
    pub async fn new_account(&self, device: &str) -> (Client, Session, String) {
        let (client, session, email) = self.new_unverified_account(device).await;
        let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
        if !info.email_verified && std::env::var_os("COFFER_TEST_MAILDIR").is_some() {
            let code = verification_code(&email).await;
            let verified = client
                .post(routes::EMAIL_VERIFY, &EmailVerifyRequest { code })
                .await;
            assert_eq!(verified.status, StatusCode::NO_CONTENT, "{verified:?}");
        }
        (client, session, email)
    }

    /// Register and log in a new account with a random address, as it is before the address
    /// is verified.
    pub async fn new_unverified_account(&self, device: &str) -> (Client, Session, String) {
        let email = format!("user-{}@example.test", Uuid::new_v4().simple());
        let reg = self.register(&email, PASSWORD).await;
        assert_eq!(
            reg.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&reg.body)
        );
        let (client, session) = self.login(&email, PASSWORD, device).await;
        (client, session, email)
    }

    /// Upload a blob in chunks of `chunk` bytes; returns its reference.
    pub async fn upload_blob(&self, data: &[u8], chunk: usize) -> BlobRef {
        let sha = sha256_hex(data);
        let status: UploadStatus = self
            .post(
                routes::UPLOADS,
                &CreateUploadRequest {
                    sha256: sha.clone(),
                    size: data.len() as u64,
                },
            )
            .await
            .ok();
        if !status.complete {
            let id = status.upload_id.unwrap();
            let mut offset = status.received as usize;
            while offset < data.len() {
                let end = (offset + chunk).min(data.len());
                self.put_chunk(id, offset as u64, data[offset..end].to_vec())
                    .await
                    .ok::<UploadStatus>();
                offset = end;
            }
            let done: UploadStatus = self
                .request(Method::POST, &routes::upload_complete(id), &[], None, "")
                .await
                .ok();
            assert!(done.complete);
        }
        BlobRef {
            sha256: sha,
            size: data.len() as u64,
        }
    }

    pub async fn put_chunk(&self, id: Uuid, offset: u64, data: Vec<u8>) -> Answer {
        self.request(
            Method::PUT,
            &format!("{}?offset={offset}", routes::upload(id)),
            &[],
            Some(data),
            "application/octet-stream",
        )
        .await
    }

    pub async fn put_item(
        &self,
        id: Uuid,
        revision: Option<u64>,
        write: &ItemWrite,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let rev;
        let mut headers = vec![];
        match revision {
            Some(r) => {
                rev = format!("\"{r}\"");
                headers.push(("if-match", rev.as_str()));
            }
            None => headers.push(("if-none-match", "*")),
        }
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key));
        }
        self.send_json(Method::PUT, &routes::item(id), &headers, write)
            .await
    }

    pub async fn delete_item(&self, id: Uuid, revision: u64) -> Answer {
        let rev = format!("\"{revision}\"");
        self.request(
            Method::DELETE,
            &routes::item(id),
            &[("if-match", rev.as_str())],
            None,
            "",
        )
        .await
    }

    pub async fn changes(&self, since: u64, limit: u32) -> Answer {
        self.get(&format!("{}?since={since}&limit={limit}", routes::CHANGES))
            .await
    }

    /// Pull the whole feed from `since`.
    pub async fn pull_all(&self, since: u64) -> (Vec<Item>, u64) {
        let mut since = since;
        let mut items = vec![];
        loop {
            let page: ChangesPage = self.changes(since, 100).await.ok();
            items.extend(page.changes);
            since = page.next_since;
            if !page.has_more {
                return (items, since);
            }
        }
    }
}

/// An encrypted item: a sealed JSON envelope with the document's fields and one sealed blob.
pub fn sealed_write(key: &VaultKey, fields: &serde_json::Value, blob: &BlobRef) -> ItemWrite {
    ItemWrite {
        meta: ItemMeta {
            kind_class: KindClass::Receipt,
            created_month: "2026-11".into(),
            padded_size: 4096,
        },
        envelope: Bytes(key.seal(&serde_json::to_vec(fields).unwrap())),
        blobs: vec![blob.clone()],
    }
}

/// An item of `kind` that names `month` (the server counts it against its own month), with a
/// fresh envelope.
pub fn item_write(kind: KindClass, month: &str) -> ItemWrite {
    ItemWrite {
        meta: ItemMeta {
            kind_class: kind,
            created_month: month.into(),
            padded_size: 1024,
        },
        envelope: Bytes(VaultKey::random().seal(b"a document")),
        blobs: vec![],
    }
}

impl Client {
    /// Pushes a new item; its id and the answer.
    pub async fn push(&self, kind: KindClass, month: &str) -> (Uuid, Answer) {
        let id = Uuid::new_v4();
        let answer = self
            .put_item(id, None, &item_write(kind, month), None)
            .await;
        (id, answer)
    }

    /// Pushes a new item that must be stored.
    pub async fn push_ok(&self, kind: KindClass, month: &str) -> Uuid {
        let (id, answer) = self.push(kind, month).await;
        let _: Item = answer.ok();
        id
    }
}

/// A write without blobs.
pub fn small_write(key: &VaultKey, text: &str) -> ItemWrite {
    ItemWrite {
        meta: ItemMeta {
            kind_class: KindClass::Document,
            created_month: "2026-10".into(),
            padded_size: 1024,
        },
        envelope: Bytes(key.seal(text.as_bytes())),
        blobs: vec![],
    }
}
