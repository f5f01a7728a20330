//! The HTTP layer: routes, extractors that turn every malformed input into a structured 4xx
//! and say what a route requires ([`Caller`]: a valid access token; [`Verified`]: and a
//! verified address; [`SteppedUp`]: and a fresh step-up), and thin handlers (parse, authorise,
//! call the service, serialise).

use crate::app::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::items::Precondition;
use crate::share_page;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use coffer_api::{
    API_VERSION, API_VERSION_HEADER, AccountInfo, BatchRequest, BatchResponse, BillingHistory,
    ChangeNudge, ChangesPage, CheckoutRequest, CheckoutResponse, CreateUploadRequest,
    DeleteAccountRequest, DeviceList, EmailVerifyRequest, EntitlementKey, ErrorCode, Health,
    IDEMPOTENCY_KEY, Item, ItemWrite, LoginFinishRequest, LoginFinishResponse, LoginStartRequest,
    LoginStartResponse, LoginTotpRequest, MAX_BATCH_BODY, MAX_CHUNK_BYTES, MAX_JSON_BODY,
    OcrCredits, PasswordChangeFinishRequest, PasswordChangeStartRequest, PlanCatalog,
    RefreshRequest, RegisterFinishRequest, RegisterStartRequest, RegisterStartResponse,
    ReminderList, ReminderSet, STEP_UP_HEADER, SecurityEventList, Share, ShareCreate, ShareList,
    SignedEntitlement, StepUpFinishRequest, StepUpStartRequest, StepUpToken, TokenPair,
    TotpCodeRequest, TotpEnabledResponse, TotpSetupResponse, UploadStatus, WrappedKeys, routes,
};
use serde::Deserialize;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

type AppState = State<Arc<App>>;

// ---------------------------------------------------------------------------------------
// Extractors with structured rejections
// ---------------------------------------------------------------------------------------

fn body_rejection(status: StatusCode, what: &'static str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            "The request body is larger than this route accepts.",
        )
    } else {
        ApiError::malformed(what)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                // Which field is wrong helps the client author and reveals nothing.
                ApiError::malformed(format!("The JSON body does not fit: {}", e.body_text()))
            }
            other => body_rejection(
                other.status(),
                "The body must be JSON with Content-Type: application/json.",
            ),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        body_rejection(
            r.status(),
            "The body could not be read completely (check Content-Length).",
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::not_found()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        ApiError::malformed("The query string is not valid.")
    }
}

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
struct ApiJson<T>(T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
struct ApiPath<T>(T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
struct ApiQuery<T>(T);

struct RawBody(bytes::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        bytes::Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(ApiError::from)
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::invalid_token)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(ApiError::invalid_token)?;
        app.authenticate(token.trim()).await
    }
}

/// An authenticated caller whose e-mail address is verified (`403 email_not_verified`).
struct Verified(Caller);

impl FromRequestParts<Arc<App>> for Verified {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, app).await?;
        app.require_verified(&caller)?;
        Ok(Verified(caller))
    }
}

/// An authenticated caller with a fresh step-up token for its session in [`STEP_UP_HEADER`]
/// (`401 step_up_required`); counts against the account-change rate limit.
struct SteppedUp(Caller);

impl FromRequestParts<Arc<App>> for SteppedUp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, app).await?;
        let token = header_str(&parts.headers, STEP_UP_HEADER)?;
        app.require_step_up(&caller, token).await?;
        Ok(SteppedUp(caller))
    }
}

/// The client's address for rate limits: the socket peer, or, when the peer is one of the
/// configured `trusted_proxies`, the rightmost `X-Forwarded-For` address that is not one.
struct ClientIp(IpAddr);

impl FromRequestParts<Arc<App>> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientIp(app.trusted_proxies.client(peer, &forwarded)))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> ApiResult<Option<&'a str>> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::invalid(format!("The {name} header is not valid text.")))
        })
        .transpose()
}

fn precondition(headers: &HeaderMap) -> ApiResult<Precondition> {
    Precondition::from_headers(
        header_str(headers, "if-match")?,
        header_str(headers, "if-none-match")?,
    )
}

// ---------------------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------------------

