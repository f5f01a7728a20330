// Imports files one by one, so the person sees progress and each file's own result. A file
// that fails does not stop the others. Then, when the person wants it, local OCR reads each
// newly stored file; a file whose text cannot be read stays stored, with a note.

import { asCommandError } from "./api";
import type { DocumentKind, ImportResult } from "./types";

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

export async function runImport(
  lines: ImportLine[],
  kind: DocumentKind | null,
  importFile: (path: string, kind: DocumentKind | null) => Promise<ImportResult>,
  describeError: (error: { code: string; message: string }) => string,
  onProgress: () => void,
): Promise<void> {
  for (const line of lines) {
    if (line.state !== "waiting") continue;
    try {
      const result = await importFile(line.path, kind);
      if (result.outcome === "imported") {
        line.state = "imported";
        line.documentId = result.document.id;
      } else {
        line.state = "duplicate";
        line.documentId = result.existingId;
      }
    } catch (error) {
      const e = asCommandError(error);
      line.state = "failed";
      line.message = describeError(e);
      // Once the vault is locked there is no point trying the rest.
      if (e.code === "locked") {
        for (const rest of lines) {
          if (rest.state === "waiting") {
            rest.state = "failed";
            rest.message = line.message;
          }
        }
      }
    }
    onProgress();
  }
}

/** Reads the text of every newly imported file, one after another. */
export async function runOcr(
  lines: ImportLine[],
  ocr: (id: string) => Promise<unknown>,
  describeError: (error: { code: string; message: string }) => string,
  onProgress: () => void,
): Promise<void> {
  const imported = lines.filter((line) => line.state === "imported" && line.documentId);
  for (const line of imported) line.ocr = "waiting";
  onProgress();
  for (const line of imported) {
    if (line.ocr !== "waiting") continue;
    try {
      await ocr(line.documentId!);
      line.ocr = "read";
    } catch (error) {
      const e = asCommandError(error);
      line.ocr = "unreadable";
      line.ocrMessage = describeError(e);
      if (e.code === "locked") {
        for (const rest of imported) {
          if (rest.ocr === "waiting") {
            rest.ocr = "unreadable";
            rest.ocrMessage = line.ocrMessage;
          }
        }
      }
    }
    onProgress();
  }
}
