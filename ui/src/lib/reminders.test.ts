import { describe, expect, it } from "vitest";
import { noticeText, planNotifications, reminderKey } from "./reminders";
import { setLanguage } from "./i18n.svelte";
import type { DueReminder, NotificationSettings } from "./types";

const all: NotificationSettings = { warranty_ends: true, contract_ends: true, notice_deadline: true, document_expires: true, show_titles: false };

function due(document: string, kind: DueReminder["kind"], stage: number | null, days_left = 5): DueReminder {
  return { document, title: document, document_kind: "warranty", kind, date: "2026-01-31", lead_days: [30, 7], days_left, stage };
}

describe("planNotifications", () => {
  it("shows each reminder once per stage", () => {
    const kettle = due("kettle", "warranty_ends", 7);
    const first = planNotifications([kettle], [], all);
    expect(first.toShow).toEqual([kettle]);
    const again = planNotifications([kettle], first.shown, all);
    expect(again.toShow).toEqual([]);
    expect(again.shown).toEqual([reminderKey(kettle)]);
  });

  it("respects the opt-outs and skips reminders outside every lead time", () => {
    const plan = planNotifications(
      [due("lease", "contract_ends", 30), due("kettle", "warranty_ends", null)],
      [],
      { ...all, contract_ends: false },
    );
    expect(plan.toShow).toEqual([]);
  });

  it("forgets shown reminders that are no longer due", () => {
    const plan = planNotifications([], ["gone:warranty_ends:2025-01-01:7"], all);
    expect(plan.shown).toEqual([]);
  });
});

describe("noticeText", () => {
  it("names the document only when the person chose to see titles", () => {
    setLanguage("en");
    const kettle = { ...due("Rychlovarná konvice Tefal", "warranty_ends", 7, 3) };
    const hidden = noticeText(kettle, false);
    expect(hidden.title).toBe("Warranty ends soon");
    expect(hidden.body).toBe("In 3 days. Open Coffer to see which document.");
    expect(JSON.stringify(hidden)).not.toContain("Tefal");
    expect(noticeText(kettle, true).body).toBe("Rychlovarná konvice Tefal — in 3 days");
    expect(noticeText({ ...kettle, days_left: 0 }, false).body).toBe("Today. Open Coffer to see which document.");
  });
});