pub fn router(app: Arc<App>) -> Router {
    let chunk_route = put(put_chunk)
        .get(upload_status)
        .layer(DefaultBodyLimit::max(MAX_CHUNK_BYTES));
    let batch_route = post(write_batch).layer(DefaultBodyLimit::max(MAX_BATCH_BODY));
    Router::new()
        .route(routes::HEALTHZ, get(healthz))
        .route(routes::READYZ, get(readyz))
        .route(routes::REGISTER_START, post(register_start))
        .route(routes::REGISTER_FINISH, post(register_finish))
        .route(routes::LOGIN_START, post(login_start))
        .route(routes::LOGIN_FINISH, post(login_finish))
        .route(routes::LOGIN_TOTP, post(login_totp))
        .route(routes::AUTH_REFRESH, post(refresh))
        .route(routes::LOGOUT, post(logout))
        .route(routes::LOGOUT_ALL, post(logout_all))
        .route(routes::ACCOUNT, get(account_info).delete(delete_account))
        .route(routes::ACCOUNT_KEYS, get(get_keys).put(put_keys))
        .route(routes::STEP_UP_START, post(step_up_start))
        .route(routes::STEP_UP_FINISH, post(step_up_finish))
        .route(routes::EMAIL_VERIFY, post(verify_email))
        .route(routes::EMAIL_RESEND, post(resend_verification))
        .route(routes::PASSWORD_START, post(password_start))
        .route(routes::PASSWORD_FINISH, post(password_finish))
        .route(routes::TOTP_SETUP, post(totp_setup))
        .route(routes::TOTP_ENABLE, post(totp_enable))
        .route(routes::TOTP_DISABLE, post(totp_disable))
        .route(routes::RECOVERY_CODES, post(new_recovery_codes))
        .route(routes::SECURITY_EVENTS, get(security_events))
        .route(routes::ACCOUNT_EXPORT, get(export))
        .route(routes::DEVICES, get(devices))
        .route(routes::DEVICE, axum::routing::delete(revoke_device))
        .route(routes::CHANGES, get(changes))
        .route(routes::EVENTS, get(events))
        .route(
            routes::ITEM,
            get(get_item).put(put_item).delete(delete_item),
        )
        .route(routes::ITEMS_BATCH, batch_route)
        .route(routes::UPLOADS, post(create_upload))
        .route(routes::UPLOAD, chunk_route)
        .route(routes::UPLOAD_COMPLETE, post(complete_upload))
        .route(routes::BLOB, get(get_blob))
        .route(routes::PLANS, get(plans))
        .route(routes::ENTITLEMENT_KEY, get(entitlement_key))
        .route(routes::ENTITLEMENT, get(entitlement))
        .route(routes::BILLING_CHECKOUT, post(checkout))
        .route(routes::BILLING_CANCEL, post(cancel_plan))
        .route(routes::BILLING_HISTORY, get(billing_history))
        .route(routes::OCR_CREDITS, post(use_ocr_credit))
        .route(routes::STRIPE_WEBHOOK, post(stripe_webhook))
        .route(routes::COMGATE_NOTIFY, post(comgate_notify))
        .route(
            routes::REMINDERS,
            get(reminders).put(put_reminders).delete(delete_reminders),
        )
        .route(routes::REMINDER, axum::routing::delete(delete_reminder))
        .route(routes::SHARES, post(create_share).get(list_shares))
        .route(routes::SHARE, axum::routing::delete(revoke_share))
        .route(routes::SHARE_PAGE, get(share_page))
        .route(routes::SHARE_DATA, get(share_data))
        .route(routes::SHARE_SCRIPT, get(share_page::script))
        .route(routes::SHARE_STYLE, get(share_page::style))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::map_response(stamp_version))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .layer(
            // One line per request: method, route template (never the query or a body),
            // status and latency.
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &axum::extract::Request| {
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or("-", |p| p.as_str());
                    tracing::info_span!("request", method = %req.method(), route)
                })
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        .with_state(app)
}

async fn stamp_version(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(API_VERSION_HEADER, HeaderValue::from(API_VERSION));
    response
}

fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::internal().into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "There is no such route.")
}

