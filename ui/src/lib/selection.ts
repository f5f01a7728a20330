// The list's selection for bulk actions. Rows picked one by one (Ctrl-click, the row's box,
// Space) or as a range (Shift-click) are their ids; "select all" is the search itself, less
// the rows unticked since, so it means every match however few rows are loaded. Each function
// returns a new selection and leaves the old one as it was.

import type { SearchArgs, SelectionRequest } from "./types";

export interface ListSelection {
  /** Every document the search matches, except those in `ids`. */
  all: boolean;
  ids: ReadonlySet<string>;
  /** The row a Shift-click extends from. */
  anchor: number | null;
}

export const noSelection: ListSelection = { all: false, ids: new Set(), anchor: null };

export function isSelected(selection: ListSelection, id: string): boolean {
  return selection.all !== selection.ids.has(id);
}

/** How many documents are selected out of the `total` the search matches. */
export function selectedCount(selection: ListSelection, total: number): number {
  return selection.all ? Math.max(0, total - selection.ids.size) : selection.ids.size;
}

/** Ticks or unticks one row; it becomes the anchor of the next range. */
export function toggle(selection: ListSelection, id: string, index: number): ListSelection {
  const ids = new Set(selection.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { all: selection.all, ids, anchor: index };
}

/** Ticks every row from the anchor to `index` (their ids given in order); the anchor stays. */
export function extend(selection: ListSelection, rangeIds: string[], index: number): ListSelection {
  const ids = new Set(selection.ids);
  for (const id of rangeIds) {
    // In "all" mode the set holds the unticked rows: ticking takes them out of it.
    if (selection.all) ids.delete(id);
    else ids.add(id);
  }
  return { all: selection.all, ids, anchor: selection.anchor ?? index };
}

/** The rows a Shift-click on `index` covers: from the anchor (or the row itself) to it. */
export function rangeTo(selection: ListSelection, index: number): { start: number; end: number } {
  const from = selection.anchor ?? index;
  return { start: Math.min(from, index), end: Math.max(from, index) + 1 };
}

export function selectAll(): ListSelection {
  return { all: true, ids: new Set(), anchor: null };
}

export function selectionRequest(selection: ListSelection, query: SearchArgs): SelectionRequest {
  const ids = [...selection.ids];
  if (!selection.all) return { mode: "ids", ids };
  const { offset: _offset, limit: _limit, ...every } = query;
  return { mode: "query", query: every, except: ids };
}
