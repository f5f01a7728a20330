import { describe, expect, it } from "vitest";
import {
  extend,
  isSelected,
  noSelection,
  rangeTo,
  selectAll,
  selectedCount,
  selectionRequest,
  toggle,
} from "./selection";

describe("picking rows", () => {
  it("ticks and unticks one row and counts what is ticked", () => {
    const one = toggle(noSelection, "a", 3);
    expect(isSelected(one, "a")).toBe(true);
    expect(isSelected(one, "b")).toBe(false);
    expect(selectedCount(one, 100)).toBe(1);
    expect(one.anchor).toBe(3);
    const none = toggle(one, "a", 3);
    expect(isSelected(none, "a")).toBe(false);
    expect(selectedCount(none, 100)).toBe(0);
    // The old selection is left as it was.
    expect(isSelected(one, "a")).toBe(true);
  });

  it("extends a range from the anchor in either direction", () => {
    const anchored = toggle(noSelection, "c", 5);
    expect(rangeTo(anchored, 2)).toEqual({ start: 2, end: 6 });
    expect(rangeTo(anchored, 8)).toEqual({ start: 5, end: 9 });
    expect(rangeTo(noSelection, 4)).toEqual({ start: 4, end: 5 });
    const range = extend(anchored, ["x", "y", "z", "c"], 2);
    expect(selectedCount(range, 100)).toBe(4);
    expect(range.anchor).toBe(5);
  });
});

describe("select all", () => {
  it("means every match of the search, less the rows unticked since", () => {
    const all = selectAll();
    expect(isSelected(all, "anything")).toBe(true);
    expect(selectedCount(all, 100_000)).toBe(100_000);
    const lessTwo = toggle(toggle(all, "a", 0), "b", 1);
    expect(isSelected(lessTwo, "a")).toBe(false);
    expect(selectedCount(lessTwo, 100_000)).toBe(99_998);
    // A range ticks the unticked rows again.
    const back = extend(lessTwo, ["a"], 0);
    expect(selectedCount(back, 100_000)).toBe(99_999);
  });

  it("is sent as the query without its window, picked rows as ids", () => {
    const query = { text: "lidl", kinds: ["receipt" as const], offset: 200, limit: 100 };
    expect(selectionRequest(toggle(selectAll(), "a", 0), query)).toEqual({
      mode: "query",
      query: { text: "lidl", kinds: ["receipt"] },
      except: ["a"],
    });
    expect(selectionRequest(toggle(noSelection, "b", 0), query)).toEqual({ mode: "ids", ids: ["b"] });
  });
});
