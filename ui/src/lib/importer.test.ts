import { describe, expect, it } from "vitest";
import { fileName, importLines, runImport, runOcr } from "./importer";
import type { ImportResult } from "./types";

const summary = (id: string) => ({
  id, kind: "other" as const, title: id, merchant: null, date: null, total: null, currency: null,
  tags: [], expiry: null, unconfirmed: false, trashed: false,
});

describe("import", () => {
  it("names files by their last path component", () => {
    expect(fileName("/home/jana/Účtenky/kettle.jpg")).toBe("kettle.jpg");
    expect(fileName("C:\\scans\\a.pdf")).toBe("a.pdf");
  });

  it("reports each file: imported, duplicate or failed, and keeps going after a failure", async () => {
    const lines = importLines(["/a.jpg", "/b.jpg", "/c.jpg"]);
    const results: Record<string, () => Promise<ImportResult>> = {
      "/a.jpg": async () => ({ outcome: "imported", document: summary("A") }),
      "/b.jpg": async () => { throw { code: "io", message: "cannot read" }; },
      "/c.jpg": async () => ({ outcome: "duplicate", existingId: "A" }),
    };
    let progress = 0;
    await runImport(lines, null, (path) => results[path](), (e) => `!${e.code}`, () => progress++);
    expect(lines.map((l) => l.state)).toEqual(["imported", "failed", "duplicate"]);
    expect(lines[1].message).toBe("!io");
    expect(lines[2].documentId).toBe("A");
    expect(progress).toBe(3);
  });

  it("stops trying once the vault locks", async () => {
    const lines = importLines(["/a", "/b", "/c"]);
    let calls = 0;
    await runImport(lines, "receipt", async () => { calls++; throw { code: "locked", message: "" }; }, () => "locked", () => {});
    expect(calls).toBe(1);
    expect(lines.every((l) => l.state === "failed")).toBe(true);
  });

  it("reads the text of imported files only, and a file OCR cannot read stays stored", async () => {
    const lines = importLines(["/a.jpg", "/b.jpg", "/c.txt"]);
    lines[0].state = "imported"; lines[0].documentId = "A";
    lines[1].state = "duplicate"; lines[1].documentId = "B";
    lines[2].state = "imported"; lines[2].documentId = "C";
    const read: string[] = [];
    await runOcr(lines, async (id) => {
      read.push(id);
      if (id === "C") throw { code: "ocr_failed", message: "no text" };
    }, (e) => e.message, () => {});
    expect(read).toEqual(["A", "C"]);
    expect(lines.map((l) => l.ocr)).toEqual(["read", undefined, "unreadable"]);
    expect(lines[2].state).toBe("imported");
    expect(lines[2].ocrMessage).toBe("no text");
  });

  it("stops reading when the vault locks", async () => {
    const lines = importLines(["/a.jpg", "/b.jpg"]);
    for (const [i, l] of lines.entries()) { l.state = "imported"; l.documentId = `D${i}`; }
    let calls = 0;
    await runOcr(lines, async () => { calls++; throw { code: "locked", message: "locked" }; }, (e) => e.code, () => {}, 1);
    expect(calls).toBe(1);
    expect(lines.every((l) => l.ocr === "unreadable")).toBe(true);
  });

  it("reads several documents at once, no more than it is told", async () => {
    const lines = importLines(["/1.jpg", "/2.jpg", "/3.jpg", "/4.jpg", "/5.jpg"]);
    for (const [i, l] of lines.entries()) { l.state = "imported"; l.documentId = `D${i}`; }
    let running = 0;
    let most = 0;
    await runOcr(lines, async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    }, (e) => e.code, () => {}, 2);
    expect(most).toBe(2);
    expect(lines.every((l) => l.ocr === "read")).toBe(true);
  });
});
