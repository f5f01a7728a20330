import { describe, expect, it } from "vitest";
import { MAX_RENDER_PIXELS, MAX_ZOOM, MIN_ZOOM, renderSize, zoomBy } from "./zoom";

describe("zoom", () => {
  it("steps within 25 % and 400 %", () => {
    expect(zoomBy(1, 1.25)).toBe(1.25);
    expect(zoomBy(3.5, 1.25)).toBe(MAX_ZOOM);
    expect(zoomBy(0.3, 0.8)).toBe(MIN_ZOOM);
  });

  it("renders pages sharp for the screen, in coarse steps, within the limit", () => {
    expect(renderSize(500, 1, 1)).toBe(768);
    expect(renderSize(500, 1, 2)).toBe(1472);
    expect(renderSize(510, 1, 1)).toBe(renderSize(500, 1, 1));
    expect(renderSize(900, 4, 2)).toBe(MAX_RENDER_PIXELS);
    expect(renderSize(10, 0.25, 1)).toBe(256);
  });
});
