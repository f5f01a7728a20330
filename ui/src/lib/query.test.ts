import { describe, expect, it } from "vitest";
import { activeFilterCount, buildQuery, emptyFilters } from "./query";

describe("search query", () => {
  it("sends only what was filled in, trimmed", () => {
    expect(buildQuery("  kettle ", emptyFilters())).toEqual({ text: "kettle" });
    expect(buildQuery("", emptyFilters())).toEqual({});
  });

  it("converts amounts to minor units and leaves out half-typed values", () => {
    const filters = { ...emptyFilters(), minTotal: "100", maxTotal: "1 000,5", from: "2024-01", to: "2024-12-31" };
    expect(buildQuery("", filters)).toEqual({ min_total_minor: 10000, max_total_minor: 100050, to: "2024-12-31" });
  });

  it("passes kinds, tags, expiry, unconfirmed and trash", () => {
    const filters = {
      ...emptyFilters(),
      kinds: ["receipt" as const],
      tag: "kitchen",
      expiring_within_days: 30,
      unconfirmed_only: true,
      trash: true,
    };
    expect(buildQuery("", filters)).toEqual({
      kinds: ["receipt"],
      tags: ["kitchen"],
      expiring_within_days: 30,
      unconfirmed_only: true,
      trash: true,
    });
    expect(activeFilterCount(filters)).toBe(5);
    expect(activeFilterCount(emptyFilters())).toBe(0);
  });
});
