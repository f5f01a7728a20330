import { describe, expect, it } from "vitest";
import {
  collapsePayments, currencyFor, daysLeft, formatPrice, formatUnixDate, graceOf, planName, syncFraction, upgradeOptions, usageBars,
} from "./account";
import type { Entitlement, Payment, Plan, PlanCatalog } from "./types";

const limits = (receipts: number, documents: number) => ({
  receipts_per_month: receipts, documents_per_month: documents, remote_ocr_credits_per_month: 0, email_reminders: false,
});

const entitlement = (over: Partial<Entitlement> = {}): Entitlement => ({
  plan: "start",
  limits: limits(5, 3),
  usage: { month: "2026-11", receipts: 4, documents: 3, reset_at: 0 },
  period_end: null,
  renews: false,
  locked: [],
  purge_at: null,
  ...over,
});

const plan = (id: string, receipts: number, prices: [string, "CZK" | "EUR", number][]): Plan => ({
  id,
  name: id[0].toUpperCase() + id.slice(1),
  limits: limits(receipts, receipts),
  prices: prices.map(([interval, currency, amount_minor]) => ({
    interval: interval as "month" | "year", price: { amount_minor, currency },
  })),
});

const catalog: PlanCatalog = {
  free_plan: "start",
  time_zone: "Europe/Prague",
  grace_days: 60,
  plans: [
    plan("start", 5, []),
    plan("business", 1000, [["month", "EUR", 1499], ["month", "CZK", 37900]]),
    plan("plus", 100, [["month", "EUR", 399], ["year", "EUR", 3990]]),
  ],
};

describe("account", () => {
  it("fills the usage bars against the monthly limits and flags the full and nearly full", () => {
    const [receipts, documents] = usageBars(entitlement());
    expect(receipts).toMatchObject({ kind: "receipts", used: 4, limit: 5, ratio: 0.8, level: "near" });
    expect(documents).toMatchObject({ kind: "documents", used: 3, limit: 3, ratio: 1, level: "full" });
    expect(usageBars(entitlement({ usage: { month: "", receipts: 9, documents: 0, reset_at: 0 } }))[0].ratio).toBe(1);
  });

  it("adds a remote OCR bar only for a plan with credits", () => {
    expect(usageBars(entitlement()).map((b) => b.kind)).toEqual(["receipts", "documents"]);
    const plus = entitlement({
      limits: { ...limits(100, 50), remote_ocr_credits_per_month: 20 },
      usage: { month: "2026-11", receipts: 1, documents: 0, remote_ocr: 17, reset_at: 0 },
    });
    expect(usageBars(plus)[2]).toMatchObject({ kind: "remoteOcr", used: 17, limit: 20, level: "near" });
  });

  it("counts the whole days left before the purge", () => {
    const now = new Date("2026-11-21T12:00:00Z");
    expect(daysLeft(now.getTime() / 1000 + 86_400 * 10 - 60, now)).toBe(10);
    expect(daysLeft(now.getTime() / 1000 + 30, now)).toBe(1);
    expect(daysLeft(now.getTime() / 1000 - 3600, now)).toBe(0);
  });

  it("has a grace period only while documents are locked", () => {
    expect(graceOf(null)).toBeNull();
    expect(graceOf(entitlement())).toBeNull();
    expect(graceOf(entitlement({ locked: ["a", "b"], purge_at: 1_800_000_000 }))).toEqual({ locked: 2, purgeAt: 1_800_000_000 });
  });

  it("offers only dearer plans with a price in the currency and interval, cheapest first", () => {
    const offers = upgradeOptions(catalog, entitlement(), "EUR", "month");
    expect(offers.map((o) => [o.plan.id, o.amountMinor])).toEqual([["plus", 399], ["business", 1499]]);
    expect(upgradeOptions(catalog, entitlement({ plan: "plus" }), "EUR", "month").map((o) => o.plan.id)).toEqual(["business"]);
    expect(upgradeOptions(catalog, entitlement(), "CZK", "year")).toEqual([]);
    expect(planName(catalog, "plus")).toBe("Plus");
    expect(planName(null, "plus")).toBe("plus");
  });

  it("prices in minor units and picks the currency by language", () => {
    expect(formatPrice(399, "EUR", "en")).toBe("EUR 3.99");
    expect(formatPrice(9900, "CZK", "cs")).toBe("99,00 Kč");
    expect(currencyFor("cs")).toBe("CZK");
    expect(currencyFor("en")).toBe("EUR");
  });

  it("turns sync progress into a fraction when the end is known", () => {
    expect(syncFraction(null)).toBeNull();
    expect(syncFraction({ phase: "pushed", done: 1, total: 4 })).toBe(0.25);
    expect(syncFraction({ phase: "uploading", sent: 5, total: 10 })).toBe(0.5);
    expect(syncFraction({ phase: "pulled", items: 20 })).toBeNull();
  });
});

describe("plan dates", () => {
  it("fall on the day of the plans' calendar, not of the computer's zone", () => {
    // Midnight of 1 January 2027 in Prague is still 31 December in UTC.
    const newYear = Date.UTC(2026, 11, 31, 23, 0) / 1000;
    expect(formatUnixDate(newYear, "en", "Europe/Prague")).toBe("1 Jan 2027");
    expect(formatUnixDate(newYear, "cs")).toBe("1. 1. 2027");
    expect(formatUnixDate(newYear, "en", "UTC")).toBe("31 Dec 2026");
    expect(formatUnixDate(newYear, "en", "Mars/Olympus_Mons")).toMatch(/^(31 Dec 2026|1 Jan 2027)$/);
    expect(formatUnixDate(Number.NaN, "en")).toBe("");
  });
});

describe("the payment list", () => {
  const pending = (id: string, created_at: number, status: Payment["status"] = "pending"): Payment => ({
    id, kind: "new_period", plan: "plus", interval: "month", amount: { amount_minor: 9900, currency: "CZK" },
    provider: "comgate", status, created_at,
  });
  it("shows checkouts that look the same as one row with their count, and keeps the rest apart", () => {
    const day = Date.UTC(2026, 11, 3, 9) / 1000;
    const rows = collapsePayments([
      pending("c", day + 600), pending("b", day + 300), pending("a", day),
      pending("z", day - 86_400, "paid"), pending("y", day - 2 * 86_400),
    ]);
    expect(rows.map((r) => [r.payment.id, r.count])).toEqual([["c", 3], ["z", 1], ["y", 1]]);
  });
});
