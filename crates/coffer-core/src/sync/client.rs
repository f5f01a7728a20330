//! The HTTP side of sync: one blocking client for the routes of `coffer-api`, OPAQUE
//! registration and login (opaque-ke with the shared cipher suite), and the mapping of
//! structured server errors to `SyncError`. Nothing here knows about the vault.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use coffer_api::opaque::{CONTEXT, CofferCipherSuite, ksf};
use coffer_api::{
    BatchRequest, BatchResponse, BatchResult, BatchWrite, Bytes, ChangesPage, CreateUploadRequest,
    ErrorBody, ErrorCode, IDEMPOTENCY_KEY, Item, LoginFinishRequest, LoginFinishResponse,
    LoginStartRequest, LoginStartResponse, LoginTotpRequest, PasswordChangeFinishRequest,
    PasswordChangeStartRequest, RefreshRequest, RegisterFinishRequest, RegisterStartRequest,
    RegisterStartResponse, STEP_UP_HEADER, Session, StepUpFinishRequest, StepUpStartRequest,
    StepUpToken, TokenPair, UploadStatus, WrappedKeys, routes,
};
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialResponse, Identifiers, RegistrationResponse,
};
use rand::rngs::OsRng;
use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::error::{SyncError, SyncResult};
use crate::error::Error;

/// Ordinary requests give up after this long; blob transfers have no overall limit (a large
/// file on a slow line takes what it takes) but still a connect timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The size of one upload chunk.
const UPLOAD_CHUNK: u64 = 2 * 1024 * 1024;

/// What an item write is checked against on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// Create: the id must be new (`If-None-Match: *`).
    Absent,
    /// Replace exactly this revision (`If-Match`).
    Revision(u64),
}

/// A connection to one sync server, with this device's access token once logged in (and a
/// step-up token after [`Server::step_up`]).
#[derive(Clone)]
pub(crate) struct Server {
    base: String,
    http: Client,
    access_token: Option<Zeroizing<String>>,
    step_up: Option<Zeroizing<String>>,
}

/// The result of a login: the session and OPAQUE's export key, which opens the vault key.
pub(crate) struct LoggedIn {
    pub session: Session,
    pub export_key: Zeroizing<Vec<u8>>,
}

/// Checks a server address: https anywhere, plain http only on this machine (tests, a local
/// server); tokens must not cross a network in the clear.
pub(crate) fn normalise_url(url: &str) -> SyncResult<String> {
    let url = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(url).map_err(|_| SyncError::Unreachable {
        url: url.into(),
        reason: "not a valid URL; give e.g. https://sync.example.net".into(),
    })?;
    match parsed.scheme() {
        "https" => Ok(url.into()),
        "http" if crate::net::is_this_computer(&parsed) => Ok(url.into()),
        _ => Err(SyncError::Unreachable {
            url: url.into(),
            reason: "use https:// (plain http is accepted only for a server on this machine)"
                .into(),
        }),
    }
}

