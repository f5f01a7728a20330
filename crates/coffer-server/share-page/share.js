// Opens a Coffer share link in the browser: the key is the link's fragment (never sent to the
// server), the sealed file comes from /s/<id>/data, and WebCrypto opens it. The format is
// coffer_core::crypto::share (its vector tests/vectors/share-v1.hex pins it):
//   header  = "CFSH" || version 1 || log2(chunk size) 16..20 || nonce prefix (8 bytes)
//   chunk i = AES-256-GCM(nonce = prefix || i (u32 BE), aad = header || last (1 or 0)) + tag
//   plain   = name length (1 byte) || name (UTF-8) || the file
"use strict";

const HEADER_LEN = 14;
const TAG_LEN = 16;

function say(cs, en, problem) {
  const status = document.getElementById("status");
  status.textContent = cs + " ";
  const span = document.createElement("span");
  span.className = "en";
  span.textContent = en;
  status.appendChild(span);
  status.classList.toggle("problem", !!problem);
}

class ShareProblem extends Error {
  constructor(cs, en) {
    super(en);
    this.cs = cs;
    this.en = en;
  }
}

function keyFromFragment() {
  const text = location.hash.slice(1).trim();
  const bad = new ShareProblem(
    "Odkazu chybí klíč (část za #) nebo je neúplný. Zkopírujte celý odkaz znovu.",
    "The link's key (the part after #) is missing or incomplete. Copy the whole link again.",
  );
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) throw bad;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=";
  const raw = atob(b64);
  const key = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) key[i] = raw.charCodeAt(i);
  if (key.length !== 32) throw bad;
  return key;
}

async function fetchSealed(id) {
  const response = await fetch(`/s/${encodeURIComponent(id)}/data`, {
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  if (response.status === 410) {
    throw new ShareProblem(
      "Platnost odkazu skončila nebo byl zrušen; soubor už neexistuje.",
      "This link expired or was revoked; its file is gone.",
    );
  }
  if (!response.ok) {
    throw new ShareProblem(
      `Soubor se nepodařilo stáhnout (HTTP ${response.status}). Zkuste to znovu později.`,
      `The file could not be fetched (HTTP ${response.status}). Try again later.`,
    );
  }
  const total = Number(response.headers.get("content-length")) || 0;
  if (!response.body || !total) return new Uint8Array(await response.arrayBuffer());
  const sealed = new Uint8Array(total);
  const reader = response.body.getReader();
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (got + value.length > total) throw damaged();
    sealed.set(value, got);
    got += value.length;
    const percent = Math.floor((got * 100) / total);
    say(`Stahuji… ${percent} %`, `Downloading… ${percent} %`);
  }
  if (got !== total) throw damaged();
  return sealed;
}

function damaged() {
  return new ShareProblem(
    "Klíč z odkazu soubor neotevře, nebo je soubor poškozený. Zkopírujte celý odkaz znovu.",
    "The link's key does not open the file, or the file is damaged. Copy the whole link again.",
  );
}

async function open(keyBytes, sealed) {
  if (sealed.length < HEADER_LEN + TAG_LEN + 2) throw damaged();
  const header = sealed.subarray(0, HEADER_LEN);
  const magic = String.fromCharCode(...header.subarray(0, 4));
  const log2 = header[5];
  if (magic !== "CFSH" || header[4] !== 1 || log2 < 16 || log2 > 20) throw damaged();
  const key = await crypto.subtle.importKey("raw", keyBytes, "AES-GCM", false, ["decrypt"]);
  const sealedChunk = (1 << log2) + TAG_LEN;
  const chunks = Math.ceil((sealed.length - HEADER_LEN) / sealedChunk);
  const plain = new Uint8Array(sealed.length - HEADER_LEN - chunks * TAG_LEN);
  const iv = new Uint8Array(12);
  iv.set(header.subarray(6, 14));
  const aad = new Uint8Array(HEADER_LEN + 1);
  aad.set(header);
  let written = 0;
  for (let i = 0; i < chunks; i++) {
    const start = HEADER_LEN + i * sealedChunk;
    const end = Math.min(start + sealedChunk, sealed.length);
    if (end - start <= TAG_LEN) throw damaged();
    new DataView(iv.buffer).setUint32(8, i, false);
    aad[HEADER_LEN] = i === chunks - 1 ? 1 : 0;
    let opened;
    try {
      opened = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 },
        key,
        sealed.subarray(start, end),
      );
    } catch {
      throw damaged();
    }
    plain.set(new Uint8Array(opened), written);
    written += opened.byteLength;
    if (i % 16 === 15) {
      const percent = Math.floor(((i + 1) * 100) / chunks);
      say(`Dešifruji… ${percent} %`, `Decrypting… ${percent} %`);
    }
  }
  const nameLen = plain[0];
  if (nameLen === 0 || 1 + nameLen > plain.length) throw damaged();
  let name;
  try {
    name = new TextDecoder("utf-8", { fatal: true }).decode(plain.subarray(1, 1 + nameLen));
  } catch {
    throw damaged();
  }
  if (/[\/\\\u0000-\u001f]/.test(name)) throw damaged();
  return { name, file: plain.subarray(1 + nameLen) };
}

