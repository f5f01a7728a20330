import { describe, expect, it } from "vitest";
import { formatLeadDays, parseLeadDays } from "./leadDays";

describe("lead days", () => {
  it("reads days separated by commas or spaces", () => {
    expect(parseLeadDays("30, 7")).toEqual([30, 7]);
    expect(parseLeadDays(" 60 14;1 ")).toEqual([60, 14, 1]);
  });

  it("refuses anything that is not whole days", () => {
    expect(parseLeadDays("")).toBeNull();
    expect(parseLeadDays("30, a week")).toBeNull();
    expect(parseLeadDays("-1")).toBeNull();
    expect(parseLeadDays("7.5")).toBeNull();
  });

  it("writes them back the way they are typed", () => {
    expect(formatLeadDays([30, 7])).toBe("30, 7");
  });
});
