import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogs, errorText, i18n, systemLanguage, t, tn } from "./i18n.svelte";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(svelte|ts)$/.test(name) && !name.endsWith(".test.ts") ? [path] : [];
  });
}

const base = (key: string) => key.replace(/\.(one|few|many|other)$/, "");

describe("translations", () => {
  it("czech and english have the same keys", () => {
    const en = new Set(Object.keys(catalogs.en).map(base));
    const cs = new Set(Object.keys(catalogs.cs).map(base));
    expect([...en].filter((k) => !cs.has(k))).toEqual([]);
    expect([...cs].filter((k) => !en.has(k))).toEqual([]);
  });

  it("every key the code asks for exists", () => {
    const root = join(__dirname, "..");
    const used = new Set<string>();
    for (const file of sources(root)) {
      for (const match of readFileSync(file, "utf8").matchAll(/\btn?\("([a-zA-Z0-9_.]+)"/g)) used.add(match[1]);
    }
    const known = new Set(Object.keys(catalogs.en).map(base));
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !known.has(k))).toEqual([]);
  });

  it("czech plurals use the few form for two to four", () => {
    i18n.language = "cs";
    expect(tn("documents.count", 1)).toBe("1 dokument");
    expect(tn("documents.count", 3)).toBe("3 dokumenty");
    expect(tn("documents.count", 5)).toBe("5 dokumentů");
    i18n.language = "en";
    expect(tn("documents.count", 1)).toBe("1 document");
    expect(tn("documents.count", 12)).toBe("12 documents");
  });

  it("fills parameters and falls back to english, then to the key", () => {
    i18n.language = "en";
    expect(t("firstRun.confirm.word", { n: 7 })).toBe("Word #7");
    expect(t("no.such.key")).toBe("no.such.key");
  });

  it("errors are translated by code, unknown codes show the engine's message", () => {
    i18n.language = "cs";
    expect(errorText({ code: "wrong_password", message: "wrong password" })).toMatch(/heslo/);
    expect(errorText({ code: "remote_ocr", message: "HTTP 429" })).toBe("Vzdálený poskytovatel dokument nepřečetl: HTTP 429");
    expect(errorText({ code: "invalid_input", message: "`x` is not a date" })).toBe("Tohle nelze přijmout: `x` is not a date");
    expect(errorText({ code: "a_code_of_a_newer_engine", message: "what happened" })).toBe("what happened");
  });

  it("picks czech for czech or slovak systems and english otherwise", () => {
    expect(systemLanguage(["cs-CZ", "en"])).toBe("cs");
    expect(systemLanguage(["sk"])).toBe("cs");
    expect(systemLanguage(["de-DE", "en-US"])).toBe("en");
    expect(systemLanguage(["fr"])).toBe("en");
  });
});
