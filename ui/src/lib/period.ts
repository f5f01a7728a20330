// The export dialog's periods and the backup reminder: pure date logic, in the person's
// local calendar (a month is the month on their wall calendar, not in UTC).

export type PeriodPreset = "thisMonth" | "lastMonth" | "thisQuarter" | "lastQuarter" | "thisYear" | "lastYear" | "custom";

export const PERIOD_PRESETS: PeriodPreset[] = ["thisMonth", "lastMonth", "thisQuarter", "lastQuarter", "thisYear", "lastYear", "custom"];

export type Period = { from: string; to: string };

/** `YYYY-MM-DD` of a local date. */
export function ymd(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** First to last day of `months` months starting at month `start` (0-based, may be negative) of `year`. */
function span(year: number, start: number, months: number): Period {
  return { from: ymd(new Date(year, start, 1)), to: ymd(new Date(year, start + months, 0)) };
}

/** The period a preset means on `today`; `null` for "custom". */
export function periodOf(preset: PeriodPreset, today: Date = new Date()): Period | null {
  const year = today.getFullYear();
  const month = today.getMonth();
  const quarter = month - (month % 3);
  switch (preset) {
    case "thisMonth":
      return span(year, month, 1);
    case "lastMonth":
      return span(year, month - 1, 1);
    case "thisQuarter":
      return span(year, quarter, 3);
    case "lastQuarter":
      return span(year, quarter - 3, 3);
    case "thisYear":
      return span(year, 0, 12);
    case "lastYear":
      return span(year - 1, 0, 12);
    case "custom":
      return null;
  }
}

/** The ZIP's suggested name for a period: `coffer-2026-11.zip` for a month, else both days. */
export function exportFileName(period: Period): string {
  const month = period.from.slice(0, 7);
  const wholeMonth = period.from.endsWith("-01") && period.to === span(Number(month.slice(0, 4)), Number(month.slice(5)) - 1, 1).to;
  return wholeMonth ? `coffer-${month}.zip` : `coffer-${period.from}_${period.to}.zip`;
}

/** `folder` joined with `file`, with the separator the folder already uses. */
export function joinPath(folder: string, file: string): string {
  const separator = folder.includes("\\") && !folder.includes("/") ? "\\" : "/";
  return folder.endsWith(separator) ? folder + file : folder + separator + file;
}

/** Whole days from the RFC 3339 instant `since` to `now`. */
export function daysSince(since: string, now: Date = new Date()): number {
  return Math.floor((now.getTime() - new Date(since).getTime()) / 86_400_000);
}

/**
 * Whether to remind of a backup: the last one (or, with none yet, the vault's creation: a new
 * vault is not nagged on its first day) is `days` old or more. 0 days: never remind.
 */
export function backupDue(lastBackup: string | null, vault_created: string, days: number, now: Date = new Date()): boolean {
  if (days <= 0) return false;
  return daysSince(lastBackup ?? vault_created, now) >= days;
}
