import { describe, expect, it } from "vitest";
import { fileName, IMPORT_CHUNK, importLines, runImport, runOcr } from "./importer";
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

  it("answers each file: imported, duplicate or failed, and keeps going after a failure", async () => {
    const lines = importLines(["/a.jpg", "/b.jpg", "/c.jpg"]);
    const answers: Record<string, ImportResult> = {
      "/a.jpg": { outcome: "imported", document: { ...summary("A"), imported_at: "", untitled: false } },
      "/b.jpg": { outcome: "failed", error: { code: "io", message: "cannot read" } },
      "/c.jpg": { outcome: "duplicate", existing_id: "A" },
    };
    let progress = 0;
    await runImport(lines, null, async (paths) => ({ answers: paths.map((p) => answers[p]), stopped: null }), (e) => `!${e.code}`, () => progress++);
    expect(lines.map((l) => l.state)).toEqual(["imported", "failed", "duplicate"]);
    expect(lines[1].message).toBe("!io");
    expect(lines[2].documentId).toBe("A");
    expect(progress).toBe(1);
  });

  it("sends the files a chunk at a time, so progress shows between calls", async () => {
    const lines = importLines(Array.from({ length: IMPORT_CHUNK * 2 + 1 }, (_, i) => `/r${i}.jpg`));
    const sent: number[] = [];
    let progress = 0;
    await runImport(lines, "receipt", async (paths) => {
      sent.push(paths.length);
      return { answers: paths.map((p) => ({ outcome: "duplicate" as const, existing_id: p })), stopped: null };
    }, (e) => e.code, () => progress++);
    expect(sent).toEqual([IMPORT_CHUNK, IMPORT_CHUNK, 1]);
    expect(progress).toBe(3);
    expect(lines.every((l) => l.state === "duplicate")).toBe(true);
  });

  it("marks the files without an answer when the vault itself fails, and tries no more", async () => {
    const lines = importLines(Array.from({ length: IMPORT_CHUNK + 3 }, (_, i) => `/r${i}.jpg`));
    let calls = 0;
    await runImport(lines, null, async (paths) => {
      calls++;
      return {
        answers: paths.slice(0, 2).map((p) => ({ outcome: "duplicate" as const, existing_id: p })),
        stopped: { code: "disk_full", message: "the disk is full" },
      };
    }, (e) => `!${e.code}`, () => {});
    expect(calls).toBe(1);
    expect(lines.slice(0, 2).every((l) => l.state === "duplicate")).toBe(true);
    expect(lines.slice(2).every((l) => l.state === "failed" && l.message === "!disk_full")).toBe(true);
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
