// Groups documents by how soon they expire, for the expiry timeline.

import { daysUntil } from "./format";
import type { DocumentSummary } from "./types";

export const HORIZONS = [30, 90, 365] as const;

export interface ExpiryGroup {
  /** The horizon in days: "within 30 days", "31–90 days", "91–365 days". */
  horizon: (typeof HORIZONS)[number];
  items: { doc: DocumentSummary; days: number }[];
}

export function groupByHorizon(docs: DocumentSummary[], today: Date = new Date()): ExpiryGroup[] {
  const groups: ExpiryGroup[] = HORIZONS.map((horizon) => ({ horizon, items: [] }));
  for (const doc of docs) {
    if (!doc.expiry) continue;
    const days = daysUntil(doc.expiry, today);
    if (days < 0) continue;
    const group = groups.find((g) => days <= g.horizon);
    group?.items.push({ doc, days });
  }
  for (const group of groups) group.items.sort((a, b) => a.days - b.days);
  return groups;
}
