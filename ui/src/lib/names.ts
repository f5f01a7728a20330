// What a list row calls a document: its merchant, else its title; one that nothing names yet
// (a scanner's `600.jpg`, not read) by its kind and the day it was imported.

import { formatDate, localDay } from "./format";
import type { DocumentSummary, Language } from "./types";

export function displayName(
  doc: DocumentSummary,
  language: Language,
  kindName: (kind: DocumentSummary["kind"]) => string,
): string {
  if (doc.merchant) return doc.merchant;
  if (doc.untitled) return `${kindName(doc.kind)} · ${formatDate(localDay(doc.imported_at), language)}`;
  return doc.title;
}
