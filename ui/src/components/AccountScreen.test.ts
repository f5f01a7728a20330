import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { settle } from "../testing/settle";
import AccountScreen from "./AccountScreen.svelte";
import GraceBanner from "./GraceBanner.svelte";
import { app } from "../lib/app.svelte";
import { setLanguage } from "../lib/i18n.svelte";
import type { AccountView, DocumentSummary } from "../lib/types";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);

const lockedDoc: DocumentSummary = {
  id: "d1", kind: "receipt", title: "Účtenka Elektro Novák", merchant: "Elektro Novák a synové, s.r.o.",
  date: "2026-10-03", total: "1299.90", currency: "CZK", tags: [], expiry: null, unconfirmed: false, trashed: false,
};

const account = (over: Partial<AccountView> = {}): AccountView => ({
  connection: { server_url: "http://127.0.0.1:8443", email: "jana@example.test", account_id: "a", device_id: "dev1", signed_in: true },
  entitlement: {
    plan: "start",
    limits: { receipts_per_month: 5, documents_per_month: 3, remote_ocr_credits_per_month: 0, email_reminders: false },
    usage: { month: "2026-11", receipts: 4, documents: 1, reset_at: now + 9 * DAY },
    period_end: null,
    renews: false,
    locked: ["d1"],
    purge_at: now + 20 * DAY,
  },
  fresh: true,
  sync: { last_sync: now - 120, pending: 2, not_synced: ["d9"] },
  locked_documents: [lockedDoc],
  email_reminders: false,
  email_verified: true,
  ...over,
});

function render() {
  const target = document.createElement("div");
  document.body.append(target);
  return { target, screen: mount(AccountScreen, { target }) };
}

