import { mount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { settle } from "../testing/settle";
import AccountPayments from "./AccountPayments.svelte";
import { setLanguage } from "../lib/i18n.svelte";
import type { BillingHistory, PlanCatalog } from "../lib/types";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const catalog = { free_plan: "start", plans: [{ id: "plus", name: "Plus" }] } as unknown as PlanCatalog;
const JAN_1_2027 = Date.UTC(2027, 0, 1, 12) / 1000;
const FEB_1_2027 = Date.UTC(2027, 1, 1, 12) / 1000;

async function render(history: BillingHistory | Error, language: "en" | "cs" = "en") {
  setLanguage(language);
  mockIPC((cmd) => {
    if (cmd !== "account_billing_history") throw new Error(`unexpected ${cmd}`);
    if (history instanceof Error) throw { code: "server_unreachable", message: history.message };
    return history;
  });
  const target = document.createElement("div");
  document.body.append(target);
  mount(AccountPayments, { target, props: { catalog } });
  await settle();
  return target;
}

describe("AccountPayments", () => {
  it("lists payments with the plan's name, date, state and amount, then the invoices", async () => {
    const amount = { amount_minor: 19_905, currency: "CZK" as const };
    const target = await render({
      payments: [
        { id: "p3", kind: "new_period", plan: "plus", interval: "month", amount: { amount_minor: 0, currency: "CZK" }, provider: "admin", status: "paid", created_at: FEB_1_2027 },
        { id: "p2", kind: "upgrade", plan: "plus", interval: "month", amount, provider: "comgate", status: "pending", created_at: FEB_1_2027 },
        { id: "p1", kind: "new_period", plan: "plus", interval: "month", amount, provider: "comgate", status: "paid", created_at: JAN_1_2027, paid_at: JAN_1_2027 },
      ],
      invoices: [
        { number: "2027-000001", payment_id: "p1", plan: "plus", amount, issued_at: JAN_1_2027, period_start: JAN_1_2027, period_end: FEB_1_2027 },
      ],
    }, "cs");
    const payments = [...target.querySelectorAll("[data-testid=payment]")].map((li) => li.textContent!.replace(/\s+/g, " ").trim());
    expect(payments[0]).toContain("přiděleno podporou");
    expect(payments[0]).not.toContain("Kč");
    expect(payments[1]).toContain("Přechod na tarif Plus");
    expect(payments[1]).toContain("čeká na zaplacení");
    expect(payments[2]).toContain("zaplaceno");
    expect(payments[2]).toMatch(/199,05\s*Kč/);
    const invoice = target.querySelector("[data-testid=invoice]")!.textContent!;
    expect(invoice).toContain("2027-000001");
  });

  it("says when there are no payments, and shows why the list could not be read", async () => {
    expect((await render({ payments: [], invoices: [] })).textContent).toContain("No payments yet.");
    document.body.innerHTML = "";
    expect((await render(new Error("connection refused"))).querySelector("[role=alert]")).not.toBeNull();
  });
});
