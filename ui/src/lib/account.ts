// What the Account screen and the grace-period banner compute from the account's signed
// plan: usage against the limits, the countdown to the purge date, what an upgrade may buy,
// and how far a running sync has come. Times from the server are Unix seconds.

import { formatDate, formatMoney } from "./format";
import type { BillingInterval, PriceCurrency, Entitlement, Language, Payment, Plan, PlanCatalog, SyncStep } from "./types";

const DAY_MS = 86_400_000;

/** The in-app warning turns urgent this many days before locked documents are deleted. */
export const URGENT_DAYS = 14;

export interface UsageBar {
  kind: "receipts" | "documents" | "remoteOcr";
  used: number;
  limit: number;
  /** 0..1 of the bar filled. */
  ratio: number;
  level: "ok" | "near" | "full";
}

/**
 * This month's usage against the plan's monthly limits: one bar per kind of document, and one
 * for remote OCR credits when the plan has any.
 */
export function usageBars(entitlement: Entitlement): UsageBar[] {
  const bar = (kind: UsageBar["kind"], used: number, limit: number): UsageBar => {
    const ratio = limit > 0 ? Math.min(1, used / limit) : 1;
    return { kind, used, limit, ratio, level: used >= limit ? "full" : ratio >= 0.8 ? "near" : "ok" };
  };
  const bars = [
    bar("receipts", entitlement.usage.receipts, entitlement.limits.receipts_per_month),
    bar("documents", entitlement.usage.documents, entitlement.limits.documents_per_month),
  ];
  const credits = entitlement.limits.remote_ocr_credits_per_month;
  if (credits > 0) bars.push(bar("remoteOcr", entitlement.usage.remote_ocr ?? 0, credits));
  return bars;
}

/** Whole days left until `unixSeconds` (0 on the day itself and after). */
export function daysLeft(unixSeconds: number, now: Date = new Date()): number {
  return Math.max(0, Math.ceil((unixSeconds * 1000 - now.getTime()) / DAY_MS));
}

/** The grace period as the banner shows it; null when nothing is locked. */
export interface Grace {
  locked: number;
  purgeAt: number | null;
}

export function graceOf(entitlement: Entitlement | null | undefined): Grace | null {
  if (!entitlement || entitlement.locked.length === 0) return null;
  return { locked: entitlement.locked.length, purgeAt: entitlement.purge_at };
}

/** A Unix time as a local calendar date in the person's language. */
/** The plans' calendar when the catalog has not been read yet (the server's default). */
export const PLAN_TIME_ZONE = "Europe/Prague";

/**
 * The day an instant of the plan (a reset, a period's end, a purge) falls on in the plans'
 * calendar, `timeZone`, whatever the computer's own zone is.
 */
export function formatUnixDate(unixSeconds: number, language: Language, timeZone: string = PLAN_TIME_ZONE): string {
  const instant = new Date(unixSeconds * 1000);
  if (Number.isNaN(instant.getTime())) return "";
  let ymd: string;
  try {
    // Parts, not a formatted string: locales disagree on how a date is written.
    const parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(instant);
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
    ymd = `${part("year")}-${part("month")}-${part("day")}`;
  } catch {
    // A zone this system's time-zone data does not know: the computer's own calendar.
    ymd = `${instant.getFullYear()}-${String(instant.getMonth() + 1).padStart(2, "0")}-${String(instant.getDate()).padStart(2, "0")}`;
  }
  return formatDate(ymd, language);
}

/** "3 minutes ago", "před 3 minutami". */
export function formatAgo(unixSeconds: number, language: Language, now: Date = new Date()): string {
  const seconds = Math.round(unixSeconds - now.getTime() / 1000);
  const rtf = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(0, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < DAY_MS / 1000) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86_400), "day");
}

/** `399` EUR → `EUR 3.99`; minor units never pass through floating point. */
export function formatPrice(amountMinor: number, currency: PriceCurrency, language: Language): string {
  const whole = Math.trunc(amountMinor / 100);
  const cents = String(Math.abs(amountMinor % 100)).padStart(2, "0");
  return formatMoney(`${whole}.${cents}`, currency, language);
}

/** Czech speakers pay in CZK (Comgate), everyone else in EUR (card). */
export function currencyFor(language: Language): PriceCurrency {
  return language === "cs" ? "CZK" : "EUR";
}

export interface UpgradeOption {
  plan: Plan;
  amountMinor: number;
}

/**
 * The plans that would raise the current limits, cheapest first, each with its price in
 * `currency` per `interval` (plans without such a price are left out).
 */
export function upgradeOptions(
  catalog: PlanCatalog,
  entitlement: Entitlement | null,
  currency: PriceCurrency,
  interval: BillingInterval,
): UpgradeOption[] {
  const current = catalog.plans.find((p) => p.id === entitlement?.plan);
  const options: UpgradeOption[] = [];
  for (const plan of catalog.plans) {
    if (plan.id === catalog.free_plan || plan.id === current?.id) continue;
    if (current && plan.limits.receipts_per_month <= current.limits.receipts_per_month) continue;
    const price = plan.prices.find((p) => p.interval === interval && p.price.currency === currency);
    if (price) options.push({ plan, amountMinor: price.price.amount_minor });
  }
  return options.sort((a, b) => a.amountMinor - b.amountMinor);
}

/** The plan's display name ("Start", "Plus"), or its id when the catalog is not known. */
export function planName(catalog: PlanCatalog | null, id: string): string {
  return catalog?.plans.find((p) => p.id === id)?.name ?? id;
}

/** How far a sync has come, 0..1; null while the end is not known (reading the change feed). */
export function syncFraction(step: SyncStep | null): number | null {
  if (!step) return null;
  if (step.phase === "uploading") return step.total > 0 ? step.sent / step.total : null;
  if (step.phase === "pushed") return step.total > 0 ? step.done / step.total : null;
  return null;
}

/**
 * Payments as the list shows them: rows a person could not tell apart (the same kind, plan,
 * amount, provider and status on the same day, such as checkouts started again and left
 * pending) become one row with their count. Newest first, as the server sends them.
 */
export function collapsePayments(payments: Payment[], timeZone: string = PLAN_TIME_ZONE): { payment: Payment; count: number }[] {
  const day = (p: Payment) => formatUnixDate(p.created_at, "en", timeZone);
  const key = (p: Payment) =>
    [p.kind, p.plan, p.interval, p.amount.amount_minor, p.amount.currency, p.provider, p.status, day(p)].join("|");
  const rows: { payment: Payment; count: number }[] = [];
  for (const payment of payments) {
    const last = rows[rows.length - 1];
    if (last && key(last.payment) === key(payment)) last.count += 1;
    else rows.push({ payment, count: 1 });
  }
  return rows;
}
