// Translations: every string the person reads comes from locales/cs.json or locales/en.json.
// `t` reads the current language reactively, so switching language re-renders everything.

import cs from "../locales/cs.json";
import en from "../locales/en.json";
import type { Language } from "./types";

export const catalogs: Record<Language, Record<string, string>> = { cs, en };

export const i18n = $state({ language: "en" as Language });

/** The language to use when the person has not chosen one: the system's, if we speak it. */
export function systemLanguage(languages: readonly string[] = navigator.languages): Language {
  for (const tag of languages) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "cs" || base === "sk") return "cs";
    if (base === "en") return "en";
  }
  return "en";
}

export function setLanguage(language: Language | null) {
  i18n.language = language ?? systemLanguage();
  document.documentElement.lang = i18n.language;
}

function fill(text: string, params?: Record<string, string | number>): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The translated string for `key`; the English one, then the key, if it is missing. */
export function t(key: string, params?: Record<string, string | number>): string {
  const text = catalogs[i18n.language][key] ?? catalogs.en[key] ?? key;
  return fill(text, params);
}

/** A count with the right plural form (Czech has one, few and other): `key.one` etc. */
export function tn(key: string, count: number, params?: Record<string, string | number>): string {
  const form = new Intl.PluralRules(i18n.language).select(count);
  const catalog = catalogs[i18n.language];
  const chosen = catalog[`${key}.${form}`] !== undefined ? `${key}.${form}` : `${key}.other`;
  return t(chosen, { count: formatCount(count), ...params });
}

function formatCount(count: number): string {
  return new Intl.NumberFormat(i18n.language).format(count);
}

/**
 * What to tell the person when a command failed, with what to do next. A translation may
 * quote the engine's own detail as `{message}`.
 */
export function errorText(error: { code: string; message: string }): string {
  const key = `error.${error.code}`;
  if (catalogs.en[key] !== undefined) return t(key, { message: error.message });
  return error.message;
}
