// Turns what the person typed into the search box and the filter panel into the search
// command's arguments. Half-typed dates and amounts are left out rather than sent.

import { isIsoDate, parseAmountToMinor } from "./format";
import type { DocumentKind, SearchArgs } from "./types";

export interface Filters {
  kinds: DocumentKind[];
  from: string;
  to: string;
  minTotal: string;
  maxTotal: string;
  merchant: string;
  tag: string;
  expiringWithinDays: number | null;
  unconfirmedOnly: boolean;
  trash: boolean;
}

export function emptyFilters(): Filters {
  return {
    kinds: [],
    from: "",
    to: "",
    minTotal: "",
    maxTotal: "",
    merchant: "",
    tag: "",
    expiringWithinDays: null,
    unconfirmedOnly: false,
    trash: false,
  };
}

/** How many filters are set, for the badge on the Filters button. */
export function activeFilterCount(filters: Filters): number {
  return [
    filters.kinds.length > 0,
    filters.from !== "" || filters.to !== "",
    filters.minTotal !== "" || filters.maxTotal !== "",
    filters.merchant.trim() !== "",
    filters.tag.trim() !== "",
    filters.expiringWithinDays !== null,
    filters.unconfirmedOnly,
    filters.trash,
  ].filter(Boolean).length;
}

export function buildQuery(text: string, filters: Filters): SearchArgs {
  const query: SearchArgs = {};
  if (text.trim()) query.text = text.trim();
  if (filters.kinds.length) query.kinds = [...filters.kinds];
  if (isIsoDate(filters.from)) query.from = filters.from;
  if (isIsoDate(filters.to)) query.to = filters.to;
  const min = parseAmountToMinor(filters.minTotal);
  const max = parseAmountToMinor(filters.maxTotal);
  if (min !== null) query.minTotalMinor = min;
  if (max !== null) query.maxTotalMinor = max;
  if (filters.merchant.trim()) query.merchant = filters.merchant.trim();
  if (filters.tag.trim()) query.tags = [filters.tag.trim()];
  if (filters.expiringWithinDays !== null) query.expiringWithinDays = filters.expiringWithinDays;
  if (filters.unconfirmedOnly) query.unconfirmedOnly = true;
  if (filters.trash) query.trash = true;
  return query;
}