async fn method_not_allowed() -> Response {
    let mut r = ApiError::malformed("This route does not take that method.").into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

// ---------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------

fn health(status: &str) -> Json<Health> {
    Json(Health {
        status: status.to_owned(),
        api_version: API_VERSION,
    })
}

async fn healthz() -> Json<Health> {
    health("ok")
}

async fn readyz(State(app): AppState) -> ApiResult<Json<Health>> {
    app.ready().await?;
    Ok(health("ready"))
}

async fn register_start(
    State(app): AppState,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RegisterStartRequest>,
) -> ApiResult<Json<RegisterStartResponse>> {
    Ok(Json(app.register_start(req, ip).await?))
}

async fn register_finish(
    State(app): AppState,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RegisterFinishRequest>,
) -> ApiResult<StatusCode> {
    app.register_finish(req, ip).await?;
    Ok(StatusCode::CREATED)
}

async fn login_start(
    State(app): AppState,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginStartRequest>,
) -> ApiResult<Json<LoginStartResponse>> {
    Ok(Json(app.login_start(req, ip).await?))
}

async fn login_finish(
    State(app): AppState,
    ApiJson(req): ApiJson<LoginFinishRequest>,
) -> ApiResult<Json<LoginFinishResponse>> {
    Ok(Json(app.login_finish(req).await?))
}

async fn login_totp(
    State(app): AppState,
    ApiJson(req): ApiJson<LoginTotpRequest>,
) -> ApiResult<Json<LoginFinishResponse>> {
    Ok(Json(app.login_totp(req).await?))
}

async fn refresh(
    State(app): AppState,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    Ok(Json(app.refresh(req).await?))
}

async fn logout(State(app): AppState, caller: Caller) -> ApiResult<StatusCode> {
    app.logout(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout_all(State(app): AppState, caller: Caller) -> ApiResult<StatusCode> {
    app.logout_all(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn account_info(State(app): AppState, caller: Caller) -> ApiResult<Json<AccountInfo>> {
    Ok(Json(app.account_info(&caller).await?))
}

async fn delete_account(
    State(app): AppState,
    SteppedUp(caller): SteppedUp,
    ApiJson(req): ApiJson<DeleteAccountRequest>,
) -> ApiResult<StatusCode> {
    app.delete_account(&caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_keys(State(app): AppState, caller: Caller) -> ApiResult<Json<WrappedKeys>> {
    Ok(Json(app.wrapped_keys(&caller).await?))
}

async fn put_keys(
    State(app): AppState,
    SteppedUp(caller): SteppedUp,
    ApiJson(keys): ApiJson<WrappedKeys>,
) -> ApiResult<StatusCode> {
    app.set_wrapped_keys(&caller, keys).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn step_up_start(
    State(app): AppState,
    caller: Caller,
    ApiJson(req): ApiJson<StepUpStartRequest>,
) -> ApiResult<Json<LoginStartResponse>> {
    Ok(Json(app.step_up_start(&caller, req).await?))
}

async fn step_up_finish(
    State(app): AppState,
    caller: Caller,
    ApiJson(req): ApiJson<StepUpFinishRequest>,
) -> ApiResult<Json<StepUpToken>> {
    Ok(Json(app.step_up_finish(&caller, req).await?))
}

async fn verify_email(
    State(app): AppState,
    caller: Caller,
    ApiJson(req): ApiJson<EmailVerifyRequest>,
) -> ApiResult<StatusCode> {
    app.verify_email(&caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn resend_verification(State(app): AppState, caller: Caller) -> ApiResult<StatusCode> {
    app.resend_verification(&caller).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn password_start(
    State(app): AppState,
    SteppedUp(caller): SteppedUp,
    ApiJson(req): ApiJson<PasswordChangeStartRequest>,
) -> ApiResult<Json<RegisterStartResponse>> {
    Ok(Json(app.password_start(&caller, req).await?))
}

async fn password_finish(
    State(app): AppState,
    SteppedUp(caller): SteppedUp,
    ApiJson(req): ApiJson<PasswordChangeFinishRequest>,
) -> ApiResult<StatusCode> {
    app.password_finish(&caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn totp_setup(
    State(app): AppState,
    SteppedUp(caller): SteppedUp,
) -> ApiResult<Json<TotpSetupResponse>> {
    Ok(Json(app.totp_setup(&caller).await?))
}

async fn totp_enable(
    State(app): AppState,
    SteppedUp(caller): SteppedUp,
    ApiJson(req): ApiJson<TotpCodeRequest>,
) -> ApiResult<Json<TotpEnabledResponse>> {
    Ok(Json(app.totp_enable(&caller, req).await?))
}

async fn totp_disable(State(app): AppState, SteppedUp(caller): SteppedUp) -> ApiResult<StatusCode> {
    app.totp_disable(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn new_recovery_codes(
    State(app): AppState,
    SteppedUp(caller): SteppedUp,
) -> ApiResult<Json<TotpEnabledResponse>> {
    Ok(Json(app.new_recovery_codes(&caller).await?))
}

async fn security_events(
    State(app): AppState,
    caller: Caller,
) -> ApiResult<Json<SecurityEventList>> {
    Ok(Json(app.security_events(&caller).await?))
}

async fn export(State(app): AppState, SteppedUp(caller): SteppedUp) -> ApiResult<Response> {
    let archive = axum::body::Body::from_stream(app.export(&caller).await?);
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"coffer-account-export.tar\"",
            ),
        ],
        archive,
    )
        .into_response())
}

async fn devices(State(app): AppState, caller: Caller) -> ApiResult<Json<DeviceList>> {
    Ok(Json(app.devices(&caller).await?))
}

async fn revoke_device(
    State(app): AppState,
    caller: Caller,
    ApiPath(device_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app.revoke_device(&caller, device_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    since: u64,
    limit: Option<u32>,
}

async fn changes(
    State(app): AppState,
    Verified(caller): Verified,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> ApiResult<Json<ChangesPage>> {
    Ok(Json(app.changes(&caller, q.since, q.limit).await?))
}

/// Server-sent events: the latest sequence number at connection, then whenever it moves.
/// Writes through this process wake the stream at once; writes through other instances are
/// seen by polling every two seconds.
async fn events(State(app): AppState, Verified(caller): Verified) -> ApiResult<Response> {
    let latest = app.feed_position(caller.account_id).await?.unwrap_or(0);
    let receiver = app.nudges.subscribe();
    struct Feed {
        app: Arc<App>,
        account: Uuid,
        receiver: tokio::sync::broadcast::Receiver<Uuid>,
        last_sent: Option<u64>,
        current: u64,
    }
    let feed = Feed {
        app,
        account: caller.account_id,
        receiver,
        last_sent: None,
        current: latest,
    };
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        loop {
            if feed.last_sent != Some(feed.current) {
                feed.last_sent = Some(feed.current);
                let nudge = ChangeNudge {
                    latest_seq: feed.current,
                };
                let event = Event::default()
                    .event("changed")
                    .json_data(&nudge)
                    .unwrap_or_else(|_| Event::default().event("changed"));
                return Some((Ok::<_, Infallible>(event), feed));
            }
            // Wait for a local nudge for this account, or poll.
            let wait = async {
                loop {
                    match feed.receiver.recv().await {
                        Ok(id) if id == feed.account => return,
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await
                        }
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), wait).await;
            match feed.app.feed_position(feed.account).await {
                Ok(Some(seq)) => feed.current = seq,
                // The account was deleted: end the stream.
                Ok(None) => return None,
                Err(_) => tokio::time::sleep(Duration::from_secs(2)).await,
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

async fn get_item(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(item_id): ApiPath<Uuid>,
) -> ApiResult<Json<Item>> {
    Ok(Json(app.get_item(&caller, item_id).await?))
}

async fn put_item(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(item_id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(write): ApiJson<ItemWrite>,
) -> ApiResult<Json<Item>> {
    let pre = precondition(&headers)?;
    let key = header_str(&headers, IDEMPOTENCY_KEY)?;
    Ok(Json(app.put_item(&caller, item_id, pre, key, write).await?))
}

async fn write_batch(
    State(app): AppState,
    Verified(caller): Verified,
    ApiJson(batch): ApiJson<BatchRequest>,
) -> ApiResult<Json<BatchResponse>> {
    Ok(Json(app.write_batch(&caller, batch).await?))
}

async fn delete_item(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(item_id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Json<Item>> {
    let pre = precondition(&headers)?;
    let key = header_str(&headers, IDEMPOTENCY_KEY)?;
    Ok(Json(app.delete_item(&caller, item_id, pre, key).await?))
}

async fn create_upload(
    State(app): AppState,
    Verified(caller): Verified,
    ApiJson(req): ApiJson<CreateUploadRequest>,
) -> ApiResult<Json<UploadStatus>> {
    Ok(Json(app.create_upload(&caller, req).await?))
}

async fn upload_status(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(upload_id): ApiPath<Uuid>,
) -> ApiResult<Json<UploadStatus>> {
    Ok(Json(app.upload_status(&caller, upload_id).await?))
}

#[derive(Deserialize)]
struct ChunkQuery {
    offset: u64,
}

async fn put_chunk(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(upload_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ChunkQuery>,
    RawBody(body): RawBody,
) -> ApiResult<Json<UploadStatus>> {
    Ok(Json(
        app.put_chunk(&caller, upload_id, q.offset, body).await?,
    ))
}

async fn complete_upload(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(upload_id): ApiPath<Uuid>,
) -> ApiResult<Json<UploadStatus>> {
    Ok(Json(app.complete_upload(&caller, upload_id).await?))
}

async fn get_blob(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(sha256): ApiPath<String>,
) -> ApiResult<Response> {
    let (size, stream) = app.get_blob(&caller, &sha256).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

async fn plans(State(app): AppState) -> Json<PlanCatalog> {
    Json(app.catalog.public.clone())
}

async fn entitlement_key(State(app): AppState) -> Json<EntitlementKey> {
    Json(EntitlementKey::from_verifying_key(
        &app.entitlement_key.verifying_key(),
    ))
}

async fn entitlement(State(app): AppState, caller: Caller) -> ApiResult<Json<SignedEntitlement>> {
    Ok(Json(app.signed_entitlement(caller.account_id).await?))
}

async fn checkout(
    State(app): AppState,
    Verified(caller): Verified,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> ApiResult<Json<CheckoutResponse>> {
    Ok(Json(app.checkout(&caller, req).await?))
}

async fn cancel_plan(State(app): AppState, caller: Caller) -> ApiResult<Json<SignedEntitlement>> {
    Ok(Json(app.cancel_plan(&caller).await?))
}

async fn billing_history(State(app): AppState, caller: Caller) -> ApiResult<Json<BillingHistory>> {
    Ok(Json(app.billing_history(&caller).await?))
}

async fn use_ocr_credit(
    State(app): AppState,
    Verified(caller): Verified,
) -> ApiResult<Json<OcrCredits>> {
    Ok(Json(app.use_ocr_credit(&caller).await?))
}

async fn stripe_webhook(
    State(app): AppState,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let signature = header_str(&headers, "stripe-signature")?;
    app.stripe_webhook(signature, &body).await?;
    Ok(StatusCode::OK)
}

/// Comgate posts `application/x-www-form-urlencoded` and expects `code=0&message=OK`.
async fn comgate_notify(
    State(app): AppState,
    ClientIp(ip): ClientIp,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let notification = serde_urlencoded::from_bytes(&body)
        .map_err(|_| ApiError::malformed("The notification must be a form with transId."))?;
    app.comgate_notification(notification, ip).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
        "code=0&message=OK",
    )
        .into_response())
}

async fn reminders(
    State(app): AppState,
    Verified(caller): Verified,
) -> ApiResult<Json<ReminderList>> {
    Ok(Json(app.reminders(&caller).await?))
}

async fn put_reminders(
    State(app): AppState,
    Verified(caller): Verified,
    ApiJson(set): ApiJson<ReminderSet>,
) -> ApiResult<Json<ReminderList>> {
    Ok(Json(app.put_reminders(&caller, set).await?))
}

async fn delete_reminders(
    State(app): AppState,
    Verified(caller): Verified,
) -> ApiResult<StatusCode> {
    app.delete_reminders(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_reminder(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(reminder_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app.delete_reminder(&caller, reminder_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_share(
    State(app): AppState,
    Verified(caller): Verified,
    ApiJson(request): ApiJson<ShareCreate>,
) -> ApiResult<(StatusCode, Json<Share>)> {
    Ok((
        StatusCode::CREATED,
        Json(app.create_share(&caller, request).await?),
    ))
}

async fn list_shares(
    State(app): AppState,
    Verified(caller): Verified,
) -> ApiResult<Json<ShareList>> {
    Ok(Json(app.list_shares(&caller).await?))
}

async fn revoke_share(
    State(app): AppState,
    Verified(caller): Verified,
    ApiPath(share_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app.revoke_share(&caller, share_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The public page: a malformed id is an unknown link, shown as a page too.
async fn share_page(
    State(app): AppState,
    axum::extract::Path(share_id): axum::extract::Path<String>,
) -> ApiResult<Response> {
    let Ok(id) = Uuid::parse_str(&share_id) else {
        return Ok(share_page::unknown());
    };
    Ok(share_page::page(id, app.share_page_state(id).await?))
}

async fn share_data(State(app): AppState, ApiPath(share_id): ApiPath<Uuid>) -> ApiResult<Response> {
    let (size, stream) = app.share_data(share_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
