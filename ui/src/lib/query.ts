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
  expiring_within_days: number | null;
  unconfirmed_only: boolean;
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
    expiring_within_days: null,
    unconfirmed_only: false,
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
    filters.expiring_within_days !== null,
    filters.unconfirmed_only,
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
  if (min !== null) query.min_total_minor = min;
  if (max !== null) query.max_total_minor = max;
  if (filters.merchant.trim()) query.merchant = filters.merchant.trim();
  if (filters.tag.trim()) query.tags = [filters.tag.trim()];
  if (filters.expiring_within_days !== null) query.expiring_within_days = filters.expiring_within_days;
  if (filters.unconfirmed_only) query.unconfirmed_only = true;
  if (filters.trash) query.trash = true;
  return query;
}
