import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import VaultProblems from "./VaultProblems.svelte";
import { i18n } from "../lib/i18n.svelte";

afterEach(() => {
  i18n.language = "en";
  document.body.innerHTML = "";
});

describe("VaultProblems", () => {
  it("words each problem's advice in the person's language by its kind, the engine's words otherwise", () => {
    i18n.language = "cs";
    const target = document.createElement("div");
    document.body.append(target);
    const list = mount(VaultProblems, {
      target,
      props: {
        problems: [
          { id: null, text: "the database is damaged", kind: "database", advice: "rebuild it" },
          { id: "d1", text: "d1 is missing", kind: "a_kind_of_a_newer_engine", advice: "ask support" },
        ],
      },
    });
    flushSync();
    const items = [...target.querySelectorAll("li")].map((li) => li.textContent ?? "");
    expect(items[0]).toContain("coffer repair");
    expect(items[0]).toContain("obnovte databázi");
    expect(items[1]).toContain("ask support");
    unmount(list);
  });
});
