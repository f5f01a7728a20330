import { flushSync, mount } from "svelte";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { settle } from "../testing/settle";
import ExportDialog from "./ExportDialog.svelte";
import { setLanguage } from "../lib/i18n.svelte";
import type { ExportForm, ExportOutcome, ShareOutcome } from "../lib/types";

beforeAll(() => {
  // jsdom has the element but not its modal behaviour.
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.open = true;
  };
});

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const outcome: ExportOutcome = {
  path: "/home/jana/Downloads/coffer.zip",
  documents: 12,
  by_import_date: 1,
  content_bytes: 1_000_000,
  pohoda_documents: 11,
  isdoc_files: 0,
  notes: [{ id: "d1", file: "documents/2026-11-03 Albert.jpg", missing: ["document number", "company ID"], left_out_of: [] }],
};

const shareOutcome: ShareOutcome = {
  link: "http://127.0.0.1:8443/s/0b6c1a52-3f1e-4a7e-9a43-3c1f0e2d9b11#k2X9_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM",
  share_id: "0b6c1a52-3f1e-4a7e-9a43-3c1f0e2d9b11",
  expires_at: Date.UTC(2026, 11, 19, 12) / 1000,
  export: { ...outcome, path: null },
};

async function render() {
  setLanguage("en");
  const sent: ExportForm[] = [];
  const shares: { form: ExportForm; expires_in_days: number }[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "default_output_folder") return "/home/jana/Downloads";
    if (cmd === "export_documents") {
      sent.push((args as { form: ExportForm }).form);
      return outcome;
    }
    if (cmd === "share_documents") {
      shares.push(args as { form: ExportForm; expires_in_days: number });
      return shareOutcome;
    }
    throw new Error(`unexpected ${cmd}`);
  });
  const target = document.createElement("div");
  document.body.append(target);
  mount(ExportDialog, { target, props: { onclose: () => {} } });
  await settle();
  const q = <T extends Element>(id: string) => target.querySelector<T>(`[data-testid=${id}]`)!;
  return { target, sent, shares, q };
}

function pad(n: number) {
  return String(n).padStart(2, "0");
}

describe("ExportDialog", () => {
  it("suggests last month's ZIP in the Downloads folder and sends the chosen formats", async () => {
    const { target, sent, q } = await render();
    const now = new Date();
    const last = new Date(now.getFullYear(), now.getMonth() - 1, 1);
    const month = `${last.getFullYear()}-${pad(last.getMonth() + 1)}`;
    const lastDay = new Date(last.getFullYear(), last.getMonth() + 1, 0).getDate();
    expect(q<HTMLInputElement>("export-out").value).toBe(`/home/jana/Downloads/coffer-${month}.zip`);

    q<HTMLInputElement>("export-format-pohoda").click();
    flushSync();
    const cash = q<HTMLInputElement>("export-cash-register");
    cash.value = " HP ";
    cash.dispatchEvent(new Event("input", { bubbles: true }));
    q<HTMLInputElement>("export-kind-receipt").click();
    flushSync();
    q<HTMLButtonElement>("export-run").click();
    await settle();

    expect(sent).toEqual([
      {
        from: `${month}-01`,
        to: `${month}-${pad(lastDay)}`,
        kinds: ["receipt"],
        preset: "intl",
        formats: ["pohoda"],
        cash_register: "HP",
        out: `/home/jana/Downloads/coffer-${month}.zip`,
        language: "en",
        selection: null,
      },
    ]);
    const shown = q("export-outcome").textContent!;
    expect(shown).toContain("Exported 12 documents to");
    expect(shown).toContain("pohoda.xml: 11 documents.");
    expect(q("export-notes").textContent).toContain("2026-11-03 Albert.jpg · missing document number, company ID");
    expect(target.querySelector("[data-testid=export-show]")).not.toBeNull();
  });

  it("will not export a period that ends before it starts", async () => {
    const { sent, q } = await render();
    const period = q<HTMLSelectElement>("export-period");
    period.value = "custom";
    period.dispatchEvent(new Event("change", { bubbles: true }));
    flushSync();
    const from = q<HTMLInputElement>("export-from");
    from.value = "2026-12-01";
    from.dispatchEvent(new Event("input", { bubbles: true }));
    const to = q<HTMLInputElement>("export-to");
    to.value = "2026-11-01";
    to.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect(q<HTMLButtonElement>("export-run").disabled).toBe(true);
    to.value = "2026-12-31";
    to.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect(q<HTMLButtonElement>("export-run").disabled).toBe(false);
    expect(q<HTMLInputElement>("export-out").value).toBe("/home/jana/Downloads/coffer-2026-12.zip");
    expect(sent).toEqual([]);
  });

  it("sends to the accountant: no file to save, the chosen days, and the link to copy", async () => {
    const { target, sent, shares, q } = await render();
    q<HTMLLabelElement>("export-mode-share").click();
    flushSync();
    expect(target.querySelector("[data-testid=export-out]")).toBeNull();
    expect(q<HTMLButtonElement>("export-run").textContent).toContain("Create link");
    const days = q<HTMLSelectElement>("export-share-days");
    days.value = "30";
    days.dispatchEvent(new Event("change", { bubbles: true }));
    flushSync();
    q<HTMLButtonElement>("export-run").click();
    await settle();

    expect(sent).toEqual([]);
    expect(shares).toHaveLength(1);
    expect(shares[0].expires_in_days).toBe(30);
    expect(shares[0].form.out).toBeUndefined();
    expect(q<HTMLInputElement>("export-share-link").value).toBe(shareOutcome.link);
    expect(q("export-outcome").textContent).toContain("Shared 12 documents. Send this link to your accountant:");
    expect(q("export-share-until").textContent).toContain("19 Dec 2026");
    expect(target.querySelector("[data-testid=export-show]")).toBeNull();
    let copiedText = "";
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: async (text: string) => void (copiedText = text) },
      configurable: true,
    });
    q<HTMLButtonElement>("export-share-copy").click();
    await settle();
    expect(copiedText).toBe(shareOutcome.link);
    expect(q("export-share-copy").textContent).toContain("Copied");
  });
});
