import { describe, expect, it } from "vitest";
import { chartBars, chartCurrencies, minorToDecimal, monthName, niceCeiling } from "./overview";

describe("minorToDecimal", () => {
  it("writes minor units with the currency's digits, without floats", () => {
    expect(minorToDecimal(136890, 2)).toBe("1368.90");
    expect(minorToDecimal(5, 2)).toBe("0.05");
    expect(minorToDecimal(-5, 2)).toBe("-0.05");
    expect(minorToDecimal(1500, 0)).toBe("1500");
    expect(minorToDecimal(1234567, 3)).toBe("1234.567");
    expect(minorToDecimal(0, 2)).toBe("0.00");
  });
});

const month = (m: string, ...totals: [string, number, number][]) => ({
  month: m,
  totals: totals.map(([currency, minor, documents]) => ({ currency, minor, documents })),
});

describe("chartCurrencies", () => {
  it("puts the currency most documents are in first", () => {
    const months = [
      month("2026-01", ["EUR", 900000, 1]),
      month("2026-02", ["CZK", 10000, 3], ["EUR", 100, 1]),
      month("2026-03", ["USD", 5, 1]),
    ];
    expect(chartCurrencies(months)).toEqual(["CZK", "EUR", "USD"]);
  });

  it("is empty when no month has an amount", () => {
    expect(chartCurrencies([month("2026-01"), month("2026-02")])).toEqual([]);
  });
});

describe("niceCeiling", () => {
  it("rounds up to 1, 2 or 5 times a power of ten", () => {
    expect(niceCeiling(0)).toBe(0);
    expect(niceCeiling(1)).toBe(1);
    expect(niceCeiling(3)).toBe(5);
    expect(niceCeiling(136890)).toBe(200000);
    expect(niceCeiling(500000)).toBe(500000);
    expect(niceCeiling(500001)).toBe(1000000);
  });
});

describe("chartBars", () => {
  it("gives every month a bar in the chosen currency, scaled to a round top", () => {
    const { bars, top } = chartBars(
      [month("2026-01", ["CZK", 40000, 2]), month("2026-02"), month("2026-03", ["CZK", 80000, 1], ["EUR", 1, 1])],
      "CZK",
    );
    expect(top).toBe(100000);
    expect(bars.map((b) => [b.month, b.minor, b.documents, b.height])).toEqual([
      ["2026-01", 40000, 2, 0.4],
      ["2026-02", 0, 0, 0],
      ["2026-03", 80000, 1, 0.8],
    ]);
  });

  it("draws a month of refunds as no bar rather than below the axis", () => {
    const { bars, top } = chartBars([month("2026-01", ["CZK", -500, 1])], "CZK");
    expect(top).toBe(0);
    expect(bars[0].height).toBe(0);
  });
});

describe("monthName", () => {
  it("names the month in the person's language", () => {
    expect(monthName("2026-03", "en")).toBe("Mar");
    expect(monthName("2026-12", "en", true)).toBe("December 2026");
    expect(monthName("2026-03", "cs", true)).toBe("březen 2026");
  });
});
