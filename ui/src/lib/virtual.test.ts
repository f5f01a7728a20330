import { describe, expect, it } from "vitest";
import { scrollToReveal, visibleRange } from "./virtual";

describe("virtual list", () => {
  it("renders only the rows in view plus the overscan, even for 100,000 rows", () => {
    const range = visibleRange(640_000, 600, 64, 100_000, 6);
    expect(range.start).toBe(10_000 - 6);
    expect(range.end - range.start).toBeLessThan(30);
  });

  it("clamps at both ends and handles empty lists", () => {
    expect(visibleRange(0, 600, 64, 5)).toEqual({ start: 0, end: 5 });
    expect(visibleRange(99_999 * 64, 600, 64, 100_000).end).toBe(100_000);
    expect(visibleRange(0, 600, 64, 0)).toEqual({ start: 0, end: 0 });
  });

  it("scrolls just enough to reveal a row", () => {
    expect(scrollToReveal(0, 640, 600, 64)).toBe(0);
    expect(scrollToReveal(20, 0, 600, 64)).toBe(21 * 64 - 600);
    expect(scrollToReveal(3, 0, 600, 64)).toBeNull();
  });
});
