//! The page a share link opens (`/s/<id>#<key>`): the server's own HTML, script and style
//! sheet, under a policy that allows nothing else (no third-party code, no inline script, no
//! framing, no referrer). The script reads the key from the fragment, which the browser never
//! sends, fetches the sealed file, opens it with WebCrypto, lists the ZIP's files and offers
//! it for download. A share that ended, or an id the server does not know, gets a page that
//! says so, without the script.

use crate::shares::PageState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coffer_api::{ShareState, routes};
use uuid::Uuid;

/// Nothing but the server's own script, style and fetches.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                          connect-src 'self'; img-src 'self'; base-uri 'none'; \
                          form-action 'none'; frame-ancestors 'none'";

const SCRIPT: &str = include_str!("../share-page/share.js");
const STYLE: &str = include_str!("../share-page/share.css");

/// The headers every response of the page carries.
fn guarded(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, POLICY),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn html(title_cs: &str, title_en: &str, main: &str, script: bool) -> String {
    let script = if script {
        format!(r#"<script src="{}" defer></script>"#, routes::SHARE_SCRIPT)
    } else {
        String::new()
    };
    format!(
        r#"<!doctype html>
<html lang="cs">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{title_cs} · {title_en} · Coffer</title>
<link rel="stylesheet" href="{style}">
{script}
</head>
<body>
<header><span class="brand">Coffer</span></header>
{main}
<footer>Šifrováno na zařízení odesílatele; server soubor nikdy neviděl v čitelné podobě.
<br>Encrypted on the sender's device; the server never saw the file in the clear.</footer>
</body>
</html>
"#,
        style = routes::SHARE_STYLE,
    )
}

/// The page for the share `id` in `state`.
pub fn page(id: Uuid, state: PageState) -> Response {
    match state {
        PageState::Live { expires_at } => guarded(
            StatusCode::OK,
            "text/html; charset=utf-8",
            html(
                "Sdílené dokumenty",
                "Shared documents",
                &format!(
                    r#"<main id="share" data-share="{id}" data-expires="{expires_at}">
<h1 id="title">Sdílené dokumenty <span class="en">Shared documents</span></h1>
<p id="status" role="status">Otevírám… <span class="en">Opening…</span></p>
<noscript><p class="problem">Tato stránka potřebuje JavaScript, aby soubor rozšifrovala.
<span class="en">This page needs JavaScript to decrypt the file.</span></p></noscript>
<div id="result" hidden>
<p><a id="download" class="button" href="">Stáhnout <span class="en">Download</span></a>
<span id="summary"></span></p>
<p id="expires" class="muted"></p>
<table id="files"><thead><tr><th>Soubor <span class="en">File</span></th>
<th class="size">Velikost <span class="en">Size</span></th></tr></thead><tbody></tbody></table>
</div>
</main>"#
                ),
                true,
            ),
        ),
        PageState::Ended(ShareState::Revoked) => ended(
            StatusCode::GONE,
            "Odkaz byl zrušen",
            "This link was revoked",
            "Odesílatel sdílení zrušil a soubor byl smazán. Požádejte ho o nový odkaz.",
            "The sender revoked this share and its file was deleted. Ask them for a new link.",
        ),
        PageState::Ended(_) => ended(
            StatusCode::GONE,
            "Platnost odkazu vypršela",
            "This link has expired",
            "Platnost odkazu skončila a soubor byl smazán. Požádejte odesílatele o nový odkaz.",
            "The link's time ran out and its file was deleted. Ask the sender for a new link.",
        ),
        PageState::Unknown => unknown(),
    }
}

/// The page for a link the server does not know (or a malformed one).
pub fn unknown() -> Response {
    ended(
        StatusCode::NOT_FOUND,
        "Odkaz neexistuje",
        "No such link",
        "Tento odkaz server nezná. Zkontrolujte, že jste zkopírovali celý odkaz.",
        "This server knows no such link. Check that you copied the whole link.",
    )
}

fn ended(status: StatusCode, title_cs: &str, title_en: &str, cs: &str, en: &str) -> Response {
    guarded(
        status,
        "text/html; charset=utf-8",
        html(
            title_cs,
            title_en,
            &format!(
                r#"<main class="ended">
<h1>{title_cs} <span class="en">{title_en}</span></h1>
<p>{cs}</p>
<p class="en">{en}</p>
</main>"#
            ),
            false,
        ),
    )
}

pub async fn script() -> Response {
    guarded(
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        SCRIPT.to_owned(),
    )
}

pub async fn style() -> Response {
    guarded(StatusCode::OK, "text/css; charset=utf-8", STYLE.to_owned())
}
