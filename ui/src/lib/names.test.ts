import { describe, expect, it } from "vitest";
import { displayName } from "./names";
import type { DocumentSummary } from "./types";

const base: DocumentSummary = {
  id: "a", kind: "receipt", title: "600", merchant: null, date: null, total: null, currency: null,
  tags: [], expiry: null, unconfirmed: false, trashed: false,
  // Noon UTC is the same calendar day on every computer's clock from UTC−11 to UTC+11.
  imported_at: "2026-11-03T12:00:00Z", untitled: true,
};
const kind = (k: string) => ({ receipt: "Účtenka", invoice: "Faktura" })[k] ?? k;

describe("displayName", () => {
  it("names an unread document by its kind and import day, never by its file name", () => {
    expect(displayName(base, "cs", kind)).toBe("Účtenka · 3. 11. 2026");
    expect(displayName({ ...base, kind: "invoice" }, "en", kind)).toBe("Faktura · 3 Nov 2026");
  });

  it("prefers the merchant, then a title that was given or read", () => {
    expect(displayName({ ...base, merchant: "Lékárna U Zlatého hada" }, "cs", kind)).toBe("Lékárna U Zlatého hada");
    expect(displayName({ ...base, untitled: false, title: "Pračka Bosch" }, "cs", kind)).toBe("Pračka Bosch");
  });
});
