// The review queue: unconfirmed documents one after another. The queue is the engine's
// "unconfirmed" search, so a confirmed document drops out of it by itself; the position only
// counts the documents skipped ahead of the one shown.

import type { DocumentDetail, Field } from "./types";

/** A document shown in the review queue: where it is, and what comes after it. */
export interface Review {
  position: number;
  remaining: number;
  onconfirmed: () => void;
  onskip: () => void;
}

/** Every field of the document the engine still marks as a guess. */
export function unconfirmedFields(doc: Pick<DocumentDetail, "field_states">): Field[] {
  return (Object.entries(doc.field_states) as [Field, { confirmed: boolean } | undefined][])
    .filter(([, state]) => state !== undefined && !state.confirmed)
    .map(([field]) => field);
}

/**
 * Where the queue goes after the document at `position` of `remaining` (the count before the
 * step): confirming keeps the position (the next document moves up into it), skipping moves
 * past it; past the end it starts again from the first skipped one.
 */
export function nextPosition(position: number, remaining: number, step: "confirmed" | "skipped"): number {
  const left = step === "confirmed" ? remaining - 1 : remaining;
  const next = step === "confirmed" ? position : position + 1;
  return next < left ? next : 0;
}