impl Server {
    pub(crate) fn new(url: &str) -> SyncResult<Self> {
        // reqwest is built without a default provider; ring is the one the workspace uses.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = normalise_url(url)?;
        let http = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("coffer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Unreachable {
                url: base.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            base,
            http,
            access_token: None,
            step_up: None,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.base
    }

    pub(crate) fn set_access_token(&mut self, token: String) {
        self.access_token = Some(Zeroizing::new(token));
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut builder = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.access_token {
            builder = builder.bearer_auth(token.as_str());
        }
        if let Some(token) = &self.step_up {
            builder = builder.header(STEP_UP_HEADER, token.as_str());
        }
        builder
    }

    /// Sends and turns transport failures and error answers into `SyncError`.
    fn send(&self, builder: RequestBuilder) -> SyncResult<Response> {
        let response = builder.send().map_err(|e| SyncError::Unreachable {
            url: self.base.clone(),
            reason: transport_reason(&e),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().unwrap_or_default();
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(error) => Err(SyncError::from_detail(error.error)),
            Err(_) => Err(SyncError::Protocol(format!("HTTP {status}"))),
        }
    }

    fn json<T: DeserializeOwned>(&self, builder: RequestBuilder) -> SyncResult<T> {
        let response = self.send(builder)?;
        let body = response.bytes().map_err(|e| SyncError::Unreachable {
            url: self.base.clone(),
            reason: transport_reason(&e),
        })?;
        serde_json::from_slice(&body).map_err(protocol)
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, path: &str) -> SyncResult<T> {
        self.json(self.request(Method::GET, path))
    }

    pub(crate) fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> SyncResult<T> {
        self.json(self.request(Method::POST, path).json(body))
    }

    pub(crate) fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> SyncResult<T> {
        self.json(self.request(Method::PUT, path).json(body))
    }

    /// A request whose answer has no body worth reading (`204`, `201`).
    pub(crate) fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> SyncResult<()> {
        let mut builder = self.request(method, path);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        self.send(builder).map(drop)
    }

    /// Streams a `GET` answer (the account export, a blob) into `out`.
    pub(crate) fn download(&self, path: &str, out: &mut dyn Write) -> SyncResult<u64> {
        let mut response = self.send(self.request(Method::GET, path).timeout(Duration::MAX))?;
        response.copy_to(out).map_err(|e| SyncError::Unreachable {
            url: self.base.clone(),
            reason: transport_reason(&e),
        })
    }

    // -- accounts -------------------------------------------------------------------------

    /// The client's side of an OPAQUE registration: `start` sends the registration request
    /// and returns the server's answer. Gives the upload for the finish and the export key.
    fn opaque_registration(
        password: &[u8],
        start: impl FnOnce(Bytes) -> SyncResult<RegisterStartResponse>,
    ) -> SyncResult<(Bytes, Zeroizing<Vec<u8>>)> {
        let begun = ClientRegistration::<CofferCipherSuite>::start(&mut OsRng, password)
            .map_err(protocol)?;
        let answer = start(Bytes(begun.message.serialize().to_vec()))?;
        let response = RegistrationResponse::deserialize(answer.registration_response.as_slice())
            .map_err(protocol)?;
        let ksf = ksf();
        let finish = begun
            .state
            .finish(
                &mut OsRng,
                password,
                response,
                ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&ksf)),
            )
            .map_err(protocol)?;
        Ok((
            Bytes(finish.message.serialize().to_vec()),
            Zeroizing::new(finish.export_key.to_vec()),
        ))
    }

    /// OPAQUE registration; `wrap` seals the vault key under the export key it is given.
    pub(crate) fn register(
        &self,
        email: &str,
        password: &[u8],
        wrap: impl FnOnce(&[u8]) -> WrappedKeys,
    ) -> SyncResult<()> {
        let (upload, export_key) = Self::opaque_registration(password, |request| {
            self.post(
                routes::REGISTER_START,
                &RegisterStartRequest {
                    email: email.into(),
                    registration_request: request,
                },
            )
        })?;
        let request = RegisterFinishRequest {
            email: email.into(),
            registration_upload: upload,
            wrapped_keys: wrap(&export_key),
        };
        // The answer is the same whether or not the address had an account: the login after
        // it tells.
        self.call(Method::POST, routes::REGISTER_FINISH, Some(&request))
    }

    /// A new OPAQUE record for the signed-in account (a new password; needs a step-up);
    /// `wrap` seals the vault key under the new export key. The server signs every other device
    /// out.
    pub(crate) fn change_password(
        &self,
        password: &[u8],
        wrap: impl FnOnce(&[u8]) -> WrappedKeys,
    ) -> SyncResult<()> {
        let (upload, export_key) = Self::opaque_registration(password, |request| {
            self.post(
                routes::PASSWORD_START,
                &PasswordChangeStartRequest {
                    registration_request: request,
                },
            )
        })?;
        self.call(
            Method::POST,
            routes::PASSWORD_FINISH,
            Some(&PasswordChangeFinishRequest {
                registration_upload: upload,
                wrapped_keys: wrap(&export_key),
            }),
        )
    }

    /// The client's side of an OPAQUE login: `start` sends KE1 and returns the server's KE2.
    /// Gives the login id, KE3 and the export key; a wrong password (or an unknown account)
    /// fails here, on the client.
    fn opaque_login(
        password: &[u8],
        start: impl FnOnce(Bytes) -> SyncResult<LoginStartResponse>,
    ) -> SyncResult<(Uuid, Bytes, Zeroizing<Vec<u8>>)> {
        let begun =
            ClientLogin::<CofferCipherSuite>::start(&mut OsRng, password).map_err(protocol)?;
        let started = start(Bytes(begun.message.serialize().to_vec()))?;
        let response = CredentialResponse::deserialize(started.credential_response.as_slice())
            .map_err(protocol)?;
        let ksf = ksf();
        let finish = begun
            .state
            .finish(
                &mut OsRng,
                password,
                response,
                ClientLoginFinishParameters::new(Some(CONTEXT), Identifiers::default(), Some(&ksf)),
            )
            .map_err(|_| SyncError::InvalidCredentials)?;
        Ok((
            started.login_id,
            Bytes(finish.message.serialize().to_vec()),
            Zeroizing::new(finish.export_key.to_vec()),
        ))
    }