describe("AccountScreen", () => {
  it("shows the plan, usage against the limits, sync status, locked documents and devices", async () => {
    setLanguage("en");
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "account_status") return account();
      if (cmd === "account_devices") {
        return [
          { device_id: "dev1", name: "Coffer desktop (linux)", created_at: now, last_seen_at: now, current: true },
          { device_id: "dev2", name: "Coffer CLI", created_at: now, last_seen_at: now - 3 * DAY, current: false },
        ];
      }
      if (cmd === "account_plans") {
        return {
          free_plan: "start", time_zone: "Europe/Prague", grace_days: 60,
          plans: [
            { id: "start", name: "Start", limits: account().entitlement!.limits, prices: [] },
            { id: "plus", name: "Plus", limits: { receipts_per_month: 100, documents_per_month: 50, remote_ocr_credits_per_month: 100, email_reminders: true },
              prices: [{ interval: "month", price: { amount_minor: 399, currency: "EUR" } }] },
          ],
        };
      }
      if (cmd === "account_revoke_device") return [];
      if (cmd === "account_billing_history") return { payments: [], invoices: [] };
      return 1;
    });
    const { target, screen } = render();
    await settle();
    const text = target.textContent ?? "";
    expect(target.querySelector('[data-testid="plan-name"]')?.textContent).toBe("Start");
    expect(target.querySelector('[data-testid="usage-receipts"]')?.textContent).toBe("4 of 5");
    expect(target.querySelector('[data-testid="usage-documents"]')?.textContent).toBe("1 of 3");
    expect(target.querySelector(".usage-bar.near")).not.toBeNull();
    expect(text).toContain("2 changes");
    expect(target.querySelector('[data-testid="not-synced"]')?.textContent).toContain("1 document stays");
    expect(target.querySelector('[data-testid="locked-section"]')?.textContent).toContain("Účtenka Elektro Novák");
    expect(text).toContain("in 20 days");
    expect(target.querySelector(".offer")?.textContent).toContain("EUR 3.99 / month");
    expect(target.querySelector('[data-testid="upgrade-plus"]')?.textContent?.trim()).toBe("Buy");
    expect(target.querySelectorAll(".device")).toHaveLength(2);
    // Only other devices are signed out from the list; this one uses "Sign out".
    const revoke = target.querySelectorAll(".device button");
    expect(revoke).toHaveLength(1);
    (revoke[0] as HTMLButtonElement).click();
    await settle();
    expect(calls).toContain("account_revoke_device");
    expect(app.grace).toEqual({ locked: 1, purgeAt: now + 20 * DAY });
    expect(target.querySelector('[data-testid="payments-section"]')?.textContent).toContain("No payments yet.");
    unmount(screen);
  });

  it("asks before a sync that would remove most of the vault, and syncs with the confirmation", async () => {
    setLanguage("en");
    const syncs: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "account_status") return account({ locked_documents: [], entitlement: { ...account().entitlement!, locked: [], purge_at: null } });
      if (cmd === "account_devices") return [];
      if (cmd === "account_plans") return { free_plan: "start", time_zone: "Europe/Prague", grace_days: 60, plans: [] };
      if (cmd === "account_billing_history") return { payments: [], invoices: [] };
      if (cmd === "sync_now") {
        const allow = (args as { allow_mass_delete: boolean }).allow_mass_delete;
        syncs.push(allow);
        if (!allow) throw { code: "mass_deletion", message: "6 of the 8 documents" };
        return { pushed: 0, pulled: 6, conflicts: 0, not_synced: [], email_reminders: null, account: account({ locked_documents: [] }) };
      }
      return 1;
    });
    const { target, screen } = render();
    await settle();
    (target.querySelector('[data-testid="sync-now"]') as HTMLButtonElement).click();
    await settle();
    expect(syncs).toEqual([false]);
    expect(target.querySelector('[data-testid="mass-deletion"]')?.textContent).toContain("30 days");
    (target.querySelector('[data-testid="mass-deletion-confirm"]') as HTMLButtonElement).click();
    await settle();
    expect(syncs).toEqual([false, true]);
    expect(target.querySelector('[data-testid="mass-deletion"]')).toBeNull();
    expect(target.querySelector('[data-testid="account-notice"]')?.textContent).toContain("Synced");
    unmount(screen);
  });

  it("asks for the e-mailed code while the address is not verified", async () => {
    setLanguage("en");
    const codes: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "account_status") return account({ email_verified: false, locked_documents: [] });
      if (cmd === "account_verify_email") {
        codes.push((args as { code: string }).code);
        return account({ email_verified: true, locked_documents: [] });
      }
      if (cmd === "account_devices") return [];
      if (cmd === "account_plans") return { free_plan: "start", time_zone: "Europe/Prague", grace_days: 60, plans: [] };
      if (cmd === "account_billing_history") return { payments: [], invoices: [] };
      return 1;
    });
    const { target, screen } = render();
    await settle();
    expect(target.querySelector('[data-testid="verify-email"]')?.textContent).toContain("jana@example.test");
    const input = target.querySelector('[data-testid="verify-code"]') as HTMLInputElement;
    input.value = " 12345678 ";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    (target.querySelector('[data-testid="verify-email"] button[type=submit]') as HTMLButtonElement).click();
    await settle();
    expect(codes).toEqual([" 12345678 "]);
    expect(target.querySelector('[data-testid="verify-email"]')).toBeNull();
    expect(target.querySelector('[data-testid="account-notice"]')?.textContent).toContain("confirmed");
    unmount(screen);
  });

  it("offers the sign-in form with the local server filled in when no account is connected", async () => {
    setLanguage("en");
    app.default_server_url = "http://127.0.0.1:40123";
    mockIPC((cmd) => (cmd === "account_status" ? null : 1));
    const { target, screen } = render();
    await settle();
    const url = target.querySelector('[data-testid="server-url"]') as HTMLInputElement;
    expect(url.value).toBe("http://127.0.0.1:40123");
    expect((target.querySelector('[data-testid="account-submit"]') as HTMLButtonElement).disabled).toBe(true);
    expect(target.querySelector('[data-testid="sync-section"]')).toBeNull();
    unmount(screen);
  });
});

describe("GraceBanner", () => {
  it("counts down to the purge date in Czech and turns urgent within 14 days", () => {
    setLanguage("cs");
    const target = document.createElement("div");
    document.body.append(target);
    let opened = 0;
    const banner = mount(GraceBanner, {
      target,
      props: { grace: { locked: 3, purgeAt: now + 3 * DAY - 60 }, onopen: () => opened++ },
    });
    flushSync();
    const el = target.querySelector('[data-testid="grace-banner"]') as HTMLElement;
    expect(el.textContent).toContain("3 dokumenty jsou uzamčené");
    expect(el.textContent).toContain("za 3 dny");
    expect(el.classList.contains("urgent")).toBe(true);
    (target.querySelector("button") as HTMLButtonElement).click();
    expect(opened).toBe(1);
    unmount(banner);
    setLanguage("en");
  });
});
