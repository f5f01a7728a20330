// The import and text-recognition queue of the main window. It runs beside whatever the
// person is doing: a folder of receipts is stored, then read, while they review, look at the
// overview or change settings, and its progress and each file's result stay on hand (the
// Documents screen's panel, the navigation's indicator). Jobs run one after another; files
// dropped while one runs wait their turn. Nothing here outlives the unlocked vault.

import { api } from "./api";
import { app, refreshReviewCount } from "./app.svelte";
import { errorText } from "./i18n.svelte";
import { importLines, runImport, runOcr, type ImportLine } from "./importer";
import type { DocumentKind } from "./types";

export const work = $state({
  /** The running (or last finished) job's files: imported ones, or documents to read. */
  lines: [] as ImportLine[],
  /** `import`: files being stored (then read, when the person wants OCR on import). */
  job: "import" as "import" | "read",
  importing: false,
  reading: false,
  /** Jobs waiting behind the running one. */
  waiting: 0,
});

const listeners = new Set<() => void>();
let chain: Promise<void> = Promise.resolve();
let epoch = 0;

/** Called whenever documents were added or read (the list refreshes); returns the unsubscriber. */
export function onWorkChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) {
    try {
      listener();
    } catch {
      // A screen that cannot refresh now refreshes when it is shown again.
    }
  }
  void refreshReviewCount();
}

function progress() {
  work.lines = [...work.lines];
}

function enqueue(job: () => Promise<void>) {
  const mine = epoch;
  work.waiting++;
  chain = chain.then(async () => {
    work.waiting--;
    // Locked meanwhile: the job belonged to the vault that was open.
    if (mine !== epoch) return;
    try {
      await job();
    } catch {
      // Each file's failure is on its line already; whatever else went wrong must not stop
      // the jobs behind this one.
    } finally {
      work.importing = false;
      work.reading = false;
    }
  });
}

async function readLines() {
  work.reading = true;
  await runOcr(work.lines, api.ocr, errorText, progress);
  work.reading = false;
  changed();
}

/** Stores `paths` (as `kind`, or as the engine decides), then reads them if OCR on import is on. */
export function queueImport(paths: string[], kind: DocumentKind | null) {
  if (paths.length === 0) return;
  enqueue(async () => {
    work.job = "import";
    work.lines = importLines(paths);
    work.importing = true;
    await runImport(work.lines, kind, api.importFiles, errorText, progress);
    work.importing = false;
    changed();
    if (app.settings.ocr_on_import && work.lines.some((l) => l.state === "imported")) await readLines();
  });
}

/** Reads the text of stored documents (the list's selection) with local OCR. */
export function queueReading(documents: { id: string; name: string }[]) {
  if (documents.length === 0) return;
  enqueue(async () => {
    work.job = "read";
    work.lines = documents.map(({ id, name }) => ({ path: id, name, state: "imported", documentId: id }));
    await readLines();
  });
}

/** Whether a job runs or waits. */
export function workBusy(): boolean {
  return work.importing || work.reading || work.waiting > 0;
}

/** Closes the finished job's panel. */
export function dismissWork() {
  if (!work.importing && !work.reading) work.lines = [];
}

/** The vault locked: waiting jobs are dropped and nothing of the last one is kept. */
export function resetWork() {
  epoch++;
  work.lines = [];
  work.importing = false;
  work.reading = false;
}
