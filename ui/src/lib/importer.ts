// Imports files one by one, so the person sees progress and each file's own result. A file
// that fails does not stop the others.

import { asCommandError } from "./api";
import type { DocumentKind, ImportResult } from "./types";

export interface ImportLine {
  path: string;
  name: string;
  state: "waiting" | "imported" | "duplicate" | "failed";
  message?: string;
  documentId?: string;
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
