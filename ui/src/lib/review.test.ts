import { describe, expect, it } from "vitest";
import { nextPosition, unconfirmedFields } from "./review";

describe("unconfirmedFields", () => {
  it("lists the guesses and leaves out what a person confirmed or nobody read", () => {
    const doc = {
      field_states: {
        kind: { confidence: 1, confirmed: false },
        merchant: { confidence: 0.8, confirmed: true },
        total: { confidence: 0.6, confirmed: false },
        notes: undefined,
      },
    };
    expect(unconfirmedFields(doc).sort()).toEqual(["kind", "total"]);
  });

  it("is empty for a document without any guess", () => {
    expect(unconfirmedFields({ field_states: {} })).toEqual([]);
  });
});

describe("nextPosition", () => {
  it("stays in place after a confirmation: the next document moves up", () => {
    expect(nextPosition(2, 5, "confirmed")).toBe(2);
  });

  it("moves past a skipped document", () => {
    expect(nextPosition(2, 5, "skipped")).toBe(3);
  });

  it("starts over from the first skipped document past the end", () => {
    expect(nextPosition(4, 5, "skipped")).toBe(0);
    expect(nextPosition(3, 4, "confirmed")).toBe(0);
    expect(nextPosition(0, 1, "confirmed")).toBe(0);
  });
});
