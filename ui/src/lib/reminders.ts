// Which due reminders become desktop notifications: those within a lead time (a "stage"), of a
// kind the person has not switched off, and not shown before. Each is shown once per stage, so
// a warranty can remind at 30 days and again at 7.

import { t, tn } from "./i18n.svelte";
import type { DeadlineKind, DueReminder, NotificationSettings } from "./types";

const SETTING_FOR: Record<DeadlineKind, "warranty_ends" | "contract_ends" | "notice_deadline" | "document_expires"> = {
  warranty_ends: "warranty_ends",
  contract_ends: "contract_ends",
  notice_deadline: "notice_deadline",
  document_expires: "document_expires",
};

export function reminderKey(r: DueReminder): string {
  return `${r.document}:${r.kind}:${r.date}:${r.stage}`;
}

export interface NotificationPlan {
  toShow: DueReminder[];
  /** What to remember as shown: the new ones plus those still due (older entries drop out). */
  shown: string[];
}

export function planNotifications(
  due: DueReminder[],
  shown: string[],
  enabled: NotificationSettings,
): NotificationPlan {
  const already = new Set(shown);
  const stillDue = new Set(due.map(reminderKey));
  const toShow = due.filter(
    (r) => r.stage !== null && enabled[SETTING_FOR[r.kind]] && !already.has(reminderKey(r)),
  );
  const keep = shown.filter((key) => stillDue.has(key));
  return { toShow, shown: [...keep, ...toShow.map(reminderKey)] };
}

/**
 * What a notification says: the kind of deadline and when; the document's title only when the
 * person chose to see titles there (a notification can show on a locked or shared screen).
 */
export function noticeText(r: DueReminder, show_titles: boolean): { title: string; body: string } {
  const key = show_titles ? "reminder" : "reminder.hidden";
  return {
    title: t(`reminder.${r.kind}`),
    body: r.days_left === 0 ? t(`${key}.today`, { title: r.title }) : tn(`${key}.inDays`, r.days_left, { title: r.title }),
  };
}
