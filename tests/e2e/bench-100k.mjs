// Times the real app on a vault of 100,000 documents (docs/app-benchmarks.md): process start
// to the unlock screen, Enter on the unlock screen to the first rows of the list and to its
// full count, and jumps to random positions of the list. Run through scripts/app-bench.sh, which points the app at the vault.

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
      "the full count",
      300_000,
    );
    const toCount = performance.now() - unlocking;
    // Jumps to random positions: the scroll until the rows there are on screen with their
    // content (no placeholder left), paged in from the engine, timed inside the page.
    const jumps = await s.executeAsync(
      `const done = arguments[0];
       const viewport = document.querySelector(".list-viewport");
       const times = [];
       const settled = () => document.querySelector(".doc-row.placeholder") === null;
       const jump = (left) => {
         if (left === 0) return done(times);
         const started = performance.now();
         viewport.scrollTop = Math.random() * (viewport.scrollHeight - viewport.clientHeight);
         const poll = () => (settled() ? (times.push(performance.now() - started), setTimeout(() => jump(left - 1), 50))
                                        : requestAnimationFrame(poll));
         requestAnimationFrame(poll);
       };
       jump(20);`,
    );
    // The same windows asked for from the page without the list: the round trip through the
    // IPC and the engine, so a jump splits into that and the list's own work.
    const calls = await s.executeAsync(
      `const total = arguments[0];
       const done = arguments[1];
       const times = [];
       const call = (left) => {
         if (left === 0) return done(times);
         const started = performance.now();
         const offset = Math.floor(Math.random() * (total - 100));
         window.__TAURI_INTERNALS__.invoke("list_documents", { query: { offset, limit: 100 } })
           .then(() => { times.push(performance.now() - started); setTimeout(() => call(left - 1), 50); }, done);
       };
       call(20);`,
      expected,
    );
    return { toUnlockScreen, toFirstRows, toCount, jump: median(jumps), call: median(calls) };
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
        `unlock → first rows ${Math.round(r.toFirstRows)} ms, → count ${expected} ${Math.round(r.toCount)} ms, ` +
        `jump to a random position (median of 20) ${Math.round(r.jump)} ms, ` +
        `list_documents of 100 rows from the page (median of 20) ${Math.round(r.call)} ms`,
    );
    results.push(r);
  }
  console.log(
    `[bench] median of ${runs}: start → unlock screen ${Math.round(median(results.map((r) => r.toUnlockScreen)))} ms, ` +
      `unlock → first rows ${Math.round(median(results.map((r) => r.toFirstRows)))} ms, ` +
      `unlock → count ${Math.round(median(results.map((r) => r.toCount)))} ms, ` +
      `jump ${Math.round(median(results.map((r) => r.jump)))} ms, ` +
      `list_documents ${Math.round(median(results.map((r) => r.call)))} ms`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
