import { beforeEach, describe, expect, it, vi } from "vitest";

// The queue talks to the back end through `api`: here a fake that records what was asked, and
// lets a test hold an import until it says so.
const calls: string[] = [];
let release: (() => void) | null = null;
vi.mock("./api", () => ({
  api: {
    importFiles: async (paths: string[]) => {
      const answers = [];
      for (const path of paths) {
        calls.push(`import ${path}`);
        if (path.includes("slow")) await new Promise<void>((r) => (release = r));
        answers.push({ outcome: "imported", document: { id: `id:${path}` } });
      }
      return { answers, stopped: null };
    },
    ocr: async (id: string) => {
      calls.push(`ocr ${id}`);
      if (id.includes("unreadable")) throw { code: "ocr_failed", message: "no text" };
      return {};
    },
    list: async () => ({ total: 0, documents: [] }),
  },
  asCommandError: (e: unknown) => e,
}));

const { app } = await import("./app.svelte");
const { onWorkChanged, queueImport, queueReading, resetWork, work, workBusy } = await import("./work.svelte");

async function settled() {
  for (let i = 0; i < 20 && workBusy(); i++) await new Promise((r) => setTimeout(r, 0));
}

beforeEach(() => {
  calls.length = 0;
  resetWork();
  app.settings.ocr_on_import = true;
});

describe("the background queue", () => {
  it("stores the files, then reads them, and tells the screens each time", async () => {
    let told = 0;
    const stop = onWorkChanged(() => told++);
    queueImport(["/a.jpg", "/b.jpg"], null);
    await settled();
    stop();
    expect(calls).toEqual(["import /a.jpg", "import /b.jpg", "ocr id:/a.jpg", "ocr id:/b.jpg"]);
    expect(work.lines.map((l) => [l.state, l.ocr])).toEqual([["imported", "read"], ["imported", "read"]]);
    expect(told).toBe(2);
  });

  it("runs a job queued meanwhile after the running one, in order", async () => {
    app.settings.ocr_on_import = false;
    queueImport(["/slow.jpg"], null);
    await new Promise((r) => setTimeout(r, 0));
    queueReading([{ id: "doc-1", name: "Lidl" }, { id: "unreadable-2", name: "Scan" }]);
    expect(work.importing).toBe(true);
    expect(work.waiting).toBe(1);
    release!();
    await settled();
    expect(calls).toEqual(["import /slow.jpg", "ocr doc-1", "ocr unreadable-2"]);
    expect(work.job).toBe("read");
    expect(work.lines.map((l) => [l.name, l.ocr])).toEqual([["Lidl", "read"], ["Scan", "unreadable"]]);
  });

  it("drops what waits when the vault locks", async () => {
    queueImport(["/slow.jpg"], null);
    await new Promise((r) => setTimeout(r, 0));
    queueImport(["/later.jpg"], null);
    resetWork();
    release!();
    await settled();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).not.toContain("import /later.jpg");
    expect(work.lines).toEqual([]);
  });

  it("goes on with the next job when one fails in an unexpected way", async () => {
    app.settings.ocr_on_import = false;
    const stop = onWorkChanged(() => {
      throw new Error("a screen that could not refresh");
    });
    queueImport(["/first.jpg"], null);
    queueImport(["/second.jpg"], null);
    await settled();
    stop();
    expect(calls).toEqual(["import /first.jpg", "import /second.jpg"]);
    expect(work.importing).toBe(false);
  });
});