// The file names and sizes in a ZIP's central directory (ZIP64 included); null when the
// file is not a ZIP this reader understands (it can still be downloaded).
function zipEntries(zip) {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const u16 = (at) => view.getUint16(at, true);
  const u32 = (at) => view.getUint32(at, true);
  const u64 = (at) => Number(view.getBigUint64(at, true));
  let eocd = -1;
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 65535); at--) {
    if (u32(at) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return null;
  let count = u16(eocd + 10);
  let offset = u32(eocd + 16);
  if ((count === 0xffff || offset === 0xffffffff) && eocd >= 20 && u32(eocd - 20) === 0x07064b50) {
    const z64 = u64(eocd - 20 + 8);
    if (z64 + 56 > zip.length || u32(z64) !== 0x06064b50) return null;
    count = u64(z64 + 32);
    offset = u64(z64 + 48);
  }
  const decoder = new TextDecoder();
  const entries = [];
  let at = offset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || u32(at) !== 0x02014b50) return null;
    let size = u32(at + 24);
    const nameLen = u16(at + 28);
    const extraLen = u16(at + 30);
    const commentLen = u16(at + 32);
    const name = decoder.decode(zip.subarray(at + 46, at + 46 + nameLen));
    if (size === 0xffffffff) {
      let x = at + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        if (u16(x) === 0x0001) {
          size = u64(x + 4);
          break;
        }
        x += 4 + u16(x + 2);
      }
    }
    if (!name.endsWith("/")) entries.push({ name, size });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function humanSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function show(name, file) {
  const link = document.getElementById("download");
  link.href = URL.createObjectURL(new Blob([file], { type: "application/zip" }));
  link.download = name;
  link.title = name;
  const entries = zipEntries(file);
  const body = document.querySelector("#files tbody");
  for (const entry of entries ?? []) {
    const row = body.insertRow();
    row.insertCell().textContent = entry.name;
    const size = row.insertCell();
    size.className = "size";
    size.textContent = humanSize(entry.size);
  }
  document.getElementById("files").hidden = !entries;
  document.getElementById("summary").textContent = `${name} · ${humanSize(file.length)}`;
  const expires = new Date(Number(document.getElementById("share").dataset.expires) * 1000);
  const day = (locale) => new Intl.DateTimeFormat(locale, { dateStyle: "long" }).format(expires);
  document.getElementById("expires").textContent =
    `Odkaz platí do ${day("cs-CZ")}. / The link works until ${day("en-GB")}.`;
  document.getElementById("result").hidden = false;
  if (entries) {
    say(`${entries.length} souborů, rozšifrováno ve vašem prohlížeči.`, `${entries.length} files, decrypted in your browser.`);
  } else {
    say("Rozšifrováno ve vašem prohlížeči.", "Decrypted in your browser.");
  }
  document.getElementById("share").dataset.state = "ready";
}

async function main() {
  const share = document.getElementById("share");
  try {
    if (!window.crypto || !crypto.subtle) {
      throw new ShareProblem(
        "Tento prohlížeč neumí WebCrypto (stránka musí běžet přes HTTPS).",
        "This browser has no WebCrypto (the page must be served over HTTPS).",
      );
    }
    const key = keyFromFragment();
    const sealed = await fetchSealed(share.dataset.share);
    say("Dešifruji…", "Decrypting…");
    const { name, file } = await open(key, sealed);
    show(name, file);
  } catch (e) {
    if (e instanceof ShareProblem) say(e.cs, e.en, true);
    else say("Něco se pokazilo.", `Something went wrong: ${e}`, true);
    share.dataset.state = "failed";
  }
}

// A corrected link pasted over this one changes only the fragment: open it afresh.
window.addEventListener("hashchange", () => location.reload());
main();
