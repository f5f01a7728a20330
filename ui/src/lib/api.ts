// The one place that talks to the Tauri back end: commands, events, the file dialog and
// drag and drop. Components call these functions and never `invoke` directly.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open, save } from "@tauri-apps/plugin-dialog";
import type {
  AccountView,
  AppStatus,
  BillingHistory,
  BillingInterval,
  CheckoutResponse,
  PriceCurrency,
  Device,
  EmailRemindersView,
  Language,
  PlanCatalog,
  SignIn,
  SyncDone,
  SyncStep,
  BackupAge,
  BackupKey,
  BackupOutcome,
  BackupTo,
  BulkChange,
  BulkOutcome,
  CommandError,
  Deadline,
  DocumentDetail,
  DocumentKind,
  DocumentReminders,
  DocumentPage,
  DocumentSummary,
  EditArgs,
  ExportForm,
  ExportOutcome,
  ShareOutcome,
  ImportedFiles,
  OverviewView,
  KdfStrength,
  ProviderChange,
  ReminderNotifications,
  RemoteOcrConsent,
  RemoteProvider,
  RemoteProviderInfo,
  RestoreResult,
  SearchArgs,
  Selected,
  UnlockResult,
  Deadlines,
  BackupProtection,
  SelectionRequest,
  Settings,
  VaultInfo,
  VaultProblem,
} from "./types";

/** Turns whatever a command rejected with into a `CommandError`. */
export function asCommandError(error: unknown): CommandError {
  if (error && typeof error === "object" && "code" in error && "message" in error) {
    return error as CommandError;
  }
  return { code: "internal", message: String(error) };
}

type WordCheck = { position: number; word: string };

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw asCommandError(error);
  }
}

export const api = {
  status: () => call<AppStatus>("app_status"),
  newRecoveryPhrase: () => call<string[]>("new_recovery_phrase"),
  createVault: (password: string, confirmed: WordCheck[]) =>
    call<void>("create_vault", { password, confirmed }),
  backupProtection: (path: string) => call<BackupProtection>("backup_protection", { path }),
  restoreVault: (path: string, key: BackupKey, password: string, confirmed: WordCheck[]) =>
    call<RestoreResult>("restore_vault", { path, key, password, confirmed }),
  unlock: (password: string) => call<UnlockResult>("unlock", { password }),
  recover: (phrase: string, newPassword: string) => call<void>("recover", { phrase, new_password: newPassword }),
  lock: () => call<void>("lock"),
  touch: () => call<void>("touch"),
  search: (query: SearchArgs) => call<DocumentSummary[]>("search_documents", { query }),
  list: (query: SearchArgs) => call<DocumentPage>("list_documents", { query }),
  importFiles: (paths: string[], kind: DocumentKind | null) =>
    call<ImportedFiles>("import_files", { paths, kind }),
  document: (id: string) => call<DocumentDetail>("get_document", { id }),
  content: async (id: string) => new Uint8Array(await call<ArrayBuffer>("document_content", { id })),
  thumbnail: async (id: string) => new Uint8Array(await call<ArrayBuffer>("document_thumbnail", { id })),
  pdfPageCount: (id: string) => call<number>("pdf_page_count", { id }),
  pdfPage: async (id: string, page: number, size: number) =>
    new Uint8Array(await call<ArrayBuffer>("pdf_page", { id, page, size })),
  imagePreview: async (id: string, size: number) =>
    new Uint8Array(await call<ArrayBuffer>("image_preview", { id, size })),
  ocr: (id: string) => call<DocumentDetail>("ocr_document", { id }),
  remoteOcrConsent: (id: string, provider: RemoteProvider) =>
    call<RemoteOcrConsent>("remote_ocr_consent", { id, provider }),
  remoteOcr: (id: string, provider: RemoteProvider, consent: string) =>
    call<DocumentDetail>("remote_ocr_document", { id, provider, consent }),
  remoteProviders: () => call<RemoteProviderInfo[]>("remote_ocr_providers"),
  saveRemoteProvider: (provider: RemoteProvider, change: ProviderChange) =>
    call<RemoteProviderInfo>("save_remote_ocr_provider", { provider, change }),
  edit: (id: string, edit: EditArgs) => call<DocumentDetail>("edit_document", { id, edit }),
  trash: (id: string) => call<void>("trash_document", { id }),
  restore: (id: string) => call<void>("untrash_document", { id }),
  vaultInfo: () => call<VaultInfo>("vault_info"),
  overview: () => call<OverviewView>("vault_overview"),
  deadlines: () => call<Deadlines>("deadlines"),
  saveDeadlineSnoozes: (snoozes: Record<string, string>) =>
    call<Record<string, string>>("save_deadline_snoozes", { snoozes }),
  exportDeadlines: (path: string) => call<number>("export_deadlines_ics", { path }),
  changeDocuments: (selection: SelectionRequest, change: BulkChange) =>
    call<BulkOutcome>("change_documents", { selection, change }),
  selectedDocuments: (selection: SelectionRequest) =>
    call<Selected[]>("selected_documents", { selection }),
  verifyVault: (quick: boolean) => call<VaultProblem[]>("verify_vault", { quick }),
  settings: () => call<Settings>("get_settings"),
  saveSettings: (settings: Settings) => call<Settings>("save_settings", { settings }),
  changeKdf: (password: string, strength: KdfStrength) => call<void>("change_kdf", { password, strength }),
  reminderNotifications: () => call<ReminderNotifications>("reminder_notifications"),
  showNotifications: (notices: { title: string; body: string }[], shown: string[]) =>
    call<void>("show_notifications", { notices, shown }),
  takeWatchedFiles: () => call<string[]>("take_watched_files"),
  leadDays: () => call<number[]>("reminder_lead_days"),
  saveLeadDays: (days: number[]) => call<number[]>("save_reminder_lead_days", { days }),
  documentReminders: (id: string) => call<DocumentReminders>("document_reminders", { id }),
  saveDocumentReminders: (id: string, reminders: DocumentReminders) =>
    call<DocumentReminders>("save_document_reminders", { id, reminders }),
  signUp: (form: SignIn) => call<AccountView>("account_register", { form }),
  signIn: (form: SignIn) => call<AccountView>("account_login", { form }),
  signOut: () => call<void>("account_logout"),
  account: () => call<AccountView | null>("account_status"),
  verifyEmail: (code: string) => call<AccountView>("account_verify_email", { code }),
  resendVerification: () => call<void>("account_resend_verification"),
  devices: () => call<Device[]>("account_devices"),
  revokeDevice: (deviceId: string) => call<Device[]>("account_revoke_device", { device_id: deviceId }),
  syncNow: (allowMassDelete = false) => call<SyncDone>("sync_now", { allow_mass_delete: allowMassDelete }),
  plans: () => call<PlanCatalog>("account_plans"),
  checkout: (plan: string, interval: BillingInterval, currency: PriceCurrency, language: Language) =>
    call<CheckoutResponse>("account_checkout", { plan, interval, currency, language }),
  cancelPlan: () => call<AccountView>("account_cancel"),
  billingHistory: () => call<BillingHistory>("account_billing_history"),
  defaultOutputFolder: () => call<string>("default_output_folder"),
  exportDocuments: (form: ExportForm) => call<ExportOutcome>("export_documents", { form }),
  shareDocuments: (form: ExportForm, expiresInDays: number) =>
    call<ShareOutcome>("share_documents", { form, expires_in_days: expiresInDays }),
  backupVault: (out: string, to: BackupTo) => call<BackupOutcome>("backup_vault", { out, to }),
  lastBackup: () => call<BackupAge>("last_backup"),
  showInFolder: (path: string) => call<void>("show_in_folder", { path }),
  setEmailReminders: (enabled: boolean, language: Language) =>
    call<EmailRemindersView | null>("set_email_reminders", { enabled, language }),
};

