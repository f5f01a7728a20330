// Times the real app on a vault of 100,000 documents (docs/app-benchmarks.md): process start
// to the unlock screen, Enter on the unlock screen to the first rows of the list, and to the
// whole list with its full count. Run through scripts/app-bench.sh, which points the app at the vault.

import assert from "node:assert/strict";
import { Session, keys } from "./webdriver.mjs";

const app = process.env.COFFER_APP;
const driver = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const password = process.env.COFFER_BENCH_PASSWORD ?? "benchmark password";
const runs = Number(process.env.RUNS ?? 3);
const expected = Number(process.env.DOCUMENTS ?? 100_000);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once() {
  const launched = performance.now();
  const s = await Session.start(driver, app);
  try {
    await s.waitFor('[data-testid="unlock-password"]', 120_000);
    const toUnlockScreen = performance.now() - launched;
    await s.type('[data-testid="unlock-password"]', password + keys.enter);
    const unlocking = performance.now();
    await s.waitFor('[data-testid="document-row"]', 120_000);
    const toFirstRows = performance.now() - unlocking;
    await s.waitUntil(
      `return document.querySelector('[data-testid="document-row"]') !== null &&
              document.querySelector('[data-testid="document-count"]')?.innerText.replace(/\\D/g, "") === arguments[0];`,
      [String(expected)],
      "the full list",
      300_000,
    );
    const toList = performance.now() - unlocking;
    // The part of that spent fetching every summary over IPC, timed inside the page.
    const search = await s.executeAsync(
      `const done = arguments[0];
       const started = performance.now();
       window.__TAURI_INTERNALS__.invoke("search_documents", { query: {} })
         .then((rows) => done({ ms: performance.now() - started, rows: rows.length }), (e) => done({ error: String(e) }));`,
    );
    assert.equal(search.rows, expected);
    return { toUnlockScreen, toFirstRows, toList, searchAll: search.ms };
  } finally {
    await s.quit();
  }
}

async function main() {
  assert.ok(app, "set COFFER_APP to the app binary");
  const results = [];
  for (let i = 0; i < runs; i++) {
    const r = await once();
    console.log(
      `[bench ${i + 1}/${runs}] start → unlock screen ${Math.round(r.toUnlockScreen)} ms, ` +
        `unlock → first rows ${Math.round(r.toFirstRows)} ms, → all ${expected} ${Math.round(r.toList)} ms ` +
        `(all summaries over IPC alone: ${Math.round(r.searchAll)} ms)`,
    );
    results.push(r);
  }
  console.log(
    `[bench] median of ${runs}: start → unlock screen ${Math.round(median(results.map((r) => r.toUnlockScreen)))} ms, ` +
      `unlock → first rows ${Math.round(median(results.map((r) => r.toFirstRows)))} ms, ` +
      `unlock → all ${Math.round(median(results.map((r) => r.toList)))} ms, ` +
      `summaries over IPC ${Math.round(median(results.map((r) => r.searchAll)))} ms`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
