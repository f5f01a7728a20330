import { flushSync, mount, unmount } from "svelte";
import { describe, expect, it } from "vitest";
import DocumentList from "./DocumentList.svelte";
import { PagedRows } from "../lib/paging";
import { noSelection, toggle, type ListSelection } from "../lib/selection";
import type { DocumentSummary, Sort } from "../lib/types";

// jsdom has no layout: a ResizeObserver that never reports is enough for `bind:clientHeight`.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;

const TOTAL = 100_000;
const summary = (i: number): DocumentSummary => ({
  id: `id-${i}`,
  kind: "receipt",
  title: `Receipt ${i}`,
  merchant: i % 5 === 0 ? null : "Elektro Novák a synové, s.r.o., provozovna Praha 4 – Chodov",
  date: "2024-11-03",
  total: "1299.90",
  currency: "CZK",
  tags: i % 3 === 0 ? ["kuchyň"] : [],
  expiry: null,
  unconfirmed: i % 2 === 0,
  trashed: false,
  imported_at: "2024-11-03T12:00:00Z",
  untitled: i % 5 === 0,
});

async function pagedRows(asked: number[]) {
  const rows = new PagedRows(async (offset, limit) => {
    asked.push(offset);
    return { total: TOTAL, documents: Array.from({ length: limit }, (_, k) => summary(offset + k)) };
  }, () => {});
  await rows.start();
  return rows;
}

type Pick = [number, string, "toggle" | "range"] | ["all", boolean];

function mountList(
  rows: PagedRows,
  sort: Sort,
  sorted: Sort[],
  opened: string[],
  picks: Pick[] = [],
  selection: ListSelection = noSelection,
) {
  const target = document.createElement("div");
  document.body.append(target);
  const list = mount(DocumentList, {
    target,
    props: {
      rows,
      version: 0,
      sort,
      onsort: (s: Sort) => sorted.push(s),
      onopen: (id: string) => opened.push(id),
      selection,
      onpick: (index: number, id: string, how: "toggle" | "range") => picks.push([index, id, how]),
      onpickall: (all: boolean) => picks.push(["all", all]),
    },
  });
  flushSync();
  return { target, list };
}

describe("DocumentList", () => {
  it("renders a handful of rows of 100,000 in columns and opens one from the keyboard", async () => {
    const asked: number[] = [];
    const opened: string[] = [];
    const { target, list } = mountList(await pagedRows(asked), { key: "date", ascending: false }, [], opened);
    const rows = target.querySelectorAll('[data-testid="document-row"]');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(40);
    // Only the first page was read: the window never asks for every summary.
    expect(asked).toEqual([0]);
    const first = rows[0] as HTMLElement;
    expect(first.querySelector(".col-name")?.textContent).toContain("Receipt · 3 Nov 2024");
    expect(first.querySelector(".col-total")?.textContent).toBe("CZK 1,299.90");
    expect(first.querySelector('[data-testid="unconfirmed-mark"]')).not.toBeNull();
    expect(first.querySelector(".col-tags")?.textContent).toBe("kuchyň");
    const second = rows[1] as HTMLElement;
    expect(second.querySelector(".doc-title")?.getAttribute("title")).toBe("Elektro Novák a synové, s.r.o., provozovna Praha 4 – Chodov");

    const listbox = target.querySelector('[role="listbox"]') as HTMLElement;
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    flushSync();
    expect(opened).toEqual(["id-2"]);
    expect(listbox.getAttribute("aria-activedescendant")).toBe("doc-id-2");
    unmount(list);
  });

  it("sorts by a column, and turns the direction of the sorted one", async () => {
    const sorted: Sort[] = [];
    const { target, list } = mountList(await pagedRows([]), { key: "date", ascending: false }, sorted, []);
    const header = (key: string) => target.querySelector(`[data-testid="sort-${key}"]`) as HTMLButtonElement;
    expect(header("date").closest('[role="columnheader"]')?.getAttribute("aria-sort")).toBe("descending");
    header("date").click();
    header("name").click();
    header("total").click();
    expect(sorted).toEqual([
      { key: "date", ascending: true },
      { key: "name", ascending: true },
      { key: "total", ascending: false },
    ]);
    unmount(list);
  });

  it("picks with Ctrl-click, Shift-click, the row's box, Space and Ctrl+A; a plain click opens", async () => {
    const picks: Pick[] = [];
    const opened: string[] = [];
    const selection = toggle(noSelection, "id-1", 1);
    const { target, list } = mountList(await pagedRows([]), { key: "date", ascending: false }, [], opened, picks, selection);
    const rows = target.querySelectorAll('[data-testid="document-row"]');
    const row = (i: number) => rows[i] as HTMLElement;
    expect(row(1).classList.contains("picked")).toBe(true);
    expect(row(1).getAttribute("aria-selected")).toBe("true");
    expect(row(0).getAttribute("aria-selected")).toBe("false");
    expect((row(1).querySelector('[data-testid="row-check"]') as HTMLInputElement).checked).toBe(true);

    row(3).dispatchEvent(new MouseEvent("click", { bubbles: true, ctrlKey: true }));
    row(5).dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true }));
    (row(2).querySelector('[data-testid="row-check"]') as HTMLInputElement).click();
    const listbox = target.querySelector('[role="listbox"]') as HTMLElement;
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: "a", ctrlKey: true, bubbles: true }));
    (target.querySelector('[data-testid="select-all"]') as HTMLInputElement).click();
    expect(picks).toEqual([
      [3, "id-3", "toggle"],
      [5, "id-5", "range"],
      [2, "id-2", "toggle"],
      // Space picks the row the last pick made active.
      [2, "id-2", "toggle"],
      ["all", true],
      ["all", true],
    ]);
    // None of that opened a document; a plain click does.
    expect(opened).toEqual([]);
    row(4).click();
    expect(opened).toEqual(["id-4"]);
    unmount(list);
  });
});
