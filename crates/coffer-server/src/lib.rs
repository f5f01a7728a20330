//! Coffer's zero-knowledge sync server.
//!
//! The server stores, per account, an OPAQUE record, the client's wrapped vault key, devices,
//! and items: an encrypted envelope, immutable content-addressed encrypted blobs and a few
//! technical fields (id, revision, kind class, created month, padded size). It never holds a
//! key that could open any of them.
//!
//! Code map: [`http`] (routes, extractors that authenticate and check the verified address
//! and step-up, thin handlers) → services on [`app::App`] ([`auth`], [`step_up`],
//! [`second_factor`], [`verification`], [`items`], [`uploads`], [`account`], [`export`],
//! [`shares`], [`maintenance`]) → [`storage`] (plain SQL functions per concept, one code path for SQLite
//! and PostgreSQL, units of work) and [`blobs::BlobStore`] (directory or S3). Time comes from
//! [`clock::Clock`]; the server's own key from [`server_key`]. Plans: [`billing`] (catalog,
//! monthly limits, locks, the signed entitlement, checkout, Stripe and Comgate, the grace
//! period), [`mail`] (the e-mail outbox), [`admin`] (operator commands); the jobs run from
//! [`maintenance`]. Opt-in e-mail reminders (dates and opaque ids only): [`reminders`], sent by
//! the jobs through [`mail`].
#![forbid(unsafe_code)]

pub mod account;
pub mod admin;
pub mod app;
pub mod auth;
pub mod billing;
pub mod blobs;
pub mod clock;
pub mod config;
pub mod error;
pub mod export;
pub mod failpoint;
pub mod http;
pub mod items;
pub mod mail;
pub mod maintenance;
pub mod ratelimit;
pub mod reminders;
pub mod second_factor;
pub mod server_key;
pub mod share_page;
pub mod shares;
pub mod step_up;
pub mod storage;
pub mod totp;
pub mod uploads;
pub mod verification;

use std::net::SocketAddr;
use std::sync::Arc;

/// Installs the ring TLS provider for outgoing connections (S3, PostgreSQL); idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    app: Arc<app::App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let router = http::router(app);
    // Without TCP_NODELAY a streamed body (blob downloads: headers, then the bytes) waits for
    // the client's delayed ACK, about 40 ms per response.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
