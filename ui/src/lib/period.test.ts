import { describe, expect, it } from "vitest";
import { backupDue, daysSince, exportFileName, joinPath, periodOf, PERIOD_PRESETS } from "./period";

// 3 December 2026, local time.
const today = new Date(2026, 11, 3, 9, 30);

describe("export periods", () => {
  it("are calendar months, quarters and years around today", () => {
    expect(periodOf("thisMonth", today)).toEqual({ from: "2026-12-01", to: "2026-12-31" });
    expect(periodOf("lastMonth", today)).toEqual({ from: "2026-11-01", to: "2026-11-30" });
    expect(periodOf("thisQuarter", today)).toEqual({ from: "2026-10-01", to: "2026-12-31" });
    expect(periodOf("lastQuarter", today)).toEqual({ from: "2026-07-01", to: "2026-09-30" });
    expect(periodOf("thisYear", today)).toEqual({ from: "2026-01-01", to: "2026-12-31" });
    expect(periodOf("lastYear", today)).toEqual({ from: "2025-01-01", to: "2025-12-31" });
    expect(periodOf("custom", today)).toBeNull();
  });

  it("cross the year backwards in January and know February's length", () => {
    const january = new Date(2028, 0, 15);
    expect(periodOf("lastMonth", january)).toEqual({ from: "2027-12-01", to: "2027-12-31" });
    expect(periodOf("lastQuarter", january)).toEqual({ from: "2027-10-01", to: "2027-12-31" });
    expect(periodOf("thisMonth", new Date(2028, 1, 29))).toEqual({ from: "2028-02-01", to: "2028-02-29" });
    expect(periodOf("lastMonth", new Date(2027, 2, 31))).toEqual({ from: "2027-02-01", to: "2027-02-28" });
  });

  it("every preset but custom gives a period that starts before it ends", () => {
    for (const preset of PERIOD_PRESETS.filter((p) => p !== "custom")) {
      const period = periodOf(preset, today)!;
      expect(period.from < period.to).toBe(true);
    }
  });

  it("name the ZIP after the month, or after both days", () => {
    expect(exportFileName({ from: "2026-11-01", to: "2026-11-30" })).toBe("coffer-2026-11.zip");
    expect(exportFileName({ from: "2026-10-01", to: "2026-12-31" })).toBe("coffer-2026-10-01_2026-12-31.zip");
    expect(exportFileName({ from: "2026-11-01", to: "2026-11-29" })).toBe("coffer-2026-11-01_2026-11-29.zip");
  });

  it("join a folder and a file name with the folder's separator", () => {
    expect(joinPath("/home/jana/Downloads", "a.zip")).toBe("/home/jana/Downloads/a.zip");
    expect(joinPath("/home/jana/", "a.zip")).toBe("/home/jana/a.zip");
    expect(joinPath("C:\\Users\\jana\\Downloads", "a.zip")).toBe("C:\\Users\\jana\\Downloads\\a.zip");
  });
});

describe("the backup reminder", () => {
  it("asks for one older than the chosen days, and for a first one once the vault is that old", () => {
    const created = "2026-01-10T12:00:00Z";
    expect(backupDue(null, created, 30, today)).toBe(true);
    expect(backupDue(null, "2026-11-30T12:00:00Z", 30, today)).toBe(false);
    expect(backupDue("2026-11-20T10:00:00Z", created, 30, today)).toBe(false);
    expect(backupDue("2026-11-03T08:00:00Z", created, 30, today)).toBe(true);
    expect(backupDue(null, created, 0, today)).toBe(false);
    expect(backupDue("2020-01-01T00:00:00Z", created, 0, today)).toBe(false);
  });

  it("counts whole days", () => {
    expect(daysSince("2026-12-02T09:30:00+01:00", today)).toBe(1);
    expect(daysSince("2026-12-03T09:00:00+01:00", today)).toBe(0);
  });
});
