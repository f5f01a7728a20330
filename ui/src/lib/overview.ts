// The overview's arithmetic: amounts in minor units written as exact decimals, the currency
// the chart shows, and the chart's bars and scale. Amounts are added as integers; only the
// bar heights and the axis are fractions.

import type { Amount, MonthTotals } from "./types";

/** `136890`, 2 digits → `1368.90`; `-5`, 2 → `-0.05`; `1500`, 0 → `1500`. */
export function minorToDecimal(minor: number, digits: number): string {
  const sign = minor < 0 ? "-" : "";
  const text = Math.abs(minor).toString().padStart(digits + 1, "0");
  if (digits === 0) return sign + text;
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/**
 * The currencies of the twelve months, the one the chart shows first at the head: most
 * documents, then present in more months, then by code.
 */
export function chartCurrencies(months: MonthTotals[]): string[] {
  const seen = new Map<string, { documents: number; months: number }>();
  for (const month of months) {
    for (const total of month.totals) {
      const entry = seen.get(total.currency) ?? { documents: 0, months: 0 };
      entry.documents += total.documents;
      entry.months += 1;
      seen.set(total.currency, entry);
    }
  }
  return [...seen]
    .sort(([a, x], [b, y]) => y.documents - x.documents || y.months - x.months || a.localeCompare(b))
    .map(([currency]) => currency);
}

export interface Bar {
  month: string;
  minor: number;
  documents: number;
  /** 0 to 1 of the axis' top. */
  height: number;
}

/** The smallest 1, 2 or 5 × 10^k (in minor units) at or above `minor`; 0 stays 0. */
export function niceCeiling(minor: number): number {
  if (minor <= 0) return 0;
  let step = 1;
  while (step * 10 <= minor) step *= 10;
  for (const factor of [1, 2, 5, 10]) {
    if (step * factor >= minor) return step * factor;
  }
  return step * 10;
}

/** One bar per month in `currency` (refunds count as nothing, never below the axis). */
export function chartBars(months: MonthTotals[], currency: string): { bars: Bar[]; top: number } {
  const amounts = months.map((m) => {
    const total: Amount | undefined = m.totals.find((t) => t.currency === currency);
    return { month: m.month, minor: total?.minor ?? 0, documents: total?.documents ?? 0 };
  });
  const top = niceCeiling(Math.max(0, ...amounts.map((a) => a.minor)));
  const bars = amounts.map((a) => ({ ...a, height: top === 0 ? 0 : Math.max(0, a.minor) / top }));
  return { bars, top };
}

/** `2026-03` → `Mar` (en) or `bře` (cs); with `long`, `March 2026` / `březen 2026`. */
export function monthName(month: string, language: string, long = false): string {
  const [y, m] = month.split("-").map(Number);
  const options: Intl.DateTimeFormatOptions = long
    ? { month: "long", year: "numeric", timeZone: "UTC" }
    : { month: "short", timeZone: "UTC" };
  return new Intl.DateTimeFormat(language === "cs" ? "cs-CZ" : "en-GB", options).format(
    new Date(Date.UTC(y, m - 1, 1)),
  );
}
