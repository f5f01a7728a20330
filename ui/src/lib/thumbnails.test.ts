import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_THUMBNAILS, clearThumbnails, heldThumbnails, thumbnailUrl } from "./thumbnails";

let created = 0;
const revoked: string[] = [];

beforeEach(() => {
  created = 0;
  revoked.length = 0;
  URL.createObjectURL = vi.fn(() => `blob:thumb-${++created}`);
  URL.revokeObjectURL = vi.fn((url: string) => void revoked.push(url));
});

afterEach(() => clearThumbnails());

const jpeg = async () => new Uint8Array([0xff, 0xd8, 0xff]);

describe("thumbnails", () => {
  it("loads each document once and reuses its URL", async () => {
    const load = vi.fn(jpeg);
    const [a, b] = await Promise.all([thumbnailUrl("d1", load), thumbnailUrl("d1", load)]);
    expect(a).toBe("blob:thumb-1");
    expect(b).toBe(a);
    expect(await thumbnailUrl("d1", load)).toBe(a);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("answers null for files without a picture", async () => {
    expect(await thumbnailUrl("text", async () => new Uint8Array())).toBeNull();
    expect(heldThumbnails()).toBe(0);
  });

  it("revokes the oldest beyond the limit and everything on lock", async () => {
    for (let i = 0; i <= MAX_THUMBNAILS; i++) await thumbnailUrl(`d${i}`, jpeg);
    expect(revoked).toEqual(["blob:thumb-1"]);
    expect(heldThumbnails()).toBe(MAX_THUMBNAILS);
    clearThumbnails();
    expect(heldThumbnails()).toBe(0);
    expect(revoked.length).toBe(MAX_THUMBNAILS + 1);
  });

  it("drops a thumbnail that arrives after the lock", async () => {
    let finish: (bytes: Uint8Array) => void = () => {};
    const slow = () => new Promise<Uint8Array>((resolve) => (finish = resolve));
    const loading = thumbnailUrl("late", slow);
    clearThumbnails();
    finish(new Uint8Array([1]));
    expect(await loading).toBeNull();
    expect(created).toBe(0);
  });
});
