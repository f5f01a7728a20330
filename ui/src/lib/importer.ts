// Imports files one by one, so the person sees progress and each file's own result. A file
// that fails does not stop the others. Then, when the person wants it, local OCR reads each
// newly stored file; a file whose text cannot be read stays stored, with a note.

import { asCommandError } from "./api";
import type { CommandError, DocumentKind, ImportedFiles, ImportResult } from "./types";

export interface ImportLine {
  path: string;
  name: string;
  state: "waiting" | "imported" | "duplicate" | "failed";
  message?: string;
  documentId?: string;
  /** Local OCR after the import: waiting, read, or not readable (with `ocrMessage`). */
  ocr?: "waiting" | "read" | "unreadable";
  ocrMessage?: string;
}

export function fileName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

export function importLines(paths: string[]): ImportLine[] {
  return paths.map((path) => ({ path, name: fileName(path), state: "waiting" }));
}

/**
 * Runs `work` on each waiting item in turn. A failure marks that item and the others go on;
 * once the vault is locked there is no point trying the rest, so they are marked too.
 */
async function runEach<T>(
  items: T[],
  isWaiting: (item: T) => boolean,
  work: (item: T) => Promise<void>,
  fail: (item: T, message: string) => void,
  describeError: (error: { code: string; message: string }) => string,
  onProgress: () => void,
  concurrency = 1,
): Promise<void> {
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const item = items[next++];
      if (!isWaiting(item)) continue;
      try {
        await work(item);
      } catch (error) {
        const e = asCommandError(error);
        const message = describeError(e);
        fail(item, message);
        if (e.code === "locked") {
          for (const rest of items) if (isWaiting(rest)) fail(rest, message);
        }
      }
      onProgress();
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

/** Documents read at once after an import: one per core (the back end runs one Tesseract per
 * core, each single-threaded), at most four. */
export const OCR_WORKERS = Math.min(4, Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2));

/** Files sent to the back end in one call: it stores them in batches of one commit each. */
export const IMPORT_CHUNK = 32;

/**
 * Imports the waiting lines a chunk at a time, marking each with its answer. When the vault
 * itself fails (a full disk, or it locked), the lines without an answer are marked with why
 * and nothing more is tried.
 */
export async function runImport(
  lines: ImportLine[],
  kind: DocumentKind | null,
  importFiles: (paths: string[], kind: DocumentKind | null) => Promise<ImportedFiles>,
  describeError: (error: { code: string; message: string }) => string,
  onProgress: () => void,
): Promise<void> {
  const waiting = lines.filter((line) => line.state === "waiting");
  for (let start = 0; start < waiting.length; start += IMPORT_CHUNK) {
    const chunk = waiting.slice(start, start + IMPORT_CHUNK);
    let stopped: CommandError | null;
    try {
      const { answers, stopped: why } = await importFiles(chunk.map((line) => line.path), kind);
      answers.forEach((answer, i) => answerLine(chunk[i], answer, describeError));
      stopped = why;
    } catch (error) {
      stopped = asCommandError(error);
    }
    if (stopped) {
      const message = describeError(stopped);
      for (const line of waiting.slice(start)) {
        if (line.state !== "waiting") continue;
        line.state = "failed";
        line.message = message;
      }
      onProgress();
      return;
    }
    onProgress();
  }
}

function answerLine(
  line: ImportLine,
  answer: ImportResult,
  describeError: (error: { code: string; message: string }) => string,
) {
  if (answer.outcome === "imported") {
    line.state = "imported";
    line.documentId = answer.document.id;
  } else if (answer.outcome === "duplicate") {
    line.state = "duplicate";
    line.documentId = answer.existing_id;
  } else {
    line.state = "failed";
    line.message = describeError(answer.error);
  }
}

/** Reads the text of every newly imported file, one after another. */
export async function runOcr(
  lines: ImportLine[],
  ocr: (id: string) => Promise<unknown>,
  describeError: (error: { code: string; message: string }) => string,
  onProgress: () => void,
  concurrency = OCR_WORKERS,
): Promise<void> {
  const imported = lines.filter((line) => line.state === "imported" && line.documentId);
  for (const line of imported) line.ocr = "waiting";
  onProgress();
  await runEach(
    imported,
    (line) => line.ocr === "waiting",
    async (line) => {
      await ocr(line.documentId!);
      line.ocr = "read";
    },
    (line, message) => {
      line.ocr = "unreadable";
      line.ocrMessage = message;
    },
    describeError,
    onProgress,
    concurrency,
  );
}
