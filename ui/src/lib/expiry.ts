// The deadlines screen's plan: what is overdue, what comes within 30, 90 and 365 days, and
// what the person snoozed. A snooze hides one deadline (a document's warranty end, its notice
// date) until a day; "done" hides it for good. Snoozes are kept in the vault by key.

import { daysUntil } from "./format";
import type { Deadline } from "./types";

export const HORIZONS = [30, 90, 365] as const;
/** How far back an overdue deadline is still shown (the back end sends this much). */
export const OVERDUE_DAYS = 60;
/** The day a deadline marked done is hidden until. */
export const DONE = "9999-12-31";

export interface DeadlineItem {
  deadline: Deadline;
  /** Negative when it has passed. */
  days: number;
  key: string;
}

export interface ExpiryGroup {
  /** The horizon in days: "within 30 days", "31–90 days", "91–365 days". */
  horizon: (typeof HORIZONS)[number];
  items: DeadlineItem[];
}

export interface DeadlinePlan {
  overdue: DeadlineItem[];
  groups: ExpiryGroup[];
  snoozed: (DeadlineItem & { until: string })[];
}

export function deadlineKey(d: Pick<Deadline, "document" | "kind" | "date">): string {
  return `${d.document}:${d.kind}:${d.date}`;
}

/** `YYYY-MM-DD` of the local day `days` after `today`. */
export function dayAfter(today: Date, days: number): string {
  const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() + days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function planDeadlines(
  deadlines: Deadline[],
  snoozes: Record<string, string>,
  today: Date = new Date(),
): DeadlinePlan {
  const todayYmd = dayAfter(today, 0);
  const plan: DeadlinePlan = { overdue: [], groups: HORIZONS.map((horizon) => ({ horizon, items: [] })), snoozed: [] };
  for (const deadline of deadlines) {
    const key = deadlineKey(deadline);
    const item = { deadline, days: daysUntil(deadline.date, today), key };
    const until = snoozes[key];
    if (until !== undefined && until > todayYmd) {
      if (until !== DONE) plan.snoozed.push({ ...item, until });
    } else if (item.days < 0) {
      if (item.days >= -OVERDUE_DAYS) plan.overdue.push(item);
    } else {
      plan.groups.find((g) => item.days <= g.horizon)?.items.push(item);
    }
  }
  const soonest = (a: DeadlineItem, b: DeadlineItem) => a.days - b.days;
  plan.overdue.sort(soonest);
  for (const group of plan.groups) group.items.sort(soonest);
  plan.snoozed.sort(soonest);
  return plan;
}

/** The snoozes with `key` set to `until` (null wakes it), less those whose deadline is long past. */
export function withSnooze(
  snoozes: Record<string, string>,
  key: string,
  until: string | null,
  today: Date = new Date(),
): Record<string, string> {
  const oldest = dayAfter(today, -OVERDUE_DAYS - 1);
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(snoozes)) {
    const date = k.slice(k.lastIndexOf(":") + 1);
    if (k !== key && date >= oldest) next[k] = v;
  }
  if (until !== null) next[key] = until;
  return next;
}

/** A deadline that is snoozed (or done) today is not notified either. */
export function isSnoozed(snoozes: Record<string, string>, d: Pick<Deadline, "document" | "kind" | "date">, today: Date = new Date()): boolean {
  const until = snoozes[deadlineKey(d)];
  return until !== undefined && until > dayAfter(today, 0);
}

/** `date` plus `months` calendar months, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb). */
export function addMonths(ymd: string, months: number): string {
  const [y, m, d] = ymd.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  const day = Math.min(d, last);
  return `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}
