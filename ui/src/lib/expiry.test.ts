import { describe, expect, it } from "vitest";
import { groupByHorizon } from "./expiry";
import type { DocumentSummary } from "./types";

const doc = (id: string, expiry: string | null): DocumentSummary => ({
  id, kind: "warranty", title: id, merchant: null, date: null, total: null, currency: null,
  tags: [], expiry, unconfirmed: false, trashed: false,
});

describe("expiry timeline", () => {
  it("puts each document in the nearest horizon, soonest first", () => {
    const today = new Date(2025, 0, 1);
    const groups = groupByHorizon(
      [doc("late", "2025-12-01"), doc("soon", "2025-01-20"), doc("sooner", "2025-01-02"), doc("mid", "2025-03-01"), doc("none", null), doc("past", "2024-12-01")],
      today,
    );
    expect(groups.map((g) => g.items.map((i) => i.doc.id))).toEqual([["sooner", "soon"], ["mid"], ["late"]]);
    expect(groups[0].items[0].days).toBe(1);
  });
});
