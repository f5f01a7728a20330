// End to end through the real app: tauri-driver + WebKitWebDriver drive the Coffer window
// under Xvfb. Creates a vault, imports the sample receipts by dropping them on the window,
// searches, opens one, corrects and confirms fields, looks at every screen, locks and unlocks.
// Screenshots of each main screen go to docs/screenshots/.

import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";
import { Session, keys } from "./webdriver.mjs";

const app = process.env.COFFER_APP;
const samples = resolve(process.env.COFFER_SAMPLES ?? "../shared/data/receipts/sroie-dev/images");
const shots = resolve(process.env.SCREENSHOT_DIR ?? "docs/screenshots");
const driver = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const PASSWORD = "Kočka leze dírou, pes oknem 42";
const LONG_MERCHANT = "Elektro Novák a synové, s.r.o., provozovna Praha 4 – Chodov, Roztylská 2321/19";

mkdirSync(shots, { recursive: true });
let step = 0;
function log(message) {
  console.log(`[e2e ${++step}] ${message}`);
}

/** Replaces a detail field's text without the blur a WebDriver "clear" causes (which saves). */
async function fill(s, css, text) {
  await s.waitFor(css);
  await s.execute(
    `const el = document.querySelector(arguments[0]); el.focus(); el.value = "";
     el.dispatchEvent(new Event("input", { bubbles: true }));`,
    css,
  );
  await s.type(css, text, { clear: false });
}

async function shot(s, name) {
  // Let transitions and images settle before the picture.
  await new Promise((r) => setTimeout(r, 400));
  writeFileSync(join(shots, `${name}.png`), await s.screenshot());
}