    /// OPAQUE login, then the second factor if the account has one.
    pub(crate) fn login(
        &self,
        email: &str,
        password: &[u8],
        totp: Option<&str>,
        device_name: &str,
    ) -> SyncResult<LoggedIn> {
        let (login_id, credential_finalization, export_key) =
            Self::opaque_login(password, |credential_request| {
                self.post(
                    routes::LOGIN_START,
                    &LoginStartRequest {
                        email: email.into(),
                        credential_request,
                    },
                )
            })?;
        let answer: LoginFinishResponse = self.post(
            routes::LOGIN_FINISH,
            &LoginFinishRequest {
                login_id,
                credential_finalization,
                device_name: device_name.into(),
            },
        )?;
        let session = match answer {
            LoginFinishResponse::Ok(session) => *session,
            LoginFinishResponse::TotpRequired { totp_token } => {
                let code = totp.ok_or(SyncError::TotpRequired)?;
                match self.post(
                    routes::LOGIN_TOTP,
                    &LoginTotpRequest {
                        totp_token,
                        code: code.trim().into(),
                    },
                )? {
                    LoginFinishResponse::Ok(session) => *session,
                    LoginFinishResponse::TotpRequired { .. } => {
                        return Err(SyncError::Protocol("a second TOTP step".into()));
                    }
                }
            }
        };
        Ok(LoggedIn {
            session,
            export_key,
        })
    }

    /// Proves the password (and the second factor, when the account has one) again for this
    /// session; the requests that change the account carry the step-up token from now on
    /// (for five minutes).
    pub(crate) fn step_up(&mut self, password: &[u8], totp: Option<&str>) -> SyncResult<()> {
        let (login_id, credential_finalization, _) =
            Self::opaque_login(password, |credential_request| {
                self.post(
                    routes::STEP_UP_START,
                    &StepUpStartRequest { credential_request },
                )
            })?;
        let token: StepUpToken = match self.post(
            routes::STEP_UP_FINISH,
            &StepUpFinishRequest {
                login_id,
                credential_finalization,
                second_factor: totp.map(|c| c.trim().to_owned()),
            },
        ) {
            Err(e) if e.code() == Some(coffer_api::ErrorCode::TotpRequired) => {
                return Err(SyncError::TotpRequired);
            }
            other => other?,
        };
        self.step_up = Some(Zeroizing::new(token.step_up_token));
        Ok(())
    }

    /// Exchanges the refresh token for new tokens (the old refresh token stops working).
    pub(crate) fn refresh(&mut self, refresh_token: &str) -> SyncResult<TokenPair> {
        let pair: TokenPair = self.post(
            routes::AUTH_REFRESH,
            &RefreshRequest {
                refresh_token: refresh_token.into(),
            },
        )?;
        self.set_access_token(pair.access_token.clone());
        Ok(pair)
    }

    // -- items ----------------------------------------------------------------------------

    fn item_write(
        &self,
        method: Method,
        id: Uuid,
        precondition: Precondition,
        idempotency_key: &str,
    ) -> RequestBuilder {
        let builder = self
            .request(method, &routes::item(id))
            .header(IDEMPOTENCY_KEY, idempotency_key);
        match precondition {
            Precondition::Absent => builder.header("if-none-match", "*"),
            Precondition::Revision(r) => builder.header("if-match", format!("\"{r}\"")),
        }
    }

    /// `PUT` an item; `body` is a serialised `ItemWrite`, sent byte for byte as on the first
    /// try so that the idempotency key replays the first answer.
    pub(crate) fn put_item(
        &self,
        id: Uuid,
        precondition: Precondition,
        idempotency_key: &str,
        body: &[u8],
    ) -> SyncResult<Item> {
        self.json(
            self.item_write(Method::PUT, id, precondition, idempotency_key)
                .header("content-type", "application/json")
                .body(body.to_vec()),
        )
    }

    pub(crate) fn delete_item(
        &self,
        id: Uuid,
        revision: u64,
        idempotency_key: &str,
    ) -> SyncResult<Item> {
        self.json(self.item_write(
            Method::DELETE,
            id,
            Precondition::Revision(revision),
            idempotency_key,
        ))
    }

