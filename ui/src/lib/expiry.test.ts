import { describe, expect, it } from "vitest";
import { addMonths, dayAfter, deadlineKey, DONE, isSnoozed, planDeadlines, withSnooze } from "./expiry";
import type { Deadline, DeadlineKind } from "./types";

const deadline = (document: string, date: string, kind: DeadlineKind = "warranty_ends"): Deadline => ({
  document, title: document, document_kind: "warranty", kind, date, lead_days: [30, 7],
});

describe("the deadlines plan", () => {
  const today = new Date(2025, 0, 15);

  it("puts what passed lately under overdue and the rest in the nearest horizon, soonest first", () => {
    const plan = planDeadlines(
      [
        deadline("late", "2025-12-01"),
        deadline("soon", "2025-02-10"),
        deadline("sooner", "2025-01-16"),
        deadline("mid", "2025-03-20"),
        deadline("missed", "2025-01-10", "notice_deadline"),
        deadline("long-gone", "2024-10-01"),
        deadline("today", "2025-01-15"),
      ],
      {},
      today,
    );
    expect(plan.overdue.map((i) => [i.deadline.document, i.days])).toEqual([["missed", -5]]);
    expect(plan.groups.map((g) => g.items.map((i) => i.deadline.document))).toEqual([["today", "sooner", "soon"], ["mid"], ["late"]]);
    expect(plan.snoozed).toEqual([]);
  });

  it("hides a snoozed deadline until its day, and one marked done for good", () => {
    const soon = deadline("soon", "2025-01-20");
    const missed = deadline("missed", "2025-01-10", "notice_deadline");
    const snoozes = { [deadlineKey(soon)]: "2025-01-22", [deadlineKey(missed)]: DONE };
    const plan = planDeadlines([soon, missed], snoozes, today);
    expect(plan.overdue).toEqual([]);
    expect(plan.groups[0].items).toEqual([]);
    expect(plan.snoozed.map((i) => [i.deadline.document, i.until])).toEqual([["soon", "2025-01-22"]]);
    expect(isSnoozed(snoozes, soon, today)).toBe(true);
    // On the day the snooze ends, it is back.
    const later = new Date(2025, 0, 22);
    expect(planDeadlines([soon], snoozes, later).overdue.map((i) => i.deadline.document)).toEqual(["soon"]);
    expect(isSnoozed(snoozes, soon, later)).toBe(false);
  });

  it("keeps the snoozes small: waking removes one, and long-past deadlines drop out", () => {
    const old = deadlineKey(deadline("old", "2024-09-01"));
    const soon = deadlineKey(deadline("soon", "2025-01-20"));
    const next = withSnooze({ [old]: DONE, [soon]: "2025-01-22" }, deadlineKey(deadline("x", "2025-02-01")), "2025-01-25", today);
    expect(Object.keys(next).sort()).toEqual([soon, deadlineKey(deadline("x", "2025-02-01"))].sort());
    expect(withSnooze(next, soon, null, today)[soon]).toBeUndefined();
  });
});

describe("dates", () => {
  it("adds calendar months and clamps to the month's end", () => {
    expect(addMonths("2024-03-15", 24)).toBe("2026-03-15");
    expect(addMonths("2024-01-31", 1)).toBe("2024-02-29");
    expect(addMonths("2023-12-31", 2)).toBe("2024-02-29");
    expect(addMonths("2024-11-30", 3)).toBe("2025-02-28");
  });

  it("counts local days", () => {
    expect(dayAfter(new Date(2024, 11, 31), 1)).toBe("2025-01-01");
    expect(dayAfter(new Date(2025, 0, 15), -61)).toBe("2024-11-15");
  });
});
