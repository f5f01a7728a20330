import { describe, expect, it } from "vitest";
import { daysUntil, formatBytes, formatDate, formatMoney, isIsoDate, parseAmountToMinor } from "./format";

describe("formatting", () => {
  it("formats money without floating point, in each language's style", () => {
    expect(formatMoney("1234.50", "CZK", "cs")).toBe("1\u00a0234,50 Kč");
    expect(formatMoney("1234.50", "EUR", "en")).toBe("EUR 1,234.50");
    expect(formatMoney("-3.20", "EUR", "en")).toBe("EUR −3.20");
    expect(formatMoney("90071992547409.93", "CZK", "en")).toBe("CZK 90,071,992,547,409.93");
    expect(formatMoney(null, "CZK", "cs")).toBe("");
  });

  it("formats dates per language", () => {
    expect(formatDate("2024-03-05", "cs")).toBe("5. 3. 2024");
    expect(formatDate("2024-03-05", "en")).toBe("5 Mar 2024");
    expect(formatDate(null, "en")).toBe("");
  });

  it("reads amounts people type into minor units", () => {
    expect(parseAmountToMinor("1 234,5")).toBe(123450);
    expect(parseAmountToMinor("99.90")).toBe(9990);
    expect(parseAmountToMinor("12")).toBe(1200);
    expect(parseAmountToMinor("1.234")).toBeNull();
    expect(parseAmountToMinor("abc")).toBeNull();
  });

  it("accepts only real calendar dates", () => {
    expect(isIsoDate("2024-02-29")).toBe(true);
    expect(isIsoDate("2023-02-29")).toBe(false);
    expect(isIsoDate("2024-2-3")).toBe(false);
  });

  it("counts days to a date", () => {
    const today = new Date(2025, 0, 30);
    expect(daysUntil("2025-01-30", today)).toBe(0);
    expect(daysUntil("2025-03-01", today)).toBe(30);
    expect(daysUntil("2025-01-29", today)).toBe(-1);
  });

  it("formats sizes", () => {
    expect(formatBytes(512, "en")).toBe("512 B");
    expect(formatBytes(1_500_000, "cs")).toBe("1,5 MB");
  });
});
