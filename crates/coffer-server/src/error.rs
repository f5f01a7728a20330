//! The one error type the services return. It carries the stable [`ErrorCode`] of the API, so
//! the HTTP layer only serialises it; backend failures are logged here, without request data,
//! and reach the client as a code and a sentence, never as internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coffer_api::{ErrorBody, ErrorCode, ErrorDetail};
use std::borrow::Cow;

/// The detail of a refused plan limit.
#[derive(Debug)]
pub enum LimitDetail {
    /// `plan_limit_reached`: items of a kind per month.
    Items(coffer_api::PlanLimitDetail),
    /// `ocr_credits_used_up`: remote OCR credits per month.
    OcrCredits(coffer_api::OcrCredits),
    /// `storage_quota_exceeded`: bytes stored.
    Storage(coffer_api::StorageQuotaDetail),
}

#[derive(Debug, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    pub current_revision: Option<u64>,
    pub expected_offset: Option<u64>,
    pub retry_after_secs: Option<u64>,
    /// Which plan limit refused the request (boxed: errors stay small).
    pub limit: Option<Box<LimitDetail>>,
    pub purge_at: Option<i64>,
    pub reminder_id: Option<uuid::Uuid>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            current_revision: None,
            expected_offset: None,
            retry_after_secs: None,
            limit: None,
            purge_at: None,
            reminder_id: None,
        }
    }

    pub fn malformed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::MalformedRequest, message)
    }

    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidField, message)
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "No such resource in this account.")
    }

    pub fn invalid_credentials() -> Self {
        Self::new(
            ErrorCode::InvalidCredentials,
            "The e-mail address or password is wrong, or the login attempt expired; start again.",
        )
    }

    pub fn rate_limited(message: impl Into<Cow<'static, str>>, wait_secs: u64) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited, message);
        e.retry_after_secs = Some(wait_secs.max(1));
        e
    }

    pub fn invalid_token() -> Self {
        Self::new(
            ErrorCode::InvalidToken,
            "The access token is missing or not valid; log in again.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "The server's storage is unavailable; try again in a moment.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "The server failed; nothing was stored. Try again later.",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        crate::storage::StorageError::from(e).into()
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> Self {
        use crate::storage::StorageError::*;
        match e {
            Unavailable(_) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::unavailable()
            }
            Conflict | Backend(_) | Corrupt(_) => {
                tracing::error!(error = %e, "database error");
                ApiError::internal()
            }
        }
    }
}

impl From<object_store::Error> for ApiError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => {
                tracing::error!("a blob recorded in the database is missing from the store");
                ApiError::internal()
            }
            other => {
                tracing::warn!(error = %other, "blob store error");
                ApiError::unavailable()
            }
        }
    }
}

impl From<ApiError> for ErrorDetail {
    fn from(e: ApiError) -> Self {
        let (mut plan_limit, mut ocr_credits, mut storage_quota) = (None, None, None);
        match e.limit.map(|d| *d) {
            Some(LimitDetail::Items(d)) => plan_limit = Some(d),
            Some(LimitDetail::OcrCredits(d)) => ocr_credits = Some(d),
            Some(LimitDetail::Storage(d)) => storage_quota = Some(d),
            None => {}
        }
        ErrorDetail {
            code: e.code,
            message: e.message.into_owned(),
            current_revision: e.current_revision,
            expected_offset: e.expected_offset,
            retry_after_secs: e.retry_after_secs,
            plan_limit,
            ocr_credits,
            purge_at: e.purge_at,
            reminder_id: e.reminder_id,
            storage_quota,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after_secs;
        let body = ErrorBody {
            error: ErrorDetail::from(self),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after
            && let Ok(v) = secs.to_string().parse()
        {
            response.headers_mut().insert("retry-after", v);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