    /// Several item writes in one request, each answered on its own.
    pub(crate) fn write_batch(&self, writes: Vec<BatchWrite>) -> SyncResult<Vec<BatchResult>> {
        let count = writes.len();
        let answer: BatchResponse = self.post(routes::ITEMS_BATCH, &BatchRequest { writes })?;
        if answer.results.len() != count {
            return Err(SyncError::Protocol(format!(
                "{} answers to a batch of {count} writes",
                answer.results.len()
            )));
        }
        Ok(answer.results)
    }

    pub(crate) fn item(&self, id: Uuid) -> SyncResult<Item> {
        self.get(&routes::item(id))
    }

    pub(crate) fn changes(&self, since: u64, limit: u32) -> SyncResult<ChangesPage> {
        self.get(&format!("{}?since={since}&limit={limit}", routes::CHANGES))
    }

    // -- blobs ----------------------------------------------------------------------------

    pub(crate) fn create_upload(&self, sha256: &str, size: u64) -> SyncResult<UploadStatus> {
        self.post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256.into(),
                size,
            },
        )
    }

    pub(crate) fn put_chunk(
        &self,
        upload: Uuid,
        offset: u64,
        chunk: Vec<u8>,
    ) -> SyncResult<UploadStatus> {
        self.json(
            self.request(
                Method::PUT,
                &format!("{}?offset={offset}", routes::upload(upload)),
            )
            .header("content-type", "application/octet-stream")
            .body(chunk),
        )
    }

    pub(crate) fn complete_upload(&self, upload: Uuid) -> SyncResult<UploadStatus> {
        self.json(self.request(Method::POST, &routes::upload_complete(upload)))
    }

    /// Sends one blob of `size` bytes (those of `file` from `start` on), continuing where an
    /// earlier upload of it stopped; `progress(sent, total, resumed_from)` after each chunk.
    pub(crate) fn upload(
        &self,
        sha256: &str,
        size: u64,
        file: &mut File,
        start: u64,
        progress: &mut dyn FnMut(u64, u64, Option<u64>),
    ) -> SyncResult<()> {
        let status = self.create_upload(sha256, size)?;
        if status.complete {
            return Ok(());
        }
        let upload = status
            .upload_id
            .ok_or_else(|| SyncError::Protocol("an upload without an id".into()))?;
        let mut offset = status.received;
        let mut resumed_from = (offset > 0).then_some(offset);
        while offset < size {
            let len = UPLOAD_CHUNK.min(size - offset);
            let mut chunk = vec![0; len as usize];
            file.seek(SeekFrom::Start(start + offset))
                .and_then(|_| file.read_exact(&mut chunk))
                .map_err(|e| Error::io("reading encrypted content", e))?;
            offset = match self.put_chunk(upload, offset, chunk) {
                Ok(status) => status.received,
                // Another attempt got further (or less far) than we thought: ask and go on.
                Err(e) if e.code() == Some(ErrorCode::UploadOffsetMismatch) => {
                    self.get::<UploadStatus>(&routes::upload(upload))?.received
                }
                Err(e) => return Err(e),
            };
            progress(offset, size, resumed_from.take());
        }
        self.complete_upload(upload)?;
        Ok(())
    }
}

/// An answer (an OPAQUE message, a JSON body) that does not parse or verify.
fn protocol(e: impl std::fmt::Display) -> SyncError {
    SyncError::Protocol(e.to_string())
}

/// A transport error without the URL (which the message names separately) and without any
/// request content.
fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or no route".into()
    } else if e.is_timeout() {
        "no answer in time".into()
    } else {
        let mut reason = String::from("the connection failed");
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            reason = inner.to_string();
            source = inner.source();
        }
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which hosts are this computer is `net`'s test; here, what the sync client makes of it.
    #[test]
    fn plain_http_goes_only_to_a_server_on_this_machine() {
        assert_eq!(
            normalise_url(" https://sync.example.net/ ").unwrap(),
            "https://sync.example.net"
        );
        assert_eq!(
            normalise_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        for refused in [
            "http://sync.example.net",
            "ftp://sync.example.net",
            "sync.example.net",
        ] {
            let err = normalise_url(refused).unwrap_err();
            assert!(
                matches!(err, SyncError::Unreachable { .. }),
                "{refused}: {err}"
            );
        }
    }
}
