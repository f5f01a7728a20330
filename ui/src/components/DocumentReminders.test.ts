import { flushSync, mount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { settle } from "../testing/settle";
import DocumentReminders from "./DocumentReminders.svelte";
import { setLanguage } from "../lib/i18n.svelte";
import type { DocumentKind, DocumentReminders as Reminders } from "../lib/types";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

function type(input: HTMLInputElement, text: string) {
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
}

/** Renders the settings of a document whose stored ones are `stored`; records what is saved. */
async function render(kind: DocumentKind, stored: Reminders, expiry: string | null = "2027-03-31") {
  setLanguage("en");
  const saved: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "reminder_lead_days") return [30, 7];
    if (cmd === "document_reminders") return stored;
    if (cmd === "save_document_reminders") {
      const { reminders } = args as { reminders: Reminders };
      saved.push(reminders);
      // The engine sorts the lead times, longest first.
      return { ...reminders, lead_days: reminders.lead_days && [...reminders.lead_days].sort((a, b) => b - a) };
    }
    throw new Error(`unexpected ${cmd}`);
  });
  const target = document.createElement("div");
  document.body.append(target);
  mount(DocumentReminders, { target, props: { id: "d1", kind, expiry } });
  await settle();
  const lead = target.querySelector<HTMLInputElement>("#doc-lead-days")!;
  const submit = target.querySelector<HTMLButtonElement>("button[type=submit]")!;
  return { target, saved, lead, submit };
}

describe("DocumentReminders", () => {
  it("shows the vault's defaults until the document has its own, and saves its own", async () => {
    const { target, saved, lead, submit } = await render("warranty", { lead_days: null, notice_days: null });
    expect(lead.value).toBe("");
    expect(lead.placeholder).toBe("Default: 30, 7");
    expect(target.querySelector("[data-testid=notice-days]")).toBeNull();
    expect(submit.disabled).toBe(true);

    type(lead, "7 60");
    expect(submit.disabled).toBe(false);
    submit.click();
    await settle();
    expect(saved).toEqual([{ lead_days: [7, 60], notice_days: null }]);
    expect(lead.value).toBe("60, 7");
    expect(target.textContent).toContain("Saved");
    expect(submit.disabled).toBe(true);
  });

  it("offers a notice period for contracts and refuses what is not a number of days", async () => {
    const { target, saved, lead, submit } = await render("contract", { lead_days: [14], notice_days: 90 });
    const notice = target.querySelector<HTMLInputElement>("[data-testid=notice-days]")!;
    expect([lead.value, notice.value]).toEqual(["14", "90"]);

    type(notice, "three months");
    expect(notice.classList.contains("invalid")).toBe(true);
    expect(submit.disabled).toBe(true);

    type(notice, "");
    type(lead, "");
    submit.click();
    await settle();
    expect(saved).toEqual([{ lead_days: null, notice_days: null }]);
  });

  it("says that reminders need an expiry date", async () => {
    const { target } = await render("warranty", { lead_days: null, notice_days: null }, null);
    expect(target.textContent).toContain("set one above");
  });
});
