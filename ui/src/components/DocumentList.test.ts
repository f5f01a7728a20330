import { flushSync, mount, unmount } from "svelte";
import { describe, expect, it } from "vitest";
import DocumentList from "./DocumentList.svelte";
import type { DocumentSummary } from "../lib/types";

// jsdom has no layout: a ResizeObserver that never reports is enough for `bind:clientHeight`.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;

const docs: DocumentSummary[] = Array.from({ length: 100_000 }, (_, i) => ({
  id: `id-${i}`,
  kind: "receipt",
  title: `Receipt ${i}`,
  merchant: "Elektro Novák a synové, s.r.o., provozovna Praha 4 – Chodov",
  date: "2024-11-03",
  total: "1299.90",
  currency: "CZK",
  tags: [],
  expiry: null,
  unconfirmed: i % 2 === 0,
  trashed: false,
}));

describe("DocumentList", () => {
  it("renders a handful of rows for 100,000 documents and opens one from the keyboard", () => {
    const target = document.createElement("div");
    document.body.append(target);
    const opened: string[] = [];
    const list = mount(DocumentList, { target, props: { documents: docs, onopen: (id: string) => opened.push(id) } });
    flushSync();
    const rows = target.querySelectorAll('[data-testid="document-row"]');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(40);
    const listbox = target.querySelector('[role="listbox"]') as HTMLElement;
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    listbox.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    flushSync();
    expect(opened).toEqual(["id-2"]);
    expect(listbox.getAttribute("aria-activedescendant")).toBe("doc-id-2");
    unmount(list);
  });
});
