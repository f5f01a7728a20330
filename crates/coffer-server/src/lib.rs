//! Coffer's zero-knowledge sync server.
//!
//! The server stores, per account, an OPAQUE record, the client's wrapped vault key, devices,
//! and items: an encrypted envelope, immutable content-addressed encrypted blobs and a few
//! technical fields (id, revision, kind class, created month, padded size). It never holds a
//! key that could open any of them.
//!
//! Code map: [`http`] (routes and thin handlers) → services on [`app::App`] ([`auth`],
//! [`items`], [`uploads`], [`account`], [`maintenance`]) → [`storage::Storage`] (SQLite or
//! PostgreSQL) and [`blobs::BlobStore`] (directory or S3). Time comes from [`clock::Clock`].
//! Plans: [`billing`] (catalog, limits and locks behind [`entitlements::Entitlements`], the
//! signed entitlement, checkout, Stripe and Comgate, the grace period), [`mail`] (the e-mail
//! outbox), [`admin`] (operator commands); the jobs run from [`maintenance`]. Opt-in e-mail
//! reminders (dates and opaque ids only): [`reminders`], sent by the jobs through [`mail`].
#![forbid(unsafe_code)]

pub mod account;
pub mod admin;
pub mod app;
pub mod auth;
pub mod billing;
pub mod blobs;
pub mod clock;
pub mod config;
pub mod entitlements;
pub mod error;
pub mod http;
pub mod items;
pub mod mail;
pub mod maintenance;
pub mod ratelimit;
pub mod reminders;
pub mod storage;
pub mod totp;
pub mod uploads;

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
