//! Route paths. Path parameters are shown as `{name}`; the helper functions fill them in.
//! "Authenticated" means `Authorization: Bearer <access token>`; without a valid one the answer
//! is `401` with `invalid_token`, `token_expired` or `session_revoked`.
//!
//! "Verified" means the account's e-mail address must be verified (on a server that sends
//! e-mail), else `403 email_not_verified`. "Step-up" means a fresh proof of the password and
//! the second factor: the [`crate::STEP_UP_HEADER`] token from [`STEP_UP_FINISH`], else
//! `401 step_up_required`; such a route writes a security event, mails the account's address
//! and is rate limited per account (`429 rate_limited`).

use uuid::Uuid;

/// `GET`: liveness, `200` [`crate::Health`] while the process runs.
pub const HEALTHZ: &str = "/healthz";
/// `GET`: readiness, `200` [`crate::Health`] when the database and blob store answer,
/// `503 unavailable` otherwise.
pub const READYZ: &str = "/readyz";

/// `POST` [`crate::RegisterStartRequest`] → [`crate::RegisterStartResponse`]; rate limited
/// per client address and per e-mail address (`429 rate_limited`).
pub const REGISTER_START: &str = "/v1/auth/register/start";
/// `POST` [`crate::RegisterFinishRequest`] → `201`, the same for a new and an existing address;
/// rate limited like [`REGISTER_START`].
pub const REGISTER_FINISH: &str = "/v1/auth/register/finish";
/// `POST` [`crate::LoginStartRequest`] → [`crate::LoginStartResponse`]; rate limited per
/// account and per client IP (`429 rate_limited`). The client IP is the socket's peer, or the
/// rightmost `X-Forwarded-For` address not in the server's `trusted_proxies` when the peer
/// is one of them.
pub const LOGIN_START: &str = "/v1/auth/login/start";
/// `POST` [`crate::LoginFinishRequest`] → [`crate::LoginFinishResponse`] or
/// `401 invalid_credentials` (wrong password, unknown account, replayed or expired attempt).
pub const LOGIN_FINISH: &str = "/v1/auth/login/finish";
/// `POST` [`crate::LoginTotpRequest`] → [`crate::LoginFinishResponse::Ok`] or
/// `401 invalid_totp` (the token stays usable for another try until it expires). Wrong codes
/// in a row make the next guess wait, doubling each time, per account on every instance
/// (`429 rate_limited` with `retry_after_secs`).
pub const LOGIN_TOTP: &str = "/v1/auth/login/totp";
/// `POST` [`crate::RefreshRequest`] → [`crate::TokenPair`]; an already exchanged refresh
/// token ends its session (`401 session_revoked`).
pub const AUTH_REFRESH: &str = "/v1/auth/refresh";
/// `POST`, authenticated → `204`: ends this device's session.
pub const LOGOUT: &str = "/v1/auth/logout";
/// `POST`, authenticated → `204`: ends every session of the account, this one included.
pub const LOGOUT_ALL: &str = "/v1/auth/logout-all";

