// Money, dates and sizes as a person in the chosen language reads them. Amounts arrive from
// the engine as decimal strings; they are never turned into floats for arithmetic.

import type { Language } from "./types";

// Intl formatters are costly to build and the list formats every visible row: build each once.
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let formatter = cache.get(key) as T | undefined;
  if (!formatter) {
    formatter = make();
    cache.set(key, formatter);
  }
  return formatter;
}

/** `1234.50` + `CZK` → `1 234,50 Kč` (cs) or `CZK 1,234.50` (en). */
export function formatMoney(total: string | null, currency: string | null, language: Language): string {
  if (total === null) return "";
  const [whole, fraction = ""] = total.replace("-", "").split(".");
  const negative = total.startsWith("-");
  const group = cached(`group-${language}`, () => new Intl.NumberFormat(language, { useGrouping: true })).format(
    BigInt(whole),
  );
  const decimal = language === "cs" ? "," : ".";
  const amount = `${negative ? "−" : ""}${group}${fraction ? decimal + fraction : ""}`;
  if (!currency) return amount;
  if (language === "cs") return `${amount} ${currency === "CZK" ? "Kč" : currency}`;
  return `${currency} ${amount}`;
}

/** `2024-03-05` → `5. 3. 2024` (cs) or `5 Mar 2024` (en). */
export function formatDate(ymd: string | null, language: Language): string {
  if (!ymd) return "";
  const [y, m, d] = ymd.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return cached(`date-${language}`, () =>
    new Intl.DateTimeFormat(language === "cs" ? "cs-CZ" : "en-GB", {
      day: "numeric",
      month: language === "cs" ? "numeric" : "short",
      year: "numeric",
      timeZone: "UTC",
    }),
  ).format(date);
}

/** Whole days from `today` to `ymd` (negative when it has passed). */
export function daysUntil(ymd: string, today: Date = new Date()): number {
  const [y, m, d] = ymd.split("-").map(Number);
  const target = Date.UTC(y, m - 1, d);
  const start = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  return Math.round((target - start) / 86_400_000);
}

/** Reads an amount typed by a person (`1 234,5`, `99.90`) into minor units; null if invalid. */
export function parseAmountToMinor(text: string): number | null {
  const cleaned = text.replace(/[\s\u00a0]/g, "").replace(",", ".");
  if (!/^\d+(\.\d{0,2})?$/.test(cleaned)) return null;
  const [whole, fraction = ""] = cleaned.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

/** Whether `text` is a real calendar date written as YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export function formatBytes(bytes: number, language: Language): string {
  const units = ["B", "kB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

/** The calendar day of an RFC 3339 time on this computer's clock, as `YYYY-MM-DD`. */
export function localDay(rfc3339: string): string {
  const t = new Date(rfc3339);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}
