// The front end's shared state: which vault state and screen are shown, and the settings.
// Nothing decrypted lives here; document data stays inside the screens that show it and is
// dropped with them when the vault locks.

import { graceOf, type Grace } from "./account";
import { api } from "./api";
import { setLanguage } from "./i18n.svelte";
import { clearThumbnails } from "./thumbnails";
import type { AccountView, Settings, Theme, VaultState } from "./types";

export type Screen = "documents" | "overview" | "review" | "expiry" | "account" | "settings";
export type LockReason = "idle" | "sleep" | "user" | null;

export const app = $state({
  vault: null as VaultState | null,
  vault_path: "",
  screen: "documents" as Screen,
  lockReason: null as LockReason,
  settings: {
    language: null,
    theme: "system",
    auto_lock_minutes: 10,
    lock_on_sleep: true,
    ocr_on_import: true,
    ocr_languages: "ces+eng+deu",
    watched_folder: null,
    notifications: { warranty_ends: true, contract_ends: true, notice_deadline: true, document_expires: true, show_titles: false },
    backup_reminder_days: 30,
  } as Settings,
  startupError: null as string | null,
  /** The server the sign-in form offers first. */
  default_server_url: null as string | null,
  /** Locked documents and their purge date, for the banner across the main window. */
  grace: null as Grace | null,
  /** The backup dialog is open (from Settings or the reminder). */
  backupDialog: false,
  /** When the last backup was made (RFC 3339), once the main window has asked. */
  lastBackup: undefined as string | null | undefined,
  /** How many documents wait for a person's check (the navigation's "To review (n)"). */
  reviewCount: null as number | null,
});

/** Asks the engine how many documents wait for review; called after anything that changes it. */
export async function refreshReviewCount() {
  try {
    app.reviewCount = (await api.list({ unconfirmed_only: true, limit: 0 })).total;
  } catch {
    // Locked meanwhile: counted again after the next unlock.
  }
}

/** Takes what the main window shows from the account's status (null: no account). */
export function applyAccount(view: AccountView | null) {
  app.grace = graceOf(view?.entitlement);
}

export function applyTheme(theme: Theme) {
  const dark =
    theme === "dark" ||
    (theme === "system" && window.matchMedia?.("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

export function applySettings(settings: Settings) {
  app.settings = settings;
  setLanguage(settings.language);
  applyTheme(settings.theme);
}

/**
 * Switches to the unlock screen; the main window and everything it decrypted is unmounted
 * (previews revoke their object URLs as they go), and the thumbnail cache is revoked here.
 */
export function showLocked(reason: LockReason) {
  clearThumbnails();
  app.vault = "locked";
  app.lockReason = reason;
  app.screen = "documents";
  app.grace = null;
  app.reviewCount = null;
}