/// Authenticated. `GET` → [`crate::AccountInfo`]; `DELETE` [`crate::DeleteAccountRequest`]
/// (step-up) → `204`.
pub const ACCOUNT: &str = "/v1/account";
/// Authenticated. `GET` → [`crate::WrappedKeys`]; `PUT` [`crate::WrappedKeys`] (step-up) →
/// `204` (e.g. after a KDF change; the OPAQUE record is unchanged).
pub const ACCOUNT_KEYS: &str = "/v1/account/keys";
/// Authenticated `POST` [`crate::StepUpStartRequest`] → [`crate::LoginStartResponse`]: an
/// OPAQUE login of the signed-in account, proving the password again. Rate limited like
/// [`LOGIN_START`].
pub const STEP_UP_START: &str = "/v1/account/step-up/start";
/// Authenticated `POST` [`crate::StepUpFinishRequest`] → [`crate::StepUpToken`] for this
/// session; `401 invalid_credentials`, `401 totp_required`, `401 invalid_totp`, `429
/// rate_limited` (second-factor back-off).
pub const STEP_UP_FINISH: &str = "/v1/account/step-up/finish";
/// Authenticated `POST` [`crate::EmailVerifyRequest`] → `204`: the address is verified.
/// `422 invalid_field` for a wrong or expired code (after five wrong codes the code is void:
/// ask for a new one); `429 rate_limited`.
pub const EMAIL_VERIFY: &str = "/v1/account/email/verify";
/// Authenticated `POST` (no body) → `202`: mails a new verification code (rate limited);
/// `422 invalid_field` if the address is verified or the server sends no e-mail.
pub const EMAIL_RESEND: &str = "/v1/account/email/resend";
/// Authenticated `POST` [`crate::PasswordChangeStartRequest`] (step-up) →
/// [`crate::RegisterStartResponse`].
pub const PASSWORD_START: &str = "/v1/account/password/start";
/// Authenticated `POST` [`crate::PasswordChangeFinishRequest`] (step-up) → `204`; other
/// devices are logged out.
pub const PASSWORD_FINISH: &str = "/v1/account/password/finish";
/// Authenticated `POST` (no body, step-up) → [`crate::TotpSetupResponse`]: a new secret,
/// pending until [`TOTP_ENABLE`].
pub const TOTP_SETUP: &str = "/v1/account/totp/setup";
/// Authenticated `POST` [`crate::TotpCodeRequest`] (step-up) → [`crate::TotpEnabledResponse`]:
/// the pending secret becomes the account's (replacing one that was on) with new recovery
/// codes; `401 invalid_totp` if the code is not from the pending secret.
pub const TOTP_ENABLE: &str = "/v1/account/totp/enable";
/// Authenticated `POST` (step-up; the step-up proved the second factor) → `204`. A body is
/// not needed (an old client's `{"code": ...}` is ignored).
pub const TOTP_DISABLE: &str = "/v1/account/totp/disable";
/// Authenticated `POST` (no body, step-up) → [`crate::TotpEnabledResponse`]: ten new recovery
/// codes replace the old ones; `422 invalid_field` if TOTP is off.
pub const RECOVERY_CODES: &str = "/v1/account/totp/recovery-codes";
/// Authenticated `GET` → [`crate::SecurityEventList`].
pub const SECURITY_EVENTS: &str = "/v1/account/security-events";
/// Authenticated `GET` (step-up; rate limited) → `application/x-tar` archive of everything
/// the server holds for the account, streamed: `manifest.json` (format, account, security
/// events, e-mail reminders as [`crate::Reminder`]s), `keys.json` ([`crate::WrappedKeys`]),
/// `items/page-NNNNNN.json` (the technical metadata of up to 1000 items and tombstones each,
/// as [`crate::Item`]s without envelopes), `items/<id>.envelope`, `blobs/<sha256>`. All of it
/// is ciphertext or technical metadata. `423 item_locked` while locked items exist.
pub const ACCOUNT_EXPORT: &str = "/v1/account/export";

/// Authenticated `GET` → [`crate::DeviceList`].
pub const DEVICES: &str = "/v1/devices";
/// Authenticated `DELETE` → `204`: revokes that device's session (`404` if not this
/// account's).
pub const DEVICE: &str = "/v1/devices/{device_id}";

/// Authenticated, verified `GET ?since=&limit=` → [`crate::ChangesPage`] (pages bounded by
/// [`crate::MAX_CHANGES_LIMIT`] items and [`crate::MAX_CHANGES_PAGE_BYTES`]);
/// `410 cursor_expired`.
pub const CHANGES: &str = "/v1/changes";
/// Authenticated, verified `GET` → `text/event-stream` of [`crate::ChangeNudge`]
/// (`event: changed`).
pub const EVENTS: &str = "/v1/events";
/// Authenticated, verified. `GET` → [`crate::Item`] (`404` if not this account's,
/// `423 item_locked`); `PUT` [`crate::ItemWrite`] → [`crate::Item`] (see the errors there);
/// `DELETE` with `If-Match: "<revision>"` → the tombstone [`crate::Item`] (`404`, `409`;
/// allowed on a locked item, and final).
pub const ITEM: &str = "/v1/items/{item_id}";
/// Authenticated, verified `POST` [`crate::BatchRequest`] → [`crate::BatchResponse`]: several
/// item writes in one request, each with the rules, idempotency and answer of `PUT`
/// [`ITEM`], small blobs inline. `422 invalid_field` for more than
/// [`crate::MAX_BATCH_WRITES`] writes; `413` past [`crate::MAX_BATCH_BODY`].
pub const ITEMS_BATCH: &str = "/v1/items-batch";

/// Authenticated, verified `POST` [`crate::CreateUploadRequest`] → [`crate::UploadStatus`];
/// `402 storage_quota_exceeded` when the blob would take the account past its plan's quota.
pub const UPLOADS: &str = "/v1/uploads";
/// Authenticated, verified. `GET` → [`crate::UploadStatus`]; `PUT ?offset=<n>` with the chunk bytes →
/// [`crate::UploadStatus`] (`409 upload_offset_mismatch` with `expected_offset`).
pub const UPLOAD: &str = "/v1/uploads/{upload_id}";
/// Authenticated, verified `POST` (no body) → [`crate::UploadStatus`] with `complete: true`, or
/// `422 checksum_mismatch` (the upload is discarded; start again) / `422 upload_incomplete`.
pub const UPLOAD_COMPLETE: &str = "/v1/uploads/{upload_id}/complete";
/// Authenticated, verified `GET` → the blob's bytes (`application/octet-stream`), `404` if this account
/// has no such blob.
pub const BLOB: &str = "/v1/blobs/{sha256}";