/** Runs `handler` when the back end locks the vault by itself (idle timeout, system sleep). */
export function onVaultLocked(handler: (reason: "idle" | "sleep") => void): Promise<UnlistenFn> {
  return listen<"idle" | "sleep">("vault-locked", (event) => handler(event.payload));
}

/** Progress of a running sync. */
export function onSyncProgress(handler: (step: SyncStep) => void): Promise<UnlistenFn> {
  return listen<SyncStep>("sync-progress", (event) => handler(event.payload));
}

/** Runs `handler` when new files wait in the watched folder. */
export function onWatchedFiles(handler: () => void): Promise<UnlistenFn> {
  return listen("watched-files", handler);
}

/** Progress of an export (documents), a backup or a restore (bytes). */
export function onWriteProgress(
  kind: "export" | "backup" | "restore",
  handler: (done: number, total: number) => void,
): Promise<UnlistenFn> {
  return listen<{ done: number; total: number }>(`${kind}-progress`, (event) =>
    handler(event.payload.done, event.payload.total),
  );
}

/** Asks where to save a file, starting at `defaultPath`; null when the person cancels. */
export async function pickSaveFile(title: string, defaultPath: string, extension: string): Promise<string | null> {
  return await save({ title, defaultPath, filters: [{ name: extension.toUpperCase(), extensions: [extension] }] });
}

/** Asks for one file (a backup, a key file); null when the person cancels. */
export async function pickFile(title: string): Promise<string | null> {
  const picked = await open({ title, multiple: false, directory: false });
  return typeof picked === "string" ? picked : null;
}

/** Asks for a folder; null when the person cancels. */
export async function pickFolder(title: string): Promise<string | null> {
  const picked = await open({ title, multiple: false, directory: true });
  return typeof picked === "string" ? picked : null;
}

/** Asks for files to import; an empty list when the person cancels. */
export async function pickFiles(title: string): Promise<string[]> {
  const picked = await open({
    title,
    multiple: true,
    directory: false,
    filters: [
      { name: "Documents", extensions: ["jpg", "jpeg", "png", "heic", "heif", "pdf", "tif", "tiff", "webp", "xml", "isdoc"] },
      { name: "*", extensions: ["*"] },
    ],
  });
  if (!picked) return [];
  return Array.isArray(picked) ? picked : [picked];
}

export type DropEvent = { type: "over" } | { type: "leave" } | { type: "drop"; paths: string[] };

/** Files dragged over the window: the paths arrive with the drop. */
export function onFileDrop(handler: (event: DropEvent) => void): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const payload = event.payload;
    if (payload.type === "enter" || payload.type === "over") handler({ type: "over" });
    else if (payload.type === "leave") handler({ type: "leave" });
    else if (payload.type === "drop") handler({ type: "drop", paths: payload.paths });
  });
}
