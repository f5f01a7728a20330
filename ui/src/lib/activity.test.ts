import { describe, expect, it } from "vitest";
import { throttle } from "./activity";

describe("activity reporting", () => {
  it("reports at most once per interval", () => {
    let now = 0;
    let calls = 0;
    const report = throttle(() => calls++, 1000, () => now);
    report();
    report();
    now = 999;
    report();
    now = 1000;
    report();
    expect(calls).toBe(2);
  });
});