/// `GET` (public) → [`crate::PlanCatalog`].
pub const PLANS: &str = "/v1/plans";
/// `GET` (public) → [`crate::EntitlementKey`]: the key entitlements are signed with. Fetch it
/// at register/first login and keep it (see [`crate::entitlement`]).
pub const ENTITLEMENT_KEY: &str = "/v1/entitlement/key";
/// Authenticated `GET` → [`crate::SignedEntitlement`]; verify it with
/// [`crate::SignedEntitlement::verify`].
pub const ENTITLEMENT: &str = "/v1/entitlement";
/// Authenticated, verified `POST` [`crate::CheckoutRequest`] → [`crate::CheckoutResponse`]
/// (`503 payments_unavailable` when the provider is not configured).
pub const BILLING_CHECKOUT: &str = "/v1/billing/checkout";
/// Authenticated `POST` (no body) → [`crate::SignedEntitlement`]: one-click cancel. The paid
/// plan stays until the end of the paid period, then the account moves to the free plan; no
/// refund. Buying a plan again before the period ends resumes renewal.
pub const BILLING_CANCEL: &str = "/v1/billing/cancel";
/// Authenticated `GET` → [`crate::BillingHistory`].
pub const BILLING_HISTORY: &str = "/v1/billing/history";
/// Authenticated, verified `POST` (no body) → [`crate::OcrCredits`]: a connected client asks for one
/// remote OCR credit before each remote OCR call (the server learns a count, never the
/// document). `402 ocr_credits_used_up` with `ocr_credits` when the plan has none or this
/// month's are used; `404` on a server without plans (no limits).
pub const OCR_CREDITS: &str = "/v1/ocr/credits";
/// `POST` from Stripe: webhook events, verified with the `Stripe-Signature` header.
pub const STRIPE_WEBHOOK: &str = "/v1/billing/stripe/webhook";
/// `POST` from Comgate: payment status notifications (form-encoded), verified by asking
/// Comgate's status API; rate limited per client address.
pub const COMGATE_NOTIFY: &str = "/v1/billing/comgate/notify";

/// Authenticated, verified e-mail reminders (see [`crate::reminders`]). `GET` → [`crate::ReminderList`];
/// `PUT` [`crate::ReminderSet`] → [`crate::ReminderList`] (replaces the whole set; `403
/// forbidden` on a plan without e-mail reminders); `DELETE` → `204` (all of them, on any
/// plan).
pub const REMINDERS: &str = "/v1/reminders";
/// Authenticated `DELETE` → `204`: removes one reminder (`404 not_found` if this account has
/// none with that id, e.g. after a retried delete).
pub const REMINDER: &str = "/v1/reminders/{reminder_id}";

/// Authenticated, verified private share links (see [`crate::shares`]). `POST`
/// [`crate::ShareCreate`] → `201` [`crate::Share`]; `GET` → [`crate::ShareList`].
pub const SHARES: &str = "/v1/shares";
/// Authenticated, verified `DELETE` → `204`: revokes the share, deleting its ciphertext at
/// once (`404 not_found` for another account's or an unknown id; a second revoke is `204`).
pub const SHARE: &str = "/v1/shares/{share_id}";
/// Public `GET` → the share page (HTML under a strict CSP; `410` with a page that says so
/// for an expired or revoked share, `404` for an unknown one).
pub const SHARE_PAGE: &str = "/s/{share_id}";
/// Public `GET` → the sealed file (`application/octet-stream`), counted as a download; `410
/// share_ended` once it expired or was revoked.
pub const SHARE_DATA: &str = "/s/{share_id}/data";
/// Public `GET`: the share page's script and style sheet (no third-party code).
pub const SHARE_SCRIPT: &str = "/s/assets/share.js";
pub const SHARE_STYLE: &str = "/s/assets/share.css";

pub fn share(share_id: Uuid) -> String {
    format!("/v1/shares/{share_id}")
}

pub fn share_page(share_id: Uuid) -> String {
    format!("/s/{share_id}")
}

pub fn share_data(share_id: Uuid) -> String {
    format!("/s/{share_id}/data")
}

pub fn device(device_id: Uuid) -> String {
    format!("/v1/devices/{device_id}")
}

pub fn item(item_id: Uuid) -> String {
    format!("/v1/items/{item_id}")
}

pub fn upload(upload_id: Uuid) -> String {
    format!("/v1/uploads/{upload_id}")
}

pub fn upload_complete(upload_id: Uuid) -> String {
    format!("/v1/uploads/{upload_id}/complete")
}

pub fn blob(sha256: &str) -> String {
    format!("/v1/blobs/{sha256}")
}

pub fn reminder(reminder_id: Uuid) -> String {
    format!("/v1/reminders/{reminder_id}")
}
