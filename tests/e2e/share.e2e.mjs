// The accountant's side of a share link, in a real browser: headless Chromium (through
// chromedriver) opens a link printed by `coffer share create` on a real local server. The
// page decrypts the file with WebCrypto and lists the ZIP's files; the downloaded ZIP must
// equal, byte for byte, the copy the command kept. A revoked, an expired and a damaged link
// each show a clear page, and no file the server stores holds a plaintext marker.
// Run by scripts/share-e2e.sh, which starts the server and the driver.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { Session } from "./webdriver.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run scripts/share-e2e.sh)`);
  return value;
};
const COFFER = env("COFFER_BIN");
const SERVER_URL = env("COFFER_SERVER_URL");
const SERVER_BIN = env("COFFER_SERVER_BIN");
const SERVER_DATA = env("COFFER_SERVER_DATA");
const SCRATCH = env("SCRATCH");
const SAMPLES = env("COFFER_SAMPLES");
const SCREENSHOTS = env("SCREENSHOT_DIR");
const VAULT = join(SCRATCH, "vault");
const DOWNLOADS = join(SCRATCH, "downloads");
mkdirSync(DOWNLOADS, { recursive: true });
mkdirSync(SCREENSHOTS, { recursive: true });

function coffer(...args) {
  return execFileSync(COFFER, ["--vault", VAULT, ...args], {
    env: { ...process.env, COFFER_PASSWORD: "share e2e password 4821", COFFER_SERVER: SERVER_URL },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function step(name) {
  console.log(`== ${name}`);
}

async function waitForState(session) {
  const state = await session.waitUntil(
    `return document.getElementById("share")?.dataset.state ?? null;`,
    [],
    "the share page to open the file",
    60_000,
  );
  return state;
}

async function shot(session, name) {
  writeFileSync(join(SCREENSHOTS, name), await session.screenshot());
}

step("a vault with an account and the sample documents");
coffer("init", "--kdf", "pbkdf2", "--recovery-file", join(SCRATCH, "phrase"));
coffer("account", "register", "--email", "accountant-share@coffer.test");
// Without OCR (its own tests cover it), as receipts, so that pohoda.xml takes them; the ISDOC
// invoice is read as what it says it is.
const samples = readdirSync(SAMPLES).map((f) => join(SAMPLES, f));
coffer("import", "--no-ocr", ...samples.filter((f) => f.endsWith(".isdoc")));
coffer("import", "--no-ocr", "--kind", "receipt", ...samples.filter((f) => !f.endsWith(".isdoc")));
const documents = JSON.parse(coffer("list", "--json"));
assert.ok(documents.length >= 3, `imported ${documents.length} documents`);

step("coffer share create");
const copy = join(SCRATCH, "copy.zip");
const period = ["--from", "2000-01-01", "--to", "2099-12-31"];
const link = coffer("share", "create", ...period, "--with", "pohoda", "--with", "isdoc", "--keep-copy", copy).trim();
assert.match(link, new RegExp(`^${SERVER_URL.replace(/[.]/g, "\\.")}/s/[0-9a-f-]{36}#[A-Za-z0-9_-]{43}$`));
const shareId = link.split("/s/")[1].split("#")[0];
const expected = readFileSync(copy);

const session = await Session.create(env("WEBDRIVER_URL"), {
  browserName: "chrome",
  "goog:chromeOptions": {
    binary: "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,900"],
    prefs: {
      "download.default_directory": DOWNLOADS,
      "download.prompt_for_download": false,
      "download.directory_upgrade": true,
    },
  },
});
try {
  await session.cmd("POST", "/goog/cdp/execute", {
    cmd: "Browser.setDownloadBehavior",
    params: { behavior: "allow", downloadPath: DOWNLOADS },
  });

  step("the link opens, decrypts in the browser and lists the files");
  await session.navigate(link);
  assert.equal(await waitForState(session), "ready", await session.text("#status"));
  const names = await session.execute(
    `return [...document.querySelectorAll("#files tbody tr td:first-child")].map((td) => td.textContent);`,
  );
  assert.ok(names.includes("pohoda.xml"), names.join(", "));
  assert.ok(names.some((n) => n.endsWith(".csv")), names.join(", "));
  assert.ok(names.length >= documents.length + 2, `${names.length} files for ${documents.length} documents`);
  await shot(session, "share-page.png");

  step("the download equals the export byte for byte");
  await session.click("#download");
  const fileName = await session.execute(`return document.getElementById("download").download;`);
  const target = join(DOWNLOADS, fileName);
  const deadline = Date.now() + 30_000;
  while (!(existsSync(target) && statSync(target).size === expected.length)) {
    if (Date.now() > deadline) throw new Error(`no download at ${target}: ${readdirSync(DOWNLOADS)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(readFileSync(target).equals(expected), "the downloaded ZIP differs from the export");
  const listed = JSON.parse(coffer("share", "list", "--json"));
  assert.equal(listed[0].downloads, 1);

  step("a damaged or missing key says what to do");
  await session.navigate("about:blank");
  await session.navigate(link.replace(/#(.)/, (_, c) => `#${c === "A" ? "B" : "A"}`));
  assert.equal(await waitForState(session), "failed");
  assert.match(await session.text("#status"), /does not open the file/);
  await session.navigate(link.split("#")[0]);
  assert.equal(await waitForState(session), "failed");
  assert.match(await session.text("#status"), /key \(the part after #\) is missing/);

  step("the server stores no plaintext");
  const markers = [expected.subarray(0, 64), Buffer.from("pohoda.xml"), Buffer.from("dataPack")];
  for (const doc of documents) if (doc.title && doc.title.length >= 8) markers.push(Buffer.from(doc.title));
  const walk = (dir) => readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
  for (const file of walk(SERVER_DATA)) {
    if (file.endsWith(".log")) continue;
    const bytes = readFileSync(file);
    for (const marker of markers) assert.ok(!bytes.includes(marker), `${file} holds "${marker}"`);
  }

  step("a revoked link shows a page that says so");
  coffer("share", "revoke", shareId);
  await session.navigate(link);
  await session.waitFor("main.ended");
  assert.match(await session.text("h1"), /revoked/);
  await shot(session, "share-revoked.png");

  step("an expired link shows a page that says so");
  const short = coffer("share", "create", ...period, "--expires-in", "1").trim();
  const later = new Date(Date.now() + 2 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  execFileSync(SERVER_BIN, ["jobs", "run", "--now", later, "--data", SERVER_DATA], { stdio: "ignore" });
  await session.navigate(short);
  await session.waitFor("main.ended");
  assert.match(await session.text("h1"), /expired/);
  const states = JSON.parse(coffer("share", "list", "--json")).map((s) => s.state).sort();
  assert.deepEqual(states, ["expired", "revoked"]);
} finally {
  await session.quit();
}
console.log("share e2e: all steps passed");
