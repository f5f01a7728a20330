import { describe, expect, it } from "vitest";
import { PAGE_SIZE, PagedRows, type FetchPage } from "./paging";
import type { DocumentSummary } from "./types";

function summary(i: number): DocumentSummary {
  return {
    id: `id-${i}`, kind: "receipt", title: `Receipt ${i}`, merchant: null, date: null, total: null,
    currency: null, tags: [], expiry: null, unconfirmed: false, trashed: false,
    imported_at: "2026-11-03T10:00:00Z", untitled: false,
  };
}

/** An engine of `total` documents that records what it was asked for. */
function engine(total: number) {
  const asked: [number, number][] = [];
  const fetch: FetchPage = async (offset, limit) => {
    asked.push([offset, limit]);
    const end = Math.min(total, offset + limit);
    return { total, documents: Array.from({ length: Math.max(0, end - offset) }, (_, k) => summary(offset + k)) };
  };
  return { asked, fetch };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("PagedRows", () => {
  it("reads the count and the first page only, then the pages a jump needs", async () => {
    const { asked, fetch } = engine(100_000);
    let changes = 0;
    const rows = new PagedRows(fetch, () => changes++);
    await rows.start();
    expect(rows.total).toBe(100_000);
    expect(asked).toEqual([[0, PAGE_SIZE]]);
    expect(rows.row(PAGE_SIZE - 1)?.id).toBe(`id-${PAGE_SIZE - 1}`);
    expect(rows.row(PAGE_SIZE)).toBeUndefined();

    rows.ensure(73_210, 73_240);
    rows.ensure(73_210, 73_240); // asked again before the first answer: not fetched twice
    await settle();
    expect(asked.slice(1)).toEqual([[73_200, PAGE_SIZE]]);
    expect(rows.row(73_239)?.id).toBe("id-73239");
    expect(changes).toBe(2);
  });

  it("asks for both pages a window straddles, and nothing past the end", async () => {
    const { asked, fetch } = engine(250);
    const rows = new PagedRows(fetch, () => {});
    await rows.start();
    rows.ensure(190, 400);
    await settle();
    expect(asked.slice(1)).toEqual([[100, PAGE_SIZE], [200, PAGE_SIZE]]);
    expect(rows.row(249)?.id).toBe("id-249");
    expect(rows.row(250)).toBeUndefined();
  });

  it("reports a page that failed and asks for it again later", async () => {
    let fail = true;
    const errors: unknown[] = [];
    const { fetch } = engine(500);
    const rows = new PagedRows(async (offset, limit) => {
      if (offset > 0 && fail) throw { code: "io", message: "disk" };
      return fetch(offset, limit);
    }, () => {}, (e) => errors.push(e));
    await rows.start();
    rows.ensure(300, 310);
    await settle();
    expect(errors).toEqual([{ code: "io", message: "disk" }]);
    fail = false;
    rows.ensure(300, 310);
    await settle();
    expect(rows.row(305)?.id).toBe("id-305");
  });
});