function isoInDays(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Simulates files dropped on the window: the same event Tauri sends for a real drop. */
async function dropFiles(s, paths) {
  await s.executeAsync(
    `const [paths, done] = arguments;
     const target = { kind: "Webview", label: "main" };
     const emit = (event, payload) =>
       window.__TAURI_INTERNALS__.invoke("plugin:event|emit_to", { target, event, payload });
     emit("tauri://drag-enter", { paths, position: { x: 300, y: 300 } })
       .then(() => new Promise((r) => setTimeout(r, 300)))
       .then(() => emit("tauri://drag-drop", { paths, position: { x: 300, y: 300 } }))
       .then(() => done(true), (e) => done(String(e)));`,
    paths,
  );
}

async function main() {
  assert.ok(app, "set COFFER_APP to the app binary");
  const launched = performance.now();
  const s = await Session.start(driver, app);
  try {
    await s.waitFor('[data-testid="new-password"]', 60_000);
    const timings = { startToFirstScreenMs: Math.round(performance.now() - launched) };
    log("first run: password, strength meter and the warning");
    await s.type('[data-testid="new-password"]', PASSWORD);
    await s.type('[data-testid="repeat-password"]', PASSWORD);
    await s.click('[data-testid="understood"]');
    await shot(s, "01-first-run-password");
    await s.click('[data-testid="to-phrase"]');

    log("recovery phrase: 24 words, then type three back");
    await s.waitFor('[data-testid="phrase-word"]');
    const words = await s.execute(
      `return [...document.querySelectorAll('[data-testid="phrase-word"]')].map((e) => e.textContent);`,
    );
    assert.equal(words.length, 24);
    await shot(s, "02-first-run-recovery-phrase");
    await s.click('[data-testid="wrote-it-down"]');
    await s.click('[data-testid="to-confirm"]');
    const positions = await s.execute(
      `return [...document.querySelectorAll('[data-testid="confirm-word"]')].map((e) => Number(e.dataset.position));`,
    );
    assert.equal(positions.length, 3);
    for (const p of positions) await s.type(`[data-testid="confirm-word"][data-position="${p}"]`, words[p - 1]);
    await shot(s, "03-first-run-confirm");
    await s.click('[data-testid="create-vault"]');

    log("empty vault");
    await s.waitFor('[data-testid="empty-state"]', 60_000);
    await shot(s, "04-documents-empty");

    log("import the sample receipts by drag and drop, plus a duplicate and a missing file");
    const files = readdirSync(samples).filter((f) => /\.(jpe?g|png|pdf)$/i.test(f)).sort().map((f) => join(samples, f));
    assert.ok(files.length > 10, `expected sample receipts in ${samples}`);
    await s.execute(
      `const select = document.querySelector('.header-actions select');
       select.value = "receipt"; select.dispatchEvent(new Event("change", { bubbles: true }));`,
    );
    const importing = performance.now();
    await dropFiles(s, [...files, files[0], join(samples, "does-not-exist.jpg")]);
    await s.waitFor('[data-testid="import-summary"]', 180_000);
    timings[`import${files.length}ReceiptsMs`] = Math.round(performance.now() - importing);
    const summary = await s.text('[data-testid="import-summary"]');
    assert.match(summary, new RegExp(`${files.length} files imported`));
    assert.match(summary, /1 already in the vault/);
    assert.match(summary, /1 failed/);
    await s.waitUntil(
      `return document.querySelector('[data-testid="document-count"]')?.innerText.startsWith(arguments[0]);`,
      [`${files.length} documents`],
      "document count",
    );
    await shot(s, "05-documents-imported");

    log("search as you type");
    const first = files[0].split("/").pop().replace(/\.[^.]+$/, "");
    await s.type('[data-testid="search"]', first);
    await s.waitUntil(
      `return document.querySelectorAll('[data-testid="document-row"]').length === 1;`,
      [],
      "one search result",
    );

    log("open it: preview and fields");
    await s.click('[data-testid="document-row"]');
    await s.waitFor('[data-testid="preview-image"]');
    await s.waitUntil(`return document.querySelector('[data-testid="preview-image"]').naturalWidth > 0;`, [], "image decoded");

    log("correct the merchant (a long Czech name), total and expiry: each becomes confirmed");
    await fill(s, "#field-merchant", LONG_MERCHANT + keys.enter);
    await s.waitUntil(
      `return document.querySelector('[data-field="merchant"] [data-testid="confidence"]')?.innerText.includes("Confirmed");`,
      [],
      "merchant confirmed",
    );
    await fill(s, '[data-field="total"] input.currency', "MYR");
    await fill(s, "#field-total", "31.80" + keys.enter);
    await s.waitUntil(
      `return document.querySelector('[data-field="total"] [data-testid="confidence"]')?.innerText.includes("Confirmed");`,
      [],
      "total confirmed",
    );
    await fill(s, "#field-expiry", isoInDays(20) + keys.enter);
    await s.waitUntil(`return document.querySelector('[data-field="expiry"] [data-testid="confidence"]') !== null;`, [], "expiry confirmed");
    await s.type('[data-testid="add-tag"]', "office" + keys.enter);
    await s.waitUntil(`return document.querySelector('.tag-list')?.innerText.includes("office");`, [], "tag added");
    await s.execute(`document.activeElement?.blur(); document.querySelector(".fields").scrollTop = 0;`);
    await shot(s, "06-document-detail");

    log("back to the list; search by the corrected merchant");
    await s.click('[data-testid="back"]');
    await s.type('[data-testid="search"]', "novák");
    await s.waitUntil(
      `const rows = document.querySelectorAll('[data-testid="document-row"]');
       return rows.length === 1 && rows[0].innerText.includes("Elektro Novák");`,
      [],
      "merchant search",
    );
    await fill(s, '[data-testid="search"]', "");
    await s.click('[data-testid="filters-toggle"]');
    await s.waitFor('[data-testid="filters"]');
    await shot(s, "07-documents-search-filters");
    await s.click('[data-testid="filters-toggle"]');

    log("a second document expires later in the year");
    await s.waitUntil(`return document.querySelectorAll('[data-testid="document-row"]').length > 1;`, [], "full list");
    await s.execute(`document.querySelectorAll('[data-testid="document-row"]')[1].click();`);
    await s.waitFor("#field-expiry");
    await fill(s, "#field-title", "Záruční list – rychlovarná konvice" + keys.enter);
    await fill(s, "#field-expiry", isoInDays(200) + keys.enter);
    await s.waitUntil(`return document.querySelector('[data-field="expiry"] [data-testid="confidence"]') !== null;`, [], "expiry saved");
    await s.click('[data-testid="back"]');

    log("expiry timeline");
    await s.click('[data-testid="nav-expiry"]');
    await s.waitFor('[data-testid="expiry-screen"]');
    await s.waitUntil(`return document.querySelectorAll('.timeline-item').length === 2;`, [], "two expiring documents");
    await shot(s, "08-expiry");

    log("settings: Czech, dark theme");
    await s.click('[data-testid="nav-settings"]');
    await s.waitFor('[data-testid="settings-screen"]');
    await shot(s, "09-settings");
    await s.execute(
      `const select = document.querySelector('[data-testid="language"]');
       select.value = "cs"; select.dispatchEvent(new Event("change", { bubbles: true }));`,
    );
    await s.waitUntil(`return document.documentElement.lang === "cs";`, [], "czech");
    await s.click('.segmented label:nth-child(3)');
    await s.waitUntil(`return document.documentElement.dataset.theme === "dark";`, [], "dark theme");
    await s.click('[data-testid="nav-documents"]');
    await s.waitUntil(`return document.querySelector('[data-testid="document-count"]')?.innerText.includes("dokument");`, [], "czech list");
    await shot(s, "10-documents-dark-czech");
    await s.execute(
      `document.querySelectorAll('[data-testid="document-row"]')[0].click();`,
    );
    await s.waitFor('[data-testid="preview-image"]');
    await shot(s, "11-document-detail-dark-czech");
    await s.click('[data-testid="back"]');

    log("lock: nothing decrypted stays in the window");
    await s.click('[data-testid="lock"]');
    await s.waitFor('[data-testid="unlock-password"]');
    const visible = await s.execute(`return document.body.innerText + document.body.innerHTML;`);
    assert.ok(!visible.includes("Novák"), "a merchant name survived the lock");
    assert.ok(!visible.includes("blob:"), "a decrypted preview survived the lock");
    await s.type('[data-testid="unlock-password"]', "wrong password" + keys.enter);
    await s.waitFor('[data-testid="unlock-error"]', 30_000);
    await shot(s, "12-unlock-wrong-password");

    log("unlock again");
    const unlocking = performance.now();
    await s.type('[data-testid="unlock-password"]', PASSWORD + keys.enter);
    await s.waitFor('[data-testid="document-row"]', 30_000);
    timings.unlockToListMs = Math.round(performance.now() - unlocking);
    const count = await s.text('[data-testid="document-count"]');
    assert.match(count, new RegExp(`${files.length}`));
    log(`timings (ms, including WebDriver round trips): ${JSON.stringify(timings)}`);
    log(`passed; screenshots in ${shots}`);
  } catch (error) {
    await shot(s, "failure").catch(() => {});
    throw error;
  } finally {
    await s.quit();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
